// Kernels written in JavaScript for the wasm and cpu backends: a kernel reads its float32 inputs
// where they lie (views of wasm memory, or the cpu backend's arrays) and writes its outputs in
// place, so that a composite op (LayerNorm, GELU, attention) is one kernel call instead of many.
import * as tf from "@tensorflow/tfjs";
import { sizeOf } from "../wasm_backend.ts";

/** An input as a kernel body sees it. */
export interface KernelInput {
  shape: number[];
  values: Float32Array;
}

/** A kernel body: output shapes from the inputs, then the computation into the outputs. */
export interface JsKernel {
  outputShapes(inputs: Record<string, KernelInput | undefined>, attrs: tf.NamedAttrMap): number[][];
  compute(
    inputs: Record<string, KernelInput | undefined>,
    outputs: Float32Array[],
    attrs: tf.NamedAttrMap,
  ): void;
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

/**
 * Registers `kernel` under `name` for the wasm and cpu backends (once per name). Inputs must be
 * float32; each output is a new float32 tensor.
 *
 * @example
 * ```ts
 * registerJsKernel("Double", {
 *   outputShapes: ({ x }) => [x!.shape],
 *   compute: ({ x }, [out]) => x!.values.forEach((v, i) => (out[i] = 2 * v)),
 * });
 * const y = tf.engine().runKernel("Double", { x }, {}) as tf.Tensor;
 * ```
 */
export function registerJsKernel(name: string, kernel: JsKernel): void {
  for (const backendName of ["wasm", "cpu"]) {
    if (tf.getKernel(name, backendName)) continue;
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: ((args: KernelArgs) => runJsKernel(name, kernel, args)) as KernelFunc,
    });
  }
}

function runJsKernel(name: string, kernel: JsKernel, args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as Backend;
  const infos = args.inputs as Record<string, tf.TensorInfo | undefined>;
  for (const [key, t] of Object.entries(infos)) {
    if (t && t.dtype !== "float32") throw new Error(`${name}: input ${key} must be float32`);
  }
  const shapeOnly = Object.fromEntries(
    Object.entries(infos).map(([k, t]) => [
      k,
      t ? { shape: t.shape, values: new Float32Array(0) } : undefined,
    ]),
  );
  const shapes = kernel.outputShapes(shapeOnly, args.attrs ?? {});
  if (backend.wasm && backend.makeOutput) {
    const outputs = shapes.map((s) => backend.makeOutput!(s, "float32"));
    // Views only after every allocation: a new output can grow (and move) wasm memory.
    const buffer = backend.wasm.HEAPU8.buffer;
    const view = (t: tf.TensorInfo) =>
      new Float32Array(buffer, backend.dataIdMap.get(t.dataId).memoryOffset, sizeOf(t.shape));
    const inputs = Object.fromEntries(
      Object.entries(infos).map((
        [k, t],
      ) => [k, t ? { shape: t.shape, values: view(t) } : undefined]),
    );
    kernel.compute(inputs, outputs.map(view), args.attrs ?? {});
    return outputs;
  }
  const inputs = Object.fromEntries(
    Object.entries(infos).map((
      [k, t],
    ) => [
      k,
      t ? { shape: t.shape, values: backend.readSync(t.dataId) as Float32Array } : undefined,
    ]),
  );
  const outputs = shapes.map((s) => new Float32Array(sizeOf(s)));
  kernel.compute(inputs, outputs, args.attrs ?? {});
  return outputs.map((values, i) => backend.makeTensorInfo!(shapes[i], "float32", values));
}

/**
 * Runs a registered JavaScript kernel; returns its outputs.
 *
 * @example
 * ```ts
 * const [y] = runJs("Double", { x });
 * ```
 */
export function runJs(
  name: string,
  inputs: Record<string, tf.Tensor | undefined>,
  attrs: Record<string, number | boolean> = {},
): tf.Tensor[] {
  const given = Object.fromEntries(Object.entries(inputs).filter(([, t]) => t !== undefined));
  const out = tf.engine().runKernel(
    name,
    given as tf.NamedTensorMap,
    attrs as unknown as tf.NamedAttrMap,
  ) as unknown as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
