// Vocabulary pruning: keep only the WordPiece tokens a corpus uses. The word-embedding matrix
// loses the other rows, the kept tokens get new contiguous ids (in their original order), and
// the tokenizer files are rewritten with those ids (`data/tokenizer_files.ts`), so the pruned
// folder loads here, in @huggingface/tokenizers and in transformers.js.
//
// What a pruned tokenizer does with a word (WordPiece is greedy longest-match-first):
// - a word whose original pieces are all kept tokenizes exactly as with the full vocabulary (every longer
//   candidate was already absent from the full vocabulary), so a sentence made only of such
//   words gets the same logits as from the original model;
// - a word with a dropped piece is segmented again from the kept pieces, e.g. "unwatchable" ->
//   "un ##watch ##able" when "##watchable" was dropped but those three were kept; only when no
//   segmentation exists does the whole word become one [UNK] (never one [UNK] per piece).
import { join } from "node:path";
import { courseReference } from "../course/reference.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { saveDistilBert, type SaveOptions } from "../model/io.ts";
import type { TextTokenizer } from "../data/tokenizer.ts";
import { keepTokens, type PrunedTokenizer, readTokenizerFiles } from "../data/tokenizer_files.ts";
import { tf } from "../engine/tf.ts";
import { replace } from "./heads.ts";

/** The word-embedding matrix vocabulary pruning gathers rows of. */
export const WORD_EMBEDDINGS = "distilbert.embeddings.word_embeddings.weight";

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

/** What `pruneVocabulary` returns: the pruned tokenizer, its files and the id maps. */
export type VocabularyPruning = PrunedTokenizer;

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
  const size = Object.keys(files.json.model?.vocab ?? {}).length;
  if (size !== rows) {
    throw new Error(
      `${
        join(tokenizerDir, "tokenizer.json")
      }: the vocabulary has ${size} tokens but ${WORD_EMBEDDINGS} has ${rows} rows`,
    );
  }
  const pruned = keepTokens(files, keepIds, tokenizerDir);
  replace(model, WORD_EMBEDDINGS, (w) => tf.gather(w, pruned.keptIds, 0));
  model.config.vocab_size = pruned.keptIds.length;
  const pad = model.config.pad_token_id;
  if (pad !== undefined && pad !== null) model.config.pad_token_id = pruned.newIds[pad];
  if (options.outDir) {
    await saveDistilBert(model, options.outDir, { dtype: options.dtype, tokenizer: pruned.files });
  }
  return pruned;
}
