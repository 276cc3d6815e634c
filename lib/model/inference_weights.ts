// Weights prepared for inference, kept until their parameter changes: each linear layer's
// `W^T` (a transposed operand would cost a transpose per call, and on wasm a new operand also
// makes XNNPACK pack the weights again), and each attention block's q/k/v weights
// concatenated and transposed, with their biases, for one product instead of three.
import { tf } from "../engine/tf.ts";

/**
 * The inference weights of one model.
 *
 * @example
 * ```ts
 * const cache = new InferenceWeights();
 * const wT = cache.transposed("pre_classifier", model.param("pre_classifier.weight"));
 * ```
 */
export class InferenceWeights {
  private readonly single = new Map<
    string,
    { source: tf.Variable; dataId: object; transposed: tf.Tensor }
  >();
  private readonly qkv = new Map<
    string,
    { ids: object[]; transposed: tf.Tensor; bias: tf.Tensor }
  >();

  /** `w^T`, made once per value of `w` (remade when the parameter or its value changes). */
  transposed(name: string, w: tf.Variable): tf.Tensor {
    const hit = this.single.get(name);
    if (hit?.source === w && hit.dataId === w.dataId && !hit.transposed.isDisposed) {
      return hit.transposed;
    }
    hit?.transposed.dispose();
    const transposed = tf.keep(w.transpose());
    this.single.set(name, { source: w, dataId: w.dataId, transposed });
    return transposed;
  }

  /** `[q; k; v]^T` and `[bq, bk, bv]` of block `block`, remade when any of them changes. */
  concatenated(
    block: string,
    weights: tf.Variable[],
    biases: tf.Variable[],
  ): { transposed: tf.Tensor; bias: tf.Tensor } {
    const ids = [...weights, ...biases].map((t) => t.dataId);
    let hit = this.qkv.get(block);
    if (!hit || hit.ids.some((id, i) => id !== ids[i]) || hit.transposed.isDisposed) {
      if (hit) tf.dispose([hit.transposed, hit.bias]);
      hit = {
        ids,
        transposed: tf.keep(tf.tidy(() => tf.concat(weights, 0).transpose())),
        bias: tf.keep(tf.concat(biases)),
      };
      this.qkv.set(block, hit);
    }
    return hit;
  }

  /** Frees every prepared weight. */
  dispose(): void {
    for (const { transposed } of this.single.values()) transposed.dispose();
    this.single.clear();
    for (const { transposed, bias } of this.qkv.values()) tf.dispose([transposed, bias]);
    this.qkv.clear();
  }
}
