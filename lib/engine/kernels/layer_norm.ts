// LayerNorm over the last axis as one kernel (`PruningLabLayerNorm`) with its gradient as one
// kernel (`PruningLabLayerNormGrad`), for the wasm and cpu backends. tfjs composes it from ~11
// ops forward (moments, subtract, rsqrt, scale, shift) and ~25 backward. On wasm both run on the
// SIMD kernels when they are installed (float32 sums), else in JavaScript (float64 sums).
import * as tf from "@tensorflow/tfjs";
import { type KernelInput, registerJsKernel, runJs } from "./js_kernel.ts";
import { simdKernelsFor } from "./simd_kernels.ts";

const FORWARD = "PruningLabLayerNorm";
const BACKWARD = "PruningLabLayerNormGrad";

type Inputs = Record<string, KernelInput | undefined>;

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  registerJsKernel(FORWARD, {
    outputShapes: ({ x }) => {
      const rows = x!.shape.slice(0, -1);
      return [x!.shape, rows, rows];
    },
    compute: ({ x, gamma, beta }: Inputs, [y, mean, rstd], attrs) => {
      const eps = attrs.epsilon as number;
      const d = gamma!.values.length;
      const simd = simdKernelsFor(x!.values);
      if (simd) {
        const at = (a: Float32Array) => a.byteOffset;
        simd.layerNormRows(
          at(x!.values),
          at(gamma!.values),
          at(beta!.values),
          at(y),
          at(mean),
          at(rstd),
          x!.values.length / d,
          d,
          eps,
        );
        return;
      }
      const xs = x!.values;
      const g = gamma!.values;
      const b = beta!.values;
      const rows = xs.length / d;
      for (let r = 0; r < rows; r++) {
        const o = r * d;
        let s = 0;
        for (let j = 0; j < d; j++) s += xs[o + j];
        const mu = s / d;
        let v = 0;
        for (let j = 0; j < d; j++) {
          const c = xs[o + j] - mu;
          v += c * c;
        }
        const inv = 1 / Math.sqrt(v / d + eps);
        mean[r] = mu;
        rstd[r] = inv;
        for (let j = 0; j < d; j++) y[o + j] = (xs[o + j] - mu) * inv * g[j] + b[j];
      }
    },
  });
  registerJsKernel(BACKWARD, {
    outputShapes: ({ x, gamma }) => [x!.shape, gamma!.shape, gamma!.shape],
    compute: ({ dy, x, gamma, mean, rstd }: Inputs, [dx, dgamma, dbeta]) => {
      const d = gamma!.values.length;
      const simd = simdKernelsFor(x!.values);
      if (simd) {
        const at = (a: Float32Array) => a.byteOffset;
        dgamma.fill(0);
        dbeta.fill(0);
        simd.layerNormGradRows(
          at(dy!.values),
          at(x!.values),
          at(gamma!.values),
          at(mean!.values),
          at(rstd!.values),
          at(dx),
          at(dgamma),
          at(dbeta),
          x!.values.length / d,
          d,
        );
        return;
      }
      const xs = x!.values;
      const g = gamma!.values;
      const dys = dy!.values;
      const rows = xs.length / d;
      const dg = new Float64Array(d);
      const db = new Float64Array(d);
      for (let r = 0; r < rows; r++) {
        const o = r * d;
        const mu = mean!.values[r];
        const inv = rstd!.values[r];
        let sumG = 0;
        let sumGX = 0;
        for (let j = 0; j < d; j++) {
          const xhat = (xs[o + j] - mu) * inv;
          const gy = dys[o + j] * g[j];
          sumG += gy;
          sumGX += gy * xhat;
          dg[j] += dys[o + j] * xhat;
          db[j] += dys[o + j];
        }
        sumG /= d;
        sumGX /= d;
        for (let j = 0; j < d; j++) {
          const xhat = (xs[o + j] - mu) * inv;
          dx[o + j] = inv * (dys[o + j] * g[j] - sumG - xhat * sumGX);
        }
      }
      dgamma.set(dg);
      dbeta.set(db);
    },
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ["x", "gamma"],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved) => {
      const [x, gamma, mean, rstd] = saved;
      const dy = (Array.isArray(dys) ? dys[0] : dys) ?? tf.zerosLike(x);
      const [dx, dgamma, dbeta] = runJs(BACKWARD, { dy, x, gamma, mean, rstd });
      return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
    },
  });
}

/**
 * `(x - mean) / sqrt(var + epsilon) * gamma + beta` over the last axis (biased variance, as
 * PyTorch's LayerNorm), differentiable in `x`, `gamma` and `beta`.
 *
 * @example
 * ```ts
 * const y = layerNorm(x, param("sa_layer_norm.weight"), param("sa_layer_norm.bias"), 1e-12);
 * ```
 */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
): tf.Tensor {
  register();
  return runJs(FORWARD, { x, gamma, beta }, { epsilon })[0];
}
