// The machine's matmul speed, as the benchmark's yardsticks: one large float32 MatMul on
// onnxruntime (native sgemm: this machine's practical peak, so every GFLOP/s row can say what
// share of it it reaches) and the same product on the tfjs engine in use.
import * as ort from "onnxruntime-node";
import onnxProto from "onnx-proto";
import { tf } from "lib/engine/tf.ts";

// deno-lint-ignore no-explicit-any
const onnx = (onnxProto as any).onnx;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/**
 * Median milliseconds of `fn` over `repeats` runs after one warm-up.
 *
 * @example
 * ```ts
 * await medianMs(() => session.run(feeds), 10);
 * ```
 */
export async function medianMs(fn: () => unknown, repeats: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[repeats >> 1];
}

/** An ONNX model of one MatMul: input `a` `[n, n]` times a constant `[n, n]`. */
function matMulModel(n: number): Uint8Array {
  const b = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
  const io = (name: string) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: FLOAT,
          shape: onnx.TensorShapeProto.create({ dim: [{ dimValue: n }, { dimValue: n }] }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: "matmul",
    node: [onnx.NodeProto.create({ opType: "MatMul", input: ["a", "b"], output: ["y"] })],
    initializer: [
      onnx.TensorProto.create({
        name: "b",
        dims: [n, n],
        dataType: FLOAT,
        rawData: new Uint8Array(b.buffer),
      }),
    ],
    input: [io("a")],
    output: [io("y")],
  });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph }),
  ).finish();
}

/**
 * GFLOP/s of one `[n, n] x [n, n]` float32 MatMul on onnxruntime-node (all cores): the sgemm
 * peak the benchmark compares every engine with.
 *
 * @example
 * ```ts
 * await onnxruntimeMatMulGflops(2048); // ≈ 180 on a 2-core AVX-512 machine
 * ```
 */
export async function onnxruntimeMatMulGflops(n = 2048): Promise<number> {
  const session = await ort.InferenceSession.create(matMulModel(n));
  const a = new ort.Tensor("float32", Float32Array.from({ length: n * n }, (_, i) => Math.cos(i)), [
    n,
    n,
  ]);
  const ms = await medianMs(() => session.run({ a }), 7);
  await session.release();
  return 2 * n ** 3 / ms / 1e6;
}

/**
 * GFLOP/s of one `[n, n] x [n, n]` float32 matmul on the tfjs backend in use (its large-matmul
 * speed: on wasm, XNNPACK on all threads).
 *
 * @example
 * ```ts
 * tfjsMatMulGflops(1024); // ≈ 47 on wasm, 2 threads
 * ```
 */
export async function tfjsMatMulGflops(n = 1024): Promise<number> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const ms = await medianMs(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), 5);
  tf.dispose([a, b]);
  return 2 * n ** 3 / ms / 1e6;
}
