// Confidence intervals: the shape every interval of the library has, whether it excludes zero
// (or another value), percentile intervals from resampled statistics, and the seeded random
// source the resampling uses.
import seedrandom from "seedrandom";
import { quantile } from "./evaluation.ts";

/** A point estimate with the low and high ends of its confidence interval. */
export interface Interval {
  /** The statistic on the data as observed. */
  estimate: number;
  /** Low end of the interval. */
  low: number;
  /** High end of the interval. */
  high: number;
  /** The confidence level (0.95 for a 95% interval). */
  confidence: number;
}

/**
 * Whether an interval lies entirely on one side of `value` (0 by default): the comparison
 * it describes is then a real difference at its confidence level.
 *
 * @example
 * ```ts
 * excludes({ estimate: 0.02, low: 0.004, high: 0.036, confidence: 0.95 }); // true
 * excludes({ estimate: 1.1, low: 0.97, high: 1.2, confidence: 0.95 }, 1); // false
 * ```
 */
export function excludes(interval: Interval, value = 0): boolean {
  return interval.low > value || interval.high < value;
}

/**
 * The percentile interval of resampled statistics: the (1 − confidence)/2 and
 * (1 + confidence)/2 quantiles (numpy's linear interpolation), around `estimate`.
 *
 * @example
 * ```ts
 * percentileInterval(0.5, [0, 0.25, 0.5, 0.75, 1], 0.5); // { estimate: 0.5, low: 0.25, high: 0.75, confidence: 0.5 }
 * ```
 */
export function percentileInterval(
  estimate: number,
  resampled: number[],
  confidence = 0.95,
): Interval {
  if (!(confidence > 0 && confidence < 1)) {
    throw new Error(`percentileInterval: confidence ${confidence} must be in (0, 1)`);
  }
  if (resampled.length === 0) throw new Error("percentileInterval: no resampled statistics");
  return {
    estimate,
    low: quantile(resampled, (1 - confidence) / 2),
    high: quantile(resampled, (1 + confidence) / 2),
    confidence,
  };
}

/**
 * A seeded generator of uniform numbers in [0, 1): the same seed gives the same sequence on
 * every machine.
 *
 * @example
 * ```ts
 * const random = seededRandom(0);
 * random() === seededRandom(0)(); // true
 * ```
 */
export function seededRandom(seed: number | string): () => number {
  // Alea: several times faster than seedrandom's default ARC4, which bootstraps draw millions of.
  return seedrandom.alea(`pruning-lab|${seed}`);
}
