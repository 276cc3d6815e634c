// One sandboxed child process for one submission module: narrow Deno permissions (read only
// lib/, data/, the packages and its own module; no network, writes, subprocesses or FFI), a
// fresh temporary DENO_DIR and HOME (no storage survives it, nothing lands in the user's
// cache), an OS memory limit (RLIMIT_DATA via prlimit) besides V8's heap flag, and its whole
// process group killed at the end. The parent talks to it over stdin/stdout; replies carry a
// nonce that student code never sees.
import { join } from "node:path";
import { PROJECT_ROOT } from "../../io/paths.ts";
import type { Student } from "../api/check.ts";
import type { Probe, StepOutcome } from "../shared/probe.ts";
import type { RunnerReply, RunnerRequest } from "../shared/protocol.ts";
import { GRADE_DEFAULTS } from "./limits.ts";

/** Limits of one child. */
export interface SandboxLimits {
  /**
   * Memory the child may commit, in MB (RLIMIT_DATA; default `GRADE_DEFAULTS.memoryMB`; at least 1536, since Deno
   * reserves about 1.1 GB of code space for its two isolates up front).
   */
  memoryMB?: number;
  /** V8 heap cap in MB (default 2048). */
  heapMB?: number;
  /** Extra folders the child may read. */
  readable?: string[];
  /** Recipe modules (file paths) the child's worker loads before the submission. */
  recipes?: string[];
}

/** The least RLIMIT_DATA under which Deno starts a supervisor and a worker. */
export const MIN_MEMORY_MB = 1536;

/** Environment variables a child sees (besides its own DENO_DIR and HOME). */
const ENV_PASSED = [
  "PRUNING_LAB_BACKEND",
  "PRUNING_LAB_DATA_MIRROR",
  "PRUNING_LAB_MODEL",
  "PRUNING_LAB_FAST",
  "PRUNING_LAB_CACHE",
  "PRUNING_LAB_ENGINE",
  "PRUNING_LAB_WASM_PARALLEL_MACS",
  "HF_ENDPOINT",
];

/** Why a child stopped, once it has. */
export interface SandboxEnd {
  reason: string;
  outOfMemory: boolean;
}

/**
 * A running child. `start()` imports the module; `student(todo)` runs probes in it.
 *
 * @example
 * ```ts
 * const box = new Sandbox("/tmp/work/submission.ts", "/tmp/work", {});
 * const started = await box.start(120);
 * if (started.ok) await runCheck(check, { student: box.student(check.id), fx });
 * await box.close();
 * ```
 */
export class Sandbox {
  /** The cell whose code was running last (its index as a string, or "end"). */
  lastCell = "start";
  /** Uncaught errors reported after the module was imported. */
  readonly uncaught: string[] = [];
  private child: Deno.ChildProcess;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private nonce = crypto.randomUUID();
  private nextId = 1;
  private waiting = new Map<number, (r: RunnerReply) => void>();
  private startWaiter?: (r: { ok: boolean; error?: string }) => void;
  private ended?: SandboxEnd;
  private endWaiters: ((e: SandboxEnd) => void)[] = [];
  private stderr = "";
  private killed?: string;
  private denoDir: string;

