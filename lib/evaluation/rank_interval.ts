// A confidence interval for a rank correlation: how much two importance rankings agree, with the
// uncertainty of having scored a finite set of units (heads, neurons), by bootstrapping the units.
import { type Interval, percentileInterval, seededRandom } from "./interval.ts";
import type { BootstrapOptions } from "./paired_bootstrap.ts";
import { spearman } from "./stats.ts";

/**
 * Spearman's ρ of two scorings of the same units, with a percentile bootstrap interval: each
 * resample draws as many units as there are, with replacement, keeping each unit's two scores
 * together. Resamples in which one scoring is constant (ρ undefined) are left out.
 *
 * @example
 * ```ts
 * spearmanInterval([0.1, 0.5, 0.3, 0.9], [1, 9, 4, 12]); // { estimate: 1, low: 1, high: 1, … }
 * ```
 */
export function spearmanInterval(
  a: number[],
  b: number[],
  options: BootstrapOptions = {},
): Interval {
  if (a.length !== b.length || a.length < 3) {
    throw new Error(
      `spearmanInterval: need two scorings of the same ≥ 3 units (got ${a.length} and ${b.length})`,
    );
  }
  const n = a.length;
  const random = seededRandom(options.seed ?? 0);
  const stats: number[] = [];
  const [x, y] = [new Array<number>(n), new Array<number>(n)];
  for (let r = 0; r < (options.resamples ?? 2000); r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(random() * n);
      [x[i], y[i]] = [a[k], b[k]];
    }
    const rho = spearman(x, y);
    if (Number.isFinite(rho)) stats.push(rho);
  }
  return percentileInterval(spearman(a, b), stats, options.confidence ?? 0.95);
}
