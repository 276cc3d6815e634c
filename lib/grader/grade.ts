// Grading one submission: its notebook becomes a module that runs, with its checks, in a
// Deno subprocess with narrow permissions, a time limit per TODO and a memory cap. A crash,
// timeout or bad notebook becomes results, never an exception that stops a batch.
import { basename, dirname, join } from "node:path";
import { Buffer } from "node:buffer";
import { type CheckDefinition, errorText } from "./checks.ts";
import { notebookToModule } from "./module.ts";
import { type Notebook, readNotebook } from "./notebook.ts";
import { PROJECT_ROOT, toFileUrl } from "../paths.ts";
import type { RunnerPlan } from "./protocol.ts";

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
  total: number;
  max: number;
}

/** A check module to load: course checks by path; hidden ones by source (never readable). */
export interface CheckSource {
  name: string;
  path: string;
  hidden: boolean;
  definitions: CheckDefinition[];
  /** Source text, for hidden checks (sent to the runner on stdin). */
  code?: string;
}

/** Limits and readable paths of a grading run. */
export interface GradeLimits {
  /** Seconds each check may run (default 60). */
  checkSeconds?: number;
  /** Seconds the notebook's setup and TODO cells may take to import (default 120). */
  importSeconds?: number;
  /** V8 heap cap in MB (default 2048). */
  memoryMB?: number;
  /** Extra folders the submission may read (e.g. the tiny model fixtures). */
  readable?: string[];
  /** Where the grader writes each submission's module (default: the system temp folder). */
  workDir?: string;
}

/**
 * Loads check modules: the course's (`lib/checks/…`) and instructor folders of hidden checks.
 *
 * @example
 * ```ts
 * const sources = await loadCheckSources(["lib/checks/mod.ts"], ["hidden/"]);
 * ```
 */
export async function loadCheckSources(
  modules: string[],
  hiddenDirs: string[] = [],
): Promise<CheckSource[]> {
  const sources: CheckSource[] = [];
  for (const path of modules) {
    const definitions: CheckDefinition[] = (await import(toFileUrl(path))).default;
    sources.push({ name: basename(path), path, hidden: false, definitions });
  }
  for (const dir of hiddenDirs) {
    const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ts"))
      .map((e) => join(dir, e.name)).sort();
    for (const path of files) {
      const code = await Deno.readTextFile(path);
      const definitions = (await import(toFileUrl(path))).default;
      if (!Array.isArray(definitions)) {
        throw new Error(`${path}: a hidden-check file must default-export defineChecks([...])`);
      }
      sources.push({ name: basename(path), path, hidden: true, definitions, code });
    }
  }
  return sources;
}

/** The notebook number ("01") of a submission: from its file name, else its TODO ids. */
export function notebookNumber(file: string, nb?: Notebook): string | undefined {
  const fromName = basename(file).match(/^(\d\d)_/)?.[1];
  if (fromName) return fromName;
  const ids = nb?.cells.map((c) => c.metadata.pruning_lab?.todo).filter(Boolean) as string[];
  return ids?.[0]?.match(/^(\d\d)\./)?.[1];
}

/** The student's name: the folder of the submission, or the file name when it is flat. */
export function studentOf(file: string, root: string): string {
  const parent = dirname(file);
  return parent !== root && basename(parent) ? basename(parent) : basename(file, ".ipynb");
}

/**
 * Grades one notebook file. Never throws: an unreadable notebook is a row of failures.
 *
 * @example
 * ```ts
 * const result = await gradeSubmission("subs/alice/01_architecture.ipynb", "alice", sources);
 * result.total; // 7
 * ```
 */
