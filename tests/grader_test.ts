// The autograder on the sample notebook: release, notebook -> module, grading the solution
// (full marks), the released stubs (zero, "not implemented yet"), the crafted batch through
// `deno task grade --out`, hidden checks, self-grade, and check() in the real Deno kernel.
import { join } from "node:path";
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import { runTool } from "./helpers/tool.ts";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { formatNotebook, type Notebook, readNotebook, sourceOf } from "lib/notebook/ipynb.ts";
import { releaseNotebook, stubRegions } from "lib/grader/assign/release.ts";
import { notebookToModule } from "lib/grader/parent/module.ts";
import { gradeSubmission } from "lib/grader/parent/grade.ts";
import { loadCheckSources } from "lib/grader/parent/sources.ts";
import { runCheck } from "lib/grader/api/check.ts";
import { fixtures, freshSeed } from "lib/grader/api/fixtures.ts";
import { localStudent } from "lib/grader/api/local_student.ts";
import { WRITTEN_QUESTIONS } from "lib/course/written_questions.ts";
import { ANSWER_PLACEHOLDER } from "lib/grader/api/written.ts";
import { releaseAll } from "../tools/release.ts";
import { codeCells, runInKernel } from "../tools/kernel_run.ts";

const FIXTURES = join(ROOT, "tests", "fixtures");
const SAMPLE = join(FIXTURES, "solutions", "00_sample.ipynb");
const SAMPLE_CHECKS = join(FIXTURES, "checks", "00_sample.ts");
const LIMITS = { checkSeconds: 15, importSeconds: 20, memoryMB: 1536 };

Deno.test("a region becomes a stub that throws its TODO id and keeps hints", () => {
  const source = [
    "function f(x: number): number {",
    "  // BEGIN SOLUTION",
    "  // Hint: double it",
    "  return 2 * x;",
    "  // END SOLUTION",
    "}",
  ].join("\n");
  assert.strictEqual(
    stubRegions(source, "00.f", "cell 1"),
    'function f(x: number): number {\n  // Hint: double it\n  throw new Error("00.f is not implemented yet");\n}',
  );
  assert.throws(() => stubRegions("// BEGIN SOLUTION\nx", "00.f", "nb.ipynb: cell 4"), {
    message: "nb.ipynb: cell 4: // BEGIN SOLUTION without // END SOLUTION",
  });
});

Deno.test("release clears outputs, drops instructor cells and is deterministic", async () => {
  const solution = await readNotebook(SAMPLE);
  const once = releaseNotebook(solution, SAMPLE);
  const twice = releaseNotebook(JSON.parse(formatNotebook(once)) as Notebook, SAMPLE);
  assert.strictEqual(formatNotebook(twice), formatNotebook(once));
  assert.ok(solution.cells.some((c) => c.metadata.pruning_lab?.instructor));
  assert.ok(!once.cells.some((c) => c.metadata.pruning_lab?.instructor));
  for (const cell of once.cells.filter((c) => c.cell_type === "code")) {
    assert.deepStrictEqual(cell.outputs, []);
    assert.strictEqual(cell.execution_count, null);
    assert.ok(!sourceOf(cell).includes("BEGIN SOLUTION"));
  }
});

Deno.test("every released stub keeps at least one hint", async () => {
  for (const e of Deno.readDirSync(join(ROOT, "notebooks"))) {
    if (!e.name.endsWith(".ipynb")) continue;
    const nb = await readNotebook(join(ROOT, "notebooks", e.name));
    for (const cell of nb.cells.filter((c) => c.metadata.pruning_lab?.todo)) {
      const source = sourceOf(cell);
      assert.match(
        source,
        /\/\/ Hint: \S/,
        `${e.name}: ${cell.metadata.pruning_lab!.todo} has no hint`,
      );
      assert.match(source, /is not implemented yet/);
    }
  }
});

