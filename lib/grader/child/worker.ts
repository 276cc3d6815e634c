// The grader's worker: the realm where the student's code runs. Its supervisor hands it a
// private MessagePort with the first message (before any student code loads); requests and
// replies travel only on that port, so student code can neither see the probes nor post a
// reply. It installs the shared reference counters and the cell listener, starts tfjs, loads
// the course's recipe modules and seals the recipe book, imports the submission module and
// then runs the probes, replying with plain data only.
/// <reference lib="deno.worker" />
import { installReferenceCounters } from "../../course/reference.ts";
import { onCellStarted } from "./cell_progress.ts";
import { type Probe, runProbe } from "../shared/probe.ts";
import { thrownText } from "../shared/plain.ts";
import { sealRecipes } from "../shared/recipe_book.ts";
import { initTf } from "../../engine/tf.ts";
import { toFileUrl } from "../../io/paths.ts";
import type { WorkerMessage } from "../shared/protocol.ts";

// Ending the worker or starting other workers (a realm the grader does not watch) would
// escape the grading: these become errors.
const refuse = (what: string) => () => {
  throw new Error(`${what} is not allowed while grading`);
};
Object.defineProperty(Deno, "exit", { value: refuse("Deno.exit") });
for (const name of ["close", "Worker", "SharedWorker"]) {
  Object.defineProperty(self, name, {
    value: refuse(name === "close" ? "close()" : `new ${name}`),
    writable: false,
    configurable: false,
  });
}

let port: MessagePort | undefined;
let defined: Record<string, unknown> = {};
const post = (m: WorkerMessage) => port?.postMessage(m);

self.addEventListener("error", (e) => {
  e.preventDefault();
  post({ kind: "uncaught", message: thrownText(e.error ?? e.message) });
});
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  post({ kind: "uncaught", message: `unhandled rejection: ${thrownText(e.reason)}` });
});

// The first message (and only that one) sets the worker up.
self.addEventListener("message", async (e: MessageEvent) => {
  const m = e.data;
  if (port || m?.kind !== "init" || !(e.ports[0] instanceof MessagePort)) return;
  port = e.ports[0];
  installReferenceCounters(m.counters);
  onCellStarted((cell) => post({ kind: "cell", cell }));
  port.onmessage = (r: MessageEvent) => handle(r.data);
  await initTf();
  try {
    for (const recipes of m.recipes as string[]) await import(toFileUrl(recipes));
    sealRecipes();
  } catch (error) {
    post({ kind: "import-error", message: `the course's recipes: ${thrownText(error)}` });
    return;
  }
  try {
    defined = { ...(await import(toFileUrl(m.module))) };
  } catch (error) {
    post({ kind: "import-error", message: thrownText(error) });
    return;
  }
  post({ kind: "ready" });
});

async function handle(m: { id: number; probe?: Probe; missing?: string[] }): Promise<void> {
  if (m.missing) {
    post({ kind: "reply", id: m.id, missing: m.missing.filter((n) => defined[n] === undefined) });
    return;
  }
  try {
    post({ kind: "reply", id: m.id, outcomes: await runProbe(defined, m.probe as Probe) });
  } catch (error) {
    post({ kind: "reply", id: m.id, outcomes: [{ threw: `probe failed: ${thrownText(error)}` }] });
  }
}
