// GELU (exact, erf form: x Φ(x)) as one kernel (`PruningLabGelu`) with its gradient as one kernel
// (`PruningLabGeluGrad`), for the wasm and cpu backends. tfjs composes it from 5 ops forward and
// ~12 backward; on wasm both run on the SIMD kernels when they are installed. erf is a rational
// approximation (lib/engine/kernels/simd_source.ts), within 7e-8 of the exact function.
import * as tf from "@tensorflow/tfjs";
import { type KernelInput, registerJsKernel, runJs } from "./js_kernel.ts";
import { simdKernelsFor } from "./simd_kernels.ts";
import { ERF_P, ERF_Q } from "./simd_source.ts";

const FORWARD = "PruningLabGelu";
const BACKWARD = "PruningLabGeluGrad";

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Φ(x) and x φ(x) for one value (JavaScript fallback and vector tails), erf as the kernel's. */
function cdfAndSlope(x: number): [number, number] {
  const z = Math.max(-4, Math.min(4, x * Math.SQRT1_2));
  const z2 = z * z;
  const horner = (c: number[]) => c.reduceRight((acc, coefficient) => acc * z2 + coefficient, 0);
  const erf = z * horner(ERF_P) / horner(ERF_Q);
  return [0.5 * (1 + erf), x * Math.exp(-0.5 * x * x) * INV_SQRT_2PI];
}

/** Runs the SIMD kernel on the whole vectors of `x` (wasm memory); returns how many it did. */
function simdPart(x: KernelInput, dy: KernelInput | undefined, out: Float32Array): number {
  const simd = simdKernelsFor(x.values);
  if (!simd) return 0;
  const count = x.values.length & ~3;
  simd.gelu(x.values.byteOffset, dy ? dy.values.byteOffset : 0, out.byteOffset, count);
  return count;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  registerJsKernel(FORWARD, {
    outputShapes: ({ x }) => [x!.shape],
    compute: ({ x }, [y]) => {
      const xs = x!.values;
      for (let i = simdPart(x!, undefined, y); i < xs.length; i++) {
        y[i] = xs[i] * cdfAndSlope(xs[i])[0];
      }
    },
  });
  registerJsKernel(BACKWARD, {
    outputShapes: ({ x }) => [x!.shape],
    compute: ({ dy, x }, [dx]) => {
      const xs = x!.values;
      const dys = dy!.values;
      for (let i = simdPart(x!, dy, dx); i < xs.length; i++) {
        const [cdf, slope] = cdfAndSlope(xs[i]);
        dx[i] = dys[i] * (cdf + slope);
      }
    },
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ["x"],
    gradFunc: (dy, [x]) => ({
      x: () => runJs(BACKWARD, { dy: (Array.isArray(dy) ? dy[0] : dy) as tf.Tensor, x })[0],
    }),
  });
}

/**
 * GELU, `0.5 x (1 + erf(x / √2))` (HF's `gelu` activation), differentiable.
 *
 * @example
 * ```ts
 * const act = gelu(linear(x, "ffn.lin1")); // [batch, seq, hidden_dim]
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  register();
  return runJs(FORWARD, { x })[0];
}
