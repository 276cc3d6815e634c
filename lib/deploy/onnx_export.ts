// ONNX export of our tfjs DistilBERT classifier (any per-layer head counts and FFN widths),
// written with the onnx-proto schema package: opset 17, dynamic batch and sequence axes, in
// the folder layout transformers.js expects (config.json, tokenizer files, onnx/model.onnx).
// Options let another module emit the linear layers and the word embeddings differently (the
// int8 export in lib/deploy/quantize.ts does).
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { ffnDims, headCounts, headDim } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { writeConfig } from "../model/io.ts";
import { copyTokenizerFiles } from "../data/tokenizer_files.ts";
import { onnxFolderCard } from "./onnx_folder_card.ts";

// deno-lint-ignore no-explicit-any
const onnx = (onnxProto as any).onnx;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const INT8 = onnx.TensorProto.DataType.INT8;

/**
 * A graph under construction: nodes, initializers and fresh value names.
 *
 * @example
 * ```ts
 * const g = new GraphBuilder();
 * const y = g.op("Add", ["x", g.float("one", [], [1])]);
 * ```
 */
export class GraphBuilder {
  // deno-lint-ignore no-explicit-any
  nodes: any[] = [];
  // deno-lint-ignore no-explicit-any
  initializers: any[] = [];
  /** Operator domains used besides the default one (e.g. `com.microsoft`). */
  readonly domains = new Set<string>();
  private count = 0;

  /**
   * Adds a node; returns its (first) output name. `outputs` > 1 names the outputs
   * `<first>`, `<first>_1`, …; `domain` picks an operator set other than ONNX's.
   */
  op(
    type: string,
    inputs: string[],
    attributes: Record<string, number | number[]> = {},
    outputs = 1,
    domain = "",
  ): string {
    const first = `${type.toLowerCase()}_${this.count++}`;
    const names = Array.from({ length: outputs }, (_, k) => k === 0 ? first : `${first}_${k}`);
    if (domain) this.domains.add(domain);
    this.nodes.push(onnx.NodeProto.create({
      opType: type,
      domain,
      input: inputs,
      output: names,
      name: names[0],
      attribute: Object.entries(attributes).map(([name, value]) =>
        Array.isArray(value)
          ? onnx.AttributeProto.create({
            name,
            ints: value,
            type: onnx.AttributeProto.AttributeType.INTS,
          })
          : Number.isInteger(value) && name !== "epsilon" && name !== "alpha"
          ? onnx.AttributeProto.create({
            name,
            i: value,
            type: onnx.AttributeProto.AttributeType.INT,
          })
          : onnx.AttributeProto.create({
            name,
            f: value,
            type: onnx.AttributeProto.AttributeType.FLOAT,
          })
      ),
    }));
    return names[0];
  }

  /** A float32 initializer. */
  float(name: string, dims: number[], values: Float32Array | number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    this.initializers.push(onnx.TensorProto.create({
      name,
      dims,
      dataType: FLOAT,
      rawData: new Uint8Array(
        data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      ),
    }));
    return name;
  }

  /** An int8 initializer (quantized weights). */
  int8(name: string, dims: number[], values: Int8Array): string {
    this.initializers.push(onnx.TensorProto.create({
      name,
      dims,
      dataType: INT8,
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(),
    }));
    return name;
  }

  /** An int64 initializer (shapes, axes, indices); a number gives a scalar. */
  int64(name: string, values: number[] | number): string {
    const list = Array.isArray(values) ? values : [values];
    const data = BigInt64Array.from(list.map(BigInt));
    this.initializers.push(onnx.TensorProto.create({
      name,
      dims: Array.isArray(values) ? [values.length] : [],
      dataType: INT64,
      rawData: new Uint8Array(data.buffer),
    }));
    return name;
  }
}

/** Options of `exportOnnx`. */
export interface OnnxExportOptions {
  /**
   * Add a float input `head_mask` `[batch, total heads]` (the heads of every layer side by
   * side, in layer order) that multiplies each head's attention probabilities, as HF's
   * `head_mask` does: one batch can ablate a different head in every row.
   */
  headMask?: boolean;
  /**
   * Emits a linear layer `x @ Wᵀ + b` other than as float MatMul + Add; returns the output
   * name, or undefined to keep the float default for that layer.
   */
  linear?: (g: GraphBuilder, x: string, layer: LinearLayer) => string | undefined;
  /**
   * Emits the word-embedding lookup `[batch, seq] ids -> [batch, seq, dim]` other than as a
   * float Gather; returns the output name.
   */
  wordEmbeddings?: (g: GraphBuilder, inputIds: string, table: EmbeddingTable) => string;
}

