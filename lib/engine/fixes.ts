// Fixes for the tfjs wasm backend under Deno: a missing `UnsortedSegmentSum` kernel (the
// gradient of `gather`, i.e. of embeddings), slow matmuls with transpose flags (transposed
// first) and wrong fused matmuls with a bias and a batch (bias added apart). Registering them
// also wraps every wasm kernel with the fast paths (`fast_paths.ts`) and the thread policy
// (`thread_policy.ts`).
import * as tf from "@tensorflow/tfjs";
import { engineMode } from "./mode.ts";
import {
  batchesThroughXnnpack,
  columnSums,
  gatherRows,
  sharedIdentity,
  smallAndWeightGradients,
} from "./fast_paths.ts";
import { threadsPerElements, threadsPerSize } from "./thread_policy.ts";
import {
  type KernelArgs,
  type KernelFunc,
  type WasmBackend,
  type WasmInternals,
} from "./wasm_backend.ts";

let registered = false;
let transposeFirstOn = true;

/**
 * Turns the transpose-first matmul path on or off (on by default); for benchmarks that
 * measure what it gains. Results are the same either way, only speed differs.
 *
 * @example
 * ```ts
 * useTransposeFirst(false); // wasm's own transposed BatchMatMul
 * ```
 */
export function useTransposeFirst(on: boolean): void {
  transposeFirstOn = on;
}

/**
 * Registers the wasm backend fixes (idempotent). Called by `initTf()` before the wasm
 * backend is selected.
 *
 * - `UnsortedSegmentSum`: a JavaScript kernel, so that `tf.grad` through `tf.gather` works.
 * - `BatchMatMul` / `_FusedMatMul` with `transposeA`/`transposeB`: the operands are
 *   transposed first with the `Transpose` kernel and multiplied untransposed (10-40x faster
 *   than wasm's transposed path; also avoids wrong fused results with `transposeB` + bias).
 * - `_FusedMatMul` with a bias and a batch dimension above 1 (wrong on wasm: the bias is
 *   added to the wrong rows): multiplied without bias, then `Add` and the activation kernel.
 * - Fast engine path only (`lib/engine/mode.ts`): `Identity` (a clone) shares its input's
 *   memory, as on the cpu backend, instead of copying it (the gradient tape clones every
 *   tensor it saves, ~550 copies per training step of the embedded model); `BatchMatMul` of
 *   small matrices in
 *   JavaScript (`lib/engine/kernels/small_matmul.ts`), and matmuls on all threads only from
 *   `parallelFrom` on, other ops only for large tensors (`lib/engine/kernels/thread_pools.ts`).
 *
 * @example
 * ```ts
 * import "@tensorflow/tfjs-backend-wasm";
 * registerWasmFixes();
 * ```
 */
export function registerWasmFixes(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
  });
  const identity = tf.getKernel("Identity", "wasm");
  if (identity) {
    tf.unregisterKernel("Identity", "wasm");
    tf.registerKernel({
      ...identity,
      kernelFunc: sharedIdentity(identity.kernelFunc),
    });
  }
  // Every other wasm kernel runs on all threads only for large tensors (fast path).
  for (const config of tf.getKernelsForBackend("wasm")) {
    if (["BatchMatMul", "_FusedMatMul", "UnsortedSegmentSum"].includes(config.kernelName)) continue;
    tf.unregisterKernel(config.kernelName, "wasm");
    const kernelFunc = threadsPerElements(config.kernelFunc);
    const wrapped = config.kernelName === "GatherV2"
      ? gatherRows(kernelFunc)
      : config.kernelName === "Sum"
      ? columnSums(kernelFunc)
      : kernelFunc;
    tf.registerKernel({ ...config, kernelFunc: wrapped });
  }
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(name, "wasm");
    if (!original) continue;
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc: threadsPerSize(
        name === "_FusedMatMul"
          ? transposeFirst(batchedBiasApart(original.kernelFunc))
          : smallAndWeightGradients(transposeFirst(batchesThroughXnnpack(original.kernelFunc))),
      ),
      setupFunc: original.setupFunc, // binds the wasm functions when the backend starts
    });
  }
}

