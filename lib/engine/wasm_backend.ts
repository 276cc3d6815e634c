// The tfjs wasm backend's kernel plumbing that the engine's own kernels share: the kernel
// function types, the backend's internals (tfjs-backend-wasm 4.22) and tensor sizes.
import type * as tf from "@tensorflow/tfjs";

export type KernelFunc = tf.KernelConfig["kernelFunc"];
export type KernelArgs = Parameters<KernelFunc>[0];
export type WasmBackend = tf.KernelBackend & {
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
export type WasmInternals = WasmBackend & {
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

/**
 * The number of elements of a shape.
 *
 * @example
 * ```ts
 * sizeOf([2, 3]); // 6
 * ```
 */
export function sizeOf(dims: number[]): number {
  return dims.reduce((x, y) => x * y, 1);
}
