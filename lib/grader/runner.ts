// The grader's child process: imports one submission's module under narrow permissions, runs
// the checks it is asked for and reports each step on stdout, tagged with a nonce that only
// the parent and this runner know (student code cannot forge results).
import { toFileUrl } from "../paths.ts";
import { type CheckDefinition, runCheck } from "./checks.ts";
import { CELL_MARK, type RunnerPlan } from "./protocol.ts";

// Captured before any student code runs, so patching Deno.stdout later changes nothing here.
const stdout = Deno.stdout;
const writeSync = stdout.writeSync.bind(stdout);
const encoder = new TextEncoder();

const plan: RunnerPlan = JSON.parse(await new Response(Deno.stdin.readable).text());
const emit = (kind: string, data: unknown) => {
  const bytes = encoder.encode(`${plan.nonce} ${kind} ${JSON.stringify(data)}\n`);
  let written = 0;
  while (written < bytes.length) written += writeSync(bytes.subarray(written));
};

const definitions = new Map<string, CheckDefinition>();
for (const path of plan.checkModules) {
  const url = path.startsWith("data:") ? path : toFileUrl(path);
  const checks = (await import(url)).default as CheckDefinition[];
  for (const c of checks) definitions.set(c.id, c);
}

(globalThis as Record<symbol, unknown>)[Symbol.for(CELL_MARK)] = (cell: string) =>
  emit("cell", cell);
let defined: Record<string, unknown>;
try {
  defined = { ...(await import(toFileUrl(plan.module))) };
} catch (e) {
  emit("import-error", (e instanceof Error ? e.message : String(e)).split("\n")[0]);
  Deno.exit(0);
}
for (const id of plan.checks) {
  emit("start", id);
  emit("result", { id, ...(await runCheck(definitions.get(id)!, defined)) });
}
emit("done", null);
Deno.exit(0); // timers or handles left by student code must not keep the process alive
