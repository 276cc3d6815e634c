// The notebooks as students meet them: JupyterLab (set-up's, on 127.0.0.1 with a token) in
// headless Chromium driven by playwright-core. Each solution notebook in fast mode, Run All:
// every cell shows its own outputs (the kinds its last statement makes), no error output, each
// plot cell a drawn plotly chart, each check line ✅ PASS. Then a reload with the kernel alive
// and one plot cell re-run draws again; and a student notebook's first check shows ❌ FAIL
// "not implemented yet" under that cell. Screenshots go to out/ui/ for a person to look at.
import { join } from "node:path";
import ts from "typescript";
import type { Browser, Page } from "playwright-core";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { launchChromium } from "./helpers/browser.ts";
import { type JupyterLab, startJupyterLab } from "./helpers/jupyter_lab.ts";
import {
  type CellView,
  openNotebook,
  readCells,
  runCell,
  runCommand,
  waitUntilRun,
} from "./helpers/lab_page.ts";

const SHOTS = join(ROOT, "out", "ui");
const SOLUTIONS = [...Deno.readDirSync(join(ROOT, "solutions"))]
  .filter((e) => e.name.endsWith(".ipynb")).map((e) => e.name).sort();

/** What a code cell must show, from its last statement. */
type Expected = "check" | "plot" | "markdown" | "value" | "none";

/**
 * The outputs a cell's last statement makes: `await check(…)` a check line, `await plot(…)` a
 * chart, `table(…)`/`md(…)` markdown, another expression maybe a value, anything else nothing.
 */
function expectedOutput(source: string): Expected {
  const file = ts.createSourceFile("cell.ts", source, ts.ScriptTarget.Latest, true);
  const last = file.statements.at(-1);
  if (!last || !ts.isExpressionStatement(last)) return "none";
  let expr: ts.Expression = last.expression;
  if (ts.isAwaitExpression(expr)) expr = expr.expression;
  if (ts.isCallExpression(expr) && ts.isIdentifier(expr.expression)) {
    const name = expr.expression.text;
    if (name === "check") return "check";
    if (name === "plot") return "plot";
    if (name === "table" || name === "md") return "markdown";
  }
  return "value";
}

/** Everything wrong with one cell's outputs, as readable lines. */
function problems(cell: CellView): string[] {
  const where = `cell ${cell.index} (${
    JSON.stringify(cell.source.split("\n").at(-1)?.slice(0, 60))
  })`;
  const found: string[] = [];
  const results = cell.outputTypes.filter((t) => t === "execute_result" || t === "display_data");
  if (cell.executionCount === null) found.push(`${where} did not run`);
  if (cell.outputTypes.includes("error")) found.push(`${where} shows an error: ${cell.text}`);
  const expected = expectedOutput(cell.source);
  if (expected === "none" && results.length > 0) {
    found.push(`${where} shows a result that belongs to another cell: ${cell.text.slice(0, 120)}`);
  }
  if (expected !== "none" && expected !== "value" && results.length !== 1) {
    found.push(`${where} should show one ${expected} output, shows ${results.length}`);
  }
  if (expected === "check" && !/✅ PASS \d\d\.\w+: /.test(cell.text)) {
    found.push(`${where} check line is not ✅ PASS: ${cell.text.slice(0, 160)}`);
  }
  if (expected === "plot" && (cell.charts !== 1 || cell.drawnCharts !== 1)) {
    found.push(
      `${where} should draw one plotly chart: ${cell.charts} chart(s), ${cell.drawnCharts} drawn`,
    );
  }
  if (cell.untitledCharts > 0) found.push(`${where} chart title not shown`);
  if (expected === "markdown" && !cell.renderedMimes.includes("text/markdown")) {
    found.push(`${where} should render markdown, renders ${cell.renderedMimes.join(", ")}`);
  }
  return found;
}

/** Screenshots of the notebook's top, its first check cell and every chart cell. */
async function screenshots(page: Page, name: string, cells: CellView[]) {
  await Deno.mkdir(SHOTS, { recursive: true });
  const stem = name.replace(/\.ipynb$/, "");
  await page.screenshot({ path: join(SHOTS, `${stem}.png`) });
  const picked = [
    ...cells.filter((c) => expectedOutput(c.source) === "check").slice(0, 1),
    ...cells.filter((c) => expectedOutput(c.source) === "plot"),
  ];
  for (const cell of picked) {
    const kind = expectedOutput(cell.source);
    await page.locator(".jp-Notebook .jp-Cell").nth(cell.index).screenshot({
      path: join(SHOTS, `${stem}-cell${cell.index}-${kind}.png`),
    });
  }
}

