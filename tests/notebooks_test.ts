// The course notebooks, executed headlessly in the real Deno kernel in fast mode: no error
// outputs, every in-notebook check passes on the solutions, the end-to-end results show, and
// figures are plotly's MIME type with a small HTML fallback (never plotly.js itself).
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { codeCells, runInKernel } from "../tools/kernel_run.ts";
import { readNotebook, sourceOf } from "lib/notebook/ipynb.ts";
import { PLOTLY_MIME } from "lib/notebook/display.ts";

const NOTEBOOKS = [...Deno.readDirSync(join(ROOT, "solutions"))]
  .filter((e) => e.name.endsWith(".ipynb")).map((e) => e.name).sort();

/** Outputs some notebooks must show (besides checks and a figure): their end-to-end results. */
const EXPECTED_OUTPUTS: Record<string, RegExp[]> = {
  "04_head_pruning.ipynb": [
    /\| DistilBERT-base, B=1, S=64 \| 30% heads \+ 50% FFN \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 1\.76 \|/,
    /\| Not bad at all for the price\. \| (POSITIVE|NEGATIVE) \| [01]\.\d{3} \| \1 \|/,
  ],
};

for (const name of NOTEBOOKS) {
  Deno.test(`${name} runs headlessly in the Deno kernel (fast mode), checks pass, figures stay small`, async () => {
    const nb = await readNotebook(join(ROOT, "solutions", name));
    const outputs = await runInKernel(codeCells(nb), join(ROOT, "notebooks"), {
      PRUNING_LAB_FAST: "1",
    });
    const errors = outputs.flatMap((o, i) =>
      o.filter((x) => x.type === "error").map((x) => `cell ${i + 1}: ${x.ename}: ${x.evalue}`)
    );
    assert.deepStrictEqual(errors, [], "error outputs");
    const all = outputs.flat();
    const texts = all.map((o) => String(o.data?.["text/plain"] ?? o.text ?? ""));
    const failed = texts.filter((t) => t.startsWith("❌"));
    assert.deepStrictEqual(failed, [], "in-notebook checks failed on the solution");
    const checks = texts.filter((t) => t.startsWith("✅")).length;
    const todos = nb.cells.filter((c) => c.metadata.pruning_lab?.todo).length;
    assert.strictEqual(checks, todos, "every TODO's check cell ran");
    const shownText = all.map((o) =>
      String(o.data?.["text/markdown"] ?? o.data?.["text/plain"] ?? o.text ?? "")
    ).join("\n");
    for (const pattern of EXPECTED_OUTPUTS[name] ?? []) {
      assert.match(shownText, pattern, `${name} shows its results`);
    }

    // Figures are plotly's MIME type plus a small HTML fallback (drawn in a browser by
    // tests/display_test.ts and in JupyterLab by tests/notebooks_ui_test.ts): no output carries
    // plotly.js, so a saved notebook stays small.
    const figures = all.filter((x) => x.data?.[PLOTLY_MIME]);
    assert.ok(figures.length > 0, "the notebook shows at least one plotly figure");
    for (const figure of figures) {
      const html = String(figure.data!["text/html"] ?? "");
      assert.ok(html.length > 0 && html.length < 50_000, `figure HTML of ${html.length} bytes`);
    }
  });
}

Deno.test("released notebooks never show authoring words (seed, issue) to students", async () => {
  const found: string[] = [];
  for (const name of NOTEBOOKS) {
    const nb = await readNotebook(join(ROOT, "notebooks", name));
    nb.cells.forEach((cell, i) => {
      for (const m of sourceOf(cell).matchAll(/[^\n]*\b(seed|issue)s?\b[^\n]*/gi)) {
        found.push(`${name} cell ${i + 1}: ${m[0].trim()}`);
      }
    });
  }
  assert.deepStrictEqual(found, [], "student-visible authoring words");
});
