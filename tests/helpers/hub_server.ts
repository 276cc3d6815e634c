// A local stand-in for the Hugging Face hub: serves files at /{repo}/resolve/main/{file}
// (and /datasets/{repo}/…), counts requests, and can cut a download in the middle.

/** A running fake hub; `close()` stops it. */
export interface FakeHub {
  endpoint: string;
  /** Paths requested so far, in order. */
  requests: string[];
  /** Files to send only half of (with the full Content-Length), then break off. */
  cut: Set<string>;
  close(): Promise<void>;
}

/**
 * Starts a hub on 127.0.0.1 (random port) serving `files`: URL path -> bytes.
 *
 * @example
 * ```ts
 * const hub = startFakeHub(new Map([["/org/m/resolve/main/config.json", bytes]]));
 * Deno.env.set("HF_ENDPOINT", hub.endpoint);
 * ```
 */
export function startFakeHub(files: Map<string, Uint8Array<ArrayBuffer>>): FakeHub {
  const requests: string[] = [];
  const cut = new Set<string>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    requests.push(path);
    const body = files.get(path);
    if (!body) return new Response("Entry not found", { status: 404 });
    const headers = { "content-length": String(body.length) };
    if (!cut.has(path)) return new Response(body, { headers });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(body.subarray(0, body.length >> 1));
        setTimeout(() => controller.error(new Error("connection cut")), 20);
      },
    });
    return new Response(stream, { headers });
  });
  return {
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    requests,
    cut,
    close: () => server.shutdown(),
  };
}
