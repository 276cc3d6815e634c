// Nothing input-independent scores: for every TODO of every course notebook, the solution is
// recorded on a fresh seed, then mutants generated from it (run S0's values as constants,
// each function's first answer for every call, its answer on the notebook's printed example
// for every call, values memorised wherever the input never changes, each argument ignored in
// turn) face three other fresh seeds and must score 0 every time, while the solution scores
// full marks.
// Runs in this process on the solutions' TODO cells (as the in-notebook check() does).
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { mutantsOf, type Recording, recordSolution } from "./helpers/check_mutants.ts";
import { EXAMPLE_SENTENCES, printedExamples } from "./fixtures/printed_examples.ts";
import { loadModel, TINY_MODEL } from "lib/model/loading.ts";
import { initTf } from "lib/engine/tf.ts";
import type { Plain } from "lib/grader/shared/probe.ts";
import { courseChecks } from "lib/course/checks/mod.ts";
import "lib/course/recipes.ts";
import { runCheck } from "lib/grader/api/check.ts";
import { fixtures, freshSeed } from "lib/grader/api/fixtures.ts";
import { localStudent } from "lib/grader/api/local_student.ts";
import { notebookToModule } from "lib/grader/parent/module.ts";
import { readNotebook } from "lib/notebook/ipynb.ts";
import { PROJECT_ROOT, toFileUrl } from "lib/io/paths.ts";

/** The names a solution notebook's setup and TODO cells define, imported here. */
async function solutionNames(file: string, dir: string): Promise<Record<string, unknown>> {
  const nb = await readNotebook(file);
  const exclude = new Map<number, string>();
  nb.cells.forEach((c, i) => {
    const marks = c.metadata?.pruning_lab ?? {};
    if (!marks.setup && !marks.todo) exclude.set(i, "not a setup or TODO cell");
  });
  const path = join(dir, `${file.split("/").at(-1)!.replace(".ipynb", "")}.ts`);
  await Deno.writeTextFile(path, notebookToModule(nb, { exclude }).code);
  return await import(toFileUrl(path));
}

Deno.test("every TODO: constant, printed-example, memorised and argument-ignoring mutants score 0 under three fresh seeds; the solution scores full marks", async () => {
  const dir = await Deno.makeTempDir();
  const solutions = join(PROJECT_ROOT, "solutions");
  const names = new Map<string, Record<string, unknown>>();
  for (const e of [...Deno.readDirSync(solutions)].filter((e) => e.name.endsWith(".ipynb"))) {
    names.set(e.name.slice(0, 2), await solutionNames(join(solutions, e.name), dir));
  }
  // The printed examples: the small model's config and the example sentences' token ids.
  await initTf();
  const { model, tokenizer } = await loadModel(TINY_MODEL);
  const { inputIds } = tokenizer.encodeBatch(EXAMPLE_SENTENCES);
  const examples = printedExamples(structuredClone(model.config) as unknown as Plain, inputIds);
  const s0 = freshSeed();
  const seeds = [s0 + 1, s0 + 2, s0 + 3];
  const problems: string[] = [];
  const table: string[] = [];
  let mutants = 0;
  for (const check of courseChecks()) {
    const defined = names.get(check.id.slice(0, 2));
    assert.ok(defined, `no solution notebook for ${check.id}`);
    const solution = () => localStudent(defined, check.id);
    const { result, recording } = await recordSolution(check, solution(), s0);
    const probe = examples[check.id];
    assert.ok(probe, `no printed example for ${check.id}`);
    const example: Recording = { probes: [probe], outcomes: [await solution().probe(probe)] };
    for (const o of example.outcomes[0]) {
      if (o.threw || o.missing) {
        problems.push(`${check.id}: the example failed: ${o.threw ?? o.missing}`);
      }
    }
    if (result.fraction !== 1) {
      problems.push(`${check.id}: solution, seed ${s0}: ${result.message}`);
    }
    for (const seed of seeds) {
      const r = await runCheck(check, { student: solution(), fx: fixtures(seed, check.id) });
      if (r.fraction !== 1) problems.push(`${check.id}: solution, seed ${seed}: ${r.message}`);
    }
    for (const m of mutantsOf(recording, example)) {
      const scores: string[] = [];
      for (const seed of seeds) {
        const student = m.student(solution());
        const r = await runCheck(check, { student, fx: fixtures(seed, check.id) });
        // An argument that is the same in every run (the course's own callback, the embedded
        // tokenizer) cannot be ignored observably: nothing to test.
        if (!student.changed()) {
          scores.push("-");
          continue;
        }
        mutants++;
        scores.push(String(Number(r.fraction.toFixed(2))));
        if (r.fraction !== 0) {
          problems.push(
            `${check.id}: ${m.name}, seed ${seed} (S0 ${s0}): ${r.fraction}: ${r.message}`,
          );
        }
      }
      table.push(`${check.id}  ${m.name}: ${scores.join(" ")}`);
    }
  }
  console.log(`S0 ${s0}, seeds ${seeds.join(", ")}; ${mutants} mutant runs\n${table.join("\n")}`);
  await Deno.remove(dir, { recursive: true });
  assert.deepStrictEqual(problems, []);
});
