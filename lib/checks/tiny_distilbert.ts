// The small random DistilBERT the course's checks compare student code on (3 layers x 4
// heads, dim 16), built at check time so that nothing is precomputed.
import { initTf } from "../tf.ts";
import { type DistilBertConfig, parseConfig } from "../model/config.ts";
import { DistilBertForSequenceClassification } from "../model/distilbert.ts";

/**
 * A tiny random DistilBERT classifier; `overrides` change the config (e.g. pruned heads).
 *
 * @example
 * ```ts
 * const model = await tinyDistilBert({ hidden_dim: 20 }, 9);
 * model.config.n_heads; // 4
 * ```
 */
export async function tinyDistilBert(
  overrides: Partial<DistilBertConfig> = {},
  seed = 3,
): Promise<DistilBertForSequenceClassification> {
  await initTf();
  const config = parseConfig({
    vocab_size: 40,
    max_position_embeddings: 12,
    n_layers: 3,
    n_heads: 4,
    dim: 16,
    hidden_dim: 24,
    ...overrides,
  });
  return DistilBertForSequenceClassification.random(config, seed);
}
