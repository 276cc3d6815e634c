// Grading one submission: its notebook becomes a module that runs in a sandboxed child
// (lib/grader/parent/sandbox.ts); each check runs here, where no student code runs: it draws fresh
// inputs from the run's seed, has the child call the student's functions on them and read
// the results back as plain data, and compares them with the truth computed here. A crash,
// timeout or bad notebook becomes that submission's results, never an exception that stops
// a batch; a crash caused by another cell's top-level code is blamed on that cell.
import { errorText } from "../api/check.ts";
import type { CheckDefinition } from "../api/check.ts";
import { type Notebook, readNotebook } from "../../notebook/ipynb.ts";
import type { CheckSource } from "./sources.ts";
import { type GradeLimits, withDefaults } from "./limits.ts";
import { notebookNumber, type WrittenAnswer, writtenAnswers } from "./submission.ts";
import { importCulprit } from "./import_blame.ts";
import { type Outcome, Session } from "./session.ts";

/** One graded check of a submission. */
export interface CheckOutcome {
  id: string;
  title: string;
  points: number;
  score: number;
  passed: boolean;
  message: string;
  hidden: boolean;
}

/** A graded submission: one row of the gradebook. */
export interface SubmissionResult {
  student: string;
  file: string;
  outcomes: CheckOutcome[];
  /** The notebook's written questions with the student's answers. */
  written: WrittenAnswer[];
  total: number;
  max: number;
  /** The run's fixture seed (`--seed` reproduces the grade). */
  seed: number;
}

type Applicable = { d: CheckDefinition; s: CheckSource };

/**
 * Grades one notebook file with fixtures drawn from `seed`. Never throws: an unreadable
 * notebook or an internal error is a row of failures with the reason.
 *
 * @example
 * ```ts
 * const result = await gradeSubmission("subs/alice/01_architecture.ipynb", "alice", sources, {}, 1234);
 * result.total; // 7
 * ```
 */
export async function gradeSubmission(
  file: string,
  student: string,
  sources: CheckSource[],
  limits: GradeLimits = {},
  seed = 1,
): Promise<SubmissionResult> {
  let applicable: Applicable[] = [];
  const outcomes = new Map<string, Outcome>();
  let problem: string | undefined;
  let written: WrittenAnswer[] = [];
  try {
    let nb: Notebook | undefined;
    try {
      nb = await readNotebook(file);
    } catch (e) {
      problem = errorText(e);
    }
    const number = notebookNumber(file, nb);
    applicable = sources.flatMap((s) =>
      s.definitions.filter((d) => number && d.id.startsWith(`${number}.`)).map((d) => ({ d, s }))
    );
    if (!number) problem ??= `${file}: cannot tell which notebook this is (name it NN_….ipynb)`;
    if (applicable.length === 0) problem ??= `${file}: no checks for notebook ${number}`;
    if (number) written = writtenAnswers(nb, number, sources.flatMap((s) => s.written));
    if (!problem && nb) await gradeNotebook(nb, applicable, outcomes, limits, seed);
  } catch (e) {
    problem ??= `grader error: ${errorText(e)}`;
  }
  const rows: CheckOutcome[] = applicable.map(({ d, s }) => {
    const o = outcomes.get(d.id) ?? { fraction: 0, message: problem ?? "not graded" };
    return {
      id: d.id,
      title: d.title,
      points: d.points,
      score: Math.round(o.fraction * d.points * 100) / 100,
      passed: o.fraction === 1,
      message: o.message,
      hidden: s.hidden,
    };
  });
  if (rows.length === 0 && problem) {
    rows.push({
      id: "notebook",
      title: "notebook",
      points: 0,
      score: 0,
      passed: false,
      message: problem,
      hidden: false,
    });
  }
  return {
    student,
    file,
    outcomes: rows,
    total: Math.round(rows.reduce((s, r) => s + r.score, 0) * 100) / 100,
    max: rows.reduce((s, r) => s + r.points, 0),
    seed,
    written,
  };
}

