// Confidence intervals for comparing latencies measured over repeated runs: the ratio of two
// medians (a speedup) and their difference, by bootstrapping each set of runs.
import { quantile } from "./evaluation.ts";
import { type Interval, percentileInterval, seededRandom } from "./interval.ts";
import type { BootstrapOptions } from "./paired_bootstrap.ts";

/**
 * Speedup of `candidate` over `baseline`: median(baseline) / median(candidate), with a percentile
 * bootstrap interval (each resample redraws both sets of timed runs with replacement). An
 * interval above 1 says the candidate is faster; one that contains 1 says the runs cannot tell.
 *
 * @example
 * ```ts
 * const dense = [10.2, 9.8, 10.1, 10.4, 9.9];
 * const pruned = [5.1, 4.9, 5.2, 5.0, 5.3];
 * latencyRatioInterval(dense, pruned).estimate; // 10.1 / 5.1 ≈ 1.98
 * ```
 */
export function latencyRatioInterval(
  baseline: number[],
  candidate: number[],
  options: BootstrapOptions = {},
): Interval {
  return bootstrapMedians(baseline, candidate, (b, c) => b / c, options, "latencyRatioInterval");
}

/**
 * median(baseline) − median(candidate) in the runs' unit (milliseconds saved per call), with a
 * percentile bootstrap interval as `latencyRatioInterval`.
 *
 * @example
 * ```ts
 * latencyDifferenceInterval([10, 10, 10], [4, 4, 4]); // { estimate: 6, low: 6, high: 6, confidence: 0.95 }
 * ```
 */
export function latencyDifferenceInterval(
  baseline: number[],
  candidate: number[],
  options: BootstrapOptions = {},
): Interval {
  return bootstrapMedians(
    baseline,
    candidate,
    (b, c) => b - c,
    options,
    "latencyDifferenceInterval",
  );
}

function bootstrapMedians(
  baseline: number[],
  candidate: number[],
  statistic: (baselineMedian: number, candidateMedian: number) => number,
  options: BootstrapOptions,
  name: string,
): Interval {
  if (baseline.length === 0 || candidate.length === 0) {
    throw new Error(
      `${name}: need timed runs of both (got ${baseline.length} and ${candidate.length})`,
    );
  }
  const median = (x: ArrayLike<number>) => quantile(Array.from(x), 0.5);
  const estimate = statistic(median(baseline), median(candidate));
  const random = seededRandom(options.seed ?? 0);
  const redraw = (x: number[], into: Float64Array) => {
    for (let i = 0; i < x.length; i++) into[i] = x[Math.floor(random() * x.length)];
    return into;
  };
  const [bufB, bufC] = [new Float64Array(baseline.length), new Float64Array(candidate.length)];
  const stats = Array.from(
    { length: options.resamples ?? 10_000 },
    () => statistic(median(redraw(baseline, bufB)), median(redraw(candidate, bufC))),
  );
  return percentileInterval(estimate, stats, options.confidence ?? 0.95);
}
