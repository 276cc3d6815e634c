// Speed-ups of the fast engine path (PRUNING_LAB_ENGINE=fast), each wrapping one wasm kernel:
// clones that share memory, small and weight-gradient matmuls on the SIMD kernels, bias
// gradients as column sums, row gathers as copies, and batched matmuls through XNNPACK.
// Results agree with the wrapped kernels within float rounding.
import * as tf from "@tensorflow/tfjs";
import { engineMode } from "./mode.ts";
import {
  simdBatchedMatMul,
  SMALL_MATMUL_MAX_MACS,
  smallBatchedMatMul,
} from "./kernels/small_matmul.ts";
import { simdKernels } from "./kernels/simd_kernels.ts";
import {
  type KernelArgs,
  type KernelFunc,
  sizeOf,
  type WasmBackend,
  type WasmInternals,
} from "./wasm_backend.ts";

let batchedXnnpackOn = true;

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

/** Multiply-adds up to which a weight's gradient runs on the SIMD kernels (one thread). */
const WEIGHT_GRADIENT_MAX_MACS = 64 * 1024 * 1024;

/**
 * A clone that shares the input's memory (tensors are immutable; a variable's `assign` gives it
 * new memory), as the cpu backend's `Identity` does; wasm's copies it (fast path only).
 */
export function sharedIdentity(copying: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (engineMode() !== "fast" || x.dtype === "string") return copying(args);
    (args.backend as WasmBackend & { incRef(dataId: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * Batched products of small matrices (up to `SMALL_MATMUL_MAX_MACS` multiply-adds each) and
 * weight gradients (transposed `a`, one matrix) on the SIMD kernels (without them: the small
 * products in JavaScript), on the operands' wasm memory, transposes included (fast path).
 */
export function smallAndWeightGradients(kernel: KernelFunc): KernelFunc {
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
export function columnSums(kernel: KernelFunc): KernelFunc {
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
export function gatherRows(kernel: KernelFunc): KernelFunc {
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

/**
 * wasm hands `BatchMatMul` to XNNPACK (packed, SIMD, multi-threaded) only when both operands
 * have batch 1; any batch dimension goes to a naive single-threaded loop (~0.5 GFLOP/s, e.g.
 * attention's `[batch, heads, seq, size]` products). This runs XNNPACK once per batch entry
 * on views of the operands' wasm memory (no copies), or once in all when `b` has batch 1.
 */
export function batchesThroughXnnpack(original: KernelFunc): KernelFunc {
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
