// McNemar's exact test: do two models that answered the same sentences differ in accuracy?
// Only the sentences they disagree on count.

/** The outcome of McNemar's exact test. */
export interface McNemarResult {
  /** Sentences only the first model answered right. */
  onlyA: number;
  /** Sentences only the second model answered right. */
  onlyB: number;
  /** Two-sided exact p-value (binomial with p = 1/2 on the disagreements), at most 1. */
  pValue: number;
}

/**
 * McNemar's exact test for two models on the same sentences: under "equally accurate", each of
 * the `onlyA + onlyB` disagreements is a fair coin flip, so the two-sided p-value is
 * min(1, 2 · P(Binomial(onlyA + onlyB, 1/2) ≤ min(onlyA, onlyB))), as statsmodels'
 * `mcnemar(table, exact=True)`. `a[i]` / `b[i]` say whether each model answered sentence `i`
 * right.
 *
 * @example
 * ```ts
 * // 9 sentences only B gets right, 1 only A gets right:
 * const a = [true, ...Array(9).fill(false)];
 * const b = [false, ...Array(9).fill(true)];
 * mcnemarExact(a, b).pValue; // 0.021484375
 * ```
 */
export function mcnemarExact(
  a: ArrayLike<boolean | number>,
  b: ArrayLike<boolean | number>,
): McNemarResult {
  if (a.length !== b.length) {
    throw new Error(
      `mcnemarExact: the models answered ${a.length} and ${b.length} sentences; pair them on the same ones`,
    );
  }
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [Boolean(Number(a[i])), Boolean(Number(b[i]))];
    if (x && !y) onlyA++;
    if (y && !x) onlyB++;
  }
  const n = onlyA + onlyB;
  const k = Math.min(onlyA, onlyB);
  // P(X ≤ k) for X ~ Binomial(n, 1/2), summed in log space so that large n stays finite.
  let logTerm = -n * Math.LN2; // log C(n, 0) / 2^n
  let tail = 0;
  for (let j = 0; j <= k; j++) {
    tail += Math.exp(logTerm);
    logTerm += Math.log(n - j) - Math.log(j + 1);
  }
  return { onlyA, onlyB, pValue: Math.min(1, 2 * tail) };
}
