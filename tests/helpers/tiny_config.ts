// The small random DistilBERT the library tests build over the embedded model's vocabulary
// (2 layers x 4 heads, dim 16): fast enough to train or scan in a test.
import type { DistilBertConfig } from "lib/model/config.ts";

/**
 * The tests' tiny config; `initializer_range` sets how far a random model is from chance.
 *
 * @example
 * ```ts
 * const model = DistilBertForSequenceClassification.random(tinyConfig(0.2), 1);
 * ```
 */
export function tinyConfig(initializerRange: number): DistilBertConfig {
  return {
    vocab_size: 30522,
    max_position_embeddings: 64,
    n_layers: 2,
    n_heads: 4,
    dim: 16,
    hidden_dim: 24,
    dropout: 0.1,
    attention_dropout: 0.1,
    activation: "gelu",
    initializer_range: initializerRange,
    seq_classif_dropout: 0.2,
    pad_token_id: 0,
  };
}
