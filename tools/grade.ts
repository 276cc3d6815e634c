// `deno task grade <files or folders> [--out <dir>]`: grades notebooks in sandboxed
// subprocesses, in parallel, on fixtures drawn from one seed per run (`--seed` repeats it).
// With --out: gradebook.csv (written row by row; `--resume` skips students already in it)
// + <student>/results.json and feedback.md. Without: a self-grade table per notebook.
// The grader runs with a private DENO_DIR under its work folder, so nothing it compiles
// (hidden checks, submissions) stays in the user's cache.
import { parseArgs } from "node:util";
import { basename, join, resolve } from "node:path";
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import { gradeSubmission, type SubmissionResult } from "lib/grader/parent/grade.ts";
import { loadCheckSources } from "lib/grader/parent/sources.ts";
import { notebookNumber, studentOf } from "lib/grader/parent/submission.ts";
import {
  FolderNames,
  gradebookFields,
  gradebookRow,
  selfGradeTable,
  writeStudentOutputs,
} from "lib/grader/parent/report.ts";
import { freshSeed } from "lib/grader/api/fixtures.ts";
import { GRADE_DEFAULTS } from "lib/grader/parent/limits.ts";
import { PROJECT_ROOT } from "lib/io/paths.ts";
import { progressLine } from "lib/io/progress.ts";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: "string" },
    "hidden-checks": { type: "string", multiple: true, default: [] },
    checks: { type: "string", multiple: true, default: [] },
    jobs: { type: "string", default: String(navigator.hardwareConcurrency || 2) },
    "show-hidden": { type: "boolean", default: false },
    "check-seconds": { type: "string", default: String(GRADE_DEFAULTS.checkSeconds) },
    "import-seconds": { type: "string", default: String(GRADE_DEFAULTS.importSeconds) },
    "memory-mb": { type: "string", default: String(GRADE_DEFAULTS.memoryMB) },
    "submission-seconds": { type: "string", default: String(GRADE_DEFAULTS.submissionSeconds) },
    seed: { type: "string" },
    resume: { type: "boolean", default: false },
  },
});

if (positionals.length === 0) {
  console.error(
    "usage: deno task grade <notebook files or folders> [--out <dir>] [--seed N] [--resume] [--hidden-checks <dir>]",
  );
  Deno.exit(2);
}
const seed = args.seed === undefined ? freshSeed() : Number(args.seed);
if (!Number.isInteger(seed) || seed <= 0) {
  console.error(`grade: --seed ${args.seed}: expected a positive integer`);
  Deno.exit(2);
}
if (args.resume && !args.out) {
  console.error("grade: --resume needs --out (the folder whose gradebook.csv to continue)");
  Deno.exit(2);
}
const workDir = args.out
  ? join(resolve(args.out), ".grader-work")
  : await Deno.makeTempDir({ prefix: "pruning-lab-grader-" });

// Run the grading itself with a private DENO_DIR (removed at the end).
if (Deno.env.get("PRUNING_LAB_GRADER_INNER") !== "1") {
  await Deno.mkdir(workDir, { recursive: true });
  const denoDir = await Deno.makeTempDir({ dir: workDir, prefix: "deno-dir-" });
  const inner = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--cached-only",
      import.meta.filename!,
      ...Deno.args,
      "--seed",
      String(seed),
    ],
    env: { PRUNING_LAB_GRADER_INNER: "1", DENO_DIR: denoDir },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  });
  const { code } = await inner.output();
  await Deno.remove(args.out ? workDir : workDir, { recursive: true }).catch(() => {});
  Deno.exit(code);
}

/** Notebook files under the given paths (folders searched recursively; checkpoints skipped). */
function collect(paths: string[]): { file: string; root: string }[] {
  const found: { file: string; root: string }[] = [];
  for (const p of paths.map((x) => resolve(x))) {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(p);
    } catch {
      console.error(`grade: ${p}: no such file or folder`);
      Deno.exit(2);
    }
    if (info.isFile) found.push({ file: p, root: join(p, "..") });
    else {
      const walk = (dir: string) => {
        let entries: Deno.DirEntry[] = [];
        try {
          entries = [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name));
        } catch (e) {
          console.error(`grade: ${dir}: cannot be listed (${(e as Error).message}); skipped`);
        }
        for (const e of entries) {
          if (e.name === ".ipynb_checkpoints" || e.name === ".grader-work") continue;
          // A link could point at solutions/ or outside; submissions are regular files.
          if (e.isSymlink) {
            console.error(`grade: ${join(dir, e.name)} is a symbolic link; skipped`);
            continue;
          }
          const full = join(dir, e.name);
          if (e.isDirectory) walk(full);
          else if (e.name.endsWith(".ipynb")) found.push({ file: full, root: p });
        }
      };
      walk(p);
    }
  }
  return found;
}

