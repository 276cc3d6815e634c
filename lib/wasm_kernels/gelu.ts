// Bias add + exact (erf) GELU as one kernel (`PruningLabBiasGelu`), its gradient as one kernel
// (`PruningLabBiasGeluGrad`: input and bias gradients together), for the wasm and cpu backends.
// tfjs composes `gelu(x + b)` from 6 ops forward and ~12 backward. erf is the Abramowitz-Stegun
// 7.1.26 formula, the one tfjs' own Erf kernels use (error below 1.5e-7).
import * as tf from "@tensorflow/tfjs";
import { type KernelInput, registerJsKernel, runJs } from "./js_kernel.ts";

const FORWARD = "PruningLabBiasGelu";
const BACKWARD = "PruningLabBiasGeluGrad";
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

type Inputs = Record<string, KernelInput | undefined>;

/**
 * erf(x) by Abramowitz and Stegun 7.1.26 (as tfjs computes it).
 *
 * @example
 * ```ts
 * erf(0.5); // 0.5205 (within 1.5e-7)
 * ```
 */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t * Math.exp(-a * a);
  return sign * y;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  registerJsKernel(FORWARD, {
    outputShapes: ({ x }) => [x!.shape],
    compute: ({ x, bias }: Inputs, [y]) => {
      const xs = x!.values;
      const b = bias!.values;
      const f = b.length;
      for (let o = 0; o < xs.length; o += f) {
        for (let j = 0; j < f; j++) {
          const h = xs[o + j] + b[j];
          y[o + j] = 0.5 * h * (1 + erf(h * Math.SQRT1_2));
        }
      }
    },
  });
  registerJsKernel(BACKWARD, {
    outputShapes: ({ x, bias }) => [x!.shape, bias!.shape],
    compute: ({ dy, x, bias }: Inputs, [dx, dbias]) => {
      const xs = x!.values;
      const dys = dy!.values;
      const b = bias!.values;
      const f = b.length;
      const db = new Float64Array(f);
      for (let o = 0; o < xs.length; o += f) {
        for (let j = 0; j < f; j++) {
          const h = xs[o + j] + b[j];
          const d = dys[o + j] *
            (0.5 * (1 + erf(h * Math.SQRT1_2)) + h * INV_SQRT_2PI * Math.exp(-0.5 * h * h));
          dx[o + j] = d;
          db[j] += d;
        }
      }
      dbias.set(db);
    },
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ["x", "bias"],
    gradFunc: (dys, saved) => {
      const [x, bias] = saved;
      const dy = (Array.isArray(dys) ? dys[0] : dys) ?? tf.zerosLike(x);
      const [dx, dbias] = runJs(BACKWARD, { dy, x, bias });
      return { x: () => dx, bias: () => dbias };
    },
  });
}

/**
 * `gelu(x + bias)` (exact, erf-based, as HF's DistilBERT), `bias` over the last axis;
 * differentiable in both.
 *
 * @example
 * ```ts
 * const h = biasGelu(tf.matMul(x, w1T), param("ffn.lin1.bias"));
 * ```
 */
export function biasGelu(x: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  register();
  return runJs(FORWARD, { x, bias })[0];
}
