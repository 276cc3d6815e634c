// Multi-threaded tfjs wasm under Deno. tfjs turns threads off under Node, its Emscripten
// pthreads start from blob: URLs that Deno's worker_threads refuse, and its XNNPACK pool
// takes half the logical cores (assuming two hyper-threads per core). This starts each
// pthread from wasm_thread_worker.cjs and lets the pool have the threads asked for.
import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs";

const require = createRequire(import.meta.url);
const WORKER_FILE = new URL("./wasm_thread_worker.cjs", import.meta.url);

type NodeWorker = {
  postMessage(message: unknown, transfer?: unknown[]): void;
  ref(): void;
  unref(): void;
};
type NodeWorkerClass = new (
  path: string | URL,
  options?: Record<string, unknown>,
) => NodeWorker;

let workersPatched = false;

/**
 * The number of wasm threads wanted: `PRUNING_LAB_WASM_THREADS` if set (1 = single-threaded),
 * else the number of logical CPUs, at most 8 (the size of the pthread pool tfjs builds).
 *
 * @example
 * ```ts
 * wasmThreadsWanted(); // 2 on a 2-core machine
 * ```
 */
export function wasmThreadsWanted(): number {
  const raw = Deno.env.get("PRUNING_LAB_WASM_THREADS");
  if (raw !== undefined) {
    const n = Number(raw);
    if (Number.isInteger(n) && n >= 1) return Math.min(n, 8);
    console.error(`PRUNING_LAB_WASM_THREADS=${raw} is not a whole number >= 1; using 1`);
    return 1;
  }
  return Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 8));
}

/**
 * Initialises the wasm backend with `threads` XNNPACK threads (call instead of
 * `tf.setBackend("wasm")`, after importing `@tensorflow/tfjs-backend-wasm`). Returns whether
 * the backend started; with `threads` 1 it is the ordinary single-threaded backend.
 *
 * @example
 * ```ts
 * await import("@tensorflow/tfjs-backend-wasm");
 * await setWasmBackend(2); // true; matmuls now run on two threads
 * ```
 */
export async function setWasmBackend(threads: number): Promise<boolean> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (threads > 1) {
    // A pthread that cannot start would stop the process later; find out now.
    const reason = await workerCannotStart();
    if (reason) {
      console.error(`wasm threads unavailable (${reason}); using one thread`);
      threads = 1;
    }
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", threads > 1);
  if (threads <= 1) return await tf.setBackend("wasm");
  patchWorkers();
  wasm.setThreadsCount(threads);
  // XNNPACK caps its pool at half of os.cpus() when the module's constructors run, so for
  // that moment report twice the threads wanted (only the length is read).
  const os = require("os") as { cpus(): unknown[] };
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => ({ model: "", speed: 0 }));
  try {
    return await tf.setBackend("wasm");
  } finally {
    os.cpus = cpus;
  }
}

/** Why a worker cannot start from wasm_thread_worker.cjs, or undefined when one can. */
async function workerCannotStart(): Promise<string | undefined> {
  try {
    const workerThreads = require("worker_threads") as {
      Worker: new (path: URL, options: Record<string, unknown>) => {
        once(event: string, listener: (value: unknown) => void): void;
        terminate(): Promise<number>;
      };
    };
    const worker = new workerThreads.Worker(WORKER_FILE, { workerData: { probe: true } });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reason = await new Promise<string | undefined>((resolve) => {
      timer = setTimeout(() => resolve("a worker did not start within 10 s"), 10_000);
      worker.once("message", () => resolve(undefined));
      worker.once("error", (e) => resolve((e as Error).message));
    });
    clearTimeout(timer);
    await worker.terminate();
    return reason;
  } catch (e) {
    return (e as Error).message.split("\n")[0];
  }
}

/** Starts Emscripten's blob: pthread workers from wasm_thread_worker.cjs instead. */
function patchWorkers(): void {
  if (workersPatched) return;
  workersPatched = true;
  const workerThreads = require("worker_threads") as { Worker: NodeWorkerClass };
  const NodeWorker = workerThreads.Worker;
  workerThreads.Worker = class extends NodeWorker {
    constructor(path: string | URL, options?: Record<string, unknown>) {
      const fromBlob = String(path).startsWith("blob:");
      super(
        fromBlob ? WORKER_FILE : path,
        fromBlob ? { ...options, workerData: { scriptUrl: String(path) } } : options,
      );
    }
    // Emscripten refs a worker while it runs a pthread; XNNPACK's pool threads never end,
    // so a ref'd worker would keep the process alive after the program is done.
    override ref(): void {
      this.unref();
    }
    override postMessage(message: unknown, transfer?: unknown[]): void {
      // The main script arrives as a Blob; a blob: URL crosses to the worker as a string.
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m?.cmd === "load" && m.urlOrBlob instanceof Blob) {
        message = { ...m, urlOrBlob: URL.createObjectURL(m.urlOrBlob) };
      }
      super.postMessage(message, transfer);
    }
  };
}
