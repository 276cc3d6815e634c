// One AdamW update of one parameter as a single kernel (`PruningLabAdamW`, registered for the
// wasm and cpu backends): new moments and new weights in one pass over the values, instead of
// ~16 elementwise ops (each a kernel call, an allocation and a pass over memory) per parameter.
import type * as tf from "@tensorflow/tfjs";
import { registerJsKernel, runJs } from "./js_kernel.ts";
import { simdKernelsFor } from "./simd_kernels.ts";

/** The kernel's name in tfjs' registry. */
export const ADAMW_KERNEL = "PruningLabAdamW";

/** Hyper-parameters of one update (bias corrections `c1`, `c2` already for this step). */
export interface AdamWStepAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  c1: number;
  c2: number;
}

let registered = false;

/**
 * Registers `PruningLabAdamW` for the wasm and cpu backends (idempotent).
 *
 * @example
 * ```ts
 * registerAdamWKernel();
 * const [p2, m2, v2] = adamWUpdate(p, m, v, g, attrs);
 * ```
 */
export function registerAdamWKernel(): void {
  if (registered) return;
  registered = true;
  registerJsKernel(ADAMW_KERNEL, {
    outputShapes: ({ p }) => [p!.shape, p!.shape, p!.shape],
    compute: ({ p, m, v, g }, [po, mo, vo], attrs) => {
      const { lr, beta1, beta2, epsilon, weightDecay, c1, c2 } = attrs as unknown as AdamWStepAttrs;
      const [pv, mv, vv, gv] = [p!, m!, v!, g!].map((t) => t.values);
      const n = pv.length;
      const keep = 1 - lr * weightDecay;
      const b1 = 1 - beta1;
      const b2 = 1 - beta2;
      // lr * (m / c1) / (sqrt(v / c2) + eps), with the bias corrections folded into constants.
      const step = lr / c1;
      const vScale = 1 / Math.sqrt(c2);
      const simd = simdKernelsFor(pv);
      let first = 0;
      if (simd) {
        // Whole vectors on the SIMD kernel (float32 arithmetic), the last 0-3 values below.
        first = n & ~3;
        const [a, b, c, d, e, f, h] = [pv, mv, vv, gv, po, mo, vo].map((x) => x.byteOffset);
        simd.adamw(a, b, c, d, e, f, h, first, keep, step, beta1, beta2, b1, b2, vScale, epsilon);
      }
      for (let i = first; i < n; i++) {
        const gi = gv[i];
        const mi = beta1 * mv[i] + b1 * gi;
        const vi = beta2 * vv[i] + b2 * gi * gi;
        mo[i] = mi;
        vo[i] = vi;
        po[i] = pv[i] * keep - step * mi / (Math.sqrt(vi) * vScale + epsilon);
      }
    },
  });
}

/**
 * New weights and moments `[p, m, v]` after one AdamW step on gradient `g` (decoupled weight
 * decay: `p * (1 - lr * weightDecay) - lr * m̂ / (sqrt(v̂) + epsilon)`). Not differentiable.
 *
 * @example
 * ```ts
 * const [next, m2, v2] = adamWUpdate(p, m, v, g, { lr: 1e-3, beta1: 0.9, beta2: 0.999,
 *   epsilon: 1e-8, weightDecay: 0.01, c1: 0.1, c2: 0.001 });
 * ```
 */
export function adamWUpdate(
  p: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  g: tf.Tensor,
  attrs: AdamWStepAttrs,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  registerAdamWKernel();
  const [next, m2, v2] = runJs(
    ADAMW_KERNEL,
    { p, m, v, g },
    attrs as unknown as Record<string, number>,
  );
  return [next, m2, v2];
}
