// Check definitions: one per TODO id, shared by the in-notebook `check()` and the grader.
// A check runs where no student code has run: it draws fresh inputs, asks the student's side
// to run a probe (build the inputs, call the student's functions, read the results back as
// plain data), computes the truth itself from the same inputs and compares. It returns a
// score fraction with a message that says what was expected and what came back.
import type { Fixtures } from "./fixtures.ts";
import type { Arg, Plain, Probe, Reader, Recipe, StepOutcome } from "../shared/probe.ts";
import { COURSE_REFERENCES } from "../../course/reference.ts";

/** What a check returns: `fraction` of the points (0..1) and a message for the student. */
export interface CheckResult {
  fraction: number;
  message: string;
}

/**
 * The student's side of a check: runs probes in the student's realm (the grader's sandboxed
 * worker, or the kernel for `check()`).
 */
export interface Student {
  /** Runs a probe; one outcome per step. */
  probe(probe: Probe): Promise<StepOutcome[]>;
  /** Which of `names` the notebook does not define (as functions or values). */
  missing(names: string[]): Promise<string[]>;
  /** Whether the course's own implementation of the check's TODO was called by a probe. */
  readonly delegated: boolean;
}

/** What a check's `run` gets: the student's side and this run's fixtures. */
export interface CheckContext {
  student: Student;
  fx: Fixtures;
}

/** One check: the TODO it grades, the names it needs from the notebook, and the test. */
export interface CheckDefinition {
  id: string;
  points: number;
  title: string;
  /** Top-level names the TODO cell defines. */
  uses: string[];
  run(ctx: CheckContext): CheckResult | Promise<CheckResult>;
}

/**
 * Declares the checks of one notebook (or a hidden-check file); the default export of a
 * check module.
 *
 * @example
 * ```ts
 * export default defineChecks([{ id: "00.mean", points: 1, title: "Mean", uses: ["mean"],
 *   run: async ({ student }) => expectClose(value(await call(student, "mean", [[1, 3]]), "mean([1, 3])"), 2, "mean([1, 3])") }]);
 * ```
 */
export function defineChecks(checks: CheckDefinition[]): CheckDefinition[] {
  return checks;
}

/** Thrown inside a check to fail it with a message (e.g. the student's function threw). */
export class CheckFailure extends Error {}

/**
 * Calls one student function (the shortcut for a one-step probe).
 *
 * @example
 * ```ts
 * const out = await call(student, "accuracy", [[1, 0], [1, 1]]);
 * ```
 */
export async function call(
  student: Student,
  name: string,
  args: Arg[] = [],
  options: { objects?: Record<string, Recipe>; read?: Reader } = {},
): Promise<StepOutcome> {
  const [out] = await student.probe({
    objects: options.objects,
    steps: [{ call: name, args, read: options.read }],
  });
  return out;
}

/**
 * The value of a step, or a `CheckFailure` saying what went wrong (thrown, missing, a
 * Promise where none is expected).
 *
 * @example
 * ```ts
 * const n = value(await call(student, "countParameters", [{ ref: "m" }]), "countParameters(model)");
 * ```
 */
export function value(out: StepOutcome, what: string, options: { async?: boolean } = {}): Plain {
  if (out.missing) throw new CheckFailure(`${out.missing} is not defined`);
  if (out.threw !== undefined) {
    // A released stub's own message says it all.
    if (/^\d\d\.\w+ is not implemented yet$/.test(out.threw)) throw new CheckFailure(out.threw);
    throw new CheckFailure(`${what} threw: ${out.threw}`);
  }
  if (out.async && !options.async) {
    throw new CheckFailure(`${what} returned a Promise: remove async or await inside`);
  }
  return out.value ?? null;
}

/** A passed check. */
export function pass(message = "correct"): CheckResult {
  return { fraction: 1, message };
}

/** A failed check. */
export function fail(message: string): CheckResult {
  return { fraction: 0, message };
}

/** One part of a check's test: core unless marked `secondary`. */
export interface Part {
  ok: boolean;
  message: string;
  /** Relative points (default 1). */
  weight?: number;
  /**
   * A refinement of a passing core (input validation, an edge case, an extra field, a fixed
   * configuration such as DistilBERT-base): pays only when every core part passes.
   */
  secondary?: boolean;
}

/**
 * The course's scoring rule over weighted parts: when any core part fails the check scores 0
 * (whatever the secondary parts do); when every core part passes, the core parts' weight and
 * the passing secondary parts' weight count. The message lists the failed parts, core first.
 * A check with no core part is all-or-nothing on its parts.
 *
 * @example
 * ```ts
 * partial([{ ok: true, weight: 2, message: "values" }, { ok: false, secondary: true, message: "must throw" }]);
 * // { fraction: 2 / 3, message: "1/2 parts passed; must throw" }
 * partial([{ ok: false, message: "values differ" }, { ok: true, secondary: true, message: "throws" }]);
 * // { fraction: 0, message: "core part failed (the other parts pay only with it): values differ" }
 * ```
 */
