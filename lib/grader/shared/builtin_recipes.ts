// The grader's generic recipes: tensors, typed arrays, and callbacks that record how they are
// called (a constant, a run of known duration, a fake clock, a run of known virtual duration
// on performance.now()). Courses add their own.
import { tf } from "../../engine/tf.ts";
import { busyWait, captured, type Plain, wm } from "./plain.ts";
import { registerRecipes } from "./recipe_book.ts";
import { advanceVirtualClock, holdVirtualClock } from "./virtual_clock.ts";

/** Objects that hold the virtual clock: freeing one gives the clock back. */
const clockHolders = new WeakMap<object, () => void>();

/** `o`, marked as holding the virtual clock until the probe frees it. */
function holding<T extends object>(o: T): T {
  wm.set(clockHolders, o, holdVirtualClock());
  return o;
}

const TYPED = { Float32Array, Uint32Array };

registerRecipes({
  recipes: {
    /** `{ values, dtype? }`: a tensor. */
    tensor: (r) =>
      tf.tensor(r.values as number[], undefined, (r.dtype as "float32" | "int32") ?? "float32"),
    /** `{ type, values }`: a Float32Array or Uint32Array. */
    typed: (r) => new TYPED[r.type as keyof typeof TYPED](r.values as number[]),
    /** `{ ms }`: `() => void` whose k-th call takes `ms[k]` ms (the last value after that). */
    timedRun: (r, tools) => {
      const log: Plain[] = [];
      const ms = r.ms as number[];
      return tools.recorded(() => {
        const k = log.length;
        log[k] = k;
        busyWait(ms[k] ?? ms[ms.length - 1]);
      }, log);
    },
    /** `{ durations }`: `{ run, now }`, a clock that advances by `durations[k]` on run k. */
    fakeClock: (r, tools) => {
      const log: Plain[] = [];
      let clock = 0;
      const durations = r.durations as number[];
      const clockObject = {
        run: () =>
          new captured.PromiseCtor<void>((resolve) =>
            captured.setTimer(() => {
              clock += durations[log.length] ?? 1000;
              log[log.length] = clock;
              resolve();
            }, 0)
          ),
        now: () => clock,
      };
      return tools.recorded(clockObject, log);
    },
    /**
     * `{}`: holds the virtual clock for the probe: performance.now() advances only by known
     * costs (a `clockedRun`, a model's `delayMs`).
     */
    virtualClock: () => holding({ virtualClock: true }),
    /**
     * `{ durations }`: `() => void` whose k-th call costs `durations[k]` virtual ms on
     * performance.now() (the last value after that), while the probe holds the clock.
     */
    clockedRun: (r, tools) => {
      const log: Plain[] = [];
      const durations = r.durations as number[];
      return holding(tools.recorded(() => {
        const k = log.length;
        log[k] = k;
        advanceVirtualClock(durations[k] ?? durations[durations.length - 1]);
      }, log));
    },
    /** `{ value }`: `() => value` (a fresh copy each call). */
    constant: (r, tools) => {
      const log: Plain[] = [];
      const value = r.value;
      return tools.recorded(() => {
        log[log.length] = log.length;
        return captured.clone(value);
      }, log);
    },
  },
  dispose: (o) => {
    if (o === null || (typeof o !== "object" && typeof o !== "function")) return false;
    const release = wm.get(clockHolders, o as object);
    if (!release) return false;
    release();
    return true;
  },
});
