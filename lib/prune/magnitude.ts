// Unstructured magnitude pruning modelled on torch.nn.utils.prune: a pruned parameter keeps
// its original values and a mask; `amount` is a fraction of the entries still unpruned, so
// repeated 33% steps compound; `removePruning` makes the zeros permanent.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import type { MLP } from "../model/mlp.ts";

function checkAmount(amount: number): void {
  if (!(amount > 0 && amount < 1)) throw new Error(`pruning amount ${amount} must be in (0, 1)`);
}

function checkWeight(model: MLP, name: string): void {
  const p = model.params.get(name);
  if (!p) throw new Error(`the model has no parameter "${name}"`);
  if (!name.endsWith(".weight")) {
    throw new Error(`"${name}" is not a weight: only weights are pruned`);
  }
}

/**
 * Sets a parameter's mask (0/1, same shape), as torch's `prune.custom_from_mask`.
 *
 * @example
 * ```ts
 * setMask(mlp, "fc1.weight", tf.ones([1024, 400]));
 * ```
 */
export function setMask(model: MLP, name: string, mask: tf.Tensor): void {
  checkWeight(model, name);
  const p = model.params.get(name)!;
  if (mask.shape.join() !== p.shape.join()) {
    throw new Error(`mask for "${name}" has shape [${mask.shape}]; the parameter has [${p.shape}]`);
  }
  model.masks.get(name)?.dispose();
  model.masks.set(name, tf.keep(mask.toFloat()));
}

/**
 * Global L1 unstructured pruning (torch's `prune.global_unstructured` with `L1Unstructured`):
 * among the still-unpruned entries of all `names`, zero the `amount` fraction with the
 * smallest |original value|.
 *
 * @example
 * ```ts
 * globalMagnitudePrune(mlp, mlp.weightNames(), 0.33);
 * ```
 */
export const globalMagnitudePrune = courseReference(
  "05.global_prune",
  function globalMagnitudePrune(model: MLP, names: string[], amount: number): void {
    checkAmount(amount);
    names.forEach((n) => checkWeight(model, n));
    const magnitudes: number[] = [];
    const values = names.map((n) => {
      const w = model.params.get(n)!.dataSync();
      const m = model.masks.get(n)?.dataSync();
      for (let i = 0; i < w.length; i++) if (!m || m[i] !== 0) magnitudes.push(Math.abs(w[i]));
      return { w, m };
    });
    const k = Math.round(amount * magnitudes.length);
    if (k === 0) return;
    const sorted = Float64Array.from(magnitudes).sort();
    const threshold = sorted[k - 1];
    // Entries below the threshold go; ties at the threshold are taken in order until k.
    let below = 0;
    for (const v of magnitudes) if (v < threshold) below++;
    let tiesLeft = k - below;
    names.forEach((name, j) => {
      const { w, m } = values[j];
      const mask = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        const alive = !m || m[i] !== 0;
        const a = Math.abs(w[i]);
        let keep = alive;
        if (alive && a < threshold) keep = false;
        else if (alive && a === threshold && tiesLeft > 0) {
          keep = false;
          tiesLeft--;
        }
        mask[i] = keep ? 1 : 0;
      }
      const shape = model.params.get(name)!.shape;
      tf.tidy(() => setMask(model, name, tf.tensor(mask, shape)));
    });
  },
);

/**
 * Makes pruning permanent (torch's `prune.remove`): the parameter becomes original ⊙ mask and
 * the mask is dropped.
 *
 * @example
 * ```ts
 * for (const n of mlp.weightNames()) removePruning(mlp, n);
 * ```
 */
export function removePruning(model: MLP, name: string): void {
  checkWeight(model, name);
  const mask = model.masks.get(name);
  if (!mask) return;
  const p = model.params.get(name)!;
  tf.tidy(() => p.assign(tf.mul(p, mask)));
  mask.dispose();
  model.masks.delete(name);
}
