// The grader's worker: the realm where the student's code runs. It installs the shared
// reference counters and the cell listener, starts tfjs, imports the submission module and
// then runs the probes its supervisor sends, replying with plain data only. Everything it
// needs is captured before the submission loads.
/// <reference lib="deno.worker" />
import { installReferenceCounters } from "./delegation.ts";
import { onCellStarted } from "./cell_progress.ts";
import { type Probe, runProbe, thrownText } from "./probe.ts";
import { initTf } from "../tf.ts";
import { toFileUrl } from "../paths.ts";
import type { WorkerMessage } from "./protocol.ts";

const post = self.postMessage.bind(self) as (m: WorkerMessage) => void;

// Ending the worker would leave its supervisor waiting: these become errors instead.
for (const [owner, name] of [[Deno, "exit"], [self, "close"]] as const) {
  Object.defineProperty(owner, name, {
    value: (...args: unknown[]) => {
      throw new Error(
        `called ${name === "exit" ? "Deno.exit" : "close"}(${
          args.join(", ")
        }): a submission may not end the grader`,
      );
    },
  });
}
let defined: Record<string, unknown> = {};

self.addEventListener("error", (e) => {
  e.preventDefault();
  post({ kind: "uncaught", message: thrownText(e.error ?? e.message) });
});
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  post({ kind: "uncaught", message: `unhandled rejection: ${thrownText(e.reason)}` });
});

self.addEventListener("message", async (e: MessageEvent) => {
  const m = e.data;
  if (m?.kind === "init") {
    installReferenceCounters(m.counters);
    onCellStarted((cell) => post({ kind: "cell", cell }));
    await initTf();
    try {
      defined = { ...(await import(toFileUrl(m.module))) };
    } catch (error) {
      post({ kind: "import-error", message: thrownText(error) });
      return;
    }
    post({ kind: "ready" });
  } else if (m?.kind === "run") {
    if (m.missing) {
      const names = m.missing as string[];
      post({ kind: "reply", id: m.id, missing: names.filter((n) => defined[n] === undefined) });
      return;
    }
    try {
      post({ kind: "reply", id: m.id, outcomes: await runProbe(defined, m.probe as Probe) });
    } catch (error) {
      post({
        kind: "reply",
        id: m.id,
        outcomes: [{ threw: `probe failed: ${thrownText(error)}` }],
      });
    }
  }
});
