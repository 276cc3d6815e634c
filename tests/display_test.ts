// Notebook display: figures carry plotly's MIME type and a small HTML fallback that draws in a
// real browser without window.Plotly (plotly.js comes from this process's server), tables and
// prose are markdown, and the output-order fix is inert outside a Jupyter kernel.
import { assert } from "./helpers/assert.ts";
import { launchChromium } from "./helpers/browser.ts";
import { figureHtml, md, plot, PLOTLY_MIME, table } from "lib/notebook/display.ts";
import { plotlyJsPath, plotlyUrl } from "lib/notebook/plotly_server.ts";
import { keepOutputsWithTheirCell } from "lib/notebook/jupyter_outputs.ts";

const DISPLAY = Symbol.for("Jupyter.display");
// deno-lint-ignore no-explicit-any
const bundleOf = (value: any): Record<string, unknown> => value[DISPLAY]();

const bar = () =>
  plot([{ type: "bar", x: ["a", "b", "c"], y: [3, 5, 2] }], { title: { text: "t" } });

Deno.test("a figure is plotly's MIME type plus a few KB of HTML, never plotly.js itself", async () => {
  const bundle = bundleOf(await bar());
  assert.deepStrictEqual(
    Object.keys(bundle).sort(),
    [PLOTLY_MIME, "text/html", "text/plain"].sort(),
  );
  assert.deepStrictEqual((bundle[PLOTLY_MIME] as { data: unknown[] }).data.length, 1);
  const html = String(bundle["text/html"]);
  const plotlySize = (await Deno.stat(plotlyJsPath())).size;
  assert.ok(html.length < 10_000, `HTML fallback is ${html.length} bytes`);
  assert.ok(plotlySize > 1_000_000, "plotly.js is the big library this must not embed");
  assert.ok(
    html.includes(String(await plotlyUrl())),
    "the fallback loads plotly.js from the kernel",
  );
  assert.strictEqual(bundle["text/plain"], "Figure: 1 trace(s) — t");
});

Deno.test("string titles become { text } (plotly.js 3 draws no string titles)", async () => {
  const figure = await plot([{ type: "bar", x: [1], y: [1] }], {
    title: "Speedup",
    xaxis: { title: "variant" },
    yaxis2: { title: { text: "kept" } },
  });
  assert.deepStrictEqual(figure.layout, {
    title: { text: "Speedup" },
    xaxis: { title: { text: "variant" } },
    yaxis2: { title: { text: "kept" } },
  });
  assert.strictEqual(bundleOf(figure)["text/plain"], "Figure: 1 trace(s) — Speedup");
});

Deno.test("the kernel's plotly.js server answers with the library, and 404 elsewhere", async () => {
  const url = (await plotlyUrl())!;
  const ok = await fetch(url);
  assert.strictEqual(ok.status, 200);
  assert.strictEqual(ok.headers.get("access-control-allow-origin"), "*");
  assert.strictEqual((await ok.arrayBuffer()).byteLength, (await Deno.stat(plotlyJsPath())).size);
  const missing = await fetch(new URL("/etc/passwd", url));
  assert.strictEqual(missing.status, 404);
  await missing.body?.cancel();
});

/** Drawn plotly charts on a page: a graph div with traces in its SVG. */
const DRAWN = `[...document.querySelectorAll(".js-plotly-plot")]
  .filter((gd) => gd.querySelector(".main-svg g.trace, .main-svg g.hm")).length`;

Deno.test("HTML fallbacks draw in Chromium on a page without plotly, loading it once", async () => {
  const html = [await bar(), await bar()].map((f) => String(bundleOf(f)["text/html"])).join("\n");
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const loads: string[] = [];
    page.on("request", (r) => r.url().endsWith("plotly.min.js") && loads.push(r.url()));
    await page.setContent(`<html><body>${html}</body></html>`);
    await page.waitForFunction(`${DRAWN} === 2`, undefined, { timeout: 30_000 });
    assert.strictEqual(loads.length, 1, `plotly.js requested ${loads.length} times`);
    // A figure added later to the same page (a re-run cell) draws with the loaded library.
    await page.evaluate(`(() => {
      const div = document.createElement("div");
      div.innerHTML = ${JSON.stringify(String(bundleOf(await bar())["text/html"]))};
      document.body.append(div);
      for (const old of div.querySelectorAll("script")) {
        const script = document.createElement("script");
        script.textContent = old.textContent;
        old.replaceWith(script);
      }
    })()`);
    await page.waitForFunction(`${DRAWN} === 3`, undefined, { timeout: 30_000 });
    assert.strictEqual(loads.length, 1);
  } finally {
    await browser.close();
  }
});

Deno.test("without plotly.js or a source the fallback says so instead of an empty box", async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent(`<html><body>${figureHtml({ data: [] })}</body></html>`);
    const text = await page.textContent(".pruning-lab-figure");
    assert.match(String(text), /^Figure not drawn: this page has no plotly\.js/);
  } finally {
    await browser.close();
  }
});

Deno.test("tables and prose are markdown (readable as text too)", () => {
  const t = table([{ name: "a|b", n: 1234, share: 0.5 }], { digits: 1 });
  assert.strictEqual(t.markdown, "| name | n | share |\n|---|---:|---:|\n| a\\|b | 1,234 | 0.5 |");
  assert.deepStrictEqual(bundleOf(t), { "text/markdown": t.markdown, "text/plain": t.markdown });
  assert.deepStrictEqual(bundleOf(md("**x**")), {
    "text/markdown": "**x**",
    "text/plain": "**x**",
  });
});

Deno.test("the output-order fix does nothing outside a Jupyter kernel", () => {
  assert.strictEqual(keepOutputsWithTheirCell(), false);
});