/** The TODO id of each TODO cell (the last cell wins when a TODO cell was copied). */
function todoCells(nb: Notebook): Map<number, string> {
  const cells = new Map<number, string>();
  nb.cells.forEach((c, i) => {
    const todo = c.metadata?.pruning_lab?.todo;
    if (c.cell_type === "code" && typeof todo === "string") cells.set(i, todo);
  });
  return cells;
}

/** Grades every applicable check of a parsed notebook into `outcomes`. */
async function gradeNotebook(
  nb: Notebook,
  applicable: Applicable[],
  outcomes: Map<string, Outcome>,
  limits: GradeLimits,
  seed: number,
): Promise<void> {
  if (limits.workDir) await Deno.mkdir(limits.workDir, { recursive: true });
  const work = await Deno.makeTempDir({ prefix: "pruning-lab-grade-", dir: limits.workDir });
  const todos = todoCells(nb);
  const recipes = [...new Set(applicable.flatMap(({ s }) => s.recipes))];
  const session = new Session(nb, work, limits, seed, recipes);
  const seconds = withDefaults(limits).submissionSeconds;
  const outOfTime = () => session.elapsedSeconds() > seconds;
  try {
    const exclude = new Map<number, string>();
    // Cells whose top-level code broke another check: graded quiet from then on.
    const quiet = new Set<number>();
    let pending = applicable.map(({ d }) => d);
    for (
      let attempt = 0;
      pending.length > 0 && attempt <= todos.size + applicable.length;
      attempt++
    ) {
      if (outOfTime()) {
        const why =
          `grading this notebook ran over ${seconds} s in all (its code is slow or hangs again and again); this check was not run`;
        for (const d of pending) outcomes.set(d.id, { fraction: 0, message: why });
        break;
      }
      const run = await session.run({ exclude, quiet }, pending);
      for (const [id, why] of run.left) {
        if (pending.some((d) => d.id === id)) outcomes.set(id, { fraction: 0, message: why });
      }
      for (const [id, result] of run.results) outcomes.set(id, result);
      pending = pending.filter((d) => !outcomes.has(d.id));
      if (run.crashed) {
        // The check runs again with the other cells' top-level code quiet; if it then
        // behaves, the cell whose code broke it takes the blame (and stays quiet).
        const { d, reason } = run.crashed;
        const blamed = await session.blame(d, reason, { exclude, quiet }, todos);
        outcomes.set(d.id, blamed.outcome);
        if (blamed.culprit !== undefined) {
          quiet.add(blamed.culprit.cell);
          if (blamed.culprit.todo) outcomes.set(blamed.culprit.todo, blamed.culprit.outcome);
        }
        pending = pending.filter((x) => !outcomes.has(x.id));
      } else if (run.importFailure) {
        const { cell, reason } = run.importFailure;
        const index = Number(cell);
        if (
          Number.isInteger(index) && nb.cells[index]?.metadata?.pruning_lab?.setup !== true &&
          !exclude.has(index)
        ) {
          // Leave that cell out and run again; its TODO (if any) fails with the reason.
          exclude.set(index, `its cell's top-level code ${reason}`);
        } else if (!Number.isInteger(index) && importCulprit(nb, reason, exclude) !== undefined) {
          // The module failed before any cell ran: an import that cannot load. Leave out the
          // cell whose import the error names, so that only its TODO fails.
          const culprit = importCulprit(nb, reason, exclude)!;
          exclude.set(culprit, `its imports cannot load: ${reason.replace(/^threw: /, "")}`);
        } else {
          const where = Number.isInteger(index) ? `cell ${index + 1}` : "the notebook";
          for (const d of pending) {
            outcomes.set(d.id, { fraction: 0, message: `${where} ${reason}` });
          }
          pending = [];
        }
      }
    }
    if (session.uncaught.length > 0 && !outOfTime()) {
      await session.blameUncaught(exclude, todos, outcomes);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}
