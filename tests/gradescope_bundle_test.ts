// The Gradescope autograder bundle, tried out as Gradescope runs it: unpacked into a temporary
// root laid out like /autograder (AUTOGRADER_ROOT), setup.sh (with this Deno), then
// run_autograder on a correct submission (solutions/), a stub (notebooks/) and an empty one.
import { join } from "node:path";
import { unzipSync } from "fflate";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { writeBundle } from "../tools/gradescope_bundle.ts";
import { type GradescopeResults, mergeResults } from "../tools/gradescope/run.ts";

/** Unix modes of a zip's entries, from its central directory. */
function zipModes(zip: Uint8Array): Map<string, number> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const modes = new Map<string, number>();
  for (let i = 0; i + 46 <= zip.length; i++) {
    if (view.getUint32(i, true) !== 0x02014b50) continue;
    const nameLength = view.getUint16(i + 28, true);
    const name = new TextDecoder().decode(zip.subarray(i + 46, i + 46 + nameLength));
    modes.set(name, (view.getUint32(i + 38, true) >>> 16) & 0o777);
  }
  return modes;
}

/** An instructor's hidden check for notebook 01 (the bundle must grade it). */
const HIDDEN_CHECK =
  `import { call, defineChecks, expectClose, value } from "lib/grader/api/check.ts";
export default defineChecks([{
  id: "01.size_mb.hidden",
  points: 1,
  title: "Size of one million parameters",
  uses: ["sizeInMB"],
  run: async ({ student }) =>
    expectClose(value(await call(student, "sizeInMB", [1_000_000]), "sizeInMB(1e6)"), 4, "sizeInMB(1e6)", 1e-9),
}]);
`;

const run = async (script: string, env: Record<string, string>) => {
  const out = await new Deno.Command("bash", {
    args: [script],
    env,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.strictEqual(out.code, 0, `${script}:\n${text}`);
  return text;
};

Deno.test("the Gradescope bundle sets up and grades a correct, a stub and an empty submission", async () => {
  const root = await Deno.makeTempDir({ prefix: "autograder-" });
  try {
    const hidden = join(root, "instructor-hidden");
    await Deno.mkdir(hidden);
    await Deno.writeTextFile(join(hidden, "01_hidden.ts"), HIDDEN_CHECK);
    const zipPath = join(root, "autograder.zip");
    await writeBundle(zipPath, { hiddenChecks: hidden });
    const zip = await Deno.readFile(zipPath);
    const modes = zipModes(zip);
    assert.strictEqual(modes.get("setup.sh"), 0o755);
    assert.strictEqual(modes.get("run_autograder"), 0o755);
    assert.ok(modes.has("hidden_checks/01_hidden.ts"), "hidden checks are in the bundle");
    assert.ok(modes.has("deno.lock") && modes.has("lib/course/checks/mod.ts"));
    assert.ok(![...modes.keys()].some((f) => f.startsWith("tests/fixtures/submissions/")));

    // Gradescope's layout: the bundle unpacked in source/, submission/ and results/ beside it.
    const source = join(root, "source");
    for (const [path, data] of Object.entries(unzipSync(zip))) {
      if (path.endsWith("/")) continue;
      await Deno.mkdir(join(source, path, ".."), { recursive: true });
      await Deno.writeFile(join(source, path), data);
    }
    const env = { AUTOGRADER_ROOT: root, AUTOGRADER_DENO: Deno.execPath() };
    await run(join(source, "setup.sh"), env);

    const grade = async (notebook?: string): Promise<GradescopeResults> => {
      await Deno.remove(join(root, "submission"), { recursive: true }).catch(() => {});
      await Deno.mkdir(join(root, "submission"));
      if (notebook) {
        await Deno.copyFile(join(ROOT, notebook), join(root, "submission", "my_work.ipynb"));
      }
      await Deno.remove(join(root, "results"), { recursive: true }).catch(() => {});
      await run(join(source, "run_autograder"), env);
      return JSON.parse(await Deno.readTextFile(join(root, "results", "results.json")));
    };

    const correct = await grade("solutions/01_architecture.ipynb");
    const manual = (t: { name: string }) => /NEEDS MANUAL GRADING/.test(t.name);
    const tests = (correct.tests ?? []).filter((t) => !manual(t));
    const max = tests.reduce((s, t) => s + Number(t.max_score), 0);
    // The written question: listed for a grader, 0 until graded.
    const written = (correct.tests ?? []).filter(manual);
    assert.deepStrictEqual(
      written.map((t) => [t.name.split(":")[0], t.score, t.max_score]),
      [["01.where_parameters_live", 0, 2]],
    );
    assert.ok(tests.length >= 7, JSON.stringify(correct));
    assert.strictEqual(correct.score, max, JSON.stringify(correct));
    const hiddenTest = tests.find((t) => t.name.startsWith("01.size_mb.hidden"));
    assert.ok(hiddenTest, "the hidden check was graded");
    assert.strictEqual(hiddenTest.visibility, "hidden");
    assert.ok(Number.isInteger((correct.extra_data as { seed?: number })?.seed), "the seed");

    const stub = await grade("notebooks/01_architecture.ipynb");
    assert.strictEqual(stub.score, 0, JSON.stringify(stub));
    for (const t of (stub.tests ?? []).filter((t) => t.visibility !== "hidden" && !manual(t))) {
      assert.match(String(t.output), /is not implemented yet/, t.name);
    }

    const empty = await grade();
    assert.strictEqual(empty.score, 0);
    assert.match(String(empty.output), /No \.ipynb file in the submission/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("several notebooks in one submission merge into one results.json", () => {
  const merged = mergeResults([
    ["01_architecture", {
      score: 3,
      tests: [{ name: "a", score: 3, max_score: 4 }],
      extra_data: { seed: 7 },
    }],
    ["02_evaluation", { tests: [{ name: "b", score: 1.5, max_score: 2 }], output: "late" }],
  ]);
  assert.strictEqual(merged.score, 4.5);
  assert.deepStrictEqual(merged.tests!.map((t) => t.name), [
    "01_architecture: a",
    "02_evaluation: b",
  ]);
  assert.strictEqual(merged.output, "02_evaluation: late");
  assert.deepStrictEqual(merged.extra_data, {
    "01_architecture": { seed: 7 },
    "02_evaluation": undefined,
  });
});
