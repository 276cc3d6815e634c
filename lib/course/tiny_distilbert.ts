// The small random DistilBERTs the course's checks compare student code on: sizes, pruned
// heads and weights drawn from the run's fixtures, built at check time on both sides.
import type { DistilBertConfig } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { Fixtures } from "../grader/api/fixtures.ts";
import { withObjects } from "../grader/shared/probe.ts";
import { type Recipe } from "./recipes.ts";
import { initTf } from "../engine/tf.ts";

/**
 * A random small config (2-4 layers, 2-4 heads of size 2-4, FFN 6-24, vocabulary 20-50).
 *
 * @example
 * ```ts
 * const config = randomConfig(fx, { max_position_embeddings: 8 });
 * ```
 */
export function randomConfig(
  fx: Fixtures,
  overrides: Partial<DistilBertConfig> = {},
): Partial<DistilBertConfig> {
  const n_heads = fx.int(2, 4);
  return {
    vocab_size: fx.int(20, 50),
    max_position_embeddings: 16,
    n_layers: fx.int(2, 4),
    n_heads,
    dim: n_heads * fx.int(2, 4),
    hidden_dim: fx.int(6, 24),
    ...overrides,
  };
}

/**
 * Random pruned heads for `config`: a few layers lose 1..n_heads-1 heads (original indices).
 *
 * @example
 * ```ts
 * randomPrunedHeads(fx, config); // { "0": [1], "2": [0, 3] }
 * ```
 */
export function randomPrunedHeads(
  fx: Fixtures,
  config: Partial<DistilBertConfig>,
): Record<string, number[]> {
  const plan: Record<string, number[]> = {};
  const layers = fx.sample(config.n_layers!, fx.int(1, config.n_layers!));
  for (const layer of layers) {
    plan[String(layer)] = fx.sample(config.n_heads!, fx.int(1, config.n_heads! - 1));
  }
  return plan;
}

/**
 * A `distilbert` recipe with a random seed.
 *
 * @example
 * ```ts
 * const m = distilbertRecipe(fx, randomConfig(fx));
 * ```
 */
export function distilbertRecipe(
  fx: Fixtures,
  config: Partial<DistilBertConfig>,
  extra: { scale?: number; frozen?: string[] } = {},
): Recipe {
  return { recipe: "distilbert", config, seed: fx.int(1, 100_000), ...extra };
}

/**
 * Builds the model of a recipe on the grader's side, runs `body` on it and frees it.
 *
 * @example
 * ```ts
 * const want = await onModel(recipe, (m) => m.numParameters());
 * ```
 */
export async function onModel<T>(
  recipe: Recipe,
  body: (model: DistilBertForSequenceClassification) => T | Promise<T>,
): Promise<T> {
  await initTf();
  return withObjects(
    { m: recipe },
    (o) => body(o.get("m") as DistilBertForSequenceClassification),
  );
}
