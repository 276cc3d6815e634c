// Shared assertions for the tests: node:assert plus a numeric closeness check.
import assert from "node:assert/strict";

export { assert };

/**
 * Asserts that two numeric arrays have the same length and differ by at most `tol`.
 *
 * @example
 * ```ts
 * assertClose([1, 2], [1, 2.000001], 1e-5, "logits");
 * ```
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
): void {
  assert.strictEqual(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= worst)) [worst, at] = [d, i];
  }
  assert.ok(
    worst <= tol,
    `${what}: max |diff| ${worst} at ${at} (actual ${actual[at]}, expected ${
      expected[at]
    }) > ${tol}`,
  );
}
