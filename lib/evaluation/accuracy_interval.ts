// A confidence interval for one model's accuracy: the Wilson score interval of a proportion.
import type { Interval } from "./interval.ts";

/** z for a two-sided 95% interval of the normal distribution. */
export const Z95 = 1.959963984540054;

/**
 * The Wilson score interval of `correct` right answers out of `n`, as statsmodels'
 * `proportion_confint(correct, n, method="wilson")`; `z` sets the level (default 95%).
 * Unlike the plain ± z·√(p(1−p)/n), it stays inside [0, 1] and is not empty at 0 or n.
 *
 * @example
 * ```ts
 * const { low, high } = accuracyInterval(80, 100); // 0.7112…, 0.8666…
 * ```
 */
export function accuracyInterval(correct: number, n: number, z = Z95): Interval {
  if (!(n > 0) || !(correct >= 0 && correct <= n)) {
    throw new Error(`accuracyInterval: need 0 ≤ correct ≤ n and n > 0 (got ${correct} of ${n})`);
  }
  const p = correct / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Two-sided level of z under the normal distribution: 1 − 2·(1 − Φ(z)).
  const confidence = z === Z95 ? 0.95 : 1 - 2 * (1 - normalCdf(z));
  return {
    estimate: p,
    low: Math.max(0, centre - half),
    high: Math.min(1, centre + half),
    confidence,
  };
}

/** Φ(x), the standard normal distribution function (Abramowitz & Stegun 7.1.26 for erf). */
function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x) / Math.SQRT2);
  const poly = t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}