function unsortedSegmentSum({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const wasm = backend as WasmBackend;
  const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (attrs as { numSegments: number }).numSegments;
  const values = wasm.readSync(x.dataId) as Float32Array | Int32Array;
  const ids = wasm.readSync(segmentIds.dataId) as Int32Array;
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  if (engineMode() === "fast" && x.dtype === "float32") {
    // Summed straight into the output's wasm memory (no second copy of a vocabulary-sized array).
    const result = wasm.makeOutput(shape, "float32");
    const internals = wasm as WasmInternals;
    const offset = internals.dataIdMap.get(result.dataId).memoryOffset;
    const sums = new Float32Array(internals.wasm.HEAPU8.buffer, offset, numSegments * inner);
    sums.fill(0);
    addSegments(values, ids, sums, numSegments, inner);
    return result;
  }
  const out = x.dtype === "int32"
    ? new Int32Array(numSegments * inner)
    : new Float32Array(numSegments * inner);
  addSegments(values, ids, out, numSegments, inner);
  return wasm.makeOutput(shape, x.dtype, undefined, out);
}

function addSegments(
  values: Float32Array | Int32Array,
  ids: Int32Array,
  out: Float32Array | Int32Array,
  numSegments: number,
  inner: number,
): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
    const src = i * inner;
    const dst = id * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += values[src + j];
  }
}

function transposeFirst(original: KernelFunc): KernelFunc {
  const transpose = tf.getKernel("Transpose", "wasm")!.kernelFunc;
  return (args: KernelArgs) => {
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeFirstOn || (!attrs.transposeA && !attrs.transposeB)) return original(args);
    const inputs = { ...args.inputs } as Record<string, tf.TensorInfo>;
    const made: tf.TensorInfo[] = [];
    for (const [key, flag] of [["a", attrs.transposeA], ["b", attrs.transposeB]] as const) {
      if (!flag) continue;
      const t = inputs[key];
      const perm = t.shape.map((_, i) => i);
      [perm[t.shape.length - 2], perm[t.shape.length - 1]] = [
        perm[t.shape.length - 1],
        perm[t.shape.length - 2],
      ];
      const transposed = transpose({
        inputs: { x: t },
        backend: args.backend,
        attrs: { perm },
      }) as tf.TensorInfo;
      inputs[key] = transposed;
      made.push(transposed);
    }
    const result = original({
      ...args,
      inputs,
      attrs: { ...args.attrs, transposeA: false, transposeB: false },
    });
    for (const t of made) (args.backend as WasmBackend).disposeData(t.dataId);
    return result;
  };
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  sigmoid: "Sigmoid",
  leakyrelu: "LeakyRelu",
  prelu: "Prelu",
};

function batchedBiasApart(fused: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo>;
    const batch = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
    if (!bias || batch <= 1) return fused(args);
    const backend = args.backend as WasmBackend;
    const attrs = args.attrs as { activation?: string; leakyreluAlpha?: number };
    const run = (name: string, inputs: Record<string, tf.TensorInfo>, kAttrs = {}) =>
      tf.getKernel(name, "wasm")!.kernelFunc({ inputs, backend, attrs: kAttrs }) as tf.TensorInfo;
    const product = fused({
      ...args,
      inputs: { a, b: (args.inputs as Record<string, tf.TensorInfo>).b },
      attrs: { ...args.attrs, activation: "linear" },
    }) as tf.TensorInfo;
    const sum = run("Add", { a: product, b: bias });
    backend.disposeData(product.dataId);
    const activation = attrs.activation ?? "linear";
    if (activation === "linear") return sum;
    const kernel = ACTIVATION_KERNELS[activation];
    const out = activation === "prelu"
      ? run(kernel, { x: sum, alpha: preluActivationWeights })
      : run(kernel, { x: sum }, { alpha: attrs.leakyreluAlpha });
    backend.disposeData(sum.dataId);
    return out;
  };
}
