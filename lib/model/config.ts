// DistilBERT configuration with Hugging Face's keys, plus the per-layer sizes that pruning
// changes (heads from `pruned_heads`, FFN widths from the project key `pruning_lab_ffn_dims`).

/** `config.json` of a DistilBERT checkpoint, with HF's key names. */
export interface DistilBertConfig {
  model_type?: string;
  architectures?: string[];
  vocab_size: number;
  max_position_embeddings: number;
  sinusoidal_pos_embds?: boolean;
  n_layers: number;
  n_heads: number;
  dim: number;
  hidden_dim: number;
  dropout: number;
  attention_dropout: number;
  activation: string;
  initializer_range: number;
  seq_classif_dropout: number;
  pad_token_id?: number;
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  /** Pruned heads per layer, as original head indices (HF's `prune_heads` bookkeeping). */
  pruned_heads?: Record<string, number[]>;
  /** This project's key: FFN width per layer after neuron pruning (absent: all `hidden_dim`). */
  pruning_lab_ffn_dims?: number[];
  [key: string]: unknown;
}

/** Numeric keys every DistilBERT config must have. */
const REQUIRED = [
  "vocab_size",
  "max_position_embeddings",
  "n_layers",
  "n_heads",
  "dim",
  "hidden_dim",
];

/**
 * Checks a parsed `config.json` and fills HF's defaults; `file` names the source in errors.
 *
 * @example
 * ```ts
 * const config = parseConfig(JSON.parse(await Deno.readTextFile("config.json")), "config.json");
 * ```
 */
export function parseConfig(raw: Record<string, unknown>, file = "config.json"): DistilBertConfig {
  for (const key of REQUIRED) {
    if (typeof raw[key] !== "number") {
      throw new Error(`${file}: "${key}" must be a number, got ${JSON.stringify(raw[key])}`);
    }
  }
  if (raw.model_type !== undefined && raw.model_type !== "distilbert") {
    throw new Error(`${file}: model_type is "${raw.model_type}"; expected "distilbert"`);
  }
  const config = {
    dropout: 0.1,
    attention_dropout: 0.1,
    activation: "gelu",
    initializer_range: 0.02,
    seq_classif_dropout: 0.2,
    pad_token_id: 0,
    ...raw,
  } as DistilBertConfig;
  if (config.dim % config.n_heads !== 0) {
    throw new Error(`${file}: dim ${config.dim} is not a multiple of n_heads ${config.n_heads}`);
  }
  if (config.activation !== "gelu" && config.activation !== "relu") {
    throw new Error(`${file}: activation "${config.activation}"; expected "gelu" or "relu"`);
  }
  const dims = config.pruning_lab_ffn_dims;
  if (dims !== undefined && (!Array.isArray(dims) || dims.length !== config.n_layers)) {
    throw new Error(`${file}: pruning_lab_ffn_dims must list ${config.n_layers} widths`);
  }
  return config;
}

/**
 * The full-size DistilBERT-base shape (`distilbert-base-uncased-finetuned-sst-2-english`):
 * 6 layers, 12 heads, dim 768, FFN 3072, the bert-base-uncased vocabulary, two labels.
 *
 * @example
 * ```ts
 * DistilBertForSequenceClassification.random(distilbertBaseConfig(), 0).numParameters(); // 66,955,010
 * ```
 */
export function distilbertBaseConfig(): DistilBertConfig {
  return parseConfig({
    model_type: "distilbert",
    vocab_size: 30522,
    max_position_embeddings: 512,
    n_layers: 6,
    n_heads: 12,
    dim: 768,
    hidden_dim: 3072,
    id2label: { "0": "NEGATIVE", "1": "POSITIVE" },
    label2id: { NEGATIVE: 0, POSITIVE: 1 },
  });
}

/** The shape and dropout of an SST-2 classifier, the rest of its config being fixed. */
export type Sst2Shape = Pick<
  DistilBertConfig,
  | "dim"
  | "hidden_dim"
  | "n_heads"
  | "n_layers"
  | "max_position_embeddings"
  | "vocab_size"
  | "pad_token_id"
  | "dropout"
  | "attention_dropout"
>;

/**
 * The config of a DistilBERT SST-2 classifier of the given shape, as HF writes it for
 * `DistilBertForSequenceClassification` (labels NEGATIVE/POSITIVE, GELU, classifier dropout
 * 0.2): the one the course's training and conversion tools write.
 *
 * @example
 * ```ts
 * sst2ClassifierConfig({ dim: 96, hidden_dim: 384, n_heads: 12, n_layers: 6, max_position_embeddings: 128, vocab_size: 30522, pad_token_id: 0, dropout: 0.1, attention_dropout: 0.1 });
 * ```
 */
export function sst2ClassifierConfig(shape: Sst2Shape): DistilBertConfig {
  return parseConfig({
    architectures: ["DistilBertForSequenceClassification"],
    model_type: "distilbert",
    activation: "gelu",
    attention_dropout: shape.attention_dropout,
    dropout: shape.dropout,
    dim: shape.dim,
    hidden_dim: shape.hidden_dim,
    n_heads: shape.n_heads,
    n_layers: shape.n_layers,
    max_position_embeddings: shape.max_position_embeddings,
    vocab_size: shape.vocab_size,
    initializer_range: 0.02,
    pad_token_id: shape.pad_token_id,
    qa_dropout: 0.1,
    seq_classif_dropout: 0.2,
    sinusoidal_pos_embds: false,
    tie_weights_: true,
    id2label: { "0": "NEGATIVE", "1": "POSITIVE" },
    label2id: { NEGATIVE: 0, POSITIVE: 1 },
    finetuning_task: "sst-2",
  });
}

/** Size of one attention head: `dim / n_heads` (unchanged by pruning). */
export function headDim(config: DistilBertConfig): number {
  return config.dim / config.n_heads;
}

/**
 * Original indices of the heads still present in each layer, in order.
 *
 * @example
 * ```ts
 * remainingHeads({ ...config, n_heads: 4, pruned_heads: { "0": [1] } })[0]; // [0, 2, 3]
 * ```
 */
export function remainingHeads(config: DistilBertConfig): number[][] {
  return Array.from({ length: config.n_layers }, (_, layer) => {
    const pruned = new Set(config.pruned_heads?.[String(layer)] ?? []);
    return Array.from({ length: config.n_heads }, (_, h) => h).filter((h) => !pruned.has(h));
  });
}

/**
 * Number of attention heads in each layer after pruning.
 *
 * @example
 * ```ts
 * headCounts(config); // [12, 12, 12, 12, 12, 12] for an unpruned 6x12 model
 * ```
 */
export function headCounts(config: DistilBertConfig): number[] {
  return remainingHeads(config).map((heads) => heads.length);
}

/**
 * FFN width (number of `lin1` neurons) in each layer.
 *
 * @example
 * ```ts
 * ffnDims(config); // [3072, 3072, 3072, 3072, 3072, 3072] for DistilBERT-base
 * ```
 */
export function ffnDims(config: DistilBertConfig): number[] {
  return config.pruning_lab_ffn_dims ?? Array(config.n_layers).fill(config.hidden_dim);
}

/** Number of labels from `id2label` (2 when absent, as for SST-2). */
export function numLabels(config: DistilBertConfig): number {
  return config.id2label ? Object.keys(config.id2label).length : 2;
}
