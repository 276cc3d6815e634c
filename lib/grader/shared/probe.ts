// What the student's side of a check does, as data: a probe names the inputs to build (from
// the recipe book), the student's functions to call on them, and what to read back. The
// grader's worker runs probes in the student's realm and returns only plain data; the check
// compares it, outside that realm, with a truth computed from the same recipes. In-notebook
// `check()` runs the same probes in the kernel.
import { captured, type Plain, thrownText, wm } from "./plain.ts";
import { buildObjects, disposeObject, readWith, type Recipe } from "./recipe_book.ts";
import "./builtin_recipes.ts";

export type { Plain } from "./plain.ts";
export type { Recipe } from "./recipe_book.ts";

/** An argument: plain data, or a reference to a built object (optionally one of its fields). */
export type Arg = Plain | { ref: string; field?: string };

/**
 * How to read a value back: "json" (plain data), "log" (a recorder's calls), or a reader a
 * course registered (e.g. a model's state).
 */
export type Reader = string;

/** One step: call a student function (or a function built earlier) or read a built object. */
export type Step =
  | { call: string; args?: Arg[]; as?: string; read?: Reader }
  | { read: string; with: Reader };

/** A probe: objects to build, in order, then the steps. */
export interface Probe {
  objects?: Record<string, Recipe>;
  steps: Step[];
}

/** What one step gave: a value, or what was thrown; `async` when a promise was awaited. */
export interface StepOutcome {
  value?: Plain;
  threw?: string;
  async?: boolean;
  missing?: string;
}

/**
 * Runs a probe against the names a notebook defined and returns one outcome per step.
 *
 * @example
 * ```ts
 * const [out] = await runProbe({ sum }, { objects: { x: { recipe: "tensor", values: [1, 2] } }, steps: [{ call: "sum", args: [{ ref: "x" }] }] });
 * ```
 */
export async function runProbe(
  defined: Record<string, unknown>,
  probe: Probe,
): Promise<StepOutcome[]> {
  const objects = await buildObjects(probe.objects);
  const outcomes: StepOutcome[] = [];
  try {
    for (let i = 0; i < probe.steps.length; i++) {
      outcomes[i] = await runStep(defined, objects, probe.steps[i]);
    }
  } finally {
    for (const o of objects.values()) disposeObject(o);
  }
  return outcomes;
}

async function runStep(
  defined: Record<string, unknown>,
  objects: Map<string, unknown>,
  step: Step,
): Promise<StepOutcome> {
  if ("with" in step) return { value: readWith(wm.mget(objects, step.read), step.with) };
  const f = wm.mhas(objects, step.call) ? wm.mget(objects, step.call) : defined[step.call];
  if (typeof f !== "function") return { missing: step.call };
  const args = (step.args ?? []).map((a) => resolveArg(a, objects));
  let result: unknown;
  let isAsync = false;
  try {
    result = captured.apply(f, undefined, args);
    if (
      result instanceof captured.PromiseCtor ||
      (result !== null && typeof result === "object" &&
        typeof (result as { then?: unknown }).then === "function")
    ) {
      isAsync = true;
      result = await captured.promiseResolve(result);
    }
  } catch (e) {
    return { threw: thrownText(e), async: isAsync };
  }
  if (step.as) wm.mset(objects, step.as, result);
  try {
    return { value: readWith(result, step.read ?? "json"), async: isAsync };
  } catch (e) {
    return { threw: `its result cannot be read: ${thrownText(e)}`, async: isAsync };
  }
}

function resolveArg(a: Arg, objects: Map<string, unknown>): unknown {
  if (
    a !== null && typeof a === "object" && !captured.isArray(a) &&
    typeof (a as { ref?: unknown }).ref === "string"
  ) {
    const { ref, field } = a as { ref: string; field?: string };
    const o = wm.mget(objects, ref) as Record<string, unknown>;
    return field ? o[field] : o;
  }
  // A fresh copy, so that a student's function cannot change the probe's own data.
  return captured.clone(a);
}

/**
 * Builds `recipes` on the grader's side (the truth of a check), runs `body` on them and frees
 * them.
 *
 * @example
 * ```ts
 * const want = await withObjects({ x: { recipe: "tensor", values: [1, 2] } }, (o) => (o.get("x") as tf.Tensor).size);
 * ```
 */
export async function withObjects<T>(
  recipes: Record<string, Recipe>,
  body: (objects: Map<string, unknown>) => T | Promise<T>,
): Promise<T> {
  const objects = await buildObjects(recipes);
  try {
    return await body(objects);
  } finally {
    for (const o of objects.values()) disposeObject(o);
  }
}
