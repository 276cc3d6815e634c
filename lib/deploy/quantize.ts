// int8 ONNX export: the graph onnxruntime's `quantize_dynamic` makes (per-output-channel
// symmetric int8 weights, activations quantized to uint8 at run time), built by our own ONNX
// export (lib/deploy/onnx_export.ts) with its `linear` and `wordEmbeddings` hooks. Written as
// `onnx/model_quantized.onnx`, the file transformers.js loads for `dtype: "q8"`.
import { join } from "node:path";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { courseReference } from "../course/reference.ts";
import {
  type EmbeddingTable,
  exportForTransformersJs,
  exportOnnx,
  type GraphBuilder,
  type LinearLayer,
  type OnnxExportOptions,
} from "./onnx_export.ts";

/** An int8 matrix `[rows, cols]` with one float scale per row: `w ≈ values * scale`. */
export interface QuantizedMatrix {
  /** Row-major int8 values in -127..127. */
  values: Int8Array;
  /** One scale per row (1 for an all-zero row). */
  scales: Float32Array;
}

/**
 * Symmetric per-row (per output channel) int8 quantization of a row-major `[rows, cols]`
 * matrix: `scale = max|row| / 127`, `q = round(w / scale)`. An all-zero row gets scale 1 (as
 * onnxruntime's quantizer does). (Notebook 06's TODO `06.quantize_weights`.)
 *
 * @example
 * ```ts
 * const { values, scales } = quantizePerChannel(Float32Array.from([0.5, -1, 0.25, 0]), 2, 2);
 * // values [64, -127, 127, 0], scales [1/127, 0.25/127]
 * ```
 */
export const quantizePerChannel = courseReference(
  "06.quantize_weights",
  function quantizePerChannel(weight: Float32Array, rows: number, cols: number): QuantizedMatrix {
    if (weight.length !== rows * cols) {
      throw new Error(
        `quantizePerChannel: ${weight.length} values do not make a [${rows}, ${cols}] matrix`,
      );
    }
    const values = new Int8Array(rows * cols);
    const scales = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      let max = 0;
      for (let c = 0; c < cols; c++) max = Math.max(max, Math.abs(weight[r * cols + c]));
      const scale = max > 0 ? max / 127 : 1;
      scales[r] = scale;
      for (let c = 0; c < cols; c++) {
        const q = Math.round(weight[r * cols + c] / scale);
        values[r * cols + c] = Math.max(-127, Math.min(127, q));
      }
    }
    return { values, scales };
  },
);

/**
 * The float matrix an int8 one stands for: `values[r, c] * scales[r]`.
 *
 * @example
 * ```ts
 * dequantizePerChannel(quantizePerChannel(w, rows, cols), rows, cols); // ≈ w
 * ```
 */
export function dequantizePerChannel(q: QuantizedMatrix, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = q.values[r * cols + c] * q.scales[r];
  }
  return out;
}

/**
 * How the int8 graph computes a linear layer:
 * - `dynamic` (default): the activations are quantized to uint8 per call (DynamicQuantizeLinear)
 *   and multiplied in integers (MatMulInteger), then scaled back: onnxruntime's
 *   `quantize_dynamic`. Smallest and fastest.
 * - `dynamic-fused`: the same arithmetic as one com.microsoft `DynamicQuantizeMatMul` node
 *   (onnxruntime only). Measured as fast as `dynamic` (within 2%: onnxruntime fuses the
 *   standard ops into the same kernel when the session starts), so `dynamic` is the default.
 * - `weights`: weight-only; the int8 weights are turned back into float (Cast, times the
 *   scales; onnxruntime folds this once at load) and the product is float: int8 on disk,
 *   float speed, only the weights' rounding error.
 */
export type Int8Mode = "dynamic" | "dynamic-fused" | "weights";

/** Options of `exportOnnxInt8`. */
export interface Int8ExportOptions extends Pick<OnnxExportOptions, "headMask"> {
  /** See `Int8Mode` (default `dynamic`). */
  mode?: Int8Mode;
  /** Store the word embeddings as int8 with one scale per token (default true). */
  embeddings?: boolean;
  /** Quantize the 2-label `classifier` too (default false: it stays float). */
  classifier?: boolean;
}

/**
 * The ONNX bytes of the model with int8 linear weights (q/k/v/out_lin, lin1/lin2,
 * pre_classifier; `classifier` stays float unless asked) and, by default, int8 word
 * embeddings. Same inputs and output as `exportOnnx`. A layer whose heads are all pruned has
 * no q/k/v/out_lin product to quantize and exports as in float; an FFN pruned to width 0 is an
 * error naming `…ffn.lin1.weight`.
 *
 * @example
 * ```ts
 * const session = await ort.InferenceSession.create(exportOnnxInt8(model));
 * ```
 */
