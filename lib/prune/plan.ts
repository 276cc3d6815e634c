// Per-layer pruning plans from scores: in each layer, the given fraction of its units (heads or
// FFN neurons) with the lowest scores. Per-layer rates are what sensitivity budgets give.

/**
 * Per layer, the indices (positions in the scores) of the `Math.round(rate · n)` lowest
 * scores, sorted; `rates` is one rate for every layer or one per layer, each in [0, 1].
 *
 * @example
 * ```ts
 * lowestPerLayer([[0.3, 0.1, 0.2], [5, 4]], [1 / 3, 0.5]); // { "0": [1], "1": [1] }
 * ```
 */
export function lowestPerLayer(
  scores: number[][],
  rates: number | number[],
): Record<string, number[]> {
  const perLayer = typeof rates === "number" ? scores.map(() => rates) : rates;
  if (perLayer.length !== scores.length) {
    throw new Error(`lowestPerLayer: ${perLayer.length} rates for ${scores.length} layers`);
  }
  const plan: Record<string, number[]> = {};
  scores.forEach((row, layer) => {
    const rate = perLayer[layer];
    if (!(rate >= 0 && rate <= 1)) {
      throw new Error(`lowestPerLayer: rate ${rate} of layer ${layer} is not in [0, 1]`);
    }
    const count = Math.round(rate * row.length);
    if (count === 0) return;
    plan[String(layer)] = row.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .slice(0, count).map(([, i]) => i).sort((a, b) => a - b);
  });
  return plan;
}

/**
 * The pruning plan of a head mask `[layer][head]` (0 = prune): per layer, the pruned heads'
 * original indices — `present[layer]` lists them for a model already pruned
 * (`remainingHeads(config)`); without it positions are the indices.
 *
 * @example
 * ```ts
 * planFromMask([[1, 0, 1], [1, 1, 1]]); // { "0": [1] }
 * planFromMask([[1, 0]], [[0, 2]]); // { "0": [2] }
 * ```
 */
export function planFromMask(mask: number[][], present?: number[][]): Record<string, number[]> {
  const plan: Record<string, number[]> = {};
  mask.forEach((row, layer) => {
    if (present && present[layer]?.length !== row.length) {
      throw new Error(
        `planFromMask: layer ${layer} has ${row.length} mask entries but ${
          present[layer]?.length ?? 0
        } heads present`,
      );
    }
    const pruned = row.flatMap((m, pos) => (m === 0 ? [present ? present[layer][pos] : pos] : []));
    if (pruned.length > 0) plan[String(layer)] = pruned;
  });
  return plan;
}