/** The current notebook's kernel, shut down through JupyterLab. */
async function shutDownKernel(page: Page) {
  await page.evaluate(() =>
    // deno-lint-ignore no-explicit-any
    (globalThis as any).jupyterapp.shell.currentWidget.sessionContext.shutdown()
  );
}

let lab: JupyterLab | undefined;
let browser: Browser | undefined;
let setupError: Error | undefined;
try {
  lab = await startJupyterLab({ PRUNING_LAB_FAST: "1" });
  browser = await launchChromium();
} catch (e) {
  setupError = e as Error;
}

Deno.test({
  name: "the notebooks in JupyterLab through Chromium: own outputs, drawn charts, checks",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (setupError) {
      await lab?.close();
      throw new Error(setupError.message.split("\n")[0]);
    }
    const context = await browser!.newContext({ viewport: { width: 1280, height: 900 } });
    context.on("page", (p) => p.on("dialog", (d) => d.accept()));
    let page = await context.newPage();
    try {
      for (const name of SOLUTIONS) {
        await t.step(`solutions/${name}: Run All`, async () => {
          await openNotebook(page, lab!.urlOf(`solutions/${name}`));
          await runCommand(page, "notebook:run-all-cells");
          await waitUntilRun(page);
          const cells = await readCells(page);
          await screenshots(page, name, cells);
          assert.deepStrictEqual(cells.flatMap(problems), [], `solutions/${name}`);
          const plots = cells.filter((c) => expectedOutput(c.source) === "plot");
          assert.ok(plots.length > 0, `${name} has plot cells`);

          if (name === SOLUTIONS[0]) {
            // Reopen the page while the kernel runs on; one plot cell re-run must draw again.
            await page.reload();
            await openNotebook(page, lab!.urlOf(`solutions/${name}`));
            await runCell(page, plots[0].index);
            await waitUntilRun(page, { indices: [plots[0].index] });
            const again = (await readCells(page)).find((c) => c.index === plots[0].index)!;
            await page.locator(".jp-Notebook .jp-Cell").nth(again.index).screenshot({
              path: join(SHOTS, `${name.replace(/\.ipynb$/, "")}-reloaded-cell${again.index}.png`),
            });
            assert.deepStrictEqual(problems(again), [], "the plot cell re-run after a reload");
          }
          await shutDownKernel(page);
          await page.close();
          page = await context.newPage();
        });
      }

      await t.step("notebooks/01: the first check says ❌ FAIL not implemented yet", async () => {
        const student = SOLUTIONS[0];
        await openNotebook(page, lab!.urlOf(`notebooks/${student}`));
        const first = (await readCells(page)).find((c) => expectedOutput(c.source) === "check")!;
        await page.evaluate((i) => {
          // deno-lint-ignore no-explicit-any
          (globalThis as any).jupyterapp.shell.currentWidget.content.activeCellIndex = i;
        }, first.index);
        await runCommand(page, "notebook:run-all-above");
        await runCell(page, first.index);
        await waitUntilRun(page, {
          indices: (await readCells(page)).filter((c) => c.index <= first.index).map((c) =>
            c.index
          ),
        });
        const cells = await readCells(page);
        const shown = cells.find((c) => c.index === first.index)!;
        await page.locator(".jp-Notebook .jp-Cell").nth(shown.index).screenshot({
          path: join(SHOTS, `student-${student.replace(/\.ipynb$/, "")}-cell${shown.index}.png`),
        });
        assert.match(shown.text, /❌ FAIL \d\d\.\w+: 0\/\d+ points — .*is not implemented yet/);
        const elsewhere = cells.filter((c) => c.index !== shown.index && /❌/.test(c.text));
        assert.deepStrictEqual(elsewhere.map((c) => c.index), [], "the ❌ line is only there");
        await shutDownKernel(page);
      });

      // No bad message between kernel and server, and nothing saved over the notebooks.
      const log = lab!.log().split("\n");
      assert.deepStrictEqual(log.filter((l) => /Invalid Signature|Traceback/i.test(l)), []);
      assert.deepStrictEqual(log.filter((l) => /Saving file at/.test(l)), [], "saved notebooks");
    } finally {
      await context.close();
      await browser?.close();
      await lab?.close();
    }
  },
});
