// Loading and saving DistilBERT in the Hugging Face layout: config.json + model.safetensors.
import { join } from "node:path";
import { tf } from "../engine/tf.ts";
import { type NamedTensor, readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import { type DistilBertConfig, parseConfig } from "./config.ts";
import { DistilBertForSequenceClassification, parameterShapes } from "./distilbert.ts";

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
  /** On-disk dtype: F32 (default) or F16 (half the size; loaded back as float32). */
  dtype?: "F32" | "F16";
}

/**
 * Writes the model as `config.json` + `model.safetensors` (HF layout) into `dir`.
 * Pruned heads are saved as `pruned_heads`, so the folder reloads here and in HF tools.
 *
 * @example
 * ```ts
 * await saveDistilBert(model, "out/pruned", { dtype: "F16" });
 * ```
 */
export async function saveDistilBert(
  model: DistilBertForSequenceClassification,
  dir: string,
  options: SaveOptions = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const tensors = new Map<string, NamedTensor>();
  for (const [name, p] of model.params) {
    tensors.set(name, { shape: p.shape, data: p.dataSync() as Float32Array });
  }
  await writeSafetensors(join(dir, "model.safetensors"), tensors, options.dtype ?? "F32");
  await writeConfig(model.config, dir);
}

/**
 * Writes a model's `config.json` (HF's format, `pruned_heads` included) into `dir`.
 *
 * @example
 * ```ts
 * await writeConfig(model.config, "out/onnx/dense");
 * ```
 */
export async function writeConfig(config: DistilBertConfig, dir: string): Promise<void> {
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
}
