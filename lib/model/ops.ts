// The model's composite ops, each either one of the engine's fused kernels (the fast engine
// path on wasm) or tfjs' composed ops (the reference path, or another backend): LayerNorm,
// exact GELU, and whether attention can run as one kernel. The one place that decides.
import { tf } from "../engine/tf.ts";
import { engineMode } from "../engine/mode.ts";
import { layerNorm as fusedLayerNorm } from "../engine/kernels/layer_norm.ts";
import { gelu as fusedGelu } from "../engine/kernels/gelu.ts";
import { simdKernels } from "../engine/kernels/simd_kernels.ts";

export { attention as fusedAttention } from "../engine/kernels/attention.ts";

/** Whether the fused kernels run: the fast engine path on the wasm backend. */
function fused(): boolean {
  return engineMode() === "fast" && tf.getBackend() === "wasm";
}

/**
 * LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * gamma + beta`.
 *
 * @example
 * ```ts
 * const y = layerNorm(x, gamma, beta, 1e-12);
 * ```
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  if (fused()) return fusedLayerNorm(x, gamma, beta, eps); // one kernel each way
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
}

/**
 * Exact GELU, `x Φ(x) = 0.5 x (1 + erf(x / √2))`.
 *
 * @example
 * ```ts
 * const y = gelu(tf.tensor([-1, 0, 1]));
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fused()) return fusedGelu(x); // one kernel each way
  return x.mul(tf.scalar(1).add(tf.erf(x.mul(Math.SQRT1_2)))).mul(0.5);
}

/**
 * Whether attention runs as one kernel each way (`fusedAttention`): the fast path with the
 * SIMD module started.
 *
 * @example
 * ```ts
 * if (attentionKernel()) context = fusedAttention(qkv, options);
 * ```
 */
export function attentionKernel(): boolean {
  return fused() && simdKernels() !== undefined;
}
