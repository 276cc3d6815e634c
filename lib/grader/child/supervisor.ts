// The grader's child process: a supervisor that never runs student code. It reads the plan
// and then requests on stdin, runs the submission in a worker (another realm) that it talks
// to on a private MessageChannel, forwards the worker's progress and the probes' plain-data
// results on stdout, tagged with the nonce, and reads the course-reference counters from
// shared memory around each probe.
import { REFERENCE_SLOT_COUNT, referenceSlot } from "../../course/reference.ts";
import type { RunnerPlan, RunnerReply, RunnerRequest } from "../shared/protocol.ts";

const stdout = Deno.stdout;
const encoder = new TextEncoder();
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).values();
let buffered = "";

/** The next line of stdin, or undefined at its end. */
async function nextLine(): Promise<string | undefined> {
  while (!buffered.includes("\n")) {
    const { value, done } = await lines.next();
    if (done) {
      const last = buffered;
      buffered = "";
      return last || undefined;
    }
    buffered += value;
  }
  const nl = buffered.indexOf("\n");
  const line = buffered.slice(0, nl);
  buffered = buffered.slice(nl + 1);
  return line;
}

const plan: RunnerPlan = JSON.parse((await nextLine()) ?? "{}");
const emit = (kind: string, data: unknown) => {
  const bytes = encoder.encode(`${plan.nonce} ${kind} ${JSON.stringify(data ?? null)}\n`);
  let written = 0;
  while (written < bytes.length) written += stdout.writeSync(bytes.subarray(written));
};

const counters = new Int32Array(new SharedArrayBuffer(4 * REFERENCE_SLOT_COUNT));
const pending = new Map<number, { slot: number; before: number }>();
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const text = (v: unknown, max = 500) => String(v).replace(/\s+/g, " ").slice(0, max);

// Requests and replies travel on a private channel: student code in the worker can post
// messages to `self`, but only the worker's bootstrap holds this port.
const channel = new MessageChannel();
channel.port1.onmessage = (e: MessageEvent) => {
  const m = e.data;
  if (!m || typeof m !== "object") return;
  if (m.kind === "cell" && typeof m.cell === "string") emit("cell", text(m.cell, 20));
  else if (m.kind === "ready") emit("ready", null);
  else if (m.kind === "import-error") emit("import-error", text(m.message));
  else if (m.kind === "uncaught") emit("uncaught", text(m.message));
  else if (m.kind === "reply" && pending.has(m.id)) {
    const { slot, before } = pending.get(m.id)!;
    pending.delete(m.id);
    const reply: RunnerReply = {
      id: m.id,
      outcomes: Array.isArray(m.outcomes) ? m.outcomes : undefined,
      missing: Array.isArray(m.missing) ? m.missing.map((x: unknown) => text(x, 100)) : undefined,
      delegated: slot >= 0 && Atomics.load(counters, slot) !== before,
    };
    emit("reply", reply);
  }
};
worker.onmessage = () => {}; // what student code posts to self is not listened to
worker.onerror = (e: ErrorEvent) => {
  e.preventDefault();
  emit("uncaught", text(e.message));
};
worker.postMessage({
  kind: "init",
  counters: counters.buffer,
  module: plan.module,
  recipes: plan.recipes ?? [],
}, [
  channel.port2,
]);

for (let line = await nextLine(); line !== undefined; line = await nextLine()) {
  if (!line.trim()) continue;
  const request: RunnerRequest = JSON.parse(line);
  const slot = referenceSlot(request.todo);
  pending.set(request.id, { slot, before: slot >= 0 ? Atomics.load(counters, slot) : 0 });
  channel.port1.postMessage({ id: request.id, probe: request.probe, missing: request.missing });
}
Deno.exit(0); // the parent closed stdin: grading of this submission is over