Deno.test("written questions: each has one answer cell in its solution and a rubric for its points; the release leaves the placeholder", async () => {
  const ids = new Set<string>();
  for (const e of Deno.readDirSync(join(ROOT, "solutions"))) {
    if (!e.name.endsWith(".ipynb")) continue;
    const solution = await readNotebook(join(ROOT, "solutions", e.name));
    const released = await readNotebook(join(ROOT, "notebooks", e.name));
    for (const cell of solution.cells.filter((c) => c.metadata.pruning_lab?.written)) {
      const id = cell.metadata.pruning_lab!.written!;
      assert.ok(
        WRITTEN_QUESTIONS.some((q) => q.id === id),
        `${e.name}: ${id} is not a known question`,
      );
      assert.ok(!ids.has(id), `${id} answered twice`);
      ids.add(id);
      const student = released.cells.find((c) => c.metadata.pruning_lab?.written === id)!;
      assert.strictEqual(sourceOf(student), ANSWER_PLACEHOLDER);
      assert.notStrictEqual(sourceOf(cell), ANSWER_PLACEHOLDER);
    }
  }
  assert.deepStrictEqual([...ids].sort(), WRITTEN_QUESTIONS.map((q) => q.id).sort());
  // Each question's rubric accounts for its points ("1 point: …" per point).
  for (const q of WRITTEN_QUESTIONS) {
    assert.strictEqual(q.rubric?.match(/\b1 point:/g)?.length, q.points, q.id);
  }
});

Deno.test("notebooks/ are exactly the release of solutions/ (course and sample)", async () => {
  for (
    const [solutions, notebooks] of [["solutions", "notebooks"], [
      "tests/fixtures/solutions",
      "tests/fixtures/notebooks",
    ]]
  ) {
    const released = await releaseAll(join(ROOT, solutions));
    for (const [name, text] of released) {
      const committed = await Deno.readTextFile(join(ROOT, notebooks, name)).catch(() =>
        "(missing)"
      );
      assert.ok(
        committed === text,
        `${notebooks}/${name} differs from the release of ${solutions}/${name}: run deno task release`,
      );
    }
  }
});

Deno.test("notebook -> module: declarations of setup, TODO and used untagged cells; a syntax error leaves out its TODO only", async () => {
  const nb = await readNotebook(join(FIXTURES, "submissions", "syntax_error", "00_sample.ipynb"));
  const { code, exports, left } = notebookToModule(nb);
  assert.deepStrictEqual(exports, ["mean", "countParameters"]);
  assert.match(left.get("00.softmax")!, /^cell \d+ has a syntax error: line 1:/);
  assert.ok(!code.includes("randomNormal"), "the heavy cell is not part of the module");
  assert.ok(!code.includes("await check("), "check cells are not part of the module");
});

Deno.test("notebook -> module: last declaration wins, helpers in untagged cells come along, demos stay out", () => {
  const cell = (source: string, todo?: string) => ({
    cell_type: "code" as const,
    source,
    metadata: todo ? { pruning_lab: { todo, points: 1 } } : {},
    outputs: [],
  });
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      {
        ...cell('import { tf } from "lib/engine/tf.ts";'),
        metadata: { pruning_lab: { setup: true } },
      },
      cell("function mean(xs: number[]) { return 0; }", "00.mean"),
      cell("const twice = (x: number) => 2 * x;\nfunction half(x: number) { return x / 2; }"),
      cell(
        "console.log(twice(2));\nconst unused = await fetch('x');\nfunction helper2() { return 1; }",
      ),
      cell(
        "function mean(xs: number[]) { return half(twice(xs.reduce((a, b) => a + b, 0))) / xs.length; }\nsetInterval(() => {}, 10);",
        "00.mean",
      ),
    ],
  };
  const { code, exports } = notebookToModule(nb as unknown as Notebook);
  assert.deepStrictEqual(exports.sort(), ["half", "mean", "twice"]);
  assert.ok(!code.includes("return 0;"), "the first copy of the TODO cell is replaced by the last");
  assert.ok(!code.includes("setInterval") && !code.includes("console.log"), code);
  assert.ok(!code.includes("fetch") && !code.includes("helper2"), "unused untagged code stays out");
});

Deno.test("the solution scores full marks; the released stubs score 0 with 'not implemented yet'", async () => {
  const sources = await loadCheckSources([SAMPLE_CHECKS]);
  const full = await gradeSubmission(SAMPLE, "solution", sources, LIMITS);
  assert.deepStrictEqual(full.outcomes.map((o) => [o.id, o.passed]), [["00.mean", true], [
    "00.count_parameters",
    true,
  ], ["00.softmax", true]]);
  assert.strictEqual(full.total, full.max);
  const stub = await gradeSubmission(
    join(FIXTURES, "notebooks", "00_sample.ipynb"),
    "stub",
    sources,
    LIMITS,
  );
  assert.strictEqual(stub.total, 0);
  for (const o of stub.outcomes) {
    assert.match(o.message, new RegExp(`^${o.id.replace(".negative", "")} is not implemented yet`));
  }
});

