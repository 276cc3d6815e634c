// A progress line on stderr for long work: rewritten in place, at most every 250 ms.

const encoder = new TextEncoder();

/** A throttled, self-overwriting status line. */
export interface ProgressLine {
  /** Shows `text` now if 250 ms passed since the last update (or `force`). */
  update(text: string, force?: boolean): void;
  /** Clears the line. */
  clear(): void;
}

/**
 * Creates a progress line on stderr; silent when `enabled` is false.
 *
 * @example
 * ```ts
 * const line = progressLine();
 * for (let i = 1; i <= 100; i++) line.update(`step ${i}/100`);
 * line.clear();
 * ```
 */
export function progressLine(enabled = true, intervalMs = 250): ProgressLine {
  let last = -Infinity;
  let shown = false;
  return {
    update(text, force = false) {
      if (!enabled || (!force && performance.now() - last < intervalMs)) return;
      last = performance.now();
      shown = true;
      Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${text}`));
    },
    clear() {
      if (shown) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
      shown = false;
    },
  };
}
