// What run_autograder runs inside Gradescope's container: grades every notebook of the
// submission with `deno task grade` (hidden checks too when the bundle has them) and writes
// one results.json that Gradescope reads. Always writes one, even when grading fails.
import { basename, join } from "node:path";
import { PROJECT_ROOT } from "lib/io/paths.ts";

/** Gradescope's folders, all under AUTOGRADER_ROOT (default /autograder). */
export function gradescopePaths(root = Deno.env.get("AUTOGRADER_ROOT") ?? "/autograder") {
  return {
    submission: join(root, "submission"),
    results: join(root, "results", "results.json"),
    hiddenChecks: join(root, "source", "hidden_checks"),
  };
}

/** One test in Gradescope's results.json. */
export interface GradescopeTest {
  name: string;
  score?: number;
  max_score?: number;
  output?: string;
  visibility?: string;
  [key: string]: unknown;
}

/** Gradescope's results.json. */
export interface GradescopeResults {
  score?: number;
  output?: string;
  tests?: GradescopeTest[];
  [key: string]: unknown;
}

/**
 * One results.json from the grader's per-notebook ones: tests side by side (names prefixed by
 * the notebook when there are several), scores added up, outputs joined, each notebook's
 * `extra_data` (the grading seed) kept.
 *
 * @example
 * ```ts
 * mergeResults([["01_architecture", { score: 2, tests: [] }]]).score; // 2
 * ```
 */
export function mergeResults(parts: [string, GradescopeResults][]): GradescopeResults {
  const several = parts.length > 1;
  const tests = parts.flatMap(([notebook, r]) =>
    (r.tests ?? []).map((t) => several ? { ...t, name: `${notebook}: ${t.name}` } : t)
  );
  const score = parts.reduce(
    (sum, [, r]) =>
      sum + (r.score ?? (r.tests ?? []).reduce((s, t) => s + Number(t.score ?? 0), 0)),
    0,
  );
  const output = parts.map(([notebook, r]) => r.output ? `${notebook}: ${r.output}` : "")
    .filter(Boolean).join("\n");
  // One notebook keeps its results.json whole (extra_data with the seed included).
  const rest = several
    ? { extra_data: Object.fromEntries(parts.map(([notebook, r]) => [notebook, r.extra_data])) }
    : parts[0]?.[1] ?? {};
  return { ...rest, score: Math.round(score * 100) / 100, ...(output ? { output } : {}), tests };
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Every results.json under a folder, with the folder name it came from. */
async function readAll(dir: string): Promise<[string, GradescopeResults][]> {
  const found: [string, GradescopeResults][] = [];
  for await (const entry of Deno.readDir(dir)) {
    const file = join(dir, entry.name, "results.json");
    if (entry.isDirectory && await exists(file)) {
      found.push([entry.name, JSON.parse(await Deno.readTextFile(file))]);
    }
  }
  return found.sort(([a], [b]) => a.localeCompare(b));
}

/**
 * Grades the submission folder and returns the merged results (a zero score with the reason
 * when there is nothing to grade or the grader fails).
 *
 * @example
 * ```ts
 * const results = await gradeForGradescope(gradescopePaths());
 * ```
 */
export async function gradeForGradescope(
  paths: ReturnType<typeof gradescopePaths>,
): Promise<GradescopeResults> {
  const notebooks: string[] = [];
  if (await exists(paths.submission)) {
    for await (const entry of Deno.readDir(paths.submission)) {
      if (entry.isFile && entry.name.endsWith(".ipynb")) notebooks.push(entry.name);
    }
  }
  if (notebooks.length === 0) {
    return {
      score: 0,
      output: "No .ipynb file in the submission: upload your notebook.",
      tests: [],
    };
  }
  // The grader names a student after the folder; the submission is one student's folder.
  const work = await Deno.makeTempDir({ prefix: "gradescope-" });
  try {
    const student = join(work, "in", "submission");
    await Deno.mkdir(student, { recursive: true });
    for (const name of notebooks.sort()) {
      await Deno.copyFile(join(paths.submission, name), join(student, name));
    }
    const hidden = await exists(paths.hiddenChecks) ? ["--hidden-checks", paths.hiddenChecks] : [];
    const out = join(work, "out");
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["task", "grade", join(work, "in"), "--out", out, "--jobs", "1", ...hidden],
      cwd: PROJECT_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(run.stdout) + new TextDecoder().decode(run.stderr);
    console.log(log);
    const parts = await exists(out) ? await readAll(out) : [];
    if (parts.length === 0) {
      return {
        score: 0,
        output: `The grader could not grade ${notebooks.join(", ")} (exit ${run.code}):\n` +
          log.split("\n").slice(-20).join("\n"),
        tests: [],
      };
    }
    return mergeResults(
      parts.map(([folder, r]) =>
        [folder.replace(/^submission-/, ""), r] as [string, GradescopeResults]
      ),
    );
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const paths = gradescopePaths();
  const results = await gradeForGradescope(paths).catch((e: Error): GradescopeResults => ({
    score: 0,
    output: `The autograder failed: ${e.message}`,
    tests: [],
  }));
  await Deno.mkdir(join(paths.results, ".."), { recursive: true });
  await Deno.writeTextFile(paths.results, JSON.stringify(results, null, 2) + "\n");
  console.log(`wrote ${paths.results}: score ${results.score} (${basename(paths.submission)})`);
}