Deno.test("every course notebook: the solution scores full marks, the released stub 0 with 'not implemented yet'", async () => {
  const sources = await loadCheckSources([join(ROOT, "lib", "course", "checks", "mod.ts")]);
  const names = [...Deno.readDirSync(join(ROOT, "solutions"))].filter((e) =>
    e.name.endsWith(".ipynb")
  ).map((e) => e.name);
  assert.ok(names.length > 0);
  for (const name of names) {
    const solution = await gradeSubmission(
      join(ROOT, "solutions", name),
      "solution",
      sources,
      LIMITS,
    );
    assert.ok(solution.outcomes.length > 0, `${name}: no checks`);
    for (const o of solution.outcomes) assert.ok(o.passed, `${name}: ${o.id}: ${o.message}`);
    const stub = await gradeSubmission(join(ROOT, "notebooks", name), "stub", sources, LIMITS);
    assert.strictEqual(stub.total, 0, name);
    for (const o of stub.outcomes) {
      assert.match(o.message, /is not implemented yet/, `${name}: ${o.id}`);
    }
  }
});

const grade = (...args: string[]) => runTool("grade", ...args);

/** Every file under `dir` (recursively), for before/after comparisons. */
function filesUnder(dir: string): Set<string> {
  const found = new Set<string>();
  const walk = (d: string) => {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(d, e.name);
      if (e.isDirectory) walk(full);
      else found.add(full);
    }
  };
  walk(dir);
  return found;
}

/** Deno's cache folder as this Deno reports it. */
async function denoDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] })
    .output();
  return JSON.parse(new TextDecoder().decode(stdout)).denoDir;
}

