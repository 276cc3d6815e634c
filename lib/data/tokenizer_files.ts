// A model folder's tokenizer files (`tokenizer.json`, `tokenizer_config.json`, `vocab.txt`):
// reading them, copying them into another model folder with a `tokenizer_config.json` made
// right for DistilBERT, and rewriting them with a subset of the vocabulary renumbered in order
// (its special tokens kept, the post-processor's and padding's ids remapped).
import { join } from "node:path";
import { TextTokenizer } from "./tokenizer.ts";

/** `tokenizer_config.json` keys of the special tokens that must survive pruning. */
const SPECIAL_KEYS = ["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"];

/** A tokenizer reduced to kept tokens. */
export interface PrunedTokenizer {
  /** The pruned tokenizer (new ids). */
  tokenizer: TextTokenizer;
  /** The rewritten tokenizer files, by file name (`tokenizer.json`, …), as text. */
  files: Record<string, string>;
  /** Original id of each new id. */
  keptIds: number[];
  /** New id of each original id, -1 for a dropped token. */
  newIds: Int32Array;
}

/** Tokenizer files of a model folder, by name, parsed where JSON (`vocab.txt` as text). */
export interface TokenizerFiles {
  json: Record<string, unknown> & { model?: { vocab?: Record<string, number> } };
  config: Record<string, unknown>;
  vocabTxt?: string;
}

/**
 * Reads a model folder's tokenizer files (`tokenizer.json` required).
 *
 * @example
 * ```ts
 * const files = await readTokenizerFiles("data/models/distilbert-sst2-tiny");
 * ```
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const read = async (name: string) => {
    try {
      return await Deno.readTextFile(join(dir, name));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  };
  const jsonText = await read("tokenizer.json");
  if (jsonText === undefined) {
    throw new Error(`${join(dir, "tokenizer.json")}: not found; vocabulary pruning needs it`);
  }
  const parse = (text: string, name: string) => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`${join(dir, name)}: ${(e as Error).message}`);
    }
  };
  const configText = await read("tokenizer_config.json");
  return {
    json: parse(jsonText, "tokenizer.json"),
    config: configText === undefined ? {} : parse(configText, "tokenizer_config.json"),
    vocabTxt: await read("vocab.txt"),
  };
}

/**
 * The tokenizer files with only `keepIds`: checks the ids (in the vocabulary, special tokens
 * included) and renumbers them in order; `dir` names the files in errors.
 *
 * @example
 * ```ts
 * const pruned = keepTokens(await readTokenizerFiles(dir), [0, 100, 101, 102, 103, 2023], dir);
 * pruned.keptIds.length; // 6
 * ```
 */
export function keepTokens(
  files: TokenizerFiles,
  keepIds: Iterable<number>,
  dir: string,
): PrunedTokenizer {
  const where = join(dir, "tokenizer.json");
  const json = structuredClone(files.json);
  const model = json.model as { type?: string; vocab?: Record<string, number>; unk_token?: string };
  if (model?.type !== "WordPiece" || typeof model.vocab !== "object") {
    throw new Error(`${where}: model.type is "${model?.type}"; vocabulary pruning needs WordPiece`);
  }
  const size = Object.keys(model.vocab).length;
  const tokens: string[] = [];
  for (const [token, id] of Object.entries(model.vocab)) tokens[id] = token;

  const keep = new Set<number>();
  for (const id of keepIds) {
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new Error(`vocabulary pruning: kept id ${id} is not in 0..${size - 1} (${where})`);
    }
    keep.add(id);
  }
  const addedTokens = (json.added_tokens ?? []) as {
    id: number;
    content: string;
    special?: boolean;
  }[];
  const special = new Set(
    SPECIAL_KEYS.map((k) => String(files.config[k] ?? `[${k.split("_")[0].toUpperCase()}]`)),
  );
  for (const t of addedTokens) if (t.special) special.add(t.content);
  const missing = [...special].filter((t) => t in model.vocab! && !keep.has(model.vocab![t]));
  if (missing.length > 0) {
    throw new Error(
      `vocabulary pruning: the kept ids leave out the special token${
        missing.length > 1 ? "s" : ""
      } ${missing.map((t) => `${t} (id ${model.vocab![t]})`).join(", ")}; keep every special token`,
    );
  }

  const keptIds = [...keep].sort((a, b) => a - b);
  const newIds = new Int32Array(size).fill(-1);
  keptIds.forEach((old, i) => (newIds[old] = i));
  const vocab: Record<string, number> = {};
  keptIds.forEach((old, i) => (vocab[tokens[old]] = i));
  model.vocab = vocab;
  json.added_tokens = addedTokens.filter((t) => newIds[t.id] >= 0).map((t) => ({
    ...t,
    id: newIds[t.id],
  }));
  json.post_processor = remapPostProcessor(json.post_processor, newIds, where);
  const padding = json.padding as { pad_id?: number } | null | undefined;
  if (padding && typeof padding.pad_id === "number") padding.pad_id = newIds[padding.pad_id];

  const config = structuredClone(files.config);
  const decoder = config.added_tokens_decoder as Record<string, unknown> | undefined;
  if (decoder) {
    config.added_tokens_decoder = Object.fromEntries(
      Object.entries(decoder).filter(([id]) => newIds[Number(id)] >= 0)
        .map(([id, value]) => [String(newIds[Number(id)]), value]),
    );
  }
  const out: Record<string, string> = {
    "tokenizer.json": JSON.stringify(json),
    "tokenizer_config.json": JSON.stringify(config, null, 2) + "\n",
  };
  if (files.vocabTxt !== undefined) {
    out["vocab.txt"] = keptIds.map((id) => tokens[id]).join("\n") + "\n";
  }
  return { tokenizer: new TextTokenizer(json, config), files: out, keptIds, newIds };
}