export function partial(parts: Part[]): CheckResult {
  const weight = (p: Part) => p.weight ?? 1;
  const core = parts.filter((p) => !p.secondary);
  const gate = core.length > 0 ? core : parts;
  const total = parts.reduce((s, p) => s + weight(p), 0);
  const failedCore = gate.filter((p) => !p.ok).map((p) => p.message);
  if (failedCore.length > 0) {
    const rest = parts.filter((p) => !gate.includes(p) && !p.ok).map((p) => p.message);
    return {
      fraction: 0,
      message: `${
        failedCore.length > 1 ? "core parts" : "core part"
      } failed (the other parts pay only with ${failedCore.length > 1 ? "them" : "it"}): ${
        [...failedCore, ...rest].join("; ")
      }`,
    };
  }
  const got = parts.filter((p) => p.ok).reduce((s, p) => s + weight(p), 0);
  const failed = parts.filter((p) => !p.ok).map((p) => p.message);
  return {
    fraction: total ? got / total : 0,
    message: failed.length === 0
      ? "correct"
      : `${parts.length - failed.length}/${parts.length} parts passed; ${failed.join("; ")}`,
  };
}

/**
 * Numbers out of a plain value: a number, an array of numbers, a typed array or a tensor
 * read back by the probe. Undefined when it is none of these.
 *
 * @example
 * ```ts
 * numbers({ typed: "Float32Array", values: [1, 2] }); // [1, 2]
 * ```
 */
export function numbers(v: Plain | undefined): number[] | undefined {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) return v.every((x) => typeof x === "number") ? v as number[] : undefined;
  if (v && typeof v === "object") {
    const inner = v as { typed?: Plain; tensor?: { values?: Plain } };
    if (inner.typed !== undefined) return numbers((v as { values: Plain }).values);
    if (inner.tensor) return numbers(inner.tensor.values);
  }
  return undefined;
}

/**
 * Compares numbers (or arrays of numbers) within `tol`; the message names `what`.
 *
 * @example
 * ```ts
 * expectClose(got, 62450, "countParameters(tiny model)");
 * ```
 */
export function expectClose(
  actual: Plain | undefined,
  expected: number | number[],
  what: string,
  tol = 0,
): CheckResult {
  const want = Array.isArray(expected) ? expected : [expected];
  const got = numbers(actual);
  if (!got || got.length !== want.length) {
    return fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
  const bad = want.findIndex((w, i) => !(Math.abs(w - got[i]) <= tol));
  if (bad >= 0) {
    return fail(
      `${what}: expected ${show(expected)}, got ${show(actual)}` +
        (tol > 0 ? ` (tolerance ${tol})` : ""),
    );
  }
  return pass(`${what} = ${show(actual)}`);
}

/**
 * Deep equality of JSON-like values (object key order does not matter); the message names
 * `what`.
 *
 * @example
 * ```ts
 * expectEqual(plan, { "0": [1, 2] }, "pruning plan");
 * ```
 */
export function expectEqual(
  actual: Plain | undefined,
  expected: unknown,
  what: string,
): CheckResult {
  return sameValue(actual, expected)
    ? pass(`${what} = ${show(actual)}`)
    : fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

/** Deep equality of JSON-like values, ignoring object key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameValue(x, bb[i]));
  }
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  return ka.length === kb.length && ka.every((k, i) =>
    k === kb[i] &&
    sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

/** A short, readable rendering of a value for messages (one line). */
export function show(value: unknown): string {
  if (typeof value === "function") return `a function (${value.name || "anonymous"})`;
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = typeof value === "number"
      ? String(Number.isInteger(value) ? value : Number(value.toPrecision(6)))
      : JSON.stringify(value) ?? String(value);
  } catch {
    text = "(a value that cannot be shown)";
  }
  text = oneLine(text);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** Collapses whitespace and control characters so that a message is one line. */
export function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ");
}

/**
 * Runs one check: a missing name, an error thrown by the student's code or by the check, or
 * a call to the course's own implementation of the TODO becomes a failed result.
 *
 * @example
 * ```ts
 * const result = await runCheck(definition, { student, fx: fixtures(seed, definition.id) });
 * ```
 */
export async function runCheck(check: CheckDefinition, ctx: CheckContext): Promise<CheckResult> {
  let result: CheckResult;
  try {
    const missing = await ctx.student.missing(check.uses);
    if (missing.length > 0) {
      return fail(`${missing.join(", ")} not defined: run the cell of ${check.id} first`);
    }
    result = await check.run(ctx);
  } catch (e) {
    result = fail(errorText(e));
  }
  if (ctx.student.delegated) {
    const names = COURSE_REFERENCES[check.id]?.join(", ") ?? "the course's implementation";
    return fail(
      `calls the course's own implementation of ${check.id} (${names}): course rule, a TODO answered that way scores 0; write your own`,
    );
  }
  const fraction = Number.isFinite(result.fraction) ? Math.min(1, Math.max(0, result.fraction)) : 0;
  return { fraction, message: oneLine(String(result.message)) };
}

/** One line for an error: its message (the first line), or what was thrown. */
export function errorText(e: unknown): string {
  const text = e instanceof Error ? `${e.message}` : `threw ${show(e)}`;
  return oneLine(text.split("\n")[0]);
}