Deno.test("one batch: the crafted corpus, solutions/ and notebooks/ get exactly their expected scores; nothing is written outside --out", async () => {
  const out = await Deno.makeTempDir();
  const marks = ["/tmp/pruning-lab-pwned.txt", "/tmp/pruning-lab-spawned"];
  for (const m of marks) await Deno.remove(m).catch(() => {});
  const home = Deno.env.get("HOME")!;
  const cache = await denoDir();
  const before = new Set([...filesUnder(home), ...filesUnder(cache)]);
  const run = await grade(
    join(FIXTURES, "submissions"),
    join(ROOT, "solutions"),
    join(ROOT, "notebooks"),
    "--out",
    out,
    "--checks",
    SAMPLE_CHECKS,
    "--hidden-checks",
    join(FIXTURES, "hidden_checks"),
    "--check-seconds",
    "10",
    "--import-seconds",
    "30",
    "--memory-mb",
    "1536",
  );
  assert.strictEqual(run.code, 0, run.err);
  const rows = Papa.parse<Record<string, string>>(
    (await Deno.readTextFile(join(out, "gradebook.csv"))).trim(),
    { header: true },
  ).data;
  const expected: Record<string, { notebook: string; expect: Record<string, number> }> = JSON
    .parse(await Deno.readTextFile(join(FIXTURES, "submissions_expected.json")));
  const results = async (row: Record<string, string>) =>
    JSON.parse(await Deno.readTextFile(join(out, row.folder, "results.json")));
  const seeds = new Set(rows.map((r) => r.seed));
  assert.strictEqual(seeds.size, 1, "one seed for the whole batch");
  const problems: string[] = [];
  for (const row of rows) {
    const r = await results(row);
    assert.strictEqual(String(r.extra_data.seed), row.seed);
    const inCorpus = row.file.includes(join("fixtures", "submissions"));
    const fromSolutions = row.file.startsWith(join(ROOT, "solutions"));
    const expect = inCorpus ? expected[row.student]?.expect : undefined;
    if (inCorpus && !expect) problems.push(`${row.student}: not in submissions_expected.json`);
    for (
      const t of r.tests as { name: string; score: number; max_score: number; output: string }[]
    ) {
      const id = t.name.split(":")[0];
      if (/NEEDS MANUAL GRADING/.test(t.name)) {
        // A written question: 0 until a grader sets its points.
        if (t.score !== 0) problems.push(`${row.student} ${id}: written answer scored ${t.score}`);
        continue;
      }
      const want = inCorpus ? (expect?.[id] ?? t.max_score) : fromSolutions ? t.max_score : 0;
      if (Math.abs(t.score - want) > 1e-9) {
        problems.push(
          `${row.student} (${
            row.file.replace(ROOT, "")
          }) ${id}: ${t.score}, expected ${want} — ${t.output}`,
        );
      }
      if (!inCorpus && !fromSolutions && !/is not implemented yet/.test(t.output)) {
        problems.push(`${row.file}: ${id}: ${t.output}`);
      }
    }
  }
  assert.deepStrictEqual(problems, []);
  assert.strictEqual(
    rows.filter((r) => r.file.includes("fixtures")).length,
    Object.keys(expected).length,
  );

  const message = async (student: string, id: string) => {
    const r = await results(rows.find((row) => row.student === student)!);
    return r.tests.find((t: { name: string }) => t.name.startsWith(`${id}:`)).output as string;
  };
  assert.match(await message("infinite_loop", "00.mean"), /timed out/);
  assert.match(
    await message("huge_allocation", "00.count_parameters"),
    /out of memory|allocation failed/,
  );
  assert.match(
    await message("h08_array_buffers", "00.count_parameters"),
    /allocation failed|out of memory/,
  );
  assert.match(
    await message("reads_solutions", "00.count_parameters"),
    /Requires read access to ".*solutions"/,
  );
  assert.match(await message("writes_and_network", "00.mean"), /Requires write access/);
  assert.match(await message("spawns_and_exits", "00.mean"), /Requires run access/);
  assert.match(await message("spawns_and_exits", "00.count_parameters"), /Deno\.exit/);
  assert.match(await message("syntax_error", "00.softmax"), /syntax error/);
  assert.match(await message("h01_deep_parens", "00.softmax"), /nested \d+ levels deep/);
  assert.match(await message("not_json", "00.mean"), /not a notebook: invalid JSON/);
  assert.match(
    await message("h07_delegates_prune_heads", "04.prune_heads"),
    /course's own implementation/,
  );
  assert.match(
    await message("h09_timer_blamed", "00.count_parameters"),
    /top-level code raised an error/,
  );
  for (const m of marks) {
    assert.ok(!(await Deno.stat(m).then(() => true, () => false)), `${m} was created`);
  }

  // Written answers: collected for the instructor; the stub's are missing.
  const folderOf = (file: string) => rows.find((r) => r.file === file)!.folder;
  const written = (root: string) =>
    Deno.readTextFile(join(out, folderOf(join(ROOT, root, "02_evaluation.ipynb")), "written.md"));
  assert.match(
    await written("solutions"),
    /## 02\\\.other\\_metrics \(2 points\)[\s\S]*A good answer/,
  );
  assert.match(await written("notebooks"), /_\(no answer\)_/);
  // Each answer comes with its rubric; results.json lists the question for a grader.
  assert.match(
    await written("solutions"),
    /A good answer[\s\S]*\*\*Rubric\*\* \(2 points\): 1 point: at least two further metrics/,
  );
  const solution02 = await results(
    rows.find((r) => r.file.endsWith("solutions/02_evaluation.ipynb"))!,
  );
  const manual = solution02.tests.filter((t: { name: string }) =>
    /NEEDS MANUAL GRADING/.test(t.name)
  );
  assert.deepStrictEqual(
    manual.map((t: { name: string; score: number; max_score: number; output: string }) => [
      t.name.split(":")[0],
      t.score,
      t.max_score,
      /Rubric|1 point/.test(t.output),
    ]),
    [["02.other_metrics", 0, 2, false]],
  );
  assert.strictEqual(solution02.extra_data.manual_max, 2);
  assert.strictEqual(
    rows.find((r) => r.file.endsWith("solutions/02_evaluation.ipynb"))!["manual max"],
    "2",
  );

  // Reports: colliding names get their own folders; messages stay one escaped line.
  const folders = rows.filter((r) => r.student.startsWith("alice")).map((r) => r.folder).sort();
  assert.deepStrictEqual(folders, ["alice_smith", "alice_smith-2"]);
  const fake = await Deno.readTextFile(
    join(out, rows.find((r) => r.student === "h10_fake_score_message")!.folder, "feedback.md"),
  );
  assert.strictEqual(fake.match(/\*\*Score:/g)?.length, 1, fake);
  assert.ok(fake.split("\n").every((l) => !l.includes("20 / 20")), fake);

  // Gradescope format, hidden checks hidden from students.
  const correct = await results(rows.find((r) => r.student === "correct")!);
  assert.strictEqual(correct.score, 6);
  const hidden = correct.tests.find((t: { name: string }) => t.name.startsWith("00.mean.negative"));
  assert.deepStrictEqual([hidden.visibility, hidden.status, hidden.max_score], [
    "hidden",
    "passed",
    1,
  ]);
  const feedback = await Deno.readTextFile(join(out, "correct", "feedback.md"));
  assert.match(feedback, /\*\*Score: 5 \/ 5\*\*/);
  assert.ok(!feedback.includes("00.mean.negative") && !feedback.includes("00\\.mean\\.negative"));
  const outputs = [...Deno.readDirSync(out)].map((e) => e.name);
  assert.ok(!outputs.includes(".grader-work"), "the grader's work folder is removed");
  assert.strictEqual(outputs.length, rows.length + 1);

  // Nothing of the batch (submissions, generated modules, hidden checks) under $HOME or the
  // user's DENO_DIR.
  const leftovers = [...filesUnder(home), ...filesUnder(cache)].filter((f) => {
    if (before.has(f) || /-(wal|shm|journal)$/.test(f)) return false;
    if (/submission|hidden|grader-work|pruning-lab-grade|fixtures\/submissions/.test(f)) {
      return true;
    }
    const text = (() => {
      try {
        return Deno.readTextFileSync(f);
      } catch {
        return "";
      }
    })();
    return /00\.mean\.negative|__pruningLabCell/.test(text);
  });
  assert.deepStrictEqual(leftovers, []);
  await Deno.remove(out, { recursive: true });
});

