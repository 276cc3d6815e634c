// The course notebooks, executed headlessly in the real Deno kernel in fast mode: no error
// outputs, every in-notebook check passes on the solutions, and one plotly figure of each
// notebook survives an HTML export (nbconvert) and renders in headless Chromium (not blank).
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { codeCells, runInKernel } from "./helpers/kernel.ts";
import { formatNotebook, type Notebook, readNotebook } from "lib/grader/notebook.ts";

const NOTEBOOKS = [...Deno.readDirSync(join(ROOT, "solutions"))]
  .filter((e) => e.name.endsWith(".ipynb")).map((e) => e.name).sort();

/** Renders an HTML file in headless Chromium; returns the screenshot's pixels. */
async function screenshot(html: string): Promise<PNG> {
  const dir = await Deno.makeTempDir();
  const png = join(dir, "shot.png");
  const { code, stderr } = await new Deno.Command("/usr/bin/chromium", {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${join(dir, "profile")}`,
      "--window-size=1000,2000",
      "--virtual-time-budget=10000",
      "--hide-scrollbars",
      `--screenshot=${png}`,
      `file://${html}`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`headless Chromium is needed (apt-get install chromium): ${e.message}`);
  });
  assert.strictEqual(code, 0, new TextDecoder().decode(stderr));
  const image = PNG.sync.read(Buffer.from(await Deno.readFile(png)));
  await Deno.remove(dir, { recursive: true });
  return image;
}

/** Coloured pixels a drawn plot has at least (a few thin lines); text and axes have none. */
const MIN_COLOURED = 1000;

/** Pixels that are clearly coloured (plot marks), not white, grey or black text. */
function colouredPixels(image: PNG): number {
  let n = 0;
  for (let i = 0; i < image.data.length; i += 4) {
    const [r, g, b] = [image.data[i], image.data[i + 1], image.data[i + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) n++;
  }
  return n;
}

Deno.test("the blank-figure detector sees no plot on a page without one", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "blank.html"),
    "<html><body><h1>No figure here</h1><p>Only text.</p></body></html>",
  );
  const image = await screenshot(join(dir, "blank.html"));
  await Deno.remove(dir, { recursive: true });
  assert.ok(
    colouredPixels(image) < MIN_COLOURED,
    `${colouredPixels(image)} coloured pixels on a page without a plot`,
  );
});

/** Outputs some notebooks must show (besides checks and a figure): their end-to-end results. */
const EXPECTED_OUTPUTS: Record<string, RegExp[]> = {
  "04_head_pruning.ipynb": [
    /\| DistilBERT-base, B=1, S=64 \| 30% heads \+ 50% FFN \| [\d.]+ \| [\d.]+ \| [\d.]+ \| 1\.76 \|/,
    /\| Not bad at all for the price\. \| (POSITIVE|NEGATIVE) \| [01]\.\d{3} \| \1 \|/,
  ],
};

for (const name of NOTEBOOKS) {
  Deno.test(`${name} runs headlessly in the Deno kernel (fast mode), checks pass, a figure renders`, async () => {
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

    // The notebook's last figure (its results plot), exported by nbconvert after the first one
    // (which carries plotly.js for the page, as in a whole-notebook export), must draw.
    const figures = all.filter((x) => x.data?.["application/vnd.plotly.v1+json"]);
    assert.ok(figures.length > 0, "the notebook shows at least one plotly figure");
    const shown = figures.length > 1 ? [figures[0], figures.at(-1)!] : [figures[0]];
    const executed: Notebook = {
      ...nb,
      cells: shown.map((figure, i) => ({
        cell_type: "code",
        source: "",
        metadata: {},
        execution_count: i + 1,
        outputs: [{
          output_type: "execute_result",
          execution_count: i + 1,
          metadata: {},
          data: figure.data,
        }],
      })),
    };
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(join(dir, "figure.ipynb"), formatNotebook(executed));
    const convert = await new Deno.Command("/usr/bin/jupyter-nbconvert", {
      args: ["--to", "html", join(dir, "figure.ipynb")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.strictEqual(convert.code, 0, new TextDecoder().decode(convert.stderr));
    const image = await screenshot(join(dir, "figure.html"));
    await Deno.remove(dir, { recursive: true });
    const coloured = colouredPixels(image);
    assert.ok(
      coloured >= MIN_COLOURED,
      `the exported figure looks blank: ${coloured} coloured pixels (at least ${MIN_COLOURED} expected)`,
    );
  });
}
