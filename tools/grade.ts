// `deno task grade <files or folders> [--out <dir>]`: grades notebooks in sandboxed
// subprocesses, in parallel. With --out: gradebook.csv + <student>/results.json and
// feedback.md. Without: a self-grade table per notebook.
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import {
  gradeSubmission,
  loadCheckSources,
  studentOf,
  type SubmissionResult,
} from "lib/grader/grade.ts";
import { selfGradeTable, writeGradingOutputs } from "lib/grader/report.ts";
import { PROJECT_ROOT } from "lib/paths.ts";
import { progressLine } from "lib/progress.ts";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: "string" },
    "hidden-checks": { type: "string", multiple: true, default: [] },
    checks: { type: "string", multiple: true, default: [] },
    jobs: { type: "string", default: String(navigator.hardwareConcurrency || 2) },
    "show-hidden": { type: "boolean", default: false },
    "check-seconds": { type: "string", default: "60" },
    "import-seconds": { type: "string", default: "120" },
    "memory-mb": { type: "string", default: "2048" },
  },
});

if (positionals.length === 0) {
  console.error(
    "usage: deno task grade <notebook files or folders> [--out <dir>] [--hidden-checks <dir>]",
  );
  Deno.exit(2);
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
        for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
          if (e.name === ".ipynb_checkpoints") continue;
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
  [join(PROJECT_ROOT, "lib", "checks", "mod.ts"), ...args.checks!.map((c) => resolve(c))],
  args["hidden-checks"]!.map((d) => resolve(d)),
);
const shared = join(PROJECT_ROOT, "..", "shared");
const limits = {
  checkSeconds: Number(args["check-seconds"]),
  importSeconds: Number(args["import-seconds"]),
  memoryMB: Number(args["memory-mb"]),
  readable: [join(shared, "fixtures"), join(shared, "data", "bert-base-uncased")],
  // With --out, even the grader's temporary modules stay inside it (removed at the end).
  workDir: args.out ? join(resolve(args.out), ".grader-work") : undefined,
};

const results: SubmissionResult[] = new Array(submissions.length);
const line = progressLine(args.out !== undefined);
let next = 0;
let finished = 0;
const worker = async () => {
  while (next < submissions.length) {
    const i = next++;
    const { file, root } = submissions[i];
    results[i] = await gradeSubmission(file, studentOf(file, root), sources, limits);
    finished++;
    line.update(`graded ${finished}/${submissions.length}`, true);
  }
};
await Promise.all(Array.from({ length: Math.max(1, Number(args.jobs)) }, worker));
line.clear();

if (args.out) {
  await Deno.remove(limits.workDir!, { recursive: true }).catch(() => {});
  await writeGradingOutputs(resolve(args.out), results, args["show-hidden"]);
  const total = results.reduce((s, r) => s + r.total, 0);
  console.log(
    `graded ${results.length} submission(s) into ${args.out} (mean ${
      (total / Math.max(1, results.length)).toFixed(2)
    } points)`,
  );
} else {
  for (const r of results) console.log(selfGradeTable(r, args["show-hidden"]) + "\n");
}
