// Comparing two models on the same sentences: which sentences each got right, the difference of
// their accuracies with its paired bootstrap interval and McNemar's exact test, and how to write
// an interval in accuracy points.
import type { Interval } from "./interval.ts";
import { excludes } from "./interval.ts";
import { type BootstrapOptions, pairedBootstrapDifference } from "./paired_bootstrap.ts";
import { mcnemarExact, type McNemarResult } from "./mcnemar.ts";

/** Two models compared on the same sentences. */
export interface AccuracyComparison {
  /** Accuracy of the first model. */
  a: number;
  /** Accuracy of the second model. */
  b: number;
  /** Accuracy of `a` minus accuracy of `b` (fractions), with its paired bootstrap interval. */
  difference: Interval;
  /** McNemar's exact test on the sentences the two disagree on. */
  mcnemar: McNemarResult;
}

/**
 * Which sentences a model answered right: the class of largest probability equals the label.
 *
 * @example
 * ```ts
 * correctAnswers([[0.2, 0.8], [0.9, 0.1]], [1, 1]); // [true, false]
 * ```
 */
export function correctAnswers(probabilities: number[][], labels: number[]): boolean[] {
  if (probabilities.length !== labels.length) {
    throw new Error(
      `correctAnswers: ${probabilities.length} predictions for ${labels.length} labels`,
    );
  }
  return probabilities.map((p, i) => p.indexOf(Math.max(...p)) === labels[i]);
}

/**
 * Compares two models that answered the same sentences (`a[i]`, `b[i]`: right or not): both
 * accuracies, the paired bootstrap interval of their difference (a − b) and McNemar's test.
 *
 * @example
 * ```ts
 * const c = compareAccuracies([true, true, false], [true, false, false]);
 * c.difference.estimate; // 1/3
 * ```
 */
export function compareAccuracies(
  a: boolean[],
  b: boolean[],
  options: BootstrapOptions = {},
): AccuracyComparison {
  const mean = (x: boolean[]) => x.filter(Boolean).length / x.length;
  return {
    a: mean(a),
    b: mean(b),
    difference: pairedBootstrapDifference(a, b, options),
    mcnemar: mcnemarExact(a, b),
  };
}

/**
 * An interval of an accuracy difference in points, signed: `"+1.38 points (95% CI +0.23 to
 * +2.52)"`.
 *
 * @example
 * ```ts
 * inPoints({ estimate: -0.0138, low: -0.029, high: 0.001, confidence: 0.95 });
 * // "−1.38 points (95% CI −2.90 to +0.10)"
 * ```
 */
export function inPoints(interval: Interval, digits = 2): string {
  const signed = (x: number) => {
    const v = (100 * x).toFixed(digits);
    return Number(v) > 0 ? `+${v}` : Number(v) < 0 ? `−${v.slice(1)}` : (0).toFixed(digits);
  };
  return `${signed(interval.estimate)} points (${Math.round(100 * interval.confidence)}% CI ${
    signed(interval.low)
  } to ${signed(interval.high)})`;
}

/**
 * An interval's ends in points, rounded to `digits` decimals: `[low, high]`, for JSON summaries.
 *
 * @example
 * ```ts
 * pointsRange({ estimate: 0.02, low: 0.0041, high: 0.0362, confidence: 0.95 }); // [0.41, 3.62]
 * ```
 */
export function pointsRange(interval: Interval, digits = 2): [number, number] {
  const round = (x: number) => Number((100 * x).toFixed(digits));
  return [round(interval.low), round(interval.high)];
}

/**
 * A word for a difference, only when its interval excludes zero: `ifAbove` when the whole
 * interval is above 0, `ifBelow` when below, `otherwise` when it contains 0.
 *
 * @example
 * ```ts
 * const d = { estimate: 0.02, low: 0.004, high: 0.036, confidence: 0.95 };
 * verdict(d, "recovers", "loses", "cannot be told from no change"); // "recovers"
 * ```
 */
export function verdict(
  interval: Interval,
  ifAbove: string,
  ifBelow: string,
  otherwise: string,
  against = 0,
): string {
  if (!excludes(interval, against)) return otherwise;
  return interval.low > against ? ifAbove : ifBelow;
}
