// The student's side of a check inside one realm (the notebook's kernel for `check()`, or a
// test): probes run directly on the given names, and calls to the course's own
// implementation of the TODO are counted around each probe.
import type { Student } from "./check.ts";
import { type Probe, runProbe, type StepOutcome } from "../shared/probe.ts";
import { referenceCalls } from "../../course/reference.ts";

/**
 * A `Student` over names defined in this realm.
 *
 * @example
 * ```ts
 * const student = localStudent({ mean: (xs: number[]) => 2 }, "00.mean");
 * await runCheck(definition, { student, fx: fixtures(freshSeed(), "00.mean") });
 * ```
 */
export function localStudent(defined: Record<string, unknown>, todo: string): Student {
  let delegated = false;
  return {
    get delegated() {
      return delegated;
    },
    missing: (names: string[]) => Promise.resolve(names.filter((n) => defined[n] === undefined)),
    async probe(probe: Probe): Promise<StepOutcome[]> {
      const before = referenceCalls(todo);
      try {
        return await runProbe(defined, probe);
      } finally {
        if (referenceCalls(todo) !== before) delegated = true;
      }
    },
  };
}
