// The model card (README.md) of a pruned model folder: what was pruned, the shapes before and
// after, what was measured, and which libraries load the folder's layout.
import { type DistilBertConfig, ffnDims, headCounts } from "./config.ts";
import type { Layout } from "./layout.ts";

/** What a pruned folder's card says beyond the folder's own files. */
export interface ModelCardFacts {
  /** The model that was pruned: a name, hub repo id or folder. */
  baseModel: string;
  /** Its config before pruning. */
  baseConfig: DistilBertConfig;
  /** Its number of parameters. */
  baseParameters: number;
  /** What was done, one line each (e.g. "heads: 30% by gradient importance on 256 SST-2 train sentences"). */
  steps: string[];
  /** Accuracy before and after pruning on labelled sentences, when measured. */
  accuracy?: { data: string; examples: number; before: number; after: number };
}

/** The saved folder as the card describes it. */
export interface SavedFolder {
  /** The pruned model's own config (its heads and FFN widths go in the table). */
  modelConfig: DistilBertConfig;
  /** The config as saved (`savedConfig`). */
  config: DistilBertConfig;
  layout: Layout;
  dtype: "F32" | "F16";
  parameters: number;
  /** Size of model.safetensors in bytes. */
  weightsBytes: number;
  /** ONNX files under onnx/, by file name, in bytes. */
  onnx?: Record<string, number>;
}

/**
 * Which libraries load a saved folder, from its saved config and layout (one line each).
 *
 * @example
 * ```ts
 * whereItLoads(savedConfig(model.config, "dense"), "dense")[0]; // "transformers 4.x and 5.x: …"
 * ```
 */
export function whereItLoads(config: DistilBertConfig, layout: Layout): string[] {
  const ours = "this project's engine (`loadModel(folder)`, `deno task evaluate --model folder`)";
  const onnx = "onnxruntime and transformers.js: `onnx/model.onnx` (written by `deno task prune`)";
  if (config.pruning_lab_ffn_dims !== undefined) {
    return [
      ours,
      onnx,
      "not transformers: FFN widths differ between layers (save with `--layout dense` for it)",
    ];
  }
  if (config.pruned_heads !== undefined && Object.keys(config.pruned_heads).length > 0) {
    return [
      ours,
      "transformers 4.x (applies `pruned_heads`; checked with 4.57.6), pipeline included",
      "not transformers 5.x, which has no head pruning (save with `--layout dense` for it)",
      onnx,
    ];
  }
  return [
    ours,
    `transformers 4.x and 5.x (checked with 4.57.6 and 5.25.0), pipeline included${
      layout === "dense" ? "; pruned rows are zeros, so there it runs at the original speed" : ""
    }`,
    onnx,
  ];
}

/**
 * The Markdown of a pruned folder's README.md.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile(join(dir, "README.md"), modelCard(facts, saved));
 * ```
 */
export function modelCard(facts: ModelCardFacts, saved: SavedFolder): string {
  const base = facts.baseConfig;
  const heads = (c: DistilBertConfig) => headCounts(c).join(" ");
  const widths = (c: DistilBertConfig) => ffnDims(c).join(" ");
  const count = (n: number) => n.toLocaleString("en-US");
  const rows: [string, string, string][] = [
    ["heads per layer", heads(base), heads(saved.modelConfig)],
    ["FFN width per layer", widths(base), widths(saved.modelConfig)],
    ["vocabulary (tokens)", count(base.vocab_size), count(saved.config.vocab_size)],
    ["parameters in use", count(facts.baseParameters), count(saved.parameters)],
  ];
  if (facts.accuracy) {
    const { data, examples, before, after } = facts.accuracy;
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    rows.push([`accuracy on ${data} (${examples} sentences)`, pct(before), pct(after)]);
  }
  const files = [
    `- \`model.safetensors\`: ${(saved.weightsBytes / 1e6).toFixed(2)} MB, ${saved.dtype}`,
    ...Object.entries(saved.onnx ?? {}).map(([file, bytes]) =>
      `- \`onnx/${file}\`: ${(bytes / 1e6).toFixed(2)} MB${
        file.includes("quantized") ? ' (int8 weights; transformers.js `dtype: "q8"`)' : ""
      }`
    ),
  ];
  const layoutLine = saved.layout === "dense"
    ? "**dense**: the original shapes; the pruned heads' q/k/v rows and the pruned FFN neurons' " +
      "lin1 rows (with their biases) are zeros, so the saved model computes what the pruned one does"
    : "**compact**: pruned heads and FFN neurons are removed (`pruned_heads`, narrower matrices)";
  return [
    `# ${facts.baseModel}, pruned`,
    "",
    `A DistilBERT sentiment classifier (${
      Object.values(saved.config.id2label ?? {}).join(" / ") || "2 labels"
    }) pruned from \`${facts.baseModel}\` with Pruning Lab.`,
    "",
    "## What was pruned",
    "",
    ...facts.steps.map((s) => `- ${s}`),
    "",
    "| | before | after |",
    "|---|---|---|",
    ...rows.map(([k, a, b]) => `| ${k} | ${a} | ${b} |`),
    "",
    "## Files",
    "",
    `Layout ${layoutLine}. Weights are computed in float32 (\`torch_dtype\`/\`dtype\` float32 in ` +
    "config.json).",
    "",
    ...files,
    "- `config.json`, `tokenizer.json`, `tokenizer_config.json` (no `token_type_ids`, " +
    `\`model_max_length\` ${saved.config.max_position_embeddings})`,
    "",
    "## Loads in",
    "",
    ...whereItLoads(saved.config, saved.layout).map((s) => `- ${s}`),
    "",
  ].join("\n");
}