Deno.test("fresh fixtures: the solution scores full marks under two seeds; values hard-coded from one run fail the next", async () => {
  const sources = await loadCheckSources([SAMPLE_CHECKS]);
  const [seedA, seedB] = [freshSeed(), freshSeed() + 1];
  for (const seed of [seedA, seedB]) {
    const r = await gradeSubmission(SAMPLE, "solution", sources, LIMITS, seed);
    assert.strictEqual(r.total, r.max, `seed ${seed}: ${JSON.stringify(r.outcomes)}`);
  }
  // Record what the mean check asks under seed A and hard-code the answer.
  const meanCheck = sources[0].definitions.find((d) => d.id === "00.mean")!;
  let answer = NaN;
  const recorder = {
    mean: (xs: number[]) => (answer = xs.reduce((a, b) => a + b, 0) / xs.length),
  };
  await runCheck(meanCheck, {
    student: localStudent(recorder, "00.mean"),
    fx: fixtures(seedA, "00.mean"),
  });
  const nb = await readNotebook(SAMPLE);
  nb.cells.find((c) => c.metadata.pruning_lab?.todo === "00.mean")!.source =
    `function mean(xs: number[]): number {\n  return ${answer};\n}`;
  const dir = await Deno.makeTempDir();
  const file = join(dir, "00_sample.ipynb");
  await Deno.writeTextFile(file, formatNotebook(nb));
  const score = async (seed: number) =>
    (await gradeSubmission(file, "hard-coded", sources, LIMITS, seed)).outcomes.find((o) =>
      o.id === "00.mean"
    )!.score;
  assert.strictEqual(await score(seedA), 1, "the hard-coded answer is right for its own run");
  assert.strictEqual(await score(seedB), 0, "and wrong for the next");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the recipe book is sealed before a submission loads: registering a recipe or reader throws", async () => {
  const sources = await loadCheckSources([SAMPLE_CHECKS]);
  const nb = await readNotebook(SAMPLE);
  const setup = nb.cells.find((c) => c.metadata.pruning_lab?.setup === true)!;
  // Setup cells run whole: this one tries to add a reader as the submission loads.
  setup.source = `${sourceOf(setup)}
import { registerRecipes } from "lib/grader/shared/recipe_book.ts";
let recipeBookSealed = false;
try {
  registerRecipes({ readers: { calls: () => 0 } });
} catch (e) {
  recipeBookSealed = String(e).includes("cannot be registered");
}`;
  nb.cells.find((c) => c.metadata.pruning_lab?.todo === "00.mean")!.source =
    `function mean(xs: number[]): number {\n  return recipeBookSealed ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;\n}`;
  const dir = await Deno.makeTempDir();
  const file = join(dir, "00_sample.ipynb");
  await Deno.writeTextFile(file, formatNotebook(nb));
  const r = await gradeSubmission(file, "registers", sources, LIMITS, freshSeed());
  assert.strictEqual(r.outcomes.find((o) => o.id === "00.mean")!.score, 1, JSON.stringify(r));
  await Deno.remove(dir, { recursive: true });
  // Outside the grader's worker (here) the book is open, so the same code would score 0.
  const { registerRecipes } = await import("lib/grader/shared/recipe_book.ts");
  assert.doesNotThrow(() =>
    registerRecipes({ readers: { [`open-${crypto.randomUUID()}`]: () => 0 } })
  );
});

