// The thread policy of the fast engine path: a wasm kernel runs on all threads only when its
// work is large enough to pay for waking them (matmuls by multiply-adds per XNNPACK call,
// other ops by their largest tensor); thresholds live in kernels/thread_pools.ts.
import type * as tf from "@tensorflow/tfjs";
import { onThreadsFor } from "./kernels/thread_pools.ts";
import { type KernelArgs, type KernelFunc, sizeOf } from "./wasm_backend.ts";

/**
 * Matmuls whose XNNPACK calls are below `parallelFrom.macs` multiply-adds each stay on one
 * thread (fast path): a batched product runs one call per batch entry (unless `b` is shared),
 * and each call would wake the threads.
 */
export function threadsPerSize(kernel: KernelFunc): KernelFunc {
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
export function threadsPerElements(kernel: KernelFunc): KernelFunc {
  return (args: KernelArgs) => {
    let largest = 0;
    for (const t of Object.values(args.inputs)) {
      if (t) largest = Math.max(largest, sizeOf((t as tf.TensorInfo).shape));
    }
    return onThreadsFor("elements", largest, () => kernel(args));
  };
}
