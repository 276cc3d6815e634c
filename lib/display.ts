// Rich notebook output: markdown tables and plotly figures that render in Jupyter (plotly's
// MIME type), and survive an HTML export (an HTML fallback that carries plotly.js once).
import { fileURLToPath } from "node:url";

/** A plotly figure: traces and layout, as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
}

/** What the Deno Jupyter kernel calls to render a value. */
const DISPLAY = Symbol.for("Jupyter.display");
const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A value that renders as a MIME bundle in Jupyter. */
export interface Displayable {
  [DISPLAY](): Record<string, unknown>;
}

let plotlySent = false;

/** plotly.js (minified) from the project's dependencies. */
export async function plotlyJs(): Promise<string> {
  // Resolves through the import map to node_modules/…/plotly.js-dist-min/plotly.min.js.
  return await Deno.readTextFile(fileURLToPath(import.meta.resolve("plotly.js-dist-min")));
}

/**
 * A standalone HTML fragment that draws the figure; `plotly` is the plotly.js source to
 * inline (omit it when the page already has `window.Plotly`).
 *
 * @example
 * ```ts
 * const html = figureHtml(fig, await plotlyJs());
 * ```
 */
export function figureHtml(figure: Figure, plotly?: string): string {
  const id = `plot-${crypto.randomUUID()}`;
  const spec = JSON.stringify(figure).replaceAll("</", "<\\/");
  return [
    plotly
      ? `<script type="text/javascript">${plotly.replaceAll("</script", "<\\/script")}</script>`
      : "",
    `<div id="${id}" style="width:100%;max-width:900px;height:${
      figure.layout?.height ?? 420
    }px"></div>`,
    `<script type="text/javascript">(function () { const spec = ${spec};`,
    `  function draw() { window.Plotly.newPlot(${
      JSON.stringify(id)
    }, spec.data, spec.layout || {}, { responsive: true }); }`,
    `  if (window.Plotly) draw(); else window.addEventListener("load", draw); })();</script>`,
  ].join("\n");
}

/**
 * A plotly figure for a notebook cell: Jupyter renders the plotly MIME type; the HTML
 * fallback (plotly.js inlined with the first figure of the session) keeps it visible in an
 * HTML export.
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
  const figure: Figure = { data, layout };
  const plotly = plotlySent ? undefined : await plotlyJs();
  plotlySent = true;
  const html = figureHtml(figure, plotly);
  return {
    ...figure,
    [DISPLAY]: () => ({
      [PLOTLY_MIME]: figure,
      "text/html": html,
      "text/plain": `Figure: ${data.length} trace(s)${titleOf(layout)}`,
    }),
  };
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
