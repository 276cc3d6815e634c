// The model's tokenizer: HF `tokenizer.json` run by @huggingface/tokenizers, plus batch
// encoding with dynamic padding and truncation that keeps [SEP] last.
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { tf } from "../engine/tf.ts";

/** A batch of encoded texts, padded to the longest one (or to `maxLength`). */
export interface EncodedBatch {
  /** `[batch][seq]` token ids, padded with the pad id. */
  inputIds: number[][];
  /** `[batch][seq]` 1 for a real token, 0 for padding. */
  attentionMask: number[][];
  /** Number of real tokens per text. */
  lengths: number[];
}

/** Options of `encodeBatch`. */
export interface EncodeOptions {
  /** Truncate to this many tokens, [CLS] and [SEP] included (default 512 or the model's). */
  maxLength?: number;
  /** Pad every row to `maxLength` instead of the longest in the batch. */
  padToMaxLength?: boolean;
}

/**
 * A text tokenizer for BERT-family models. Load it with `loadTokenizer(dir)`.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("data/models/distilbert-sst2-tiny");
 * tok.encode("Hello World"); // [101, 7592, 2088, 102]
 * ```
 */
export class TextTokenizer {
  readonly tokenizer: Tokenizer;
  readonly padId: number;
  readonly sepId: number;
  readonly modelMaxLength: number;

  constructor(tokenizerJson: object, tokenizerConfig: Record<string, unknown>) {
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    const id = (key: string, fallback: string) => {
      const token = String(tokenizerConfig[key] ?? fallback);
      const found = this.tokenizer.token_to_id(token);
      if (found === undefined) throw new Error(`tokenizer: ${key} "${token}" is not in the vocab`);
      return found;
    };
    this.padId = id("pad_token", "[PAD]");
    this.sepId = id("sep_token", "[SEP]");
    const max = Number(tokenizerConfig.model_max_length);
    this.modelMaxLength = Number.isFinite(max) && max > 0 && max < 1e6 ? max : 512;
  }

  /** Vocabulary size (added tokens included). */
  get vocabSize(): number {
    return this.tokenizer.get_vocab(true).size;
  }

  /**
   * Token ids of one text with [CLS] … [SEP], truncated to `maxLength` with [SEP] kept last.
   *
   * @example
   * ```ts
   * tok.encode("a ".repeat(600), 128).at(-1); // 102
   * ```
   */
  encode(text: string, maxLength = this.modelMaxLength): number[] {
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length <= maxLength) return ids;
    const kept = ids.slice(0, maxLength - 1);
    kept.push(this.sepId);
    return kept;
  }

  /** Word pieces of a text (no special tokens), for display. */
  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text);
  }

  /** Text of token ids, special tokens removed. */
  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skip_special_tokens: true });
  }

  /**
   * Encodes texts with dynamic padding (to the longest in the batch) and attention masks.
   *
   * @example
   * ```ts
   * const { inputIds, attentionMask } = tok.encodeBatch(["great", "not good at all"]);
   * ```
   */
  encodeBatch(texts: string[], options: EncodeOptions = {}): EncodedBatch {
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const rows = texts.map((t) => this.encode(t, maxLength));
    return this.pad(rows, options.padToMaxLength ? maxLength : undefined);
  }

  /**
   * Pads token-id rows with the pad id to `width` (default: the longest row), with masks.
   *
   * @example
   * ```ts
   * tok.pad([[101, 2307, 102], [101, 102]]).attentionMask[1]; // [1, 1, 0]
   * ```
   */
  pad(rows: number[][], width = Math.max(1, ...rows.map((r) => r.length))): EncodedBatch {
    return {
      inputIds: rows.map((r) => [...r, ...Array(width - r.length).fill(this.padId)]),
      attentionMask: rows.map((
        r,
      ) => [...Array(r.length).fill(1), ...Array(width - r.length).fill(0)]),
      lengths: rows.map((r) => r.length),
    };
  }

  /**
   * `pad` as int32 tensors `[batch, seq]`, ready for `model.forward`.
   *
   * @example
   * ```ts
   * const { inputIds, attentionMask } = tok.padTensors([tok.encode("great movie")]);
   * ```
   */
  padTensors(rows: number[][]): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
    const batch = this.pad(rows);
    return {
      inputIds: tf.tensor2d(batch.inputIds, undefined, "int32"),
      attentionMask: tf.tensor2d(batch.attentionMask, undefined, "int32"),
    };
  }

  /**
   * `encodeBatch` as int32 tensors `[batch, seq]`, ready for `model.forward`.
   *
   * @example
   * ```ts
   * const { inputIds, attentionMask } = tok.encodeTensors(["great movie"], 64);
   * ```
   */
  encodeTensors(
    texts: string[],
    maxLength?: number,
  ): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
    return this.padTensors(texts.map((t) => this.encode(t, maxLength)));
  }
}

/**
 * Loads `tokenizer.json` and `tokenizer_config.json` from a model folder. A folder with only
 * `vocab.txt` (older BERT checkpoints) gets the standard BERT WordPiece pipeline built from it.
 *
 * @example
 * ```ts
 * const tok = await loadTokenizer("data/models/distilbert-sst2-tiny");
 * ```
 */
export async function loadTokenizer(dir: string): Promise<TextTokenizer> {
  const config = await readJson(join(dir, "tokenizer_config.json")).catch(() => ({}));
  let json: object;
  try {
    json = await readJson(join(dir, "tokenizer.json"));
  } catch (first) {
    try {
      json = bertTokenizerJson(await Deno.readTextFile(join(dir, "vocab.txt")), config);
    } catch {
      throw new Error(
        `${dir}: no usable tokenizer.json or vocab.txt (${(first as Error).message})`,
      );
    }
  }
  return new TextTokenizer(json, config);
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message.split("\n")[0]}`);
  }
}

/**
 * The `tokenizer.json` that HF's BertTokenizerFast builds from a `vocab.txt`: BERT
 * normaliser, BERT pre-tokeniser, WordPiece, [CLS] … [SEP] post-processing.
 *
 * @example
 * ```ts
 * const json = bertTokenizerJson("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n", { do_lower_case: true });
 * ```
 */
export function bertTokenizerJson(vocabTxt: string, config: Record<string, unknown>): object {
  const tokens = vocabTxt.split("\n").map((l) => l.replace(/\r$/, ""));
  if (tokens.at(-1) === "") tokens.pop();
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const special = ["pad_token", "unk_token", "cls_token", "sep_token", "mask_token"]
    .map((k) => String(config[k] ?? `[${k.split("_")[0].toUpperCase()}]`))
    .filter((t) => t in vocab);
  const [cls, sep] = [String(config.cls_token ?? "[CLS]"), String(config.sep_token ?? "[SEP]")];
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: config.tokenize_chinese_chars ?? true,
      strip_accents: config.strip_accents ?? null,
      lowercase: config.do_lower_case ?? true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: { type: "BertProcessing", sep: [sep, vocab[sep]], cls: [cls, vocab[cls]] },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: String(config.unk_token ?? "[UNK]"),
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}
