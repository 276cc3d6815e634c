// Gradient importance (Michel et al., 2019, "Are Sixteen Heads Really Better than One?"):
// the sensitivity of the loss to each head's mask variable, |∂L/∂ξ_h|, accumulated over a
// calibration set and normalised per layer.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { headCounts, numLabels } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { CalibrationBatch } from "./calibration.ts";

/**
 * Importance `[layer][head]`: for each example, the absolute gradient of its cross-entropy
 * loss with respect to the head's mask (all masks at 1), summed over examples, then each
 * layer's scores divided by their L2 norm.
 *
 * @example
 * ```ts
 * const scores = gradientImportance(model, batches);
 * ```
 */
export const gradientImportance = courseReference("03.gradient", function gradientImportance(
  model: DistilBertForSequenceClassification,
  batches: CalibrationBatch[],
): number[][] {
  const heads = headCounts(model.config);
  const sums = heads.map((h) => new Array<number>(h).fill(0));
  for (const { inputIds, attentionMask, labels } of batches) {
    const batch = inputIds.shape[0];
    tf.tidy(() => {
      // Per-example masks: the gradient of the summed loss then holds each example's own.
      const masks = heads.map((n) => tf.ones([batch, n]));
      const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), numLabels(model.config));
      const grads = tf.grads((...m: tf.Tensor[]) => {
        const { logits } = model.forward(inputIds, attentionMask, { headMask: m });
        return tf.losses.softmaxCrossEntropy(onehot, logits, undefined, 0, tf.Reduction.SUM);
      })(masks);
      grads.forEach((g, layer) => {
        const values = g.abs().sum(0).dataSync();
        for (let h = 0; h < heads[layer]; h++) sums[layer][h] += values[h];
      });
    });
  }
  return sums.map((row) => {
    const norm = Math.sqrt(row.reduce((s, v) => s + v * v, 0)) || 1;
    return row.map((v) => v / norm);
  });
});
