// Length-bucketed batching: batches of examples of similar length, so that dynamic padding
// wastes little compute, in a shuffled but seeded order.

/**
 * Splits example indices into batches of similar length. Indices are shuffled, cut into
 * pools of `poolBatches` batches, sorted by length inside each pool, batched, and the
 * batch order is shuffled again. `random` is a seeded generator in [0, 1).
 *
 * @example
 * ```ts
 * const batches = lengthBucketedBatches([3, 9, 4, 8], 2, () => 0.5); // [[0, 2], [3, 1]] or similar
 * ```
 */
export function lengthBucketedBatches(
  lengths: number[],
  batchSize: number,
  random: () => number,
  poolBatches = 50,
): number[][] {
  const order = shuffle(lengths.map((_, i) => i), random);
  const batches: number[][] = [];
  const pool = batchSize * poolBatches;
  for (let start = 0; start < order.length; start += pool) {
    const chunk = order.slice(start, start + pool).sort((a, b) => lengths[a] - lengths[b]);
    for (let i = 0; i < chunk.length; i += batchSize) batches.push(chunk.slice(i, i + batchSize));
  }
  return shuffle(batches, random);
}

/**
 * Fisher-Yates shuffle in place with a given generator; returns the array.
 *
 * @example
 * ```ts
 * shuffle([1, 2, 3], Math.random);
 * ```
 */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