export function exportOnnxInt8(
  model: DistilBertForSequenceClassification,
  options: Int8ExportOptions = {},
): Uint8Array {
  const mode = options.mode ?? "dynamic";
  if (!["dynamic", "dynamic-fused", "weights"].includes(mode)) {
    throw new Error(`int8 export: mode "${mode}"; expected dynamic, dynamic-fused or weights`);
  }
  return exportOnnx(model, {
    headMask: options.headMask,
    linear: (g, x, layer) =>
      layer.name === "classifier" && !options.classifier
        ? undefined
        : int8Linear(g, x, layer, mode),
    wordEmbeddings: options.embeddings === false ? undefined : int8Embeddings,
  });
}

/** `x @ Wᵀ + b` with W as int8 `[in, out]` and per-output-channel scales. */
function int8Linear(g: GraphBuilder, x: string, layer: LinearLayer, mode: Int8Mode): string {
  const { name, out, in: inp } = layer;
  if (out === 0 || inp === 0) {
    throw new Error(
      `int8 export: ${name}.weight has shape [${out}, ${inp}]; a linear layer to quantize ` +
        `needs at least one row and one column`,
    );
  }
  const q = quantizePerChannel(layer.weight, out, inp);
  const t = new Int8Array(out * inp); // transposed: [in, out], as MatMul takes it
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inp; i++) t[i * out + o] = q.values[o * inp + i];
  }
  const weight = g.int8(`${name}.weight_quantized`, [inp, out], t);
  const scales = g.float(`${name}.weight_scale`, [out], q.scales);
  const bias = g.float(`${name}.bias`, [out], layer.bias);
  if (mode === "weights") {
    // Cast + Mul rather than DequantizeLinear: onnxruntime's optimiser turns DequantizeLinear
    // -> MatMul into a dynamically quantized product (measured: 0.05 off float on the golden
    // fixture), while Cast + Mul of constants folds to a float matrix when the session starts.
    const float = g.op("Mul", [g.op("Cast", [weight], { to: FLOAT }), scales]);
    return g.op("Add", [g.op("MatMul", [x, float]), bias]);
  }
  if (mode === "dynamic-fused") {
    return g.op(
      "DynamicQuantizeMatMul",
      [x, weight, scales, g.int8(`${name}.weight_zero_point`, [out], new Int8Array(out)), bias],
      {},
      1,
      "com.microsoft",
    );
  }
  const quantized = g.op("DynamicQuantizeLinear", [x], {}, 3);
  const product = g.op("MatMulInteger", [quantized, weight, `${quantized}_2`]);
  const scale = g.op("Mul", [`${quantized}_1`, scales]);
  return g.op("Add", [g.op("Mul", [g.op("Cast", [product], { to: FLOAT }), scale]), bias]);
}

/** ONNX's FLOAT data type (TensorProto.DataType.FLOAT). */
const FLOAT = 1;

/** Word-embedding lookup from an int8 table with one scale per token. */
function int8Embeddings(g: GraphBuilder, inputIds: string, table: EmbeddingTable): string {
  const [vocab, dim] = table.shape;
  const q = quantizePerChannel(table.values, vocab, dim);
  const rows = g.op(
    "Gather",
    [g.int8(`${table.name}_quantized`, [vocab, dim], q.values), inputIds],
    {
      axis: 0,
    },
  );
  const scales = g.op("Gather", [g.float(`${table.name}_scale`, [vocab, 1], q.scales), inputIds], {
    axis: 0,
  });
  return g.op("Mul", [g.op("Cast", [rows], { to: FLOAT }), scales]);
}

/**
 * Writes a transformers.js model folder with both the float model (`onnx/model.onnx`) and the
 * int8 one (`onnx/model_quantized.onnx`, what `pipeline(…, { dtype: "q8" })` loads), plus
 * config.json and the tokenizer files of `tokenizerDir`.
 *
 * @example
 * ```ts
 * await exportInt8ForTransformersJs(model, "data/models/distilbert-sst2-tiny", "out/onnx/int8");
 * ```
 */
export async function exportInt8ForTransformersJs(
  model: DistilBertForSequenceClassification,
  tokenizerDir: string,
  dir: string,
  options: Int8ExportOptions = {},
): Promise<void> {
  await exportForTransformersJs(model, tokenizerDir, dir);
  await Deno.writeFile(join(dir, "onnx", "model_quantized.onnx"), exportOnnxInt8(model, options));
}
