// Plain data and the built-ins used to read it, captured when this module loads (before any
// student code), so that patched globals cannot change how a value is read back: what crosses
// from the student's realm to a check is always `Plain`.
import { tf } from "../../engine/tf.ts";

/** JSON-safe data: what crosses from the student's realm to the check. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

const apply = Reflect.apply;
const isArray = Array.isArray;
const ownKeys = Reflect.ownKeys;
const getPrototypeOf = Reflect.getPrototypeOf;
const isView = ArrayBuffer.isView;
const numberIsFinite = Number.isFinite;
const StringCtor = String;
const NumberCtor = Number;
const MapCtor = Map;
const MapProto = Map.prototype;
const mapEntries = Map.prototype.entries;
const iterNext = Object.getPrototypeOf(new Map().entries()).next;
const typedLength = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Int8Array.prototype),
  "length",
)!.get!;
const typedName = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Int8Array.prototype),
  Symbol.toStringTag,
)!.get!;
const dataSync = tf.Tensor.prototype.dataSync;
const TensorCtor = tf.Tensor;
const now = performance.now.bind(performance);
const promiseResolve = Promise.resolve.bind(Promise);
const PromiseCtor = Promise;
const setTimer = setTimeout;
const weakMapGet = WeakMap.prototype.get;
const weakMapSet = WeakMap.prototype.set;
const weakSetAdd = WeakSet.prototype.add;
const weakSetHas = WeakSet.prototype.has;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const mapHas = Map.prototype.has;
/**
 * WeakMap/WeakSet/Map operations through the captured methods (patching them changes nothing).
 *
 * @example
 * ```ts
 * wm.mset(objects, "m", model);
 * ```
 */
export const wm = Object.freeze({
  get: <V>(m: WeakMap<object, V>, k: object) => apply(weakMapGet, m, [k]) as V | undefined,
  set: <V>(m: WeakMap<object, V>, k: object, v: V) => void apply(weakMapSet, m, [k, v]),
  add: (s: WeakSet<object>, k: object) => void apply(weakSetAdd, s, [k]),
  has: (s: WeakSet<object>, k: object) => apply(weakSetHas, s, [k]) as boolean,
  mget: (m: Map<string, unknown>, k: string) => apply(mapGet, m, [k]) as unknown,
  mset: (m: Map<string, unknown>, k: string, v: unknown) => void apply(mapSet, m, [k, v]),
  mhas: (m: Map<string, unknown>, k: string) => apply(mapHas, m, [k]) as boolean,
});
const clone = structuredClone;

/** At most this many numbers come back from one value (a runaway answer is cut). */
const MAX_ITEMS = 200_000;

/**
 * Reads a value as plain data without calling anything the student can have patched:
 * tensors become `{ tensor: { shape, dtype, values } }`, typed arrays
 * `{ typed: name, values }`, maps `{ map: [[k, v]] }`, non-finite numbers
 * `{ number: "NaN" }`, functions `{ function: name }`, undefined `{ undefined: true }`; any
 * other object (a class instance too) its own fields.
 *
 * @example
 * ```ts
 * plain(new Float32Array([1, 2])); // { typed: "Float32Array", values: [1, 2] }
 * ```
 */
export function plain(value: unknown, budget = { left: MAX_ITEMS }, depth = 0): Plain {
  if (--budget.left < 0) return { cut: true };
  if (value === null) return null;
  const t = typeof value;
  if (t === "number") {
    return numberIsFinite(value) ? value as number : { number: StringCtor(value) };
  }
  if (t === "string") {
    return (value as string).length > 10_000 ? (value as string).slice(0, 10_000) : value as string;
  }
  if (t === "boolean") return value as boolean;
  if (t === "undefined") return { undefined: true };
  if (t === "bigint") return { bigint: StringCtor(value) };
  if (t === "function") return { function: StringCtor((value as { name?: unknown }).name ?? "") };
  if (t !== "object" || depth > 20) return { unreadable: t };
  if (value instanceof TensorCtor) {
    const tensor = value as tf.Tensor;
    if (tensor.isDisposed) return { tensor: { disposed: true } };
    const data = apply(dataSync, tensor, []) as ArrayLike<number>;
    return {
      tensor: {
        shape: plain([...tensor.shape], budget, depth + 1),
        dtype: tensor.dtype,
        values: typedValues(data, budget),
      },
    };
  }
  if (isView(value)) {
    if (value instanceof DataView) return { unreadable: "DataView" };
    return {
      typed: apply(typedName, value, []) as string,
      values: typedValues(value as unknown as ArrayLike<number>, budget),
    };
  }
  if (isArray(value)) {
    const out: Plain[] = [];
    const n = (value as unknown[]).length;
    for (let i = 0; i < n && budget.left > 0; i++) {
      out[i] = plain((value as unknown[])[i], budget, depth + 1);
    }
    return out;
  }
  if (value instanceof MapCtor && getPrototypeOf(value) === MapProto) {
    const out: Plain[] = [];
    const it = apply(mapEntries, value, []);
    type Entry = { done?: boolean; value: [unknown, unknown] };
    for (
      let step = apply(iterNext, it, []) as Entry;
      !step.done && budget.left > 0;
      step = apply(iterNext, it, []) as Entry
    ) {
      out[out.length] = [
        plain(step.value[0], budget, depth + 1),
        plain(step.value[1], budget, depth + 1),
      ];
    }
    return { map: out };
  }
  const out: { [key: string]: Plain } = {};
  for (const key of ownKeys(value as object)) {
    if (budget.left <= 0) break;
    if (typeof key !== "string") continue;
    out[key] = plain((value as Record<string, unknown>)[key], budget, depth + 1);
  }
  return out;
}

function typedValues(data: ArrayLike<number>, budget: { left: number }): Plain[] {
  const n = isView(data) ? apply(typedLength, data, []) as number : data.length;
  const out: Plain[] = [];
  for (let i = 0; i < n && budget.left-- > 0; i++) {
    const v = data[i] as number | bigint;
    out[i] = typeof v === "bigint"
      ? NumberCtor(v)
      : numberIsFinite(v)
      ? v
      : { number: StringCtor(v) };
  }
  return out;
}

/**
 * The built-ins recipes and probes use, as captured when this module loaded.
 *
 * @example
 * ```ts
 * const start = captured.now();
 * ```
 */
export const captured = Object.freeze({
  apply,
  isArray,
  clone,
  now,
  promiseResolve,
  PromiseCtor,
  setTimer,
  TensorCtor,
});

/**
 * Spins for `ms` milliseconds: a call of known cost (timing checks), unaffected by patched
 * timers.
 *
 * @example
 * ```ts
 * busyWait(5);
 * ```
 */
export function busyWait(ms: number): void {
  const until = now() + ms;
  while (now() < until) { /* a call with a known cost */ }
}

/**
 * One line for something thrown, read without trusting it.
 *
 * @example
 * ```ts
 * thrownText(new Error("boom")); // "boom"
 * ```
 */
export function thrownText(e: unknown): string {
  try {
    const text = e instanceof Error ? StringCtor(e.message) : `threw ${StringCtor(e)}`;
    return text.split("\n")[0].slice(0, 500);
  } catch {
    return "threw a value that cannot be shown";
  }
}
