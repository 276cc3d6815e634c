// The TensorFlow.js engine: one `initTf()` picks the backend before any tensor exists,
// patches the wasm backend's known gaps and makes tensors display readably in Jupyter.
import * as tf from "@tensorflow/tfjs";
import { registerWasmFixes } from "./fixes.ts";
import { setWasmBackend, wasmThreadsWanted } from "./wasm_threads.ts";
import { installThreadPools, type WasmModule } from "./kernels/thread_pools.ts";
import { type EmscriptenMemory, installSimdKernels } from "./kernels/simd_kernels.ts";

export { tf };

/** The backends `initTf` can be asked for (environment variable `PRUNING_LAB_BACKEND`). */
export type BackendName = "wasm" | "cpu" | "tensorflow" | "webgpu";

let initialised: Promise<string> | undefined;

/**
 * Selects and initialises the tfjs backend once; later calls return the same backend.
 *
 * Order: the `backend` argument, else `PRUNING_LAB_BACKEND`, else `wasm`; `cpu` is the
 * fallback when the wanted backend cannot start. `tensorflow` tries
 * `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`. `wasm` runs multi-threaded
 * (`PRUNING_LAB_WASM_THREADS`, default: one thread per logical CPU), single-threaded if
 * threads cannot start.
 *
 * @example
 * ```ts
 * import { initTf, tf } from "lib/engine/tf.ts";
 * const backend = await initTf(); // "wasm"
 * tf.tensor([1, 2, 3]).print();
 * ```
 */
export function initTf(backend?: BackendName): Promise<string> {
  initialised ??= selectBackend(backend ?? envBackend());
  return initialised;
}

function envBackend(): BackendName {
  const wanted = (Deno.env.get("PRUNING_LAB_BACKEND") ?? "wasm").toLowerCase();
  if (["wasm", "cpu", "tensorflow", "webgpu"].includes(wanted)) {
    return wanted as BackendName;
  }
  console.error(
    `PRUNING_LAB_BACKEND=${wanted} is not one of wasm, cpu, tensorflow, webgpu; using wasm`,
  );
  return "wasm";
}

async function selectBackend(wanted: BackendName): Promise<string> {
  installJupyterDisplay();
  tf.env().set("PROD", true); // no NaN checks or debug-mode synchronisation
  if (wanted === "tensorflow" && await loadNodeBackend()) {
    await tf.setBackend("tensorflow");
    return finish();
  }
  if (wanted === "webgpu") {
    try {
      await import("@tensorflow/tfjs-backend-webgpu");
      if (await tf.setBackend("webgpu")) return finish();
    } catch (e) {
      console.error(`webgpu backend unavailable (${errorLine(e)}); falling back to wasm`);
    }
  }
  if (wanted !== "cpu") {
    try {
      await import("@tensorflow/tfjs-backend-wasm");
      registerWasmFixes();
      const threads = wasmThreadsWanted();
      if (await setWasmBackend(threads)) {
        if (threads > 1) {
          installThreadPools((tf.backend() as unknown as { wasm: WasmModule }).wasm);
        }
        return finishWasm();
      }
      if (threads > 1) {
        console.error(`wasm backend did not start with ${threads} threads; trying one thread`);
        if (await setWasmBackend(1)) return finishWasm();
      }
    } catch (e) {
      console.error(`wasm backend unavailable (${errorLine(e)}); falling back to cpu`);
    }
  }
  await tf.setBackend("cpu");
  return finish();
}

/**
 * How many threads the backend computes with: XNNPACK's pool size on wasm, else 1.
 *
 * @example
 * ```ts
 * await initTf();
 * backendThreads(); // 2 with wasm on a 2-core machine
 * ```
 */
export async function backendThreads(): Promise<number> {
  if (tf.getBackend() !== "wasm") return 1;
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  return wasm.getThreadsCount();
}

/** Ready, with the SIMD kernels on the backend's memory (lib/engine/kernels/simd_kernels.ts). */
async function finishWasm(): Promise<string> {
  await installSimdKernels((tf.backend() as unknown as { wasm: EmscriptenMemory }).wasm);
  return finish();
}

async function finish(): Promise<string> {
  await tf.ready();
  return tf.getBackend();
}

/** True when an npm package is in the project's node_modules (never downloads it). */
function installed(pkg: string): boolean {
  const store = new URL("../../node_modules/.deno/", import.meta.url);
  try {
    const prefix = `${pkg.replace("/", "+")}@`;
    return [...Deno.readDirSync(store)].some((e) => e.name.startsWith(prefix));
  } catch {
    return false;
  }
}

async function loadNodeBackend(): Promise<boolean> {
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    if (!installed(pkg)) continue;
    try {
      await import(`npm:${pkg}`);
      if (tf.findBackend("tensorflow")) return true;
    } catch (e) {
      console.error(`${pkg} is installed but did not load (${errorLine(e)})`);
    }
  }
  console.error(
    "PRUNING_LAB_BACKEND=tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node " +
      "is installed (install one with its libtensorflow, e.g. `npm install @tensorflow/tfjs-node`); " +
      "falling back to wasm",
  );
  return false;
}

function errorLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0];
}

/** Makes a tensor render in the Deno Jupyter kernel as its dtype, shape and values. */
function installJupyterDisplay(): void {
  const proto = tf.Tensor.prototype as unknown as Record<symbol, unknown>;
  proto[Symbol.for("Jupyter.display")] = function (this: tf.Tensor) {
    if (this.isDisposed) return { "text/plain": "Tensor (disposed)" };
    const head = `Tensor ${this.dtype} [${this.shape.join(", ")}]`;
    return { "text/plain": `${head}\n${this.toString().replace(/^Tensor\n/, "")}` };
  };
}
