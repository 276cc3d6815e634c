// The in-notebook `check("<todo id>")`: runs that TODO's check on the names the student's
// cells defined in the running kernel, on inputs drawn fresh for this call, and shows
// ✅/❌, points and the message.
import { type CheckDefinition, type CheckResult, runCheck } from "./grader/api/check.ts";
import { courseChecks } from "./course/checks/mod.ts";
import { fixtures, freshSeed } from "./grader/api/fixtures.ts";
import { localStudent } from "./grader/api/local_student.ts";

/** A check's outcome, displayed in Jupyter as one line. */
export interface CheckReport extends CheckResult {
  id: string;
  points: number;
  score: number;
}

/**
 * Checks one TODO of the running notebook: looks up the names it defines in the kernel's
 * global scope, runs its check on fresh inputs (a new seed each call; `seed` repeats one) and
 * returns a report that Jupyter shows as one line.
 *
 * @example
 * ```ts
 * await check("01.count_parameters"); // ✅ 01.count_parameters: 2/2 points — countParameters(tiny model) = 62450
 * ```
 */
export async function check(
  id: string,
  checks: CheckDefinition[] = courseChecks(),
  seed: number = freshSeed(),
): Promise<CheckReport> {
  const definition = checks.find((c) => c.id === id);
  if (!definition) {
    return report(id, 0, { fraction: 0, message: `no check is named "${id}"` });
  }
  const defined: Record<string, unknown> = {};
  for (const name of definition.uses) {
    try {
      // Indirect eval reads the kernel's global scope, where notebook cells declare names.
      defined[name] = (0, eval)(name);
    } catch {
      // not defined yet: runCheck reports it
    }
  }
  const student = localStudent(defined, id);
  return report(
    id,
    definition.points,
    await runCheck(definition, { student, fx: fixtures(seed, id) }),
  );
}

function report(id: string, points: number, result: CheckResult): CheckReport {
  const score = Math.round(result.fraction * points * 100) / 100;
  const line = `${
    result.fraction === 1 ? "✅ PASS" : "❌ FAIL"
  } ${id}: ${score}/${points} points — ${result.message}`;
  return {
    id,
    points,
    score,
    ...result,
    [Symbol.for("Jupyter.display")]: () => ({ "text/plain": line }),
    toString: () => line,
  } as CheckReport;
}
