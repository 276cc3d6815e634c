// The child processes of one submission, one per attempt: each builds the notebook's module
// with some cells left out or quiet, runs checks in a sandbox until one crashes, and finds the
// cell whose top-level code broke a check (blame).
import { join } from "node:path";
import { type CheckDefinition, type CheckResult, runCheck } from "../api/check.ts";
import { fixtures } from "../api/fixtures.ts";
import type { Notebook } from "../../notebook/ipynb.ts";
import { type ModuleOptions, notebookToModule } from "./module.ts";
import { Sandbox } from "./sandbox.ts";
import { type GradeLimits, withDefaults } from "./limits.ts";

/** A check's fraction of its points and its message. */
export type Outcome = { fraction: number; message: string };

export interface Run {
  results: Map<string, CheckResult>;
  left: Map<string, string>;
  crashed?: { d: CheckDefinition; reason: string };
  importFailure?: { cell: string; reason: string };
}

/** The child processes of one submission, one per attempt. */
export class Session {
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
    limits: GradeLimits,
    readonly seed: number,
    readonly recipes: string[],
  ) {
    this.limits = withDefaults(limits);
  }

  readonly limits: ReturnType<typeof withDefaults>;

  /** Imports the module built with `options` and runs `checks` until one crashes. */
  async run(options: ModuleOptions, checks: CheckDefinition[], watchUncaught = true): Promise<Run> {
    const mod = notebookToModule(this.nb, options);
    const results = new Map<string, CheckResult>();
    const todo = checks.filter((d) => !mod.left.has(d.id));
    if (todo.length === 0) return { results, left: mod.left };
    const path = join(this.work, `submission_${this.attempt++}.ts`);
    await Deno.writeTextFile(path, mod.code);
    const memoryMB = this.limits.memoryMB;
    const box = new Sandbox(path, this.work, {
      memoryMB,
      heapMB: Math.max(64, Math.round(memoryMB * 2 / 3)),
      readable: this.limits.readable,
      recipes: this.recipes,
    });
    try {
      const started = await box.start(this.limits.importSeconds);
      if (!started.ok) {
        const reason = started.timedOut
          ? `timed out (over ${this.limits.importSeconds} s)`
          : started.error ?? "failed";
        return { results, left: mod.left, importFailure: { cell: box.lastCell, reason } };
      }
      for (const d of todo) {
        const seconds = this.limits.checkSeconds;
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
      if (this.elapsedSeconds() > this.limits.submissionSeconds) break;
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
      if (this.elapsedSeconds() > this.limits.submissionSeconds) break;
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
