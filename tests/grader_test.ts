// The autograder on the sample notebook: release, notebook -> module, grading the solution
// (full marks), the released stubs (zero, "not implemented yet"), the crafted batch through
// `deno task grade --out`, hidden checks, self-grade, and check() in the real Deno kernel.
import { join } from "node:path";
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import { runTool } from "./helpers/tool.ts";
import { assert } from "./helpers/assert.ts";
import { ROOT, SHARED } from "./helpers/paths.ts";
import { formatNotebook, type Notebook, readNotebook, sourceOf } from "lib/grader/notebook.ts";
import { releaseNotebook, stubRegions } from "lib/grader/release.ts";
import { notebookToModule } from "lib/grader/module.ts";
import { gradeSubmission, loadCheckSources } from "lib/grader/grade.ts";
import { releaseAll } from "../tools/release.ts";
import { codeCells, runInKernel } from "./helpers/kernel.ts";

const FIXTURES = join(ROOT, "tests", "fixtures");
const SAMPLE = join(FIXTURES, "solutions", "00_sample.ipynb");
const SAMPLE_CHECKS = join(FIXTURES, "checks", "00_sample.ts");
const LIMITS = {
  checkSeconds: 15,
  importSeconds: 20,
  memoryMB: 256,
  readable: [join(SHARED, "fixtures")],
};

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

Deno.test("notebook -> module: setup and TODO cells only; a syntax error leaves out its TODO only", async () => {
  const nb = await readNotebook(join(FIXTURES, "submissions", "syntax_error", "00_sample.ipynb"));
  const { code, exports, left } = notebookToModule(nb);
  assert.deepStrictEqual(exports, ["mean", "countParameters"]);
  assert.match(left.get("00.softmax")!, /^cell \d+ has a syntax error: line 1:/);
  assert.ok(!code.includes("randomNormal"), "the heavy cell is not part of the module");
  assert.ok(!code.includes("await check("), "check cells are not part of the module");
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
  for (const o of stub.outcomes) assert.strictEqual(o.message, `${o.id} is not implemented yet`);
});

Deno.test("every course notebook: the solution scores full marks, the released stub 0 with 'not implemented yet'", async () => {
  const sources = await loadCheckSources([join(ROOT, "lib", "checks", "mod.ts")]);
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
      assert.strictEqual(o.message, `${o.id} is not implemented yet`, `${name}: ${o.id}`);
    }
  }
});

const grade = (...args: string[]) => runTool("grade", ...args);

Deno.test("the crafted batch: every submission is a row with the right score, nothing written outside --out", async () => {
  const out = await Deno.makeTempDir();
  const marks = ["/tmp/pruning-lab-pwned.txt", "/tmp/pruning-lab-spawned"];
  for (const m of marks) await Deno.remove(m).catch(() => {});
  const run = await grade(
    join(FIXTURES, "submissions"),
    "--out",
    out,
    "--checks",
    SAMPLE_CHECKS,
    "--hidden-checks",
    join(FIXTURES, "hidden_checks"),
    "--check-seconds",
    "8",
    "--import-seconds",
    "15",
    "--memory-mb",
    "256",
  );
  assert.strictEqual(run.code, 0, run.err);
  const rows = Papa.parse<Record<string, string>>(
    (await Deno.readTextFile(join(out, "gradebook.csv"))).trim(),
    { header: true },
  ).data;
  const byStudent = Object.fromEntries(rows.map((r) => [r.student, r]));
  const expected: Record<string, [number, number, number, number]> = {
    // 00.mean, 00.count_parameters, 00.softmax, hidden 00.mean.negative
    correct: [1, 2, 2, 1],
    wrong_answer: [0, 2, 2, 0],
    throws: [1, 0, 2, 1],
    syntax_error: [1, 2, 0, 1],
    infinite_loop: [0, 2, 2, 0],
    top_level_loop: [0, 2, 2, 0],
    reads_solutions: [0, 0, 0, 0],
    writes_and_network: [0, 0, 2, 0],
    spawns_and_exits: [0, 0, 2, 0],
    huge_allocation: [1, 0, 2, 1],
    warnings_and_type_error: [1, 2, 2, 1],
    not_json: [0, 0, 0, 0],
  };
  assert.deepStrictEqual(Object.keys(byStudent).sort(), Object.keys(expected).sort());
  for (const [student, scores] of Object.entries(expected)) {
    const row = byStudent[student];
    const got = ["00.mean", "00.count_parameters", "00.softmax", "00.mean.negative"].map((id) =>
      Number(row[id])
    );
    assert.deepStrictEqual(got, scores, `${student}: ${JSON.stringify(row)}`);
    assert.strictEqual(Number(row.total), scores.reduce((a, b) => a + b, 0));
    assert.strictEqual(Number(row.max), 6);
  }
  const message = async (student: string, id: string) => {
    const results = JSON.parse(await Deno.readTextFile(join(out, student, "results.json")));
    return results.tests.find((t: { name: string }) => t.name.startsWith(`${id}:`))
      .output as string;
  };
  assert.match(await message("infinite_loop", "00.mean"), /timed out/);
  assert.match(await message("top_level_loop", "00.mean"), /top-level code timed out/);
  assert.match(await message("huge_allocation", "00.count_parameters"), /out of memory/);
  assert.match(
    await message("reads_solutions", "00.count_parameters"),
    /Requires read access to ".*solutions"/,
  );
  assert.match(await message("writes_and_network", "00.mean"), /Requires write access/);
  assert.match(await message("writes_and_network", "00.count_parameters"), /Requires net access/);
  assert.match(await message("spawns_and_exits", "00.mean"), /Requires run access/);
  assert.match(await message("spawns_and_exits", "00.count_parameters"), /exited with code 0/);
  assert.match(await message("syntax_error", "00.softmax"), /syntax error/);
  assert.match(await message("not_json", "00.mean"), /not a notebook: invalid JSON/);
  for (const m of marks) {
    assert.ok(!(await Deno.stat(m).then(() => true, () => false)), `${m} was created`);
  }

  // Gradescope format, hidden checks hidden from students.
  const results = JSON.parse(await Deno.readTextFile(join(out, "correct", "results.json")));
  assert.strictEqual(results.score, 6);
  const hidden = results.tests.find((t: { name: string }) => t.name.startsWith("00.mean.negative"));
  assert.deepStrictEqual([hidden.visibility, hidden.status, hidden.max_score], [
    "hidden",
    "passed",
    1,
  ]);
  assert.ok(
    results.tests.every((t: Record<string, unknown>) =>
      ["name", "score", "max_score", "status", "output", "visibility"].every((k) => k in t)
    ),
  );
  const feedback = await Deno.readTextFile(join(out, "correct", "feedback.md"));
  assert.match(feedback, /\*\*Score: 5 \/ 5\*\*/);
  assert.ok(!feedback.includes("00.mean.negative"), "hidden check leaked into feedback.md");
  const outputs = [...Deno.readDirSync(out)].map((e) => e.name).sort();
  assert.deepStrictEqual(outputs, ["gradebook.csv", ...Object.keys(expected)].sort());
  await Deno.remove(out, { recursive: true });
});

Deno.test("self-grade prints a per-TODO table", async () => {
  const run = await grade(
    join(FIXTURES, "submissions", "wrong_answer", "00_sample.ipynb"),
    "--checks",
    SAMPLE_CHECKS,
  );
  assert.strictEqual(run.code, 0, run.err);
  assert.match(run.out, /❌ 00\.mean\s+0\/1\s+mean\(\[1, 2, 6\]\): expected 3, got 9/);
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