/** A linear layer as `exportOnnx` hands it to `OnnxExportOptions.linear`. */
export interface LinearLayer {
  /** HF name without `.weight` (`distilbert.transformer.layer.0.attention.q_lin`). */
  name: string;
  /** Output features (rows of the weight). */
  out: number;
  /** Input features (columns of the weight). */
  in: number;
  /** The weight, `[out, in]` row-major as in PyTorch. */
  weight: Float32Array;
  bias: Float32Array;
}

/** The word-embedding matrix as `exportOnnx` hands it to `OnnxExportOptions.wordEmbeddings`. */
export interface EmbeddingTable {
  /** `distilbert.embeddings.word_embeddings.weight`. */
  name: string;
  /** `[vocab, dim]`. */
  shape: [number, number];
  values: Float32Array;
}

/**
 * The ONNX bytes of a DistilBERT classifier: inputs `input_ids` and `attention_mask`
 * (int64 `[batch, sequence]`; with `headMask`, also `head_mask`), output `logits`
 * (`[batch, labels]`).
 *
 * @example
 * ```ts
 * await Deno.writeFile("model.onnx", exportOnnx(model));
 * ```
 */
export function exportOnnx(
  model: DistilBertForSequenceClassification,
  options: OnnxExportOptions = {},
): Uint8Array {
  const c = model.config;
  const g = new GraphBuilder();
  const w = (name: string) => model.param(name);
  const values = (name: string) => w(name).dataSync() as Float32Array;
  /** x @ Wᵀ + b with W stored [out, in]: the initializer is the transposed [in, out] matrix. */
  const linear = (x: string, name: string) => {
    const [out, inp] = w(`${name}.weight`).shape;
    const src = values(`${name}.weight`);
    const custom = options.linear?.(g, x, {
      name,
      out,
      in: inp,
      weight: src,
      bias: values(`${name}.bias`),
    });
    if (custom !== undefined) return custom;
    const t = new Float32Array(out * inp);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = src[o * inp + i];
    const weight = g.float(`${name}.weight_t`, [inp, out], t);
    const bias = g.float(`${name}.bias`, [out], values(`${name}.bias`));
    return g.op("Add", [g.op("MatMul", [x, weight]), bias]);
  };
  const layerNorm = (x: string, name: string) =>
    g.op("LayerNormalization", [
      x,
      g.float(`${name}.weight`, [c.dim], values(`${name}.weight`)),
      g.float(`${name}.bias`, [c.dim], values(`${name}.bias`)),
    ], { axis: -1, epsilon: 1e-12 });

  // Embeddings: word + position (positions 0 … seq-1), LayerNorm.
  const wordsName = "distilbert.embeddings.word_embeddings.weight";
  const wordVectors = options.wordEmbeddings
    ? options.wordEmbeddings(g, "input_ids", {
      name: wordsName,
      shape: w(wordsName).shape as [number, number],
      values: values(wordsName),
    })
    : g.op("Gather", [
      g.float("word_embeddings", w(wordsName).shape, values(wordsName)),
      "input_ids",
    ], {
      axis: 0,
    });
  const positions = g.float(
    "position_embeddings",
    w("distilbert.embeddings.position_embeddings.weight").shape,
    values("distilbert.embeddings.position_embeddings.weight"),
  );
  const seq = g.op("Gather", [g.op("Shape", ["input_ids"]), g.int64("one", 1)], { axis: 0 });
  const positionIds = g.op("Range", [g.int64("zero", 0), seq, g.int64("step", 1)]);
  let x = g.op("Add", [
    wordVectors,
    g.op("Gather", [positions, positionIds], { axis: 0 }),
  ]);
  x = layerNorm(x, "distilbert.embeddings.LayerNorm");

  // Padded keys get −3.4e38 added to their scores: [batch, 1, 1, seq].
  const maskFloat = g.op("Cast", ["attention_mask"], { to: FLOAT });
  const keyBias = g.op("Unsqueeze", [
    g.op("Mul", [
      g.op("Sub", [g.float("one_f", [], [1]), maskFloat]),
      g.float("neg_big", [], [-3.4e38]),
    ]),
    g.int64("axes_1_2", [1, 2]),
  ]);

  const heads = headCounts(c);
  const size = headDim(c);
  const ffn = ffnDims(c);
  let headOffset = 0;
  const maskAxes = options.headMask ? g.int64("axes_2_3", [2, 3]) : "";
  for (let i = 0; i < c.n_layers; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    let attention: string;
    if (heads[i] === 0) {
      attention = g.op("Add", [
        g.op("Mul", [x, g.float(`${p}.zero`, [], [0])]),
        g.float(`${p}.attention.out_lin.bias`, [c.dim], values(`${p}.attention.out_lin.bias`)),
      ]);
    } else {
      const split = g.int64(`${p}.split_shape`, [0, 0, heads[i], size]);
      const toHeads = (t: string, perm: number[]) =>
        g.op("Transpose", [g.op("Reshape", [t, split])], { perm });
      const q = g.op("Mul", [
        toHeads(linear(x, `${p}.attention.q_lin`), [0, 2, 1, 3]),
        g.float(`${p}.scale`, [], [1 / Math.sqrt(size)]),
      ]);
      const kT = toHeads(linear(x, `${p}.attention.k_lin`), [0, 2, 3, 1]);
      const v = toHeads(linear(x, `${p}.attention.v_lin`), [0, 2, 1, 3]);
      let weights = g.op("Softmax", [g.op("Add", [g.op("MatMul", [q, kT]), keyBias])], {
        axis: -1,
      });
      if (options.headMask) {
        // This layer's columns of head_mask, [batch, heads] -> [batch, heads, 1, 1].
        const mask = g.op("Slice", [
          "head_mask",
          g.int64(`${p}.mask_start`, [headOffset]),
          g.int64(`${p}.mask_end`, [headOffset + heads[i]]),
          g.int64(`${p}.mask_axis`, [1]),
        ]);
        weights = g.op("Mul", [weights, g.op("Unsqueeze", [mask, maskAxes])]);
      }
      const context = g.op("Reshape", [
        g.op("Transpose", [g.op("MatMul", [weights, v])], { perm: [0, 2, 1, 3] }),
        g.int64(`${p}.merge_shape`, [0, 0, heads[i] * size]),
      ]);
      attention = linear(context, `${p}.attention.out_lin`);
    }
    headOffset += heads[i];
    x = layerNorm(g.op("Add", [attention, x]), `${p}.sa_layer_norm`);
    if (ffn[i] === 0) {
      throw new Error(
        `${p}.ffn.lin1.weight has 0 rows (layer ${i} has no FFN neuron left); ` +
          `ONNX export needs at least one`,
      );
    }
    const h = linear(x, `${p}.ffn.lin1`);
    const act = c.activation === "relu" ? g.op("Relu", [h]) : g.op("Mul", [
      g.op("Mul", [
        h,
        g.op("Add", [
          g.op("Erf", [g.op("Mul", [h, g.float(`${p}.rsqrt2`, [], [Math.SQRT1_2])])]),
          g.float(`${p}.one`, [], [1]),
        ]),
      ]),
      g.float(`${p}.half`, [], [0.5]),
    ]);
    x = layerNorm(g.op("Add", [linear(act, `${p}.ffn.lin2`), x]), `${p}.output_layer_norm`);
  }
  const first = g.op("Gather", [x, g.int64("first_token", 0)], { axis: 1 }); // [batch, dim]
  const pooled = g.op("Relu", [linear(first, "pre_classifier")]);
  const logits = linear(pooled, "classifier");
  g.nodes.push(
    onnx.NodeProto.create({
      opType: "Identity",
      input: [logits],
      output: ["logits"],
      name: "logits",
    }),
  );

  const labels = w("classifier.weight").shape[0];
  const io = (name: string, type: number, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: type,
          shape: onnx.TensorShapeProto.create({
            dim: dims.map((d) => typeof d === "string" ? { dimParam: d } : { dimValue: d }),
          }),
        }),
      }),
    });
  const graph = onnx.GraphProto.create({
    name: "distilbert_sequence_classification",
    node: g.nodes,
    initializer: g.initializers,
    input: [
      io("input_ids", INT64, ["batch", "sequence"]),
      io("attention_mask", INT64, ["batch", "sequence"]),
      ...(options.headMask ? [io("head_mask", FLOAT, ["batch", headOffset])] : []),
    ],
    output: [io("logits", FLOAT, ["batch", labels])],
  });
  const modelProto = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "pruning-lab",
    opsetImport: [
      { domain: "", version: 17 },
      ...[...g.domains].map((domain) => ({ domain, version: 1 })),
    ],
    graph,
  });
  return onnx.ModelProto.encode(modelProto).finish();
}

/**
 * Writes a transformers.js model folder: config.json, tokenizer files copied from
 * `tokenizerDir`, onnx/model.onnx and a model card (README.md).
 *
 * @example
 * ```ts
 * await exportForTransformersJs(model, "data/models/distilbert-sst2-tiny", "out/onnx/dense");
 * ```
 */
export async function exportForTransformersJs(
  model: DistilBertForSequenceClassification,
  tokenizerDir: string,
  dir: string,
): Promise<void> {
  await Deno.mkdir(join(dir, "onnx"), { recursive: true });
  await Deno.writeFile(join(dir, "onnx", "model.onnx"), exportOnnx(model));
  await writeConfig(model.config, dir);
  await copyTokenizerFiles(tokenizerDir, dir, model.config.max_position_embeddings);
  await Deno.writeTextFile(join(dir, "README.md"), onnxFolderCard(model, dir, tokenizerDir));
}
