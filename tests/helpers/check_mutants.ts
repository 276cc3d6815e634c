// Mutants of a TODO's answer, generated from the solution and run through that TODO's check:
// students that answer without looking at their inputs. The solution is recorded on one run
// (seed S0); each mutant then faces a run with another seed:
// - "constant": every call returns what the solution returned for the same call of run S0
//   (a value memorised from one run; a function that changes its inputs changes nothing);
// - "one value": every call of a function returns the solution's first answer of run S0;
// - "printed example": every call of a function returns the solution's answer on the
//   notebook's example (when one is given);
// - "memorised": a call whose inputs are the same in every run (a fixed config, the printed
//   example) gets the right answer, every other call run S0's value;
// - "ignores <f> argument <i>": f always sees its first run-S0 call's argument i (plain data
//   copied, objects rebuilt from run S0's recipes) instead of the one given.
// The course's mutant test asserts that each scores 0.
import {
  type CheckDefinition,
  type CheckResult,
  runCheck,
  type Student,
} from "lib/grader/api/check.ts";
import { fixtures } from "lib/grader/api/fixtures.ts";
import type { Arg, Probe, Step, StepOutcome } from "lib/grader/shared/probe.ts";
import type { Recipe } from "lib/grader/shared/recipe_book.ts";

/** What a student was asked and answered in one run: probes in order, outcomes per step. */
export interface Recording {
  probes: Probe[];
  outcomes: StepOutcome[][];
}

/**
 * A mutant: its name and the student it is, made from the solution's student. `changed`
 * (after a run) says whether the mutant answered anything differently from the solution's
 * inputs; an argument that is the same in every run cannot be ignored observably.
 */
export interface Mutant {
  name: string;
  student(solution: Student): Student & { changed(): boolean };
}

/**
 * A student that records every probe and its outcomes on the way through.
 *
 * @example
 * ```ts
 * const recording: Recording = { probes: [], outcomes: [] };
 * await runCheck(check, { student: recorded(solution, recording), fx: fixtures(1, check.id) });
 * ```
 */
export function recorded(base: Student, recording: Recording): Student {
  return {
    get delegated() {
      return base.delegated;
    },
    missing: (names) => base.missing(names),
    async probe(probe) {
      const outcomes = await base.probe(probe);
      recording.probes.push(structuredClone(probe));
      recording.outcomes.push(structuredClone(outcomes));
      return outcomes;
    },
  };
}

/**
 * Runs `check` on the solution's student under `seed` and records what it asked.
 *
 * @example
 * ```ts
 * const { result, recording } = await recordSolution(check, solution, 1234);
 * ```
 */
export async function recordSolution(
  check: CheckDefinition,
  solution: Student,
  seed: number,
): Promise<{ result: CheckResult; recording: Recording }> {
  const recording: Recording = { probes: [], outcomes: [] };
  const result = await runCheck(check, {
    student: recorded(solution, recording),
    fx: fixtures(seed, check.id),
  });
  return { result, recording };
}

const isCall = (s: Step): s is Extract<Step, { call: string }> => "call" in s;
const isRef = (a: Arg): a is { ref: string; field?: string } =>
  a !== null && typeof a === "object" && !Array.isArray(a) &&
  typeof (a as { ref?: unknown }).ref === "string";

/**
 * A student that runs only some call steps of each probe (`keep(probe index, step index)`)
 * and answers the others with `answer(...)`; read steps always run, on objects the skipped
 * calls never touched.
 */
function partly(
  base: Student,
  keep: (probe: Probe, p: number, s: number) => boolean,
  answer: (p: number, s: number, step: Step) => StepOutcome,
): Student & { changed(): boolean } {
  let count = 0;
  return {
    changed: () => true,
    get delegated() {
      return base.delegated;
    },
    missing: (names) => base.missing(names),
    async probe(probe) {
      const p = count++;
      const run = probe.steps.map((s, i) => !isCall(s) || keep(probe, p, i));
      const outcomes = await base.probe({
        objects: probe.objects,
        steps: probe.steps.filter((_, i) => run[i]),
      });
      let k = 0;
      return probe.steps.map((step, i) => (run[i] ? outcomes[k++] : answer(p, i, step)));
    },
  };
}

/** S0's outcome of the same step (the last probe's when this run asks more). */
function memorisedOutcome(s0: Recording, p: number, s: number): StepOutcome {
  const outcomes = s0.outcomes[Math.min(p, s0.outcomes.length - 1)] ?? [];
  return structuredClone(outcomes[Math.min(s, outcomes.length - 1)] ?? { value: null });
}

/** The inputs of a call as data: its arguments with each reference replaced by its recipe. */
function callInputs(probe: Probe, step: Step): string {
  if (!isCall(step)) return "";
  const expand = (a: Arg): unknown =>
    isRef(a) ? { recipe: recipeTree(probe, a.ref), field: a.field ?? null } : a;
  return JSON.stringify([step.call, (step.args ?? []).map(expand)]);
}

