// Model resolution: a local HF-layout folder, a shipped model's short name, or a Hugging Face
// repo id downloaded once into the cache. `loadModel` returns model and tokenizer.
import { join } from "node:path";
import { PROJECT_ROOT } from "../io/paths.ts";
import { exists, hubDownload, HubFileNotFound } from "../io/hub.ts";
import { loadDistilBert } from "./io.ts";
import type { DistilBertForSequenceClassification } from "./distilbert.ts";
import { loadTokenizer, type TextTokenizer } from "../data/tokenizer.ts";

/** The course's model: pretrained MiniLM fine-tuned on SST-2, shipped under `data/models/`. */
export const DEFAULT_MODEL = "distilbert-sst2-minilm";
/** The small model trained from scratch, shipped under `data/models/`: checks, tests, quick runs. */
export const TINY_MODEL = "distilbert-sst2-tiny";
/** The full-size SST-2 DistilBERT on the Hugging Face hub. */
export const FULL_SIZE_MODEL = "distilbert-base-uncased-finetuned-sst-2-english";

/** The project's `data/models` folder. */
export const MODELS_DIR = join(PROJECT_ROOT, "data", "models");

/**
 * The model the course uses: `PRUNING_LAB_MODEL` (a name, repo id or folder), else
 * `DEFAULT_MODEL`. `PRUNING_LAB_MODEL=full` is short for the full-size hub model.
 *
 * @example
 * ```ts
 * const { model, tokenizer } = await loadModel(defaultModelName());
 * ```
 */
export function defaultModelName(): string {
  const wanted = Deno.env.get("PRUNING_LAB_MODEL");
  if (!wanted) return DEFAULT_MODEL;
  return wanted === "full" ? FULL_SIZE_MODEL : wanted;
}

/** A loaded classifier with its tokenizer and where it came from. */
export interface LoadedModel {
  name: string;
  dir: string;
  model: DistilBertForSequenceClassification;
  tokenizer: TextTokenizer;
}

/**
 * Loads a DistilBERT classifier and its tokenizer from a folder, a shipped model's short
 * name, or a hub repo id (downloaded once into `data/cache`, `HF_ENDPOINT` honoured).
 *
 * @example
 * ```ts
 * const { model, tokenizer } = await loadModel("distilbert-sst2-tiny");
 * ```
 */
export async function loadModel(nameOrPath: string): Promise<LoadedModel> {
  const dir = await resolveModelDir(nameOrPath);
  return {
    name: nameOrPath,
    dir,
    model: await loadDistilBert(dir),
    tokenizer: await loadTokenizer(dir),
  };
}

/**
 * The local folder holding a model: the path itself, `data/models/<name>`, or the cache
 * folder the hub files were downloaded to.
 *
 * @example
 * ```ts
 * await resolveModelDir("distilbert-sst2-tiny"); // ".../data/models/distilbert-sst2-tiny"
 * ```
 */
export async function resolveModelDir(nameOrPath: string): Promise<string> {
  if (await exists(join(nameOrPath, "config.json"))) return nameOrPath;
  const embedded = join(MODELS_DIR, nameOrPath);
  if (await exists(join(embedded, "config.json"))) return embedded;
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(nameOrPath)) {
    throw new Error(`${nameOrPath}: not a model folder (no config.json) nor a hub repo id`);
  }
  const config = await hubDownload(nameOrPath, "config.json");
  await hubDownload(nameOrPath, "model.safetensors");
  await downloadTokenizer(nameOrPath);
  return join(config, "..");
}

/**
 * A folder with `tokenizer.json` for a tokenizer repo such as `bert-base-uncased`: the
 * mirror `$PRUNING_LAB_DATA_MIRROR/<repo>` when it has one, else the hub.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer(await resolveTokenizerDir("bert-base-uncased"));
 * ```
 */
export async function resolveTokenizerDir(repo: string): Promise<string> {
  const mirror = Deno.env.get("PRUNING_LAB_DATA_MIRROR");
  if (mirror && await exists(join(mirror, repo, "tokenizer.json"))) return join(mirror, repo);
  return await downloadTokenizer(repo);
}

/** Downloads the tokenizer files of a repo (tokenizer.json, else vocab.txt); returns the folder. */
async function downloadTokenizer(repo: string): Promise<string> {
  const optional = (file: string) =>
    hubDownload(repo, file).catch((e) => {
      if (e instanceof HubFileNotFound) return undefined;
      throw e;
    });
  await optional("tokenizer_config.json");
  const file = await optional("tokenizer.json") ?? await hubDownload(repo, "vocab.txt");
  return join(file, "..");
}
