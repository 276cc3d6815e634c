// Driving a notebook in JupyterLab through playwright-core: open it, run all cells or one cell,
// wait until the kernel is done, and read back each cell's outputs from the page (output types
// from the notebook model, what is drawn from the DOM).
import type { Page } from "playwright-core";

/** One code cell as the page shows it after running. */
export interface CellView {
  /** Index among all cells of the notebook (markdown included). */
  index: number;
  source: string;
  executionCount: number | null;
  /** Output types in order: `execute_result`, `display_data`, `stream`, `error`. */
  outputTypes: string[];
  /** The MIME type JupyterLab rendered for each output (`data-mime-type`). */
  renderedMimes: string[];
  /** Text of the rendered outputs. */
  text: string;
  /** Plotly charts in the cell's outputs, and how many of them have drawn marks. */
  charts: number;
  drawnCharts: number;
  /** Charts whose layout asks for a title that the chart does not show. */
  untitledCharts: number;
}

// The page's JupyterLab application (exposed by --LabApp.expose_app_in_browser).
// deno-lint-ignore no-explicit-any
type Any = any;

/**
 * Opens a notebook URL and waits until its kernel is ready.
 *
 * @example
 * ```ts
 * await openNotebook(page, lab.urlOf("solutions/01_architecture.ipynb"));
 * ```
 */
export async function openNotebook(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(
    () => {
      const app = (globalThis as Any).jupyterapp;
      const panel = app?.shell?.currentWidget;
      return panel?.sessionContext?.session?.kernel?.status === "idle" &&
        panel.content?.widgets?.length > 0;
    },
    undefined,
    { timeout: 120_000, polling: 250 },
  );
}

/**
 * Runs a JupyterLab command on the current notebook (e.g. `notebook:run-all-cells`).
 *
 * @example
 * ```ts
 * await runCommand(page, "notebook:run-all-cells");
 * ```
 */
export async function runCommand(page: Page, command: string): Promise<void> {
  await page.evaluate((c) => (globalThis as Any).jupyterapp.commands.execute(c), command);
}

/**
 * Selects cell `index` of the current notebook and runs it (as Shift+Enter would).
 *
 * @example
 * ```ts
 * await runCell(page, 24);
 * ```
 */
export async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const panel = (globalThis as Any).jupyterapp.shell.currentWidget;
    panel.content.activeCellIndex = i;
    panel.content.deselectAll();
  }, index);
  await runCommand(page, "notebook:run-cell");
}

/**
 * Waits until every code cell in `indices` (default: all) has run, the kernel is idle, and
 * nothing changed for `quietMs` (the Deno kernel can send outputs after reporting idle); or
 * until nothing runs and nothing changed for `stalledMs` (Run All stopped at an error).
 *
 * @example
 * ```ts
 * await waitUntilRun(page, { timeoutMs: 300_000 });
 * ```
 */
export async function waitUntilRun(
  page: Page,
  { indices, timeoutMs = 600_000, quietMs = 1500, stalledMs = 20_000 }: {
    indices?: number[];
    timeoutMs?: number;
    quietMs?: number;
    /** Give up waiting for cells that never started (e.g. Run All stopped at an error). */
    stalledMs?: number;
  } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  let stableSince = Date.now();
  while (true) {
    const state = await page.evaluate((only) => {
      const panel = (globalThis as Any).jupyterapp.shell.currentWidget;
      const cells = panel.content.widgets.map((c: Any, i: number) => ({ c, i }))
        .filter(({ c, i }: Any) => c.model.type === "code" && (!only || only.includes(i)));
      const running = cells.some(({ c }: Any) =>
        c.model.executionState === "running" ||
        c.node.querySelector(".jp-InputArea-prompt")?.textContent?.includes("*")
      );
      const ran = cells.every(({ c }: Any) => c.model.executionCount !== null);
      const idle = panel.sessionContext.session?.kernel?.status === "idle";
      const outputs = cells.map(({ c }: Any) =>
        `${c.model.executionCount}:${c.model.outputs.length}`
      ).join(",");
      return { done: ran && !running && idle, stalled: !running && idle, key: outputs };
    }, indices ?? null);
    if (state.key !== last) {
      last = state.key;
      stableSince = Date.now();
    }
    const quiet = Date.now() - stableSince;
    if (state.done && quiet >= quietMs) return;
    if (state.stalled && quiet >= stalledMs) return; // what did not run is reported by the caller

    if (Date.now() > deadline) throw new Error(`cells still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * What every code cell of the current notebook shows.
 *
 * @example
 * ```ts
 * const cells = await readCells(page);
 * cells.filter((c) => c.outputTypes.includes("error"));
 * ```
 */
export async function readCells(page: Page): Promise<CellView[]> {
  return await page.evaluate(() => {
    const panel = (globalThis as Any).jupyterapp.shell.currentWidget;
    return panel.content.widgets.map((cell: Any, index: number) => {
      if (cell.model.type !== "code") return null;
      const outputs = cell.model.outputs.toJSON();
      const area = cell.node.querySelector(".jp-OutputArea");
      const rendered = [...(area?.querySelectorAll("[data-mime-type]") ?? [])] as Any[];
      const charts = [...(area?.querySelectorAll(".js-plotly-plot") ?? [])] as Any[];
      const drawn = charts.filter((gd) =>
        (gd._fullData?.length ?? 0) > 0 &&
        gd.querySelector(".main-svg g.trace, .main-svg g.hm") !== null
      );
      const untitled = charts.filter((gd) =>
        gd.layout?.title && !gd.querySelector(".gtitle")?.textContent?.trim()
      );
      return {
        index,
        source: cell.model.sharedModel.getSource(),
        executionCount: cell.model.executionCount,
        outputTypes: outputs.map((o: Any) => o.output_type),
        renderedMimes: rendered.map((e) => e.dataset.mimeType ?? ""),
        text: (area?.innerText ?? "").trim(),
        charts: charts.length,
        drawnCharts: drawn.length,
        untitledCharts: untitled.length,
      };
    }).filter((c: Any) => c !== null);
  });
}