Deno.test("--resume skips students already in the gradebook and appends the rest", async () => {
  const out = await Deno.makeTempDir();
  const subs = await Deno.makeTempDir();
  const add = async (student: string) => {
    await Deno.mkdir(join(subs, student));
    await Deno.copyFile(
      join(FIXTURES, "submissions", student, "00_sample.ipynb"),
      join(subs, student, "00_sample.ipynb"),
    );
  };
  await add("correct");
  await add("wrong_answer");
  const args = [subs, "--out", out, "--checks", SAMPLE_CHECKS, "--seed", "5"];
  const first = await grade(...args);
  assert.strictEqual(first.code, 0, first.err);
  await add("throws");
  const second = await grade(...args, "--resume");
  assert.strictEqual(second.code, 0, second.err);
  assert.match(second.err, /resume: 2 already graded, 1 to go/);
  const rows = Papa.parse<Record<string, string>>(
    (await Deno.readTextFile(join(out, "gradebook.csv"))).trim(),
    { header: true },
  ).data;
  assert.deepStrictEqual(rows.map((r) => r.student).sort(), ["correct", "throws", "wrong_answer"]);
  assert.deepStrictEqual(
    Object.fromEntries(rows.map((r) => [r.student, r.total])),
    { correct: "5", wrong_answer: "4", throws: "3" },
  );
  await Deno.remove(out, { recursive: true });
  await Deno.remove(subs, { recursive: true });
});

Deno.test("self-grade prints a per-TODO table", async () => {
  const run = await grade(
    join(FIXTURES, "submissions", "wrong_answer", "00_sample.ipynb"),
    "--checks",
    SAMPLE_CHECKS,
    "--seed",
    "3",
  );
  assert.strictEqual(run.code, 0, run.err);
  assert.match(run.out, /❌ 00\.mean\s+0\/1\s+mean\(\[[-\d,]+\]\): expected [-\d.]+, got [-\d.]+/);
  assert.match(run.out, /seed 3/);
  assert.match(run.out, /✅ 00\.softmax\s+2\/2/);
  assert.match(run.out, /total\s+4\/5/);
});

Deno.test("check() in the real Deno kernel: ✅ on the solution, ❌ 'not implemented yet' on the stub", async () => {
  for (const [folder, mark] of [["solutions", "✅"], ["notebooks", "❌"]]) {
    const nb = await readNotebook(join(FIXTURES, folder, "00_sample.ipynb"));
    const outputs = await runInKernel(
      codeCells(nb).filter((c) => !c.includes("randomNormal")),
      join(FIXTURES, folder),
      {},
      120,
    );
    const shown = outputs.flat().filter((o) => o.type === "execute_result").map((o) =>
      String(o.data!["text/plain"])
    );
    const checks = shown.filter((t) => /00\.(mean|count_parameters|softmax):/.test(t));
    assert.strictEqual(checks.length, 3, JSON.stringify(outputs));
    for (const line of checks) {
      assert.ok(line.startsWith(mark), line);
      if (mark === "❌") assert.match(line, /is not implemented yet/);
    }
  }
});
