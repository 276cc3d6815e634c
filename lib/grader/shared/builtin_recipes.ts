// The grader's generic recipes: tensors, typed arrays, and callbacks that record how they are
// called (a constant, a run of known duration, a fake clock). Courses add their own.
import { tf } from "../../engine/tf.ts";
import { busyWait, captured, type Plain } from "./plain.ts";
import { registerRecipes } from "./recipe_book.ts";

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
});
