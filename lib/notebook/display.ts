// Rich notebook output: markdown tables, markdown prose and plotly figures. A figure carries
// plotly's MIME type (JupyterLab draws it with the jupyterlab-plotly renderer) and a small HTML
// fallback that draws it where that renderer is missing, loading plotly.js from the kernel
// (lib/notebook/plotly_server.ts) when the page has no window.Plotly: no output embeds plotly.js.
import { plotlyUrl } from "./plotly_server.ts";
import { keepOutputsWithTheirCell } from "./jupyter_outputs.ts";

// Every notebook imports this module in its first cell: from then on the kernel keeps each
// cell's outputs under that cell (see lib/notebook/jupyter_outputs.ts).
keepOutputsWithTheirCell();

/** A plotly figure: traces and layout, as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

/** What the Deno Jupyter kernel calls to render a value. */
const DISPLAY = Symbol.for("Jupyter.display");
/** The MIME type JupyterLab's plotly renderer (and nteract, VS Code) draws. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A value that renders as a MIME bundle in Jupyter. */
export interface Displayable {
  [DISPLAY](): Record<string, unknown>;
}

/** Where the HTML of a figure gets plotly.js when the page has none. */
export interface PlotlySource {
  /** plotly.js source to inline (a standalone HTML file). */
  plotly?: string;
  /** A URL to load plotly.js from, once per page (the kernel's server). */
  plotlySrc?: string;
}

/**
 * An HTML fragment that draws the figure with the page's `window.Plotly`; without one it
 * inlines `plotly` or loads `plotlySrc` (once per page), or says why nothing is drawn.
 *
 * @example
 * ```ts
 * const html = figureHtml(fig, { plotlySrc: await plotlyUrl() });
 * ```
 */
export function figureHtml(figure: Figure, source: PlotlySource = {}): string {
  const id = `plot-${crypto.randomUUID()}`;
  const spec = JSON.stringify(figure).replaceAll("</", "<\\/");
  const inline = source.plotly
    ? `<script type="text/javascript">${
      source.plotly.replaceAll("</script", "<\\/script")
    }</script>\n`
    : "";
  return inline + [
    `<div id="${id}" class="pruning-lab-figure" style="width:100%;max-width:900px;height:${
      figure.layout?.height ?? 420
    }px"></div>`,
    `<script type="text/javascript">(function () {`,
    `  const spec = ${spec};`,
    `  const el = document.getElementById(${JSON.stringify(id)});`,
    `  const draw = () => window.Plotly.newPlot(el, spec.data, spec.layout || {}, { responsive: true });`,
    `  if (window.Plotly) return draw();`,
    `  const src = ${JSON.stringify(source.plotlySrc ?? null)};`,
    `  const missing = (why) => { el.style.height = "auto"; el.textContent = "Figure not drawn: " + why; };`,
    `  if (!src) return missing("this page has no plotly.js; run the cell in Jupyter to see it.");`,
    `  const failed = () => missing("plotly.js did not load from the kernel (" + src + "); re-run the cell.");`,
    `  if (window.define && window.define.amd && window.require) {`,
    `    // A page with RequireJS (the classic Notebook) takes plotly.js as an AMD module.`,
    `    return window.require([src], (P) => { window.Plotly = window.Plotly || P; draw(); }, failed);`,
    `  }`,
    `  let script = document.querySelector("script[data-pruning-lab-plotly]");`,
    `  if (!script) {`,
    `    script = document.createElement("script");`,
    `    script.src = src;`,
    `    script.dataset.pruningLabPlotly = "loading";`,
    `    script.addEventListener("load", () => { script.dataset.pruningLabPlotly = "loaded"; });`,
    `    script.addEventListener("error", () => { script.dataset.pruningLabPlotly = "failed"; });`,
    `    document.head.appendChild(script);`,
    `  }`,
    `  if (script.dataset.pruningLabPlotly !== "loading") return failed();`,
    `  script.addEventListener("load", draw);`,
    `  script.addEventListener("error", failed);`,
    `})();</script>`,
  ].join("\n");
}

/**
 * A plotly figure for a notebook cell: plotly's MIME type for JupyterLab, an HTML fallback
 * (plotly.js loaded from the kernel when the page lacks it) and a one-line text.
 *
 * @example
 * ```ts
 * await plot([{ type: "bar", x: ["a", "b"], y: [3, 5] }], { title: { text: "Counts" } });
 * ```
 */
export async function plot(
  data: Record<string, unknown>[],
  layout: Record<string, unknown> = {},
): Promise<Figure & Displayable> {
  const figure: Figure = { data, layout: titlesAsObjects(layout) };
  const html = figureHtml(figure, { plotlySrc: await plotlyUrl() });
  return {
    ...figure,
    [DISPLAY]: () => ({
      [PLOTLY_MIME]: figure,
      "text/html": html,
      "text/plain": `Figure: ${data.length} trace(s)${titleOf(layout)}`,
    }),
  };
}

/**
 * The layout with every string title (`title: "…"`, also on axes) as `{ text: "…" }`:
 * plotly.js 3, which JupyterLab's renderer bundles, no longer draws string titles.
 */
function titlesAsObjects(layout: Record<string, unknown>): Record<string, unknown> {
  const fixed = (part: unknown) =>
    part && typeof part === "object" && typeof (part as { title?: unknown }).title === "string"
      ? { ...part, title: { text: (part as { title: string }).title } }
      : part;
  const out: Record<string, unknown> = fixed(layout) as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) {
    if (/^[xyz]axis\d*$/.test(key)) out[key] = fixed(value);
  }
  return out;
}

function titleOf(layout: Record<string, unknown>): string {
  const title = layout.title as { text?: string } | string | undefined;
  const text = typeof title === "string" ? title : title?.text;
  return text ? ` — ${text}` : "";
}

/** A cell value for a table: numbers are formatted with `digits`. */
export type TableValue = string | number | boolean | null | undefined;

/**
 * A markdown table for a notebook cell (also readable as text).
 *
 * @example
 * ```ts
 * table([{ component: "embeddings", parameters: 23_440_896 }]);
 * ```
 */
export function table(
  rows: Record<string, TableValue>[],
  options: { digits?: number; columns?: string[] } = {},
): { markdown: string } & Displayable {
  const columns = options.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: TableValue) =>
    typeof v === "number"
      ? Number.isInteger(v) ? v.toLocaleString("en-US") : v.toFixed(options.digits ?? 3)
      : String(v ?? "").replaceAll("|", "\\|");
  const align = columns.map((c) => (rows.every((r) => typeof r[c] !== "string") ? "---:" : "---"));
  const markdown = [
    `| ${columns.join(" | ")} |`,
    `|${align.join("|")}|`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(" | ")} |`),
  ].join("\n");
  return {
    markdown,
    [DISPLAY]: () => ({ "text/markdown": markdown, "text/plain": markdown }),
  };
}

/**
 * Markdown prose computed in a cell (e.g. a sentence with measured numbers).
 *
 * @example
 * ```ts
 * md(`Embeddings hold **${share}%** of the parameters.`);
 * ```
 */
export function md(text: string): Displayable {
  return { [DISPLAY]: () => ({ "text/markdown": text, "text/plain": text }) };
}
