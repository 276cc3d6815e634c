// The model card (README.md) of an exported transformers.js folder: what the model is (heads
// per layer, FFN widths, vocabulary, parameters), which files hold it, and how to load it.
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { ffnDims, headCounts } from "../model/config.ts";

/**
 * The README.md of the ONNX model folder `dir` for `model`; `source` names the folder its
 * tokenizer came from.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out/onnx/dense/README.md", onnxFolderCard(model, "out/onnx/dense", "data/models/distilbert-sst2-tiny"));
 * ```
 */
export function onnxFolderCard(
  model: DistilBertForSequenceClassification,
  dir: string,
  source: string,
): string {
  const c = model.config;
  const heads = headCounts(c);
  const pruned = heads.some((h) => h < c.n_heads) || ffnDims(c).some((w) => w < c.hidden_dim);
  return `# ${dir.split("/").filter(Boolean).at(-1)} (ONNX export)

DistilBertForSequenceClassification exported to ONNX by Pruning Lab (\`lib/deploy/onnx_export.ts\`,
opset 17, dynamic batch and sequence axes)${pruned ? ", with pruned heads or FFN neurons" : ""}.
Tokenizer files come from \`${source}\`.

| | |
|---|---|
| heads per layer | ${heads.join(" ")} (of ${c.n_heads}) |
| FFN width per layer | ${ffnDims(c).join(" ")} (of ${c.hidden_dim}) |
| vocabulary | ${c.vocab_size.toLocaleString("en-US")} tokens |
| parameters | ${model.numParameters().toLocaleString("en-US")} |

Files: \`config.json\`, the tokenizer files, \`onnx/model.onnx\` (float32) and, when an int8
export was added, \`onnx/model_quantized.onnx\` (per-channel int8 weights).

Load it with transformers.js (\`pipeline("sentiment-analysis", <this folder>)\`, \`dtype: "q8"\`
for the int8 file) or run \`onnx/model.onnx\` with onnxruntime (inputs \`input_ids\` and
\`attention_mask\`, int64 \`[batch, sequence]\`; output \`logits\`). Its \`config.json\` describes the
pruned shapes for this project and onnxruntime; for a folder that transformers (PyTorch) loads,
save the model with \`saveDistilBert\` or \`deno task prune\`.
`;
}
