// The two on-disk layouts of a pruned DistilBERT. `compact`: pruned heads and FFN neurons are
// gone (fewer rows, `pruned_heads`, per-layer widths): smallest and fastest. `dense`: the
// original shapes, with the pruned heads' q/k/v rows and biases (and out_lin columns) and the
// pruned neurons' lin1 rows and biases (and lin2 columns) zero-filled: a plain DistilBERT that
// gives the same logits in any transformers version, with no speed-up there.
import type { NamedTensor } from "../io/safetensors.ts";
import { type DistilBertConfig, ffnDims, headDim, remainingHeads } from "./config.ts";
import type { DistilBertForSequenceClassification } from "./distilbert.ts";

/** How a pruned model's tensors are stored: `compact` (pruned rows gone) or `dense`. */
export type Layout = "compact" | "dense";

/** The layouts `layOut` writes, for argument checks. */
export const LAYOUTS: readonly Layout[] = ["compact", "dense"];

/** A model's config and tensors as one layout stores them. */
export interface LaidOut {
  config: DistilBertConfig;
  tensors: Map<string, NamedTensor>;
}

/**
 * The config a layout saves for a model's config.
 *
 * - `compact`: uniform FFN widths become `hidden_dim` (what transformers reads) and the
 *   per-layer key goes; mixed widths keep `pruning_lab_ffn_dims` (only this project, onnxruntime
 *   and transformers.js load those). A layer whose heads are all pruned keeps one zero-filled
 *   head (its lowest index leaves `pruned_heads`): transformers 4 divides by a layer's head
 *   count, and a head of zeros adds nothing, so the logits stay those of the empty layer.
 * - `dense`: no `pruned_heads`, no per-layer widths, `hidden_dim` the widest FFN.
 *
 * @example
 * ```ts
 * savedConfig({ ...config, pruning_lab_ffn_dims: [64, 64] }, "compact").hidden_dim; // 64
 * savedConfig(config, "dense").pruned_heads; // undefined
 * ```
 */
export function savedConfig(config: DistilBertConfig, layout: Layout): DistilBertConfig {
  const out = structuredClone(config);
  const widths = ffnDims(config);
  delete out.pruning_lab_ffn_dims;
  if (layout === "dense") {
    delete out.pruned_heads;
    out.hidden_dim = Math.max(config.hidden_dim, ...widths);
    return out;
  }
  if (widths.every((w) => w === widths[0])) out.hidden_dim = widths[0];
  else out.pruning_lab_ffn_dims = widths;
  const heads = keptHeads(config);
  const pruned: Record<string, number[]> = {};
  heads.forEach((kept, layer) => {
    const gone = Array.from({ length: config.n_heads }, (_, h) => h).filter((h) =>
      !kept.includes(h)
    );
    if (gone.length > 0) pruned[String(layer)] = gone;
  });
  if (Object.keys(pruned).length > 0) out.pruned_heads = pruned;
  else delete out.pruned_heads;
  return out;
}

/**
 * The model's config and tensors in a layout (see `savedConfig`); the model is not changed.
 *
 * @example
 * ```ts
 * const { config, tensors } = layOut(model, "dense");
 * tensors.get("distilbert.transformer.layer.0.attention.q_lin.weight")!.shape; // [dim, dim]
 * ```
 */
export function layOut(model: DistilBertForSequenceClassification, layout: Layout): LaidOut {
  if (!LAYOUTS.includes(layout)) {
    throw new Error(`layout "${layout}": expected ${LAYOUTS.join(" or ")}`);
  }
  const config = model.config;
  const saved = savedConfig(config, layout);
  const tensors = new Map<string, NamedTensor>();
  for (const [name, p] of model.params) {
    tensors.set(name, { shape: p.shape, data: p.dataSync() as Float32Array });
  }
  const values = (name: string) => tensors.get(name)!;
  const size = headDim(config);
  const present = remainingHeads(config);
  const target = layout === "dense"
    ? present.map(() => Array.from({ length: config.n_heads }, (_, h) => h))
    : keptHeads(config);
  const widths = ffnDims(config);
  for (let i = 0; i < config.n_layers; i++) {
    const a = `distilbert.transformer.layer.${i}.attention`;
    if (target[i].length !== present[i].length) {
      // Row r of the present heads' features goes to the target position of its head.
      const rowOf = present[i].flatMap((h) =>
        Array.from({ length: size }, (_, j) => target[i].indexOf(h) * size + j)
      );
      const rows = target[i].length * size;
      for (const name of ["q_lin", "k_lin", "v_lin"]) {
        tensors.set(`${a}.${name}.weight`, scatterRows(values(`${a}.${name}.weight`), rowOf, rows));
        tensors.set(`${a}.${name}.bias`, scatterRows(values(`${a}.${name}.bias`), rowOf, rows));
      }
      tensors.set(
        `${a}.out_lin.weight`,
        scatterColumns(values(`${a}.out_lin.weight`), rowOf, rows),
      );
    }
    const width = layout === "dense" ? saved.hidden_dim : widths[i];
    if (width !== widths[i]) {
      const f = `distilbert.transformer.layer.${i}.ffn`;
      const first = Array.from({ length: widths[i] }, (_, n) => n);
      tensors.set(`${f}.lin1.weight`, scatterRows(values(`${f}.lin1.weight`), first, width));
      tensors.set(`${f}.lin1.bias`, scatterRows(values(`${f}.lin1.bias`), first, width));
      tensors.set(`${f}.lin2.weight`, scatterColumns(values(`${f}.lin2.weight`), first, width));
    }
  }
  return { config: saved, tensors };
}

/**
 * Heads each layer keeps in the compact layout, by original index: the remaining ones, or for
 * a layer with none left, its head 0 (saved as zeros).
 */
function keptHeads(config: DistilBertConfig): number[][] {
  return remainingHeads(config).map((heads) => (heads.length > 0 ? heads : [0]));
}

/** `[rows, …]` with source row r at row `rowOf[r]` (a vector's entries likewise), zeros elsewhere. */
function scatterRows(source: NamedTensor, rowOf: number[], rows: number): NamedTensor {
  const cols = source.shape[1] ?? 1;
  const data = new Float32Array(rows * cols);
  rowOf.forEach((to, r) => data.set(source.data.subarray(r * cols, (r + 1) * cols), to * cols));
  return { shape: source.shape.length === 1 ? [rows] : [rows, cols], data };
}

/** A `[rows, cols]` matrix with source column c at column `columnOf[c]`, zeros elsewhere. */
function scatterColumns(source: NamedTensor, columnOf: number[], cols: number): NamedTensor {
  const [rows, from] = source.shape;
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    columnOf.forEach((to, c) => (data[r * cols + to] = source.data[r * from + c]));
  }
  return { shape: [rows, cols], data };
}
