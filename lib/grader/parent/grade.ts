// Grading one submission: its notebook becomes a module that runs in a sandboxed child
// (lib/grader/parent/sandbox.ts); each check runs here, where no student code runs: it draws fresh
// inputs from the run's seed, has the child call the student's functions on them and read
// the results back as plain data, and compares them with the truth computed here. A crash,
// timeout or bad notebook becomes that submission's results, never an exception that stops
// a batch; a crash caused by another cell's top-level code is blamed on that cell.
import { basename, dirname, join } from "node:path";
import { type CheckDefinition, type CheckResult, errorText, runCheck } from "../api/check.ts";
import { type ModuleOptions, notebookToModule } from "./module.ts";
import { type Notebook, readNotebook, sourceOf } from "../../notebook/ipynb.ts";
import { ANSWER_PLACEHOLDER, WRITTEN_QUESTIONS } from "../../course/written_questions.ts";
import { toFileUrl } from "../../io/paths.ts";
import { fixtures } from "../api/fixtures.ts";
import { Sandbox } from "./sandbox.ts";

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

/** A written answer collected for the instructor (graded by hand). */
export interface WrittenAnswer {
  id: string;
  points: number;
  question: string;
  /** The student's markdown, "" when the cell is missing or still the placeholder. */
  answer: string;
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

/** A check module, loaded by the grader only (never by a submission's process). */
export interface CheckSource {
  name: string;
  path: string;
  hidden: boolean;
  definitions: CheckDefinition[];
}

/** Limits and readable paths of a grading run. */
export interface GradeLimits {
  /** Seconds each check may run (default 60). */
  checkSeconds?: number;
  /** Seconds the notebook's setup and TODO cells may take to import (default 120). */
  importSeconds?: number;
  /** Memory a submission's process may commit, in MB (OS limit; the V8 heap gets 2/3). */
  memoryMB?: number;
  /** Extra folders the submission may read (e.g. the tiny model fixtures). */
  readable?: string[];
  /** Where the grader writes each submission's module (default: the system temp folder). */
  workDir?: string;
  /** Seconds one submission may take in all, retries and blame runs included (default 900). */
  submissionSeconds?: number;
}

/**
 * Loads check modules: the course's (`lib/checks/…`) and instructor folders of hidden checks.
 *
 * @example
 * ```ts
 * const sources = await loadCheckSources(["lib/course/checks/mod.ts"], ["hidden/"]);
 * ```
 */
export async function loadCheckSources(
  modules: string[],
  hiddenDirs: string[] = [],
): Promise<CheckSource[]> {
  const sources: CheckSource[] = [];
  // The same module named twice (e.g. lib/course/checks/mod.ts and one of its files) counts once.
  const seen = new Set<string>();
  for (const path of modules) {
    const definitions: CheckDefinition[] =
      ((await import(toFileUrl(path))).default as CheckDefinition[]).filter((d) => !seen.has(d.id));
    definitions.forEach((d) => seen.add(d.id));
    sources.push({ name: basename(path), path, hidden: false, definitions });
  }
  for (const dir of hiddenDirs) {
    const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ts"))
      .map((e) => join(dir, e.name)).sort();
    for (const path of files) {
      const definitions = (await import(toFileUrl(path))).default;
      if (!Array.isArray(definitions)) {
        throw new Error(`${path}: a hidden-check file must default-export defineChecks([...])`);
      }
      sources.push({ name: basename(path), path, hidden: true, definitions });
    }
  }
  return sources;
}

/** The notebook number ("01") of a submission: from its file name, else its TODO ids. */
export function notebookNumber(file: string, nb?: Notebook): string | undefined {
  const fromName = basename(file).match(/^(\d\d)_/)?.[1];
  if (fromName) return fromName;
  const ids = nb?.cells.map((c) => c.metadata?.pruning_lab?.todo).filter((t) =>
    typeof t === "string"
  ) as string[];
  return ids?.[0]?.match(/^(\d\d)\./)?.[1];
}

/** The student's name: the folder of the submission, or the file name when it is flat. */
export function studentOf(file: string, root: string): string {
  const parent = dirname(file);
  return parent !== root && basename(parent) ? basename(parent) : basename(file, ".ipynb");
}

type Outcome = { fraction: number; message: string };
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
    if (number) written = writtenAnswers(nb, number);
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

/**
 * The written questions of notebook `number` with the student's answers (the last answer
 * cell of each question counts; the placeholder counts as no answer).
 *
 * @example
 * ```ts
 * writtenAnswers(nb, "02").map((w) => w.answer);
 * ```
 */
export function writtenAnswers(nb: Notebook | undefined, number: string): WrittenAnswer[] {
  return WRITTEN_QUESTIONS.filter((q) => q.id.startsWith(`${number}.`)).map((q) => {
    const cells = (nb?.cells ?? []).filter((c) => c.metadata?.pruning_lab?.written === q.id);
    const text = cells.length > 0 ? sourceOf(cells[cells.length - 1]).trim() : "";
    return { ...q, answer: text === ANSWER_PLACEHOLDER ? "" : text };
  });
}

/** A non-setup cell (not yet left out) that imports the specifier an error message names. */
function importCulprit(
  nb: Notebook,
  reason: string,
  exclude: Map<number, string>,
): number | undefined {
  for (let i = nb.cells.length - 1; i >= 0; i--) {
    const cell = nb.cells[i];
    if (cell.cell_type !== "code" || cell.metadata?.pruning_lab?.setup === true) continue;
    if (exclude.has(i)) continue;
    const specifiers = [...sourceOf(cell).matchAll(/^\s*import\b[^"'`]*["']([^"']+)["']/gm)]
      .map((m) => m[1]);
    if (specifiers.some((sp) => specifierTokens(sp).some((t) => reason.includes(t)))) return i;
  }
  return undefined;
}

/** How an error message may spell an import: the specifier, its package name, its file name. */
function specifierTokens(specifier: string): string[] {
  const registry = /^(npm|jsr):/.test(specifier);
  const bare = specifier.replace(/^(npm|jsr|node):/, "");
  const pkg = bare.startsWith("@") ? bare.split("/").slice(0, 2).join("/") : bare.split("/")[0];
  const tokens = [specifier, specifier.split("/").at(-1) ?? specifier];
  if (registry) tokens.push(`"${pkg.replace(/(.)@[^/]*$/, "$1")}"`);
  return tokens.filter((t) => t.length >= 4 && (t.includes(".") || t.startsWith('"')));
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
  const session = new Session(nb, work, limits, seed);
  const seconds = limits.submissionSeconds ?? 900;
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

interface Run {
  results: Map<string, CheckResult>;
  left: Map<string, string>;
  crashed?: { d: CheckDefinition; reason: string };
  importFailure?: { cell: string; reason: string };
}

/** The child processes of one submission, one per attempt. */
class Session {
  uncaught: string[] = [];
  private attempt = 0;
  private readonly started = performance.now();

  /** Seconds since this submission's grading started. */
  elapsedSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  constructor(
    readonly nb: Notebook,
    readonly work: string,
    readonly limits: GradeLimits,
    readonly seed: number,
  ) {}

  /** Imports the module built with `options` and runs `checks` until one crashes. */
  async run(options: ModuleOptions, checks: CheckDefinition[], watchUncaught = true): Promise<Run> {
    const mod = notebookToModule(this.nb, options);
    const results = new Map<string, CheckResult>();
    const todo = checks.filter((d) => !mod.left.has(d.id));
    if (todo.length === 0) return { results, left: mod.left };
    const path = join(this.work, `submission_${this.attempt++}.ts`);
    await Deno.writeTextFile(path, mod.code);
    const memoryMB = this.limits.memoryMB ?? 3072;
    const box = new Sandbox(path, this.work, {
      memoryMB,
      heapMB: Math.max(64, Math.round(memoryMB * 2 / 3)),
      readable: this.limits.readable,
    });
    try {
      const started = await box.start(this.limits.importSeconds ?? 120);
      if (!started.ok) {
        const reason = started.timedOut
          ? `timed out (over ${this.limits.importSeconds ?? 120} s)`
          : started.error ?? "failed";
        return { results, left: mod.left, importFailure: { cell: box.lastCell, reason } };
      }
      for (const d of todo) {
        const seconds = this.limits.checkSeconds ?? 60;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<"timeout">((resolve) => {
          timer = setTimeout(() => resolve("timeout"), seconds * 1000);
        });
        const ended = new Promise<string>((resolve) => box.onEnd((e) => resolve(e.reason)));
        const result = await Promise.race([
          runCheck(d, { student: box.student(d.id), fx: fixtures(this.seed, d.id) }),
          timeout,
          ended,
        ]);
        clearTimeout(timer);
        if (result === "timeout") {
          box.kill("timeout");
          return {
            results,
            left: mod.left,
            crashed: { d, reason: `timed out (over ${seconds} s)` },
          };
        }
        if (typeof result === "string") {
          return { results, left: mod.left, crashed: { d, reason: result } };
        }
        results.set(d.id, result);
      }
      return { results, left: mod.left };
    } finally {
      if (watchUncaught) this.uncaught.push(...box.uncaught);
      await box.close();
    }
  }

  /**
   * A crashed check again with every other cell quiet (declarations only, no initialisers
   * that run code); when it then behaves, the first cell whose code brings the crash back is
   * blamed (its TODO scores 0) and the check keeps its quiet result.
   */
  async blame(
    d: CheckDefinition,
    reason: string,
    options: { exclude: Map<number, string>; quiet: Set<number> },
    todos: Map<number, string>,
  ): Promise<{ outcome: Outcome; culprit?: { cell: number; todo?: string; outcome: Outcome } }> {
    const own = [...todos].filter(([, id]) => id === d.id).map(([i]) => i);
    const others = this.codeCells().filter((i) => !own.includes(i) && !options.exclude.has(i));
    const exclude = options.exclude;
    const quiet = await this.run({ exclude, quiet: new Set(others) }, [d], false);
    const alone = quiet.results.get(d.id);
    if (!alone) return { outcome: { fraction: 0, message: reason } };
    const runsCode = notebookToModule(this.nb, { exclude }).runsCode;
    const suspects = others.filter((i) => !options.quiet.has(i) && runsCode.has(i));
    for (const suspect of suspects.slice(0, 6)) {
      if (this.elapsedSeconds() > (this.limits.submissionSeconds ?? 900)) break;
      const again = await this.run(
        { exclude, quiet: new Set(others.filter((i) => i !== suspect)) },
        [d],
        false,
      );
      if (again.crashed || again.importFailure) {
        const todo = todos.get(suspect);
        return {
          outcome: {
            fraction: alone.fraction,
            message: `${alone.message} (graded with cell ${
              suspect + 1
            }'s top-level code left out: it ${reason})`,
          },
          culprit: {
            cell: suspect,
            todo,
            outcome: {
              fraction: 0,
              message: `its cell's top-level code broke the check of ${d.id} (it ${reason})`,
            },
          },
        };
      }
    }
    return { outcome: alone };
  }

  /** Uncaught errors after import: the TODO cell whose code raises them scores 0. */
  async blameUncaught(
    exclude: Map<number, string>,
    todos: Map<number, string>,
    outcomes: Map<string, Outcome>,
  ): Promise<void> {
    const runsCode = notebookToModule(this.nb, { exclude }).runsCode;
    const cells = this.codeCells().filter((i) =>
      todos.has(i) && !exclude.has(i) && runsCode.has(i)
    );
    const probeCheck: CheckDefinition = {
      id: "grader.idle",
      points: 0,
      title: "idle",
      uses: [],
      run: () =>
        new Promise((resolve) => setTimeout(() => resolve({ fraction: 1, message: "" }), 1500)),
    };
    for (const suspect of cells.slice(0, 8)) {
      if (this.elapsedSeconds() > (this.limits.submissionSeconds ?? 900)) break;
      const before = this.uncaught.length;
      const others = new Set(this.codeCells().filter((i) => i !== suspect));
      const run = await this.run({ exclude, quiet: others }, [probeCheck], true);
      const raised = this.uncaught.slice(before);
      this.uncaught.length = before;
      if (raised.length > 0 || run.crashed) {
        outcomes.set(todos.get(suspect)!, {
          fraction: 0,
          message:
            `its cell's top-level code raised an error while other checks ran (a timer or an unawaited promise?): ${
              raised[0] ?? run.crashed?.reason
            }`,
        });
      }
    }
  }

  private codeCells(): number[] {
    return this.nb.cells.flatMap((c, i) =>
      c.cell_type === "code" && c.metadata?.pruning_lab?.setup !== true ? [i] : []
    );
  }
}
