// Physical attention-head pruning with Hugging Face's semantics: heads are named by their
// original indices, q/k/v lose the heads' rows and out_lin their columns, and
// `config.pruned_heads` accumulates, so pruning twice (or reloading) works.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { headDim, remainingHeads } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";

/** Heads to prune per layer, by original head index: `{ "0": [1, 4], "2": [0] }`. */
export type PruningPlan = Record<string, number[]>;

/**
 * Removes heads from the model in place, as HF's `model.prune_heads(plan)`: indices are
 * original head indices; heads already pruned are ignored; `config.pruned_heads` records
 * the union. A layer may lose all its heads: its attention then adds only `out_lin`'s bias
 * (transformers 4 cannot run such a layer; the compact layout saves it as one zero-filled
 * head, which computes the same, see `lib/model/layout.ts`).
 *
 * @example
 * ```ts
 * pruneHeads(model, { "0": [1, 4], "2": [0, 2, 5] });
 * model.config.pruned_heads; // { "0": [1, 4], "2": [0, 2, 5] }
 * ```
 */
export const pruneHeads = courseReference("04.prune_heads", function pruneHeads(
  model: DistilBertForSequenceClassification,
  plan: PruningPlan,
  options: { allowEmptyLayers?: boolean } = {},
): void {
  const { n_layers, n_heads } = model.config;
  for (const [layer, heads] of Object.entries(plan)) {
    const i = Number(layer);
    if (!Number.isInteger(i) || i < 0 || i >= n_layers) {
      throw new Error(`pruning plan: layer "${layer}" does not exist (the model has ${n_layers})`);
    }
    for (const h of heads) {
      if (!Number.isInteger(h) || h < 0 || h >= n_heads) {
        throw new Error(`pruning plan: head ${h} of layer ${layer} is not in 0..${n_heads - 1}`);
      }
    }
  }
  const size = headDim(model.config);
  const before = remainingHeads(model.config);
  if (options.allowEmptyLayers === false) {
    for (const [layer, heads] of Object.entries(plan)) {
      if (before[Number(layer)].every((h) => heads.includes(h))) {
        throw new Error(
          `pruning plan: layer ${layer} would lose all its heads (allowEmptyLayers is false)`,
        );
      }
    }
  }
  for (const [layer, heads] of Object.entries(plan)) {
    const i = Number(layer);
    const present = before[i];
    const removed = new Set(heads.filter((h) => present.includes(h)));
    if (removed.size === 0) continue;
    // Rows (features) to keep, in the current numbering of the layer's heads.
    const keep = present.flatMap((h, position) =>
      removed.has(h) ? [] : Array.from({ length: size }, (_, j) => position * size + j)
    );
    const p = `distilbert.transformer.layer.${i}.attention`;
    for (const name of ["q_lin", "k_lin", "v_lin"]) {
      replace(model, `${p}.${name}.weight`, (w) => tf.gather(w, keep, 0));
      replace(model, `${p}.${name}.bias`, (b) => tf.gather(b, keep, 0));
    }
    replace(model, `${p}.out_lin.weight`, (w) => tf.gather(w, keep, 1));
    const pruned = new Set([...(model.config.pruned_heads?.[layer] ?? []), ...removed]);
    model.config.pruned_heads = {
      ...model.config.pruned_heads,
      [layer]: [...pruned].sort((a, b) => a - b),
    };
  }
});

/**
 * Replaces a parameter by a function of it (a new variable; the old one is disposed).
 *
 * @example
 * ```ts
 * replace(model, "classifier.bias", (b) => b.mul(0));
 * ```
 */
export function replace(
  model: DistilBertForSequenceClassification,
  name: string,
  f: (t: tf.Tensor) => tf.Tensor,
): void {
  const old = model.param(name);
  const value = tf.tidy(() => f(old));
  model.params.set(name, tf.variable(value, old.trainable));
  value.dispose();
  old.dispose();
}