const submissions = collect(positionals);
const sources = await loadCheckSources(
  [join(PROJECT_ROOT, "lib", "course", "checks", "mod.ts"), ...args.checks!.map((c) => resolve(c))],
  args["hidden-checks"]!.map((d) => resolve(d)),
);
const limits = {
  checkSeconds: Number(args["check-seconds"]),
  importSeconds: Number(args["import-seconds"]),
  memoryMB: Number(args["memory-mb"]),
  submissionSeconds: Number(args["submission-seconds"]),
  // Even the grader's temporary modules stay inside --out (removed at the end).
  workDir,
};

// The gradebook's columns: every check of the notebooks in this batch.
const numbers = new Set(submissions.map((s) => notebookNumber(s.file)).filter(Boolean));
const ids = sources.flatMap((s) => s.definitions.map((d) => d.id)).filter((id) =>
  numbers.has(id.slice(0, 2))
);

const out = args.out ? resolve(args.out) : undefined;
const gradebook = out ? join(out, "gradebook.csv") : undefined;
const done = new Set<string>();
const folders = new FolderNames();
let todo = submissions;
if (out && gradebook) {
  await Deno.mkdir(out, { recursive: true });
  let previous: Record<string, string>[] = [];
  if (args.resume) {
    const text = await Deno.readTextFile(gradebook).catch(() => "");
    previous = Papa.parse<Record<string, string>>(text.trim(), { header: true }).data
      .filter((r) => r.file);
  }
  for (const r of previous) {
    done.add(r.file);
    folders.take(r.folder || r.student);
  }
  todo = submissions.filter((s) => !done.has(s.file));
  if (previous.length === 0) {
    await Deno.writeTextFile(
      gradebook,
      Papa.unparse({ fields: gradebookFields(ids), data: [] }).trim() + "\n",
    );
  }
  if (args.resume) console.error(`resume: ${done.size} already graded, ${todo.length} to go`);
}

const results: SubmissionResult[] = [];
const line = progressLine(out !== undefined);
let next = 0;
let finished = 0;
let writing = Promise.resolve();
const worker = async () => {
  while (next < todo.length) {
    const i = next++;
    const { file, root } = todo[i];
    const student = studentOf(file, root);
    const result = await gradeSubmission(file, student, sources, limits, seed);
    results[i] = result;
    finished++;
    if (out && gradebook) {
      // One row at a time, in finishing order: a killed batch keeps every finished row.
      writing = writing.then(async () => {
        const folder = folders.take(
          submissions.filter((s) => studentOf(s.file, s.root) === student).length > 1
            ? `${student}-${basename(file, ".ipynb")}`
            : student,
        );
        await writeStudentOutputs(out, folder, result, args["show-hidden"]);
        await Deno.writeTextFile(gradebook, gradebookRow(result, ids, folder) + "\n", {
          append: true,
        });
      }).catch((e) => console.error(`grade: could not write ${student}'s results: ${e.message}`));
    }
    line.update(`graded ${finished}/${todo.length}`, true);
  }
};
await Promise.all(Array.from({ length: Math.max(1, Number(args.jobs)) }, worker));
await writing;
line.clear();

if (out) {
  const total = results.reduce((s, r) => s + r.total, 0);
  console.log(
    `graded ${results.length} submission(s) into ${args.out} with seed ${seed} (mean ${
      (total / Math.max(1, results.length)).toFixed(2)
    } points)`,
  );
} else {
  for (const r of results) console.log(selfGradeTable(r, args["show-hidden"]) + "\n");
  console.log(`seed ${seed} (grade again with --seed ${seed} to repeat these inputs)`);
}
