// Which engine path runs: "fast" (default: the kernels of lib/engine/kernels/, thread count per
// op size, the fused AdamW update) or "reference" (tfjs' own ops, every op on all threads, so
// that a benchmark can measure both in one run). Results agree within float rounding either way.

/** The engine paths; `PRUNING_LAB_ENGINE=reference` starts in the reference one. */
export type EngineMode = "fast" | "reference";

let mode: EngineMode = fromEnvironment();

function fromEnvironment(): EngineMode {
  try {
    return Deno.env.get("PRUNING_LAB_ENGINE")?.toLowerCase() === "reference" ? "reference" : "fast";
  } catch {
    return "fast"; // a sandbox without permission to read the variable
  }
}

/**
 * The engine path now in use.
 *
 * @example
 * ```ts
 * engineMode(); // "fast"
 * ```
 */
export function engineMode(): EngineMode {
  return mode;
}

/**
 * Switches the engine path (for benchmarks that print both in one run).
 *
 * @example
 * ```ts
 * setEngineMode("reference");
 * const before = timeOneStep();
 * setEngineMode("fast");
 * ```
 */
export function setEngineMode(next: EngineMode): void {
  mode = next;
  for (const listener of listeners) listener(next);
}

const listeners: ((mode: EngineMode) => void)[] = [];

/**
 * Calls `listener` now and whenever the engine path changes (for state kept outside the
 * kernels, such as the wasm thread pool in place).
 *
 * @example
 * ```ts
 * onEngineMode((m) => console.log(`engine: ${m}`));
 * ```
 */
export function onEngineMode(listener: (mode: EngineMode) => void): void {
  listeners.push(listener);
  listener(mode);
}
