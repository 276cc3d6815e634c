// Weight-norm importance of FFN neurons (as NNI's norm pruners): a neuron whose input row of
// lin1 or output column of lin2 is small contributes little. Notebook 04 has students write
// it (TODO 04.ffn_importance); notebook 06 compares it with the Taylor score.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";

/**
 * Importance of each FFN neuron of one layer: ‖lin1.weight[n, :]‖₂ · ‖lin2.weight[:, n]‖₂.
 *
 * @example
 * ```ts
 * const scores = ffnWeightNormImportance(model, 3); // one score per neuron of layer 3
 * ```
 */
export const ffnWeightNormImportance = courseReference(
  "04.ffn_importance",
  function ffnWeightNormImportance(
    model: DistilBertForSequenceClassification,
    layer: number,
  ): number[] {
    if (!Number.isInteger(layer) || layer < 0 || layer >= model.config.n_layers) {
      throw new Error(
        `ffnWeightNormImportance: layer ${layer} is not in 0..${model.config.n_layers - 1}`,
      );
    }
    return tf.tidy(() => {
      const p = `distilbert.transformer.layer.${layer}.ffn`;
      const w1 = model.param(`${p}.lin1.weight`);
      const w2 = model.param(`${p}.lin2.weight`);
      return Array.from(tf.norm(w1, 2, 1).mul(tf.norm(w2, 2, 0)).dataSync());
    });
  },
);
