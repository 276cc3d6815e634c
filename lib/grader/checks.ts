// Check definitions: one per TODO id, shared by the in-notebook `check()` and the grader.
// A check gets the names the TODO defines and returns a score fraction with a message that
// says what was expected and what came back.

/** What a check returns: `fraction` of the points (0..1) and a message for the student. */
export interface CheckResult {
  fraction: number;
  message: string;
}

/** One check: the TODO it grades, the names it needs from the notebook, and the test. */
export interface CheckDefinition {
  id: string;
  points: number;
  title: string;
  /** Top-level names the TODO cell defines (looked up in the kernel or the module). */
  uses: string[];
  run(defined: Record<string, unknown>): CheckResult | Promise<CheckResult>;
}

/**
 * Declares the checks of one notebook (or a hidden-check file); the default export of a
 * check module.
 *
 * @example
 * ```ts
 * export default defineChecks([{ id: "00.mean", points: 1, title: "Mean", uses: ["mean"],
 *   run: ({ mean }) => expectEqual((mean as (x: number[]) => number)([1, 3]), 2, "mean([1, 3])") }]);
 * ```
 */
export function defineChecks(checks: CheckDefinition[]): CheckDefinition[] {
  return checks;
}

/** A passed check. */
export function pass(message = "correct"): CheckResult {
  return { fraction: 1, message };
}

/** A failed check. */
export function fail(message: string): CheckResult {
  return { fraction: 0, message };
}

/**
 * Partial credit from weighted parts: passed parts add their weight; the message lists
 * the failed ones.
 *
 * @example
 * ```ts
 * partial([{ ok: true, weight: 1, message: "shape" }, { ok: false, weight: 1, message: "values differ" }]);
 * // { fraction: 0.5, message: "1/2 parts passed; values differ" }
 * ```
 */
export function partial(parts: { ok: boolean; weight?: number; message: string }[]): CheckResult {
  const total = parts.reduce((s, p) => s + (p.weight ?? 1), 0);
  const got = parts.filter((p) => p.ok).reduce((s, p) => s + (p.weight ?? 1), 0);
  const failed = parts.filter((p) => !p.ok).map((p) => p.message);
  return {
    fraction: total ? got / total : 0,
    message: failed.length === 0
      ? "correct"
      : `${parts.filter((p) => p.ok).length}/${parts.length} parts passed; ${failed.join("; ")}`,
  };
}

/**
 * Compares numbers (or arrays of numbers) within `tol`; the message names `what`.
 *
 * @example
 * ```ts
 * expectClose(countParameters(model), 62450, "countParameters(tiny model)");
 * ```
 */
export function expectClose(
  actual: unknown,
  expected: number | number[],
  what: string,
  tol = 0,
): CheckResult {
  if (actual instanceof Promise) {
    return fail(`${what} returned a Promise: remove async or await inside`);
  }
  const want = Array.isArray(expected) ? expected : [expected];
  const got = typeof actual === "number" ? [actual] : Array.isArray(actual) ? actual : undefined;
  if (!got || got.length !== want.length || got.some((x) => typeof x !== "number")) {
    return fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
  const bad = want.findIndex((w, i) => !(Math.abs(w - (got[i] as number)) <= tol));
  if (bad >= 0) {
    return fail(
      `${what}: expected ${show(expected)}, got ${show(actual)}` +
        (tol > 0 ? ` (tolerance ${tol})` : ""),
    );
  }
  return pass(`${what} = ${show(actual)}`);
}

/**
 * Deep equality of JSON-like values; the message names `what`.
 *
 * @example
 * ```ts
 * expectEqual(plan, { "0": [1, 2] }, "pruning plan");
 * ```
 */
export function expectEqual(actual: unknown, expected: unknown, what: string): CheckResult {
  if (actual instanceof Promise) {
    return fail(`${what} returned a Promise: remove async or await inside`);
  }
  return JSON.stringify(actual) === JSON.stringify(expected)
    ? pass(`${what} = ${show(actual)}`)
    : fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** A short, readable rendering of a value for messages. */
export function show(value: unknown): string {
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (value === undefined) return "undefined";
  const text = typeof value === "number"
    ? String(Number.isInteger(value) ? value : Number(value.toPrecision(6)))
    : JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/**
 * Runs one check on the names a notebook defined: a missing name, an error thrown by the
 * student's code or by the check becomes a failed result with that message.
 *
 * @example
 * ```ts
 * const result = await runCheck(definition, { mean: (xs: number[]) => 2 });
 * ```
 */
export async function runCheck(
  check: CheckDefinition,
  defined: Record<string, unknown>,
): Promise<CheckResult> {
  const missing = check.uses.filter((name) => defined[name] === undefined);
  if (missing.length > 0) {
    return fail(`${missing.join(", ")} not defined: run the cell of ${check.id} first`);
  }
  try {
    const result = await check.run(defined);
    return { fraction: Math.min(1, Math.max(0, result.fraction)), message: result.message };
  } catch (e) {
    return fail(errorText(e));
  }
}

/** One line for an error: its message (the first line), or what was thrown. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? `${e.message}` : `threw ${show(e)}`;
  return text.split("\n")[0];
}
