// Fixes for the tfjs wasm backend under Deno: a missing `UnsortedSegmentSum` kernel (the
// gradient of `gather`, i.e. of embeddings) and slow or wrong matmuls with transpose flags.
import * as tf from "@tensorflow/tfjs";
import { engineMode } from "./mode.ts";
import {
  simdBatchedMatMul,
  SMALL_MATMUL_MAX_MACS,
  smallBatchedMatMul,
} from "./kernels/small_matmul.ts";
import { simdKernels } from "./kernels/simd_kernels.ts";
import { onThreadsFor } from "./kernels/thread_pools.ts";

type KernelFunc = tf.KernelConfig["kernelFunc"];
type KernelArgs = Parameters<KernelFunc>[0];
type WasmBackend = tf.KernelBackend & {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    offset?: number,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
  disposeData(dataId: unknown): boolean;
};

/** The wasm backend's internals that the batched matmul path uses (tfjs-backend-wasm 4.22). */
type WasmInternals = WasmBackend & {
  dataIdMap: {
    get(dataId: unknown): { id: number; memoryOffset: number };
    delete(dataId: unknown): void;
  };
  wasm: {
    HEAPU8: Uint8Array;
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { disposeData(id: number): void };
  };
};

let registered = false;
let transposeFirstOn = true;
let batchedXnnpackOn = true;

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
 * Turns the batched-matmul path through XNNPACK on or off (on by default); for benchmarks
 * that measure what it gains. Results agree within float rounding either way.
 *
 * @example
 * ```ts
 * useBatchedXnnpack(false); // wasm's own loop for batched BatchMatMul
 * ```
 */
export function useBatchedXnnpack(on: boolean): void {
  batchedXnnpackOn = on;
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

/**
 * A clone that shares the input's memory (tensors are immutable; a variable's `assign` gives it
 * new memory), as the cpu backend's `Identity` does; wasm's copies it (fast path only).
 */
function sharedIdentity(copying: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (engineMode() !== "fast" || x.dtype === "string") return copying(args);
    (args.backend as WasmBackend & { incRef(dataId: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Matmuls whose XNNPACK calls are below `parallelFrom.macs` multiply-adds each stay on one
 * thread (fast path): a batched product runs one call per batch entry (unless `b` is shared),
 * and each call would wake the threads.
 */
function threadsPerSize(kernel: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean };
    const batchA = sizeOf(a.shape.slice(0, -2));
    const batchB = sizeOf(b.shape.slice(0, -2));
    const m = a.shape[a.shape.length - (attrs.transposeA ? 1 : 2)];
    const k = a.shape[a.shape.length - (attrs.transposeA ? 2 : 1)];
    const n = sizeOf(b.shape) / Math.max(1, batchB * k);
    const perCall = batchB === 1 ? batchA * m * k * n : m * k * n;
    return onThreadsFor("macs", perCall, () => kernel(args));
  };
}

/** Ops whose largest tensor is below `parallelFrom.elements` stay on one thread (fast path). */
function threadsPerElements(kernel: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    let largest = 0;
    for (const t of Object.values(args.inputs)) {
      if (t) largest = Math.max(largest, sizeOf((t as tf.TensorInfo).shape));
    }
    return onThreadsFor("elements", largest, () => kernel(args));
  };
}

function sizeOf(dims: number[]): number {
  return dims.reduce((x, y) => x * y, 1);
}

/** Multiply-adds up to which a weight's gradient runs on the SIMD kernels (one thread). */
const WEIGHT_GRADIENT_MAX_MACS = 64 * 1024 * 1024;

/**
 * Batched products of small matrices (up to `SMALL_MATMUL_MAX_MACS` multiply-adds each) and
 * weight gradients (transposed `a`, one matrix) on the SIMD kernels (without them: the small
 * products in JavaScript), on the operands' wasm memory, transposes included (fast path).
 */
function smallAndWeightGradients(kernel: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (engineMode() !== "fast" || a.dtype !== "float32" || b.dtype !== "float32") {
      return kernel(args);
    }
    const transposeA = !!attrs.transposeA;
    const transposeB = !!attrs.transposeB;
    const [m, k] = transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
    const n = b.shape[b.shape.length - (transposeB ? 2 : 1)];
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = sizeOf(outerA);
    const batchB = sizeOf(outerB);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    const simd = simdKernels();
    // A weight's gradient `dyᵀ x` (up to WEIGHT_GRADIENT_MAX_MACS): read in place, where
    // XNNPACK would first transpose dy and pack x, a fresh operand.
    const weightGradient = simd !== undefined && transposeA && !transposeB && batchA === 1 &&
      batchB === 1 && m * k * n <= WEIGHT_GRADIENT_MAX_MACS;
    if (
      (m * k * n > SMALL_MATMUL_MAX_MACS && !weightGradient) || m * k * n === 0 ||
      !(sameOuter || batchA === 1 || batchB === 1)
    ) return kernel(args);
    const backend = args.backend as WasmInternals;
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const out = backend.makeOutput([...outer, m, n], "float32");
    const bytes = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
    const shape = { batchA, batchB, m, k, n, transposeA, transposeB };
    if (simd) {
      simdBatchedMatMul(simd, bytes(a), bytes(b), bytes(out), shape);
      return out;
    }
    const heap = new Float32Array(backend.wasm.HEAPU8.buffer); // after makeOutput may grow it
    const at = (t: tf.TensorInfo) => bytes(t) >> 2;
    smallBatchedMatMul(heap, at(a), heap, at(b), heap, at(out), shape);
    return out;
  };
}

/**
 * Sums over every axis but the last (a bias's gradient) on the SIMD kernels, row by row (fast
 * path); wasm's `Sum` transposes such an input first, then reduces.
 */
function columnSums(kernel: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const simd = simdKernels();
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    if (
      !simd || x.dtype !== "float32" || rank < 2 || axes.length !== rank - 1 ||
      axes.some((a, i) => a !== i)
    ) return kernel(args);
    const backend = args.backend as WasmInternals;
    const cols = x.shape[rank - 1];
    const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), cols] : [cols], "float32");
    const offset = backend.dataIdMap.get(out.dataId).memoryOffset;
    new Float32Array(backend.wasm.HEAPU8.buffer, offset, cols).fill(0);
    const from = backend.dataIdMap.get(x.dataId).memoryOffset;
    simd.columnSums(from, offset, sizeOf(x.shape) / Math.max(cols, 1), cols);
    return out;
  };
}

