// A virtual clock for timing checks: while a probe holds it, `performance.now()` in the
// student's realm reads virtual milliseconds that advance only by known amounts (a callback's
// or a forward pass's declared cost), so the latencies the student's code measures are exact
// and known to the check, whatever else the machine is doing. The probe's own timing uses
// the real clock, captured before any clock is installed.

const realDescriptor = Object.getOwnPropertyDescriptor(performance, "now");
let holders = 0;
let time = 0;

/**
 * Installs the virtual clock (nested holders share it) starting at `start` ms; the returned
 * function gives it back, and the real clock returns when the last holder does.
 *
 * @example
 * ```ts
 * const release = holdVirtualClock(1000);
 * advanceVirtualClock(5); // performance.now() === 1005
 * release();
 * ```
 */
export function holdVirtualClock(start = 1000): () => void {
  if (holders++ === 0) {
    time = start;
    Object.defineProperty(performance, "now", {
      value: () => time,
      configurable: true,
      writable: true,
    });
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holders === 0) {
      if (realDescriptor) Object.defineProperty(performance, "now", realDescriptor);
      else delete (performance as { now?: unknown }).now;
    }
  };
}

/**
 * Moves the virtual clock on by `ms`; false (and nothing moves) when no clock is held.
 *
 * @example
 * ```ts
 * if (!advanceVirtualClock(20)) busyWait(20);
 * ```
 */
export function advanceVirtualClock(ms: number): boolean {
  if (holders === 0) return false;
  time += ms;
  return true;
}
