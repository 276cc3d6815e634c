// Small statistics for comparing importance rankings: ranks with ties, Spearman correlation.
import { courseReference } from "../course/reference.ts";

/**
 * Ranks (1 = smallest), ties getting their average rank, as scipy.stats.rankdata.
 *
 * @example
 * ```ts
 * ranks([10, 30, 20, 20]); // [1, 4, 2.5, 2.5]
 * ```
 */
export const ranks = courseReference("03.spearman", function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
});

/**
 * Pearson correlation of two equally long lists.
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // 0.993…
 * ```
 */
export function pearson(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length < 2) {
    throw new Error(
      `pearson: need two lists of the same length ≥ 2 (got ${a.length} and ${b.length})`,
    );
  }
  const mean = (x: number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const [ma, mb] = [mean(a), mean(b)];
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

/**
 * Spearman rank correlation: Pearson correlation of the ranks (ties averaged).
 *
 * @example
 * ```ts
 * spearman([0.1, 0.5, 0.3], [1, 9, 4]); // 1
 * ```
 */
export const spearman = courseReference(
  "03.spearman",
  function spearman(a: number[], b: number[]): number {
    return pearson(ranks(a), ranks(b));
  },
);
