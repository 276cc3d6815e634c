// Thread count per op size on the wasm backend. XNNPACK runs every op on one thread pool; waking
// its threads costs more than a small op gains (on a loaded 2-core machine a [384, 12] x [12, 2]
// product took 1 ms on two threads, 0.02 ms on one). This keeps two pools, a one-thread pool
// for small ops and the pool of all threads for large ones, and swaps the backend's pool
// pointer (`tfjs::backend::threadpool`, found once by the change `init_with_threads_count(1)`
// makes to wasm memory, then checked through `get_threads_count`) around each large op.
// `registerWasmFixes` wraps every wasm kernel: matmuls by multiply-adds per XNNPACK call, other
// ops by their largest tensor.

import { onEngineMode } from "../mode.ts";

/** The parts of the wasm backend's Emscripten module that the pools use. */
export type WasmModule = {
  HEAPU8: Uint8Array;
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => number;
  _init_with_threads_count(n: number): void;
};

/** A whole-number setting from the environment; the default when unset or not readable. */
function setting(name: string, fallback: number): number {
  try {
    const n = Number(Deno.env.get(name) ?? fallback);
    return Number.isFinite(n) && n >= 0 ? n : fallback;
  } catch {
    return fallback; // e.g. a sandbox without permission to read this variable
  }
}

/** Sizes from which an op runs on all threads (below them: on one). */
export const parallelFrom = {
  /** Multiply-adds of one XNNPACK matmul call. */
  macs: setting("PRUNING_LAB_WASM_PARALLEL_MACS", 4 * 1024 * 1024),
  /** Elements of the largest input or output of any other op (elementwise, softmax, …). */
  elements: setting("PRUNING_LAB_WASM_PARALLEL_ELEMENTS", 1024 * 1024),
};

let pools: { wasm: WasmModule; word: number; single: number; all: number } | undefined;
let perOpSize = true;

/**
 * Makes the one-thread pool next to the backend's pool of all threads, and makes it the default
 * (idempotent; does nothing on one thread). Returns whether the two pools are in place.
 *
 * @example
 * ```ts
 * installThreadPools((tf.backend() as unknown as { wasm: WasmModule }).wasm);
 * ```
 */
export function installThreadPools(wasm: WasmModule): boolean {
  if (pools) return true;
  const threads = wasm.cwrap("get_threads_count", "number", []);
  if (threads() <= 1) return false;
  const words = Math.min(wasm.HEAPU8.length >> 2, 4 << 20); // static data lies low
  const before = new Uint32Array(wasm.HEAPU8.buffer).slice(0, words);
  wasm._init_with_threads_count(1);
  const after = new Uint32Array(wasm.HEAPU8.buffer);
  for (let i = 0; i < words; i++) {
    if (before[i] === after[i] || before[i] === 0 || after[i] === 0) continue;
    const single = after[i];
    after[i] = before[i];
    const allThreads = threads();
    after[i] = single;
    if (allThreads > 1 && threads() === 1) {
      pools = { wasm, word: i, single, all: before[i] };
      onEngineMode((mode) => useThreadsPerOpSize(mode === "fast"));
      return true;
    }
  }
  // Not found: leave the backend on one thread rather than guess.
  console.error("wasm thread pools: the pool pointer was not found; running on one thread");
  return false;
}

/**
 * Turns the per-op-size choice on (default) or off (every op on all threads).
 *
 * @example
 * ```ts
 * useThreadsPerOpSize(false);
 * ```
 */
export function useThreadsPerOpSize(on: boolean): void {
  perOpSize = on;
  if (pools) new Uint32Array(pools.wasm.HEAPU8.buffer)[pools.word] = on ? pools.single : pools.all;
}

/**
 * Runs `fn` (one kernel call) on all threads when its `size` is at least `parallelFrom[kind]`,
 * else on the pool in place (one thread while the per-op choice is on).
 *
 * @example
 * ```ts
 * const out = onThreadsFor("macs", m * k * n, () => matmul(args));
 * ```
 */
export function onThreadsFor<T>(kind: keyof typeof parallelFrom, size: number, fn: () => T): T {
  if (!pools || !perOpSize || size < parallelFrom[kind]) return fn();
  const { wasm, word, single, all } = pools;
  new Uint32Array(wasm.HEAPU8.buffer)[word] = all;
  try {
    return fn();
  } finally {
    new Uint32Array(wasm.HEAPU8.buffer)[word] = single;
  }
}

/**
 * Whether the two pools are in place (wasm on more than one thread).
 *
 * @example
 * ```ts
 * threadPoolsInstalled(); // true on wasm with 2 threads
 * ```
 */
export function threadPoolsInstalled(): boolean {
  return pools !== undefined;
}
