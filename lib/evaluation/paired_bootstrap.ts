// The paired bootstrap: a confidence interval for the difference of two models' accuracies on
// the same sentences, resampling sentences (both models' answers on a sentence stay together).
import { type Interval, percentileInterval, seededRandom } from "./interval.ts";

/** Options of `pairedBootstrapDifference`. */
export interface BootstrapOptions {
  /** Resamples drawn (default 10,000). */
  resamples?: number;
  /** Seed of the resampling (default 0): the same seed gives the same interval. */
  seed?: number | string;
  /** Confidence level (default 0.95). */
  confidence?: number;
}

/**
 * Accuracy of `a` minus accuracy of `b` on the same sentences, with its percentile bootstrap
 * interval: each resample draws as many sentences as there are, with replacement, and takes the
 * difference of the two models' accuracies on the drawn sentences. `a[i]` / `b[i]` say whether
 * each model answered sentence `i` right (booleans or 0/1). Differences are fractions (0.01 is
 * one accuracy point).
 *
 * @example
 * ```ts
 * const pruned = [true, true, false, true];
 * const dense = [true, true, true, true];
 * pairedBootstrapDifference(pruned, dense, { seed: 1 }).estimate; // -0.25
 * ```
 */
export function pairedBootstrapDifference(
  a: ArrayLike<boolean | number>,
  b: ArrayLike<boolean | number>,
  options: BootstrapOptions = {},
): Interval {
  if (a.length !== b.length) {
    throw new Error(
      `pairedBootstrapDifference: the models answered ${a.length} and ${b.length} sentences; pair them on the same ones`,
    );
  }
  const n = a.length;
  if (n === 0) throw new Error("pairedBootstrapDifference: no sentences");
  // Per sentence, the difference of the two answers: -1, 0 or 1.
  const d = Int8Array.from({ length: n }, (_, i) => Number(a[i]) - Number(b[i]));
  const estimate = d.reduce((s, v) => s + v, 0) / n;
  const resamples = options.resamples ?? 10_000;
  const random = seededRandom(options.seed ?? 0);
  const stats = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[Math.floor(random() * n)];
    stats[r] = sum / n;
  }
  return percentileInterval(estimate, stats, options.confidence ?? 0.95);
}