  constructor(readonly modulePath: string, readonly workDir: string, limits: SandboxLimits) {
    this.denoDir = Deno.makeTempDirSync({ dir: workDir, prefix: "deno-dir-" });
    const env: Record<string, string> = {
      NO_COLOR: "1",
      DENO_DIR: this.denoDir,
      HOME: this.denoDir,
      PRUNING_LAB_WASM_THREADS: "1", // submissions are graded side by side
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    };
    for (const key of ENV_PASSED) {
      const value = Deno.env.get(key);
      if (value !== undefined) env[key] = value;
    }
    const readable = [
      join(PROJECT_ROOT, "lib"),
      join(PROJECT_ROOT, "data"),
      join(PROJECT_ROOT, "node_modules"),
      join(PROJECT_ROOT, "deno.json"),
      modulePath,
      ...(limits.recipes ?? []),
      ...(limits.readable ?? []),
    ];
    const memory = Math.round(
      Math.max(MIN_MEMORY_MB, limits.memoryMB ?? GRADE_DEFAULTS.memoryMB) * 1024 * 1024,
    );
    this.child = new Deno.Command("prlimit", {
      args: [
        `--data=${memory}:${memory}`,
        "--core=0:0",
        "--",
        Deno.execPath(),
        "run",
        "--no-check",
        "--cached-only",
        "--no-prompt",
        `--config=${join(PROJECT_ROOT, "deno.json")}`,
        `--v8-flags=--max-old-space-size=${limits.heapMB ?? 2048}`,
        `--allow-read=${readable.join(",")}`,
        `--allow-env=${[...ENV_PASSED, "PRUNING_LAB_WASM_THREADS"].join(",")}`,
        join(PROJECT_ROOT, "lib", "grader", "child", "supervisor.ts"),
      ],
      env,
      clearEnv: true,
      // Relative paths resolve as in Jupyter, where notebooks run in notebooks/.
      cwd: join(PROJECT_ROOT, "notebooks"),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
    this.writer = this.child.stdin.getWriter();
    this.send({ nonce: this.nonce, module: modulePath, recipes: limits.recipes ?? [] });
    this.readStdout();
    this.readStderr();
    this.child.status.then((status) => this.finish(status));
  }

  /** Waits until the module is imported (ok), or failed, crashed or ran over `seconds`. */
  start(seconds: number): Promise<{ ok: boolean; error?: string; timedOut?: boolean }> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.kill(`timed out importing the notebook (over ${seconds} s)`);
        resolve({ ok: false, timedOut: true, error: `timed out (over ${seconds} s)` });
      }, seconds * 1000);
      this.startWaiter = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.onEnd((e) => this.startWaiter?.({ ok: false, error: e.reason }));
    });
  }

  /**
   * The student's side of one check, run in this child. Rejects when the child dies.
   */
  student(todo: string): Student {
    let delegated = false;
    const request = async (body: Omit<RunnerRequest, "id" | "todo">) => {
      const reply = await this.request({ ...body, todo });
      if (reply.delegated) delegated = true;
      return reply;
    };
    return {
      get delegated() {
        return delegated;
      },
      missing: async (names: string[]) => {
        const reply = await request({ missing: names });
        return Array.isArray(reply.missing) ? reply.missing.map(String) : names;
      },
      probe: async (probe: Probe): Promise<StepOutcome[]> => {
        const reply = await request({ probe });
        if (!Array.isArray(reply.outcomes)) throw new Error("the probe returned nothing");
        return reply.outcomes;
      },
    };
  }

  /** Resolves when the child has ended (with why). */
  onEnd(f: (e: SandboxEnd) => void): void {
    if (this.ended) f(this.ended);
    else this.endWaiters.push(f);
  }

  /** Kills the child's process group (idempotent); `why` becomes its end reason. */
  kill(why: string): void {
    this.killed ??= why;
    try {
      Deno.kill(-this.child.pid, "SIGKILL");
    } catch {
      try {
        this.child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }

  /** Ends the child and removes its DENO_DIR. */
  async close(): Promise<void> {
    await this.writer.close().catch(() => {});
    this.kill("closed");
    await this.child.status.catch(() => {});
    await Deno.remove(this.denoDir, { recursive: true }).catch(() => {});
  }

  private request(body: Omit<RunnerRequest, "id">): Promise<RunnerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error(this.ended.reason));
      this.waiting.set(id, resolve);
      this.onEnd((e) => reject(new Error(e.reason)));
      this.send({ id, ...body });
    });
  }

  private send(data: unknown): void {
    this.writer.write(new TextEncoder().encode(JSON.stringify(data) + "\n")).catch(() => {});
  }

  private async readStdout(): Promise<void> {
    let buffer = "";
    const prefix = `${this.nonce} `;
    try {
      for await (const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())) {
        buffer += chunk;
        // Student output without newlines must not fill the grader's memory; a reply line
        // (at most a few MB) always ends with one.
        if (buffer.length > 64_000_000 && !buffer.includes("\n")) buffer = buffer.slice(-100_000);
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          // The supervisor's lines may follow a student's unterminated print on the same line.
          const at = line.indexOf(prefix);
          if (at >= 0) this.handle(line.slice(at + prefix.length));
        }
      }
    } catch { /* the child is gone */ }
  }

  private handle(rest: string): void {
    const space = rest.indexOf(" ");
    const kind = rest.slice(0, space);
    let data: unknown;
    try {
      data = JSON.parse(rest.slice(space + 1));
    } catch {
      return; // only the supervisor writes these lines; a bad one is ignored, never fatal
    }
    if (kind === "cell" && typeof data === "string") this.lastCell = data;
    else if (kind === "ready") this.startWaiter?.({ ok: true });
    else if (kind === "import-error") {
      this.startWaiter?.({ ok: false, error: `threw: ${String(data)}` });
    } else if (kind === "uncaught") this.uncaught.push(String(data));
    else if (kind === "reply" && data && typeof data === "object") {
      const reply = data as RunnerReply;
      const resolve = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      resolve?.(reply);
    }
  }

  private async readStderr(): Promise<void> {
    try {
      for await (const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())) {
        this.stderr = (this.stderr + chunk).slice(-8000);
      }
    } catch { /* gone */ }
  }

  private finish(status: Deno.CommandStatus): void {
    // Let stderr drain a moment so that the reason can quote it.
    setTimeout(() => {
      const outOfMemory =
        /heap out of memory|Out of memory|Array buffer allocation failed|memory allocation|OOM|Cannot allocate/i
          .test(this.stderr);
      const lines = this.stderr.trim().split("\n").filter((l) => l.trim());
      const last = lines.find((l) => l.startsWith("error:")) ?? lines.at(-1);
      const how = status.signal
        ? `was killed by ${status.signal}`
        : `exited with code ${status.code}`;
      const reason = this.killed && this.killed !== "closed"
        ? this.killed
        : outOfMemory
        ? "ran out of memory (the grader's memory limit)"
        : `stopped the process (it ${how})${last ? `: ${last.slice(0, 200)}` : ""}`;
      if (Deno.env.get("PRUNING_LAB_GRADER_DEBUG")) console.error(this.stderr);
      this.ended = { reason, outOfMemory };
      for (const f of this.endWaiters.splice(0)) f(this.ended);
    }, 50);
  }
}