/**
 * `gather` of whole rows (axis 0, float32, e.g. embeddings) as row copies in JavaScript (fast
 * path); wasm's kernel took 4.0 ms for the two gathers of an evaluation batch of 32 x 44 tokens.
 */
function gatherRows(kernel: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
    const { axis, batchDims } = args.attrs as { axis: number; batchDims: number };
    if (
      engineMode() !== "fast" || axis !== 0 || (batchDims ?? 0) !== 0 || x.dtype !== "float32" ||
      indices.dtype !== "int32" || x.shape.length < 1
    ) return kernel(args);
    const backend = args.backend as WasmInternals;
    const rows = x.shape[0];
    const ids = backend.readSync(indices.dataId) as Int32Array;
    if (ids.some((i) => i < 0 || i >= rows)) return kernel(args); // its error names the index
    const width = sizeOf(x.shape.slice(1));
    const out = backend.makeOutput([...indices.shape, ...x.shape.slice(1)], "float32");
    const heap = new Float32Array(backend.wasm.HEAPU8.buffer); // after makeOutput may grow it
    const from = backend.dataIdMap.get(x.dataId).memoryOffset >> 2;
    const to = backend.dataIdMap.get(out.dataId).memoryOffset >> 2;
    for (let r = 0; r < ids.length; r++) {
      const at = from + ids[r] * width;
      heap.copyWithin(to + r * width, at, at + width);
    }
    return out;
  };
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

/**
 * wasm hands `BatchMatMul` to XNNPACK (packed, SIMD, multi-threaded) only when both operands
 * have batch 1; any batch dimension goes to a naive single-threaded loop (~0.5 GFLOP/s, e.g.
 * attention's `[batch, heads, seq, size]` products). This runs XNNPACK once per batch entry
 * on views of the operands' wasm memory (no copies), or once in all when `b` has batch 1.
 */
function batchesThroughXnnpack(original: KernelFunc): KernelFunc {
  let matmul: ((...args: unknown[]) => void) | undefined;
  return (args: KernelArgs) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const attrs = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    const outerA = a.shape.slice(0, -2);
    const outerB = b.shape.slice(0, -2);
    const batchA = outerA.reduce((x, y) => x * y, 1);
    const batchB = outerB.reduce((x, y) => x * y, 1);
    const sameOuter = outerA.length === outerB.length && outerA.every((d, i) => d === outerB[i]);
    if (
      !batchedXnnpackOn || attrs.transposeA || attrs.transposeB || a.dtype !== "float32" ||
      b.dtype !== "float32" || (batchA === 1 && batchB === 1) ||
      a.shape.includes(0) || b.shape.includes(0) ||
      !(sameOuter || batchA === 1 || batchB === 1)
    ) return original(args);
    const backend = args.backend as WasmInternals;
    matmul ??= backend.wasm.cwrap("BatchMatMul", null, [
      "number", // a id
      "array", // a shape (int32 bytes)
      "number",
      "number", // b id
      "array", // b shape
      "number",
      "number", // transpose a
      "number", // transpose b
      "number", // out id
    ]);
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
    const out = backend.makeOutput([...outer, m, n], "float32");
    const shape = (dims: number[]) => new Uint8Array(new Int32Array(dims).buffer);
    const ids = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId);
    if (batchB === 1) {
      // Every batch entry of `a` meets the same `b`: one [batchA * m, k] x [k, n] product,
      // cached by XNNPACK under b's id like any weight.
      matmul(
        ids(a).id,
        shape([1, batchA * m, k]),
        3,
        ids(b).id,
        shape([1, k, n]),
        3,
        0,
        0,
        ids(out).id,
      );
      return out;
    }
    const views: tf.TensorInfo[] = [];
    const view = (t: tf.TensorInfo, index: number, size: number, dims: number[]) => {
      const v = backend.makeOutput(dims, "float32", ids(t).memoryOffset + 4 * index * size);
      views.push(v);
      return ids(v).id;
    };
    for (let i = 0; i < Math.max(batchA, batchB); i++) {
      matmul(
        view(a, batchA === 1 ? 0 : i, m * k, [1, m, k]),
        shape([1, m, k]),
        3,
        view(b, i, k * n, [1, k, n]),
        shape([1, k, n]),
        3,
        0,
        0,
        view(out, i, m * n, [1, m, n]),
      );
    }
    for (const v of views) {
      // A view's memory belongs to its tensor: unregister it without freeing.
      backend.wasm.tfjs.disposeData(ids(v).id);
      backend.dataIdMap.delete(v.dataId);
    }
    return out;
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
