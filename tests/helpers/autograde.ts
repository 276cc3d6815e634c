// Per-TODO autograde tests: grades one notebook (PRUNING_LAB_NOTEBOOK, else a default such
// as the matching file in solutions/) once, on fixtures from a fresh seed, and registers one
// Deno.test per check.
import { join } from "node:path";
import { assert } from "./assert.ts";
import { gradeSubmission, type SubmissionResult } from "lib/grader/parent/grade.ts";
import { loadCheckSources } from "lib/grader/parent/sources.ts";
import { PROJECT_ROOT } from "lib/io/paths.ts";
import { freshSeed } from "lib/grader/api/fixtures.ts";

/**
 * Registers `Deno.test("<id>: <title>")` for each check of a notebook; each passes when that
 * TODO scores full points on the graded notebook.
 *
 * @example
 * ```ts
 * autogradeTests("solutions/01_architecture.ipynb", ["01.count_parameters", …]);
 * ```
 */
export function autogradeTests(
  defaultNotebook: string,
  checks: { id: string; title: string }[],
  checkModules: string[] = [join(PROJECT_ROOT, "lib", "course", "checks", "mod.ts")],
): void {
  const notebook = Deno.env.get("PRUNING_LAB_NOTEBOOK") ?? join(PROJECT_ROOT, defaultNotebook);
  let graded: Promise<SubmissionResult> | undefined;
  const grade = () =>
    graded ??= loadCheckSources(checkModules).then((sources) =>
      gradeSubmission(notebook, "autograde", sources, {}, freshSeed())
    );
  for (const { id, title } of checks) {
    Deno.test(`${id}: ${title} (${notebook.replace(PROJECT_ROOT, "")})`, async () => {
      const outcome = (await grade()).outcomes.find((o) => o.id === id);
      assert.ok(outcome, `no result for ${id}`);
      assert.ok(
        outcome.passed,
        `${id}: ${outcome.score}/${outcome.points} — ${outcome.message} (seed ${
          (await grade()).seed
        })`,
      );
    });
  }
}
