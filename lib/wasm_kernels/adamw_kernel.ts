// One AdamW update of one parameter as a single kernel (`PruningLabAdamW`, registered for the
// wasm and cpu backends): new moments and new weights in one pass over the values, instead of
// ~16 elementwise ops (each a kernel call, an allocation and a pass over memory) per parameter.
import * as tf from "@tensorflow/tfjs";
import { simdKernels } from "./simd_kernels.ts";

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

type KernelFunc = tf.KernelConfig["kernelFunc"];
type KernelArgs = Parameters<KernelFunc>[0];
type Backend = tf.KernelBackend & {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeOutput?(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  wasm?: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } };
};

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
  for (const backendName of ["wasm", "cpu"]) {
    tf.registerKernel({
      kernelName: ADAMW_KERNEL,
      backendName,
      kernelFunc: adamWKernel as unknown as KernelFunc,
    });
  }
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
  return tf.engine().runKernel(
    ADAMW_KERNEL,
    { p, m, v, g },
    attrs as unknown as tf.NamedAttrMap,
  ) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

function adamWKernel({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const b = backend as Backend;
  const { p, m, v, g } = inputs as Record<string, tf.TensorInfo>;
  const { lr, beta1, beta2, epsilon, weightDecay, c1, c2 } = attrs as unknown as AdamWStepAttrs;
  const n = p.shape.reduce((x, y) => x * y, 1);
  const outputs: tf.TensorInfo[] = [];
  let outArrays: Float32Array[];
  if (b.wasm && b.makeOutput) {
    for (let i = 0; i < 3; i++) outputs.push(b.makeOutput(p.shape, "float32"));
    outArrays = outputs.map((t) => view(b, t, n)); // after every makeOutput: memory may grow
  } else {
    outArrays = [0, 1, 2].map(() => new Float32Array(n));
  }
  const [pv, mv, vv, gv] = b.wasm
    ? [p, m, v, g].map((t) => view(b, t, n))
    : [p, m, v, g].map((t) => b.readSync(t.dataId) as Float32Array);
  const [po, mo, vo] = outArrays;
  const keep = 1 - lr * weightDecay;
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  // lr * (m / c1) / (sqrt(v / c2) + eps), with the bias corrections folded into constants.
  const step = lr / c1;
  const vScale = 1 / Math.sqrt(c2);
  const simd = simdKernels();
  let first = 0;
  if (simd && pv.buffer === simd.memory.buffer) {
    // Whole vectors on the SIMD kernel (float32 arithmetic), the last 0-3 values below.
    first = n & ~3;
    const at = (a: Float32Array) => a.byteOffset;
    simd.adamw(
      at(pv),
      at(mv),
      at(vv),
      at(gv),
      at(po),
      at(mo),
      at(vo),
      first,
      keep,
      step,
      beta1,
      beta2,
      b1,
      b2,
      vScale,
      epsilon,
    );
  }
  for (let i = first; i < n; i++) {
    const gi = gv[i];
    const mi = beta1 * mv[i] + b1 * gi;
    const vi = beta2 * vv[i] + b2 * gi * gi;
    mo[i] = mi;
    vo[i] = vi;
    po[i] = pv[i] * keep - step * mi / (Math.sqrt(vi) * vScale + epsilon);
  }
  if (!b.wasm) {
    return outArrays.map((values) => b.makeTensorInfo!(p.shape, "float32", values));
  }
  return outputs;
}

function view(b: Backend, t: tf.TensorInfo, n: number): Float32Array {
  return new Float32Array(b.wasm!.HEAPU8.buffer, b.dataIdMap.get(t.dataId).memoryOffset, n);
}
