// Taylor first-order importance of FFN neurons (Molchanov et al. 2017, "Pruning
// Convolutional Neural Networks for Resource Efficient Inference"): removing neuron n changes
// the loss by about |Σ a_n · ∂L/∂a_n|, a_n being its activation (the GELU output that lin2
// reads) over the batch's tokens. No hook is needed: a_n reaches the loss only through column
// n of lin2.weight, so Σ_j W2[j,n] · ∂L/∂W2[j,n] = Σ_tokens a_n · ∂L/∂a_n, exactly. The score
// comes from the gradient of lin2's weights, the quantity movement pruning accumulates too.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { ffnDims, numLabels } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { CalibrationBatch } from "./calibration.ts";

/**
 * Importance `[layer][neuron]`: for each calibration batch, the gradient of the batch's mean
 * cross-entropy, then |Σ_j lin2.weight[j, n] · ∂L/∂lin2.weight[j, n]| (= |Σ a_n · ∂L/∂a_n|
 * over the batch's examples and tokens); averaged over batches.
 *
 * @example
 * ```ts
 * const scores = taylorFfnImportance(model, batches); // scores[2][100]: neuron 100 of layer 2
 * ```
 */
export const taylorFfnImportance = courseReference(
  "06.taylor_importance",
  function taylorFfnImportance(
    model: DistilBertForSequenceClassification,
    batches: CalibrationBatch[],
  ): number[][] {
    if (batches.length === 0) throw new Error("taylorFfnImportance: batches is empty");
    const weights = ffnDims(model.config).map((_, l) =>
      model.param(`distilbert.transformer.layer.${l}.ffn.lin2.weight`)
    );
    const sums = ffnDims(model.config).map((n) => new Array<number>(n).fill(0));
    for (const { inputIds, attentionMask, labels } of batches) {
      tf.tidy(() => {
        const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), numLabels(model.config));
        const { grads } = tf.variableGrads(
          () =>
            tf.losses.softmaxCrossEntropy(
              onehot,
              model.forward(inputIds, attentionMask).logits,
            ) as tf.Scalar,
          weights,
        );
        weights.forEach((w, l) => {
          const values = w.mul(grads[w.name]).sum(0).abs().dataSync();
          for (let n = 0; n < values.length; n++) sums[l][n] += values[n];
        });
      });
    }
    return sums.map((row) => row.map((s) => s / batches.length));
  },
);
