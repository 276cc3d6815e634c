// Vocabulary pruning: keep only the WordPiece tokens a corpus uses. The word-embedding matrix
// loses the other rows, the kept tokens get new contiguous ids (in their original order), and
// `tokenizer.json` (plus `tokenizer_config.json` and `vocab.txt`) is rewritten with those ids, so
// the pruned folder loads here, in @huggingface/tokenizers and in transformers.js.
//
// What a pruned tokenizer does with a word (WordPiece is greedy longest-match-first):
// - a word whose original pieces are all kept tokenizes exactly as before (every longer
//   candidate was already absent from the full vocabulary), so a sentence made only of such
//   words gets the same logits as from the original model;
// - a word with a dropped piece is segmented again from the kept pieces, e.g. "unwatchable" ->
//   "un ##watch ##able" when "##watchable" was dropped but those three were kept; only when no
//   segmentation exists does the whole word become one [UNK] (never one [UNK] per piece).
import { join } from "node:path";
import { courseReference } from "../course/reference.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { saveDistilBert, type SaveOptions } from "../model/io.ts";
import { TextTokenizer } from "../data/tokenizer.ts";
import { tf } from "../engine/tf.ts";
import { replace } from "./heads.ts";

/** The word-embedding matrix vocabulary pruning gathers rows of. */
export const WORD_EMBEDDINGS = "distilbert.embeddings.word_embeddings.weight";

/** `tokenizer_config.json` keys of the special tokens that must survive pruning. */
const SPECIAL_KEYS = ["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"];

/**
 * How often each vocabulary id occurs when the texts are encoded ([CLS] and [SEP] included):
 * an array indexed by token id.
 *
 * @example
 * ```ts
 * const counts = tokenCounts(tokenizer, ["a great movie", "a dull movie"]);
 * counts[tokenizer.tokenizer.token_to_id("movie")!]; // 2
 * ```
 */
export function tokenCounts(tokenizer: TextTokenizer, texts: Iterable<string>): Uint32Array {
  const counts = new Uint32Array(tokenizer.vocabSize);
  for (const text of texts) for (const id of tokenizer.encode(text)) counts[id]++;
  return counts;
}

/**
 * The ids to keep: every id seen at least `minCount` times, plus the special ids, ascending.
 * (Notebook 06's TODO `06.vocab_keep`.)
 *
 * @example
 * ```ts
 * tokensToKeep([0, 5, 1, 0, 2], [0, 3]); // [0, 1, 2, 3, 4]
 * tokensToKeep([0, 5, 1, 0, 2], [0], 2); // [0, 1, 4]
 * ```
 */
export const tokensToKeep = courseReference("06.vocab_keep", function tokensToKeep(
  counts: ArrayLike<number>,
  specialIds: number[],
  minCount = 1,
): number[] {
  const keep = new Set(specialIds);
  for (let id = 0; id < counts.length; id++) if (counts[id] >= minCount) keep.add(id);
  return [...keep].sort((a, b) => a - b);
});

/**
 * The vocabulary ids a corpus uses, with the tokenizer's special tokens: `tokensToKeep` of
 * `tokenCounts`.
 *
 * @example
 * ```ts
 * const keep = usedTokenIds(tokenizer, trainSentences);
 * ```
 */
export function usedTokenIds(tokenizer: TextTokenizer, texts: Iterable<string>): number[] {
  return tokensToKeep(tokenCounts(tokenizer, texts), specialTokenIds(tokenizer));
}

/**
 * Ids of the tokenizer's special tokens ([PAD], [UNK], [CLS], [SEP], [MASK] and any other
 * special added token).
 *
 * @example
 * ```ts
 * specialTokenIds(tokenizer); // [0, 100, 101, 102, 103] for bert-base-uncased
 * ```
 */