/** One argument as data (a reference as its recipe). */
function argInput(probe: Probe, a: Arg): string {
  return JSON.stringify(
    isRef(a) ? { recipe: recipeTree(probe, a.ref), field: a.field ?? null } : a,
  );
}

/** A recipe with the recipes it is built from (`of`). */
function recipeTree(probe: Probe, name: string): unknown {
  const r = probe.objects?.[name] as (Recipe & { of?: string }) | undefined;
  if (!r) return { built: name };
  return r.of ? { ...r, of: recipeTree(probe, r.of) } : r;
}

/**
 * The mutants of one check, from run S0's recording (and the solution's answers on the
 * notebook's printed example, when given).
 *
 * @example
 * ```ts
 * for (const m of mutantsOf(recording)) await runCheck(check, { student: m.student(solution), fx });
 * ```
 */
export function mutantsOf(s0: Recording, example?: Recording): Mutant[] {
  const firstAnswer = firstAnswers(s0);
  const exampleAnswer = example ? firstAnswers(example) : undefined;
  const fixed = new Set(
    s0.probes.flatMap((probe) => probe.steps.map((step) => callInputs(probe, step))),
  );
  const mutants: Mutant[] = [
    {
      name: "constant (run S0's values)",
      student: (solution) => partly(solution, () => false, (p, s) => memorisedOutcome(s0, p, s)),
    },
    {
      name: "one value (each function's first answer of run S0, for every call)",
      student: (solution) =>
        partly(
          solution,
          () => false,
          (_p, _s, step) =>
            structuredClone(firstAnswer.get(isCall(step) ? step.call : "") ?? { value: null }),
        ),
    },
    ...(exampleAnswer
      ? [{
        name: "printed example (each function's answer on the notebook's example, for every call)",
        student: (solution: Student) =>
          partly(
            solution,
            () => false,
            (_p, _s, step) =>
              structuredClone(exampleAnswer.get(isCall(step) ? step.call : "") ?? { value: null }),
          ),
      }]
      : []),
    {
      name: "memorised (right on inputs that never change, run S0's values elsewhere)",
      student: (solution) =>
        partly(
          solution,
          (probe, _p, s) => fixed.has(callInputs(probe, probe.steps[s])),
          (p, s) => memorisedOutcome(s0, p, s),
        ),
    },
  ];
  // One mutant per (function, argument) the check passes: the argument of the first call
  // that has it.
  const first = new Map<string, { name: string; i: number; probe: Probe; arg: Arg }>();
  for (const probe of s0.probes) {
    for (const step of probe.steps) {
      if (!isCall(step)) continue;
      (step.args ?? []).forEach((arg, i) => {
        const key = `${step.call}#${i}`;
        if (!first.has(key)) first.set(key, { name: step.call, i, probe, arg });
      });
    }
  }
  for (const { name, i, probe, arg } of first.values()) {
    mutants.push({
      name: `ignores ${name} argument ${i}`,
      student: (solution) => ignoring(solution, name, i, probe, arg),
    });
  }
  return mutants;
}

/** Each function's first outcome in a recording. */
function firstAnswers(recording: Recording): Map<string, StepOutcome> {
  const answers = new Map<string, StepOutcome>();
  recording.probes.forEach((probe, p) =>
    probe.steps.forEach((step, i) => {
      if (isCall(step) && !answers.has(step.call)) answers.set(step.call, recording.outcomes[p][i]);
    })
  );
  return answers;
}

/** `name` always gets `fixedArg` (from run S0's probe `p0`) as argument `i`. */
function ignoring(
  base: Student,
  name: string,
  i: number,
  p0: Probe,
  fixedArg: Arg,
): Student & { changed(): boolean } {
  let changed = false;
  const fixedInput = argInput(p0, fixedArg);
  return {
    changed: () => changed,
    get delegated() {
      return base.delegated;
    },
    missing: (names) => base.missing(names),
    probe(probe) {
      const objects: Record<string, Recipe> = { ...(probe.objects ?? {}) };
      let replacement: Arg = structuredClone(fixedArg);
      if (isRef(fixedArg)) {
        // Rebuild run S0's object (and what it is built from) under names of its own.
        const copy = (n: string): string => {
          const r = p0.objects?.[n] as (Recipe & { of?: string }) | undefined;
          if (!r) return n;
          const renamed = `__s0_${n}`;
          if (!objects[renamed]) {
            objects[renamed] = (r.of ? { ...r, of: copy(r.of) } : { ...r }) as Recipe;
          }
          return renamed;
        };
        replacement = { ...fixedArg, ref: copy(fixedArg.ref) };
      }
      const steps = probe.steps.map((s) => {
        if (!isCall(s) || s.call !== name) return s;
        const args = [...(s.args ?? [])];
        if (i < args.length) {
          if (argInput(probe, args[i]) !== fixedInput) changed = true;
          args[i] = replacement;
        }
        return { ...s, args };
      });
      return base.probe({ objects, steps });
    },
  };
}