export async function gradeSubmission(
  file: string,
  student: string,
  sources: CheckSource[],
  limits: GradeLimits = {},
): Promise<SubmissionResult> {
  let nb: Notebook | undefined;
  let problem: string | undefined;
  try {
    nb = await readNotebook(file);
  } catch (e) {
    problem = errorText(e);
  }
  const number = notebookNumber(file, nb);
  const applicable = sources.flatMap((s) =>
    s.definitions.filter((d) => number && d.id.startsWith(`${number}.`)).map((d) => ({ d, s }))
  );
  const outcomes = new Map<string, { fraction: number; message: string }>();
  if (!number) problem ??= `${file}: cannot tell which notebook this is (name it NN_….ipynb)`;
  if (applicable.length === 0) problem ??= `${file}: no checks for notebook ${number}`;
  if (problem || !nb) {
    for (const { d } of applicable) outcomes.set(d.id, { fraction: 0, message: problem! });
  } else {
    await runChecks(nb, applicable, outcomes, limits);
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
  };
}

/** Runs the checks in as many subprocesses as crashes and timeouts need. */
async function runChecks(
  nb: Notebook,
  applicable: { d: CheckDefinition; s: CheckSource }[],
  outcomes: Map<string, { fraction: number; message: string }>,
  limits: GradeLimits,
): Promise<void> {
  const exclude = new Map<string, string>();
  const todoIds = new Set(nb.cells.map((c) => c.metadata.pruning_lab?.todo).filter(Boolean));
  let pending = applicable.map(({ d }) => d.id);
  if (limits.workDir) await Deno.mkdir(limits.workDir, { recursive: true });
  const work = await Deno.makeTempDir({ prefix: "pruning-lab-grade-", dir: limits.workDir });
  try {
    for (
      let attempt = 0;
      pending.length > 0 && attempt <= applicable.length + todoIds.size;
      attempt++
    ) {
      const mod = notebookToModule(nb, exclude);
      for (const [id, why] of mod.left) {
        if (pending.includes(id) && !outcomes.has(id)) {
          outcomes.set(id, { fraction: 0, message: why });
        }
      }
      pending = pending.filter((id) => !outcomes.has(id));
      if (pending.length === 0) break;
      const modulePath = join(work, `submission_${attempt}.ts`);
      await Deno.writeTextFile(modulePath, mod.code);
      const run = await runChild(modulePath, pending, applicable.map(({ s }) => s), work, limits);
      for (const [id, result] of run.results) outcomes.set(id, result);
      pending = pending.filter((id) => !outcomes.has(id));
      if (run.failedCheck) {
        outcomes.set(run.failedCheck, { fraction: 0, message: run.reason });
        pending = pending.filter((id) => id !== run.failedCheck);
      } else if (run.failedCell !== undefined) {
        if (todoIds.has(run.failedCell) && !exclude.has(run.failedCell)) {
          // Leave that cell out and run again; the next module reports it in `left`.
          exclude.set(run.failedCell, `its cell's top-level code ${run.reason}`);
        } else {
          const where = run.failedCell === "end" ? "the notebook" : run.failedCell;
          for (const id of pending) {
            outcomes.set(id, { fraction: 0, message: `${where} ${run.reason}` });
          }
          pending = [];
        }
      } else if (!run.done) {
        for (const id of pending) {
          outcomes.set(id, { fraction: 0, message: `grader: ${run.reason}` });
        }
        pending = [];
      }
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

interface ChildRun {
  results: Map<string, { fraction: number; message: string }>;
  done: boolean;
  /** The check that was running when the process died or timed out. */
  failedCheck?: string;
  /** The cell (TODO id, "setup cell N" or "end") whose top-level code failed on import. */
  failedCell?: string;
  reason: string;
}

/** The folders a submission may read: lib, data, packages, fixtures, its own module. */
function readablePaths(work: string, limits: GradeLimits, sources: CheckSource[]): string[] {
  // Visible check modules outside lib/ (a sample's checks) must be readable to be imported.
  const sourcesOutsideLib = sources.filter((s) => !s.code).map((s) => dirname(s.path));
  return [
    join(PROJECT_ROOT, "lib"),
    join(PROJECT_ROOT, "data"),
    join(PROJECT_ROOT, "node_modules"),
    work,
    ...(limits.readable ?? []),
    ...sourcesOutsideLib,
  ];
}

const ENV_PASSED = [
  "PRUNING_LAB_BACKEND",
  "PRUNING_LAB_DATA_MIRROR",
  "PRUNING_LAB_MODEL",
  "PRUNING_LAB_FAST",
  "PRUNING_LAB_CACHE",
  "HF_ENDPOINT",
  "PRUNING_LAB_WASM_THREADS",
];

async function runChild(
  modulePath: string,
  checks: string[],
  sources: CheckSource[],
  work: string,
  limits: GradeLimits,
): Promise<ChildRun> {
  const nonce = crypto.randomUUID();
  const checkModules = [...new Set(sources)].map((s) =>
    s.code ? `data:application/typescript;base64,${Buffer.from(s.code).toString("base64")}` : s.path
  );
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const key of [...ENV_PASSED, "DENO_DIR", "HOME", "PATH"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  // Submissions are graded side by side already: one wasm thread each.
  env.PRUNING_LAB_WASM_THREADS = "1";
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-check",
      "--cached-only",
      "--no-prompt",
      `--config=${join(PROJECT_ROOT, "deno.json")}`,
      `--v8-flags=--max-old-space-size=${limits.memoryMB ?? 2048}`,
      `--allow-read=${readablePaths(work, limits, sources).join(",")}`,
      `--allow-env=${ENV_PASSED.join(",")}`,
      join(PROJECT_ROOT, "lib", "grader", "runner.ts"),
    ],
    env,
    clearEnv: true,
    cwd: work,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const plan: RunnerPlan = { nonce, module: modulePath, checkModules, checks };
  await writer.write(new TextEncoder().encode(JSON.stringify(plan)));
  await writer.close();

  const results = new Map<string, { fraction: number; message: string }>();
  let phase: { check?: string; cell?: string } = { cell: "start" };
  let done = false;
  let timedOut = false;
  let stderr = "";
  const arm = (seconds: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, seconds * 1000);
  };
  let timer = setTimeout(() => {}, 0);
  arm(limits.importSeconds ?? 120);
  const readErr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr = (stderr + chunk).slice(-4000);
    }
  })();
  let importError: string | undefined;
  let buffer = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    // A submission printing endlessly without newlines must not fill the grader's memory.
    if (buffer.length > 1_000_000 && !buffer.includes("\n")) buffer = buffer.slice(-100_000);
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith(`${nonce} `)) continue; // the student's own output
      const rest = line.slice(nonce.length + 1);
      const kind = rest.slice(0, rest.indexOf(" "));
      const data = JSON.parse(rest.slice(kind.length + 1));
      if (kind === "cell") phase = { cell: data };
      else if (kind === "import-error") importError = data;
      else if (kind === "start") {
        phase = { check: data };
        arm(limits.checkSeconds ?? 60);
      } else if (kind === "result") {
        results.set(data.id, { fraction: data.fraction, message: data.message });
      } else if (kind === "done") done = true;
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  await readErr;
  if (Deno.env.get("PRUNING_LAB_GRADER_DEBUG")) {
    console.error(`--- grader child stderr:\n${stderr}`);
  }
  if (done) return { results, done, reason: "" };
  const reason = timedOut
    ? `timed out (over ${phase.check ? limits.checkSeconds ?? 60 : limits.importSeconds ?? 120} s)`
    : importError !== undefined
    ? `threw: ${importError}`
    : crashReason(status, stderr);
  if (phase.check) return { results, done, failedCheck: phase.check, reason };
  return { results, done, failedCell: phase.cell === "start" ? "end" : phase.cell, reason };
}

function crashReason(status: Deno.CommandStatus, stderr: string): string {
  if (/heap out of memory|Out of memory|OOM/i.test(stderr)) {
    return "ran out of memory (the grader's memory cap)";
  }
  const lines = stderr.trim().split("\n").filter((l) => l.trim());
  const last = lines.find((l) => l.startsWith("error:")) ?? lines.at(-1);
  const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  return `stopped the process (it ${how})${last ? `: ${last.slice(0, 200)}` : ""}`;
}
