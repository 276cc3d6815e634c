// Physical FFN-neuron pruning (as TextPruner and NNI do): a neuron is one row of lin1 (with
// its bias) and one column of lin2. Widths per layer go to `config.pruning_lab_ffn_dims`.
import { ffnDims } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { tf } from "../engine/tf.ts";
import { replace } from "./heads.ts";

/**
 * Removes FFN neurons in place; `plan` maps a layer to the neuron indices (current
 * numbering) to remove.
 *
 * @example
 * ```ts
 * pruneFfnNeurons(model, { "0": [3, 17], "5": [0] });
 * model.config.pruning_lab_ffn_dims; // [3070, 3072, 3072, 3072, 3072, 3071]
 * ```
 */
export function pruneFfnNeurons(
  model: DistilBertForSequenceClassification,
  plan: Record<string, number[]>,
): void {
  const widths = [...ffnDims(model.config)];
  for (const [layer, neurons] of Object.entries(plan)) {
    const i = Number(layer);
    if (!Number.isInteger(i) || i < 0 || i >= model.config.n_layers) {
      throw new Error(
        `FFN pruning plan: layer "${layer}" does not exist (the model has ${model.config.n_layers})`,
      );
    }
    const bad = neurons.find((n) => !Number.isInteger(n) || n < 0 || n >= widths[i]);
    if (bad !== undefined) {
      throw new Error(
        `FFN pruning plan: neuron ${bad} of layer ${layer} is not in 0..${widths[i] - 1}`,
      );
    }
    const removed = new Set(neurons);
    const keep = Array.from({ length: widths[i] }, (_, n) => n).filter((n) => !removed.has(n));
    const p = `distilbert.transformer.layer.${i}.ffn`;
    replace(model, `${p}.lin1.weight`, (w) => tf.gather(w, keep, 0));
    replace(model, `${p}.lin1.bias`, (b) => tf.gather(b, keep, 0));
    replace(model, `${p}.lin2.weight`, (w) => tf.gather(w, keep, 1));
    widths[i] = keep.length;
  }
  model.config.pruning_lab_ffn_dims = widths;
}
