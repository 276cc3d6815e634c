// Loading and saving DistilBERT in the Hugging Face layout: config.json + model.safetensors
// (compact or dense, see layout.ts), with tokenizer files and a model card when asked.
import { join } from "node:path";
import { tf } from "../engine/tf.ts";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import { type DistilBertConfig, parseConfig } from "./config.ts";
import { DistilBertForSequenceClassification, parameterShapes } from "./distilbert.ts";
import { type Layout, layOut, savedConfig } from "./layout.ts";
import { modelCard, type ModelCardFacts } from "./model_card.ts";
import { copyTokenizerFiles, writeTokenizerFiles } from "../data/tokenizer_files.ts";

/**
 * Loads `config.json` and `model.safetensors` from an HF-layout folder. Extra tensors are
 * reported on stderr and ignored; a missing or mis-shaped tensor is an error naming it.
 *
 * @example
 * ```ts
 * const model = await loadDistilBert("tests/fixtures/distilbert-tiny/model");
 * model.config.n_layers; // 3
 * ```
 */
export async function loadDistilBert(dir: string): Promise<DistilBertForSequenceClassification> {
  const configPath = join(dir, "config.json");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await Deno.readTextFile(configPath));
  } catch (e) {
    throw new Error(`${configPath}: cannot read the model config (${(e as Error).message})`);
  }
  const config = parseConfig(raw, configPath);
  const weightsPath = join(dir, "model.safetensors");
  const tensors = await readSafetensors(weightsPath);
  const expected = parameterShapes(config);
  const extra = [...tensors.keys()].filter((name) => !expected.has(name));
  if (extra.length > 0) {
    console.error(`${weightsPath}: ignoring ${extra.length} unused tensor(s): ${extra.join(", ")}`);
  }
  const params = new Map<string, tf.Variable>();
  try {
    for (const [name, shape] of expected) {
      const t = tensors.get(name);
      if (!t) throw new Error(`${weightsPath}: missing tensor ${name} (shape [${shape}])`);
      if (!(t.data instanceof Float32Array)) {
        throw new Error(`${weightsPath}: tensor ${name} is not a float tensor`);
      }
      if (t.shape.join() !== shape.join()) {
        throw new Error(
          `${weightsPath}: tensor ${name} has shape [${t.shape}]; the config needs [${shape}]`,
        );
      }
      const value = tf.tensor(t.data, shape);
      params.set(name, tf.variable(value));
      value.dispose(); // the variable holds its own reference to the data
    }
  } catch (e) {
    for (const p of params.values()) p.dispose();
    throw e;
  }
  return new DistilBertForSequenceClassification(config, params);
}

/** Options of `saveDistilBert`. */
export interface SaveOptions {
  /**
   * On-disk dtype: F32 (default) or F16 (half the size). Either way config.json says
   * `torch_dtype`/`dtype` float32: the weights are computed in float32, here and in transformers.
   */
  dtype?: "F32" | "F16";
  /** `compact` (default: pruned rows removed) or `dense` (original shapes, zeros); see layout.ts. */
  layout?: Layout;
  /**
   * Tokenizer files to add, so that the folder is a complete model: a model folder to copy them
   * from, or their text by file name (`tokenizer.json`, `tokenizer_config.json`, …).
   */
  tokenizer?: string | Record<string, string>;
  /** Writes README.md, a model card of what was pruned and measured (after the other files). */
  card?: ModelCardFacts;
}

/**
 * Writes the model as `config.json` + `model.safetensors` (HF layout) into `dir`, in the
 * compact layout (pruned heads saved as `pruned_heads`: loads here and in transformers 4) or the
 * dense one (original shapes with zeros: loads in any transformers version); with `tokenizer`
 * and `card`, a complete model folder.
 *
 * @example
 * ```ts
 * await saveDistilBert(model, "out/pruned", { dtype: "F16", tokenizer: "data/models/distilbert-sst2-tiny" });
 * ```
 */
export async function saveDistilBert(
  model: DistilBertForSequenceClassification,
  dir: string,
  options: SaveOptions = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const layout = options.layout ?? "compact";
  const dtype = options.dtype ?? "F32";
  const { config, tensors } = layOut(model, layout);
  await writeSafetensors(join(dir, "model.safetensors"), tensors, dtype);
  await writeConfig(config, dir);
  const positions = config.max_position_embeddings;
  if (typeof options.tokenizer === "string") {
    await copyTokenizerFiles(options.tokenizer, dir, positions);
  } else if (options.tokenizer) {
    await writeTokenizerFiles(dir, options.tokenizer, positions);
  }
  if (options.card) await writeModelCard(model, dir, options.card, { layout, dtype });
}

/**
 * Writes `README.md` into a folder that `saveDistilBert` wrote: a model card of what was pruned
 * (`facts`), the folder's files and sizes (ONNX files under `onnx/` included) and which
 * libraries load its layout. For a card with figures measured after saving.
 *
 * @example
 * ```ts
 * await writeModelCard(pruned, "out/pruned-heads-30", {
 *   baseModel: "distilbert-sst2-tiny",
 *   baseConfig: original.config,
 *   baseParameters: original.numParameters(),
 *   steps: ["heads: the 30% least important by gradient importance"],
 * });
 * ```
 */
export async function writeModelCard(
  model: DistilBertForSequenceClassification,
  dir: string,
  facts: ModelCardFacts,
  options: Pick<SaveOptions, "layout" | "dtype"> = {},
): Promise<void> {
  const layout = options.layout ?? "compact";
  const onnx: Record<string, number> = {};
  try {
    for (const entry of Deno.readDirSync(join(dir, "onnx"))) {
      if (entry.name.endsWith(".onnx")) {
        onnx[entry.name] = (await Deno.stat(join(dir, "onnx", entry.name))).size;
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const card = modelCard(facts, {
    modelConfig: model.config,
    config: savedConfig(model.config, layout),
    layout,
    dtype: options.dtype ?? "F32",
    parameters: model.numParameters(),
    weightsBytes: (await Deno.stat(join(dir, "model.safetensors"))).size,
    onnx,
  });
  await Deno.writeTextFile(join(dir, "README.md"), card);
}

/**
 * Writes a model's `config.json` into `dir`: HF's format, as the compact layout saves it
 * (`pruned_heads`; uniform FFN widths as `hidden_dim`, see `savedConfig`), with
 * `torch_dtype`/`dtype` float32 (the key transformers 4 and 5 read, respectively).
 *
 * @example
 * ```ts
 * await writeConfig(model.config, "out/onnx/dense");
 * ```
 */
export async function writeConfig(config: DistilBertConfig, dir: string): Promise<void> {
  const saved = { ...savedConfig(config, "compact"), torch_dtype: "float32", dtype: "float32" };
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(saved, null, 2) + "\n");
}