export function specialTokenIds(tokenizer: TextTokenizer): number[] {
  const ids = new Set<number>();
  for (const token of ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]) {
    const id = tokenizer.tokenizer.token_to_id(token);
    if (id !== undefined) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** Share of a text set's tokens (without [CLS]/[SEP]) that are not [UNK]. */
export interface VocabularyCoverage {
  /** Tokens in all texts, [CLS] and [SEP] left out. */
  tokens: number;
  /** How many of them are [UNK]. */
  unknown: number;
  /** `1 - unknown / tokens`. */
  coverage: number;
  /** Texts with at least one [UNK]. */
  textsWithUnknown: number;
}

/**
 * How well a tokenizer's vocabulary covers texts: the share of tokens that are not [UNK].
 * Compare a pruned tokenizer with the original one on texts the pruning corpus did not see.
 *
 * @example
 * ```ts
 * vocabularyCoverage(prunedTokenizer, reviews).coverage; // e.g. 0.985
 * ```
 */
export function vocabularyCoverage(
  tokenizer: TextTokenizer,
  texts: Iterable<string>,
): VocabularyCoverage {
  const unk = tokenizer.tokenizer.token_to_id("[UNK]");
  let tokens = 0;
  let unknown = 0;
  let textsWithUnknown = 0;
  for (const text of texts) {
    const ids = tokenizer.tokenizer.encode(text, { add_special_tokens: false }).ids;
    const n = ids.filter((id) => id === unk).length;
    tokens += ids.length;
    unknown += n;
    if (n > 0) textsWithUnknown++;
  }
  return { tokens, unknown, coverage: tokens === 0 ? 1 : 1 - unknown / tokens, textsWithUnknown };
}

/** Options of `pruneVocabulary`. */
export interface VocabularyPruningOptions {
  /** Write the pruned model (`config.json`, `model.safetensors`) and tokenizer files here. */
  outDir?: string;
  /** On-disk dtype of `model.safetensors` in `outDir` (default F32). */
  dtype?: SaveOptions["dtype"];
}

/** What `pruneVocabulary` returns. */
export interface VocabularyPruning {
  /** The pruned tokenizer (new ids). */
  tokenizer: TextTokenizer;
  /** The rewritten tokenizer files, by file name (`tokenizer.json`, …), as text. */
  files: Record<string, string>;
  /** Original id of each new id. */
  keptIds: number[];
  /** New id of each original id, -1 for a dropped token. */
  newIds: Int32Array;
}

/**
 * Keeps only the vocabulary ids `keepIds` (which must include the special tokens): gathers the
 * rows of `distilbert.embeddings.word_embeddings.weight` in place, sets `config.vocab_size` (and
 * `pad_token_id`), and rewrites the tokenizer files of `tokenizerDir` with new contiguous ids.
 * Text the pruned tokenizer cannot segment from kept pieces becomes [UNK] (see the file header).
 *
 * @example
 * ```ts
 * const { model, tokenizer, dir } = await loadModel("distilbert-sst2-tiny");
 * const keep = usedTokenIds(tokenizer, sentences);
 * const pruned = await pruneVocabulary(model, dir, keep, { outDir: "out/vocab" });
 * pruned.tokenizer.vocabSize === keep.length; // true
 * ```
 */
export async function pruneVocabulary(
  model: DistilBertForSequenceClassification,
  tokenizerDir: string,
  keepIds: Iterable<number>,
  options: VocabularyPruningOptions = {},
): Promise<VocabularyPruning> {
  const files = await readTokenizerFiles(tokenizerDir);
  const rows = model.param(WORD_EMBEDDINGS).shape[0];
  const pruned = pruneTokenizerFiles(files, keepIds, rows, tokenizerDir);
  replace(model, WORD_EMBEDDINGS, (w) => tf.gather(w, pruned.keptIds, 0));
  model.config.vocab_size = pruned.keptIds.length;
  const pad = model.config.pad_token_id;
  if (pad !== undefined && pad !== null) model.config.pad_token_id = pruned.newIds[pad];
  if (options.outDir) {
    await saveDistilBert(model, options.outDir, { dtype: options.dtype });
    for (const [name, text] of Object.entries(pruned.files)) {
      await Deno.writeTextFile(join(options.outDir, name), text);
    }
  }
  return pruned;
}

/** Tokenizer files of a model folder, by name, parsed where JSON (`vocab.txt` as text). */
interface TokenizerFiles {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
  vocabTxt?: string;
}

async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
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
 * The tokenizer files with only `keepIds`: checks the ids (in the vocabulary of `rows`
 * tokens, special tokens included) and renumbers them in order.
 */
function pruneTokenizerFiles(
  files: TokenizerFiles,
  keepIds: Iterable<number>,
  rows: number,
  dir: string,
): VocabularyPruning {
  const where = join(dir, "tokenizer.json");
  const json = structuredClone(files.json);
  const model = json.model as { type?: string; vocab?: Record<string, number>; unk_token?: string };
  if (model?.type !== "WordPiece" || typeof model.vocab !== "object") {
    throw new Error(`${where}: model.type is "${model?.type}"; vocabulary pruning needs WordPiece`);
  }
  const size = Object.keys(model.vocab).length;
  if (size !== rows) {
    throw new Error(
      `${where}: the vocabulary has ${size} tokens but ${WORD_EMBEDDINGS} has ${rows} rows`,
    );
  }
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