/** The post-processor with its special-token ids renumbered (BertProcessing, Template…). */
function remapPostProcessor(
  processor: unknown,
  newIds: Int32Array,
  where: string,
): unknown {
  if (processor === null || processor === undefined) return processor;
  const p = structuredClone(processor) as Record<string, unknown>;
  const remap = (id: number, token: string) => {
    const n = newIds[id];
    if (n === undefined || n < 0) {
      throw new Error(`${where}: post_processor token ${token} (id ${id}) is not kept`);
    }
    return n;
  };
  switch (p.type) {
    case "BertProcessing":
    case "RobertaProcessing":
      for (const key of ["sep", "cls"]) {
        const [token, id] = p[key] as [string, number];
        p[key] = [token, remap(id, token)];
      }
      return p;
    case "TemplateProcessing": {
      const specials = p.special_tokens as Record<string, { ids: number[]; tokens: string[] }>;
      for (const [name, s] of Object.entries(specials ?? {})) {
        s.ids = s.ids.map((id) => remap(id, name));
      }
      return p;
    }
    case "Sequence":
      p.processors = (p.processors as unknown[]).map((q) => remapPostProcessor(q, newIds, where));
      return p;
    default:
      return p;
  }
}

/**
 * A model's `tokenizer_config.json` made right for DistilBERT: `tokenizer_class`
 * `DistilBertTokenizer` with `model_input_names` `input_ids` and `attention_mask` (BERT's
 * tokenizer also returns `token_type_ids`, which DistilBERT's forward rejects in transformers),
 * and `model_max_length` at most `maxPositions`, so that truncation fits the position table.
 *
 * @example
 * ```ts
 * distilBertTokenizerConfig({ tokenizer_class: "BertTokenizer", model_max_length: 512 }, 128);
 * // { tokenizer_class: "DistilBertTokenizer", model_max_length: 128, model_input_names: [...] }
 * ```
 */
export function distilBertTokenizerConfig(
  config: Record<string, unknown>,
  maxPositions: number,
): Record<string, unknown> {
  const max = Number(config.model_max_length);
  return {
    ...config,
    tokenizer_class: "DistilBertTokenizer",
    model_input_names: ["input_ids", "attention_mask"],
    model_max_length: Number.isFinite(max) && max > 0 ? Math.min(max, maxPositions) : maxPositions,
  };
}

/**
 * Writes tokenizer files (text by file name: `tokenizer.json`, `tokenizer_config.json`, …)
 * into a model folder, with `tokenizer_config.json` made right for DistilBERT
 * (`distilBertTokenizerConfig`; written even when `files` has none).
 *
 * @example
 * ```ts
 * await writeTokenizerFiles("out/vocab", pruned.files, model.config.max_position_embeddings);
 * ```
 */
export async function writeTokenizerFiles(
  dir: string,
  files: Record<string, string>,
  maxPositions: number,
): Promise<void> {
  const configText = files["tokenizer_config.json"];
  const config = configText === undefined ? {} : JSON.parse(configText);
  for (const [name, text] of Object.entries(files)) {
    if (name !== "tokenizer_config.json") await Deno.writeTextFile(join(dir, name), text);
  }
  await Deno.writeTextFile(
    join(dir, "tokenizer_config.json"),
    JSON.stringify(distilBertTokenizerConfig(config, maxPositions), null, 2) + "\n",
  );
}

/**
 * Copies a model folder's tokenizer files (`tokenizer.json`, and `tokenizer_config.json` made
 * right for DistilBERT by `distilBertTokenizerConfig`) into another model folder.
 *
 * @example
 * ```ts
 * await copyTokenizerFiles("data/models/distilbert-sst2-tiny", "out/onnx/dense", 128);
 * ```
 */
export async function copyTokenizerFiles(
  fromDir: string,
  toDir: string,
  maxPositions: number,
): Promise<void> {
  const files: Record<string, string> = {
    "tokenizer.json": await Deno.readTextFile(join(fromDir, "tokenizer.json")),
  };
  try {
    files["tokenizer_config.json"] = await Deno.readTextFile(
      join(fromDir, "tokenizer_config.json"),
    );
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  await writeTokenizerFiles(toDir, files, maxPositions);
}
