// What the student's side of a check does, as data: a probe names the inputs to build (from
// recipes: small random models, tensors, batches, callbacks that record how they are used),
// the student's functions to call on them, and what to read back. The grader's worker runs
// probes in the student's realm and returns only plain data; the check compares it, outside
// that realm, with a truth computed from the same recipes. In-notebook `check()` runs the
// same probes in the kernel. Intrinsics are captured when this module loads (before any
// student code), so patched globals cannot change how results are read.
import { tf } from "../../engine/tf.ts";
import { type DistilBertConfig, parseConfig } from "../../model/config.ts";
import { DistilBertForSequenceClassification } from "../../model/distilbert.ts";
import { MLP } from "../../model/mlp.ts";
import { EMBEDDED_MODEL, type LoadedModel, loadModel } from "../../model/loading.ts";
import type { CalibrationBatch } from "../../importance/calibration.ts";
import { globalMagnitudePrune, setMask } from "../../prune/magnitude.ts";

/** JSON-safe data: what crosses from the student's realm to the check. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** An input to build: a recipe name with its parameters (all plain data). */
export type Recipe =
  | {
    recipe: "distilbert";
    config: Partial<DistilBertConfig>;
    seed: number;
    scale?: number;
    frozen?: string[];
    /** Every forward pass of this model takes at least this long (a call of known cost). */
    delayMs?: number;
  }
  | { recipe: "embedded"; part: "model" | "tokenizer" }
  | { recipe: "tensor"; values: Plain; dtype?: "float32" | "int32" }
  | { recipe: "typed"; type: "Float32Array" | "Uint32Array"; values: number[] }
  | { recipe: "batches"; ids: number[][]; labels: number[]; groups: number[][] }
  | { recipe: "mlp"; sizes: number[]; seed: number }
  | { recipe: "mlpSnapshot"; of: string }
  | { recipe: "mlpPerturb"; of: string; std: number; seed: number }
  | { recipe: "mlpMasks"; of: string; masks: Record<string, number[]> }
  | { recipe: "mlpWeight"; of: string; name: string }
  | { recipe: "timedRun"; ms: number[] }
  | { recipe: "fakeClock"; durations: number[] }
  | { recipe: "constant"; value: Plain }
  /** `(mlp, amount) => …`: the course's global magnitude pruning (a reference input). */
  | { recipe: "magnitudePrune" }
  | { recipe: "adamStep"; lr: number; inputs: number[][] };

/** An argument: plain data, or a reference to a built object (optionally one of its fields). */
export type Arg = Plain | { ref: string; field?: string };

/**
 * How to read a value back: as JSON-like data, a DistilBERT's state, an MLP's state, a
 * recorder's log, or how many times a DistilBERT's forward passes ran.
 */
export type Reader = "json" | "distilbert" | "mlp" | "log" | "calls";

/** One step: call a student function (or a function built earlier) or read a built object. */
export type Step =
  | { call: string; args?: Arg[]; as?: string; read?: Reader }
  | { read: string; with: Reader };

/** A probe: objects to build, in order, then the steps. */
export interface Probe {
  objects?: Record<string, Recipe>;
  steps: Step[];
}

/** What one step gave: a value, or what was thrown; `async` when a promise was awaited. */
export interface StepOutcome {
  value?: Plain;
  threw?: string;
  async?: boolean;
  missing?: string;
}

// ---- intrinsics, captured before student code loads
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
const TYPED = { Float32Array, Uint32Array };
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
/** WeakMap/WeakSet/Map operations through the captured methods (patching them changes nothing). */
const wm = {
  get: <V>(m: WeakMap<object, V>, k: object) => apply(weakMapGet, m, [k]) as V | undefined,
  set: <V>(m: WeakMap<object, V>, k: object, v: V) => void apply(weakMapSet, m, [k, v]),
  add: (s: WeakSet<object>, k: object) => void apply(weakSetAdd, s, [k]),
  has: (s: WeakSet<object>, k: object) => apply(weakSetHas, s, [k]) as boolean,
  mget: (m: Map<string, unknown>, k: string) => apply(mapGet, m, [k]) as unknown,
  mset: (m: Map<string, unknown>, k: string, v: unknown) => void apply(mapSet, m, [k, v]),
  mhas: (m: Map<string, unknown>, k: string) => apply(mapHas, m, [k]) as boolean,
};
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

// ---- recipes: the same inputs on both sides of a check
let embedded: Promise<LoadedModel> | undefined;

// Every forward pass of every DistilBERT is counted per model, on the prototype, before any
// student code loads; the methods cannot be replaced afterwards, so no path avoids the count.
// Only outermost calls count (forward may call forwardFrom).
const forwardCalls = new WeakMap<object, number>();
const forwardDelay = new WeakMap<object, number>();
let forwardDepth = 0;
for (const method of ["forward", "forwardFrom"] as const) {
  const proto = DistilBertForSequenceClassification.prototype;
  const original = proto[method] as (...args: unknown[]) => unknown;
  if (Object.getOwnPropertyDescriptor(proto, method)?.writable === false) continue;
  Object.defineProperty(proto, method, {
    value: function (this: object, ...args: unknown[]) {
      if (forwardDepth === 0) {
        wm.set(forwardCalls, this, (wm.get(forwardCalls, this) ?? 0) + 1);
        const delay = wm.get(forwardDelay, this);
        if (delay) busyWait(delay);
      }
      forwardDepth++;
      try {
        return apply(original, this, args);
      } finally {
        forwardDepth--;
      }
    },
    writable: false,
    configurable: false,
  });
}

/** A call log that student code can call into but not rewrite. */
interface Recorder {
  log: Plain[];
}
const recorders = new WeakMap<object, Recorder>();
/** Objects kept across probes (the embedded model), never disposed by one. */
const shared = new WeakSet<object>();

function recorded<T extends object>(target: T, log: Plain[]): T {
  wm.set(recorders, target, { log });
  return target;
}

function busyWait(ms: number): void {
  const until = now() + ms;
  while (now() < until) { /* a call with a known cost */ }
}

/**
 * Builds the objects of a probe, in order (later recipes may use earlier objects by name).
 *
 * @example
 * ```ts
 * const objects = await buildObjects({ m: { recipe: "distilbert", config: { n_layers: 2 }, seed: 4 } });
 * ```
 */
export async function buildObjects(
  recipes: Record<string, Recipe> = {},
): Promise<Map<string, unknown>> {
  const objects = new Map<string, unknown>();
  const names = Object.keys(recipes);
  for (let i = 0; i < names.length; i++) {
    wm.mset(objects, names[i], await build(recipes[names[i]], objects));
  }
  return objects;
}

async function build(r: Recipe, objects: Map<string, unknown>): Promise<unknown> {
  const mlp = (name: string) => wm.mget(objects, name) as MLP;
  switch (r.recipe) {
    case "distilbert": {
      const config = parseConfig({
        vocab_size: 40,
        max_position_embeddings: 16,
        n_layers: 3,
        n_heads: 4,
        dim: 16,
        hidden_dim: 24,
        ...r.config,
      });
      const model = DistilBertForSequenceClassification.random(config, r.seed);
      if (r.scale) tf.tidy(() => model.params.forEach((p) => p.assign(p.mul(r.scale!))));
      for (const [name, p] of model.params) {
        if (r.frozen?.some((prefix) => name.startsWith(prefix))) p.trainable = false;
      }
      if (r.delayMs) wm.set(forwardDelay, model, r.delayMs);
      return model;
    }
    case "embedded": {
      embedded ??= loadModel(EMBEDDED_MODEL);
      const part = (await embedded)[r.part];
      wm.add(shared, part as object);
      return part;
    }
    case "tensor":
      return tf.tensor(r.values as number[], undefined, r.dtype ?? "float32");
    case "typed":
      return new TYPED[r.type](r.values);
    case "batches":
      return r.groups.map((rows): CalibrationBatch => ({
        inputIds: tf.tensor2d(rows.map((i) => r.ids[i]), undefined, "int32"),
        attentionMask: tf.tensor2d(
          rows.map((i) => r.ids[i].map((v, j) => (v !== 0 || j === 0 ? 1 : 0))),
          undefined,
          "int32",
        ),
        labels: rows.map((i) => r.labels[i]),
      }));
    case "mlp":
      return MLP.create(r.sizes, r.seed);
    case "mlpSnapshot":
      return mlp(r.of).snapshot();
    case "mlpPerturb":
      tf.tidy(() => {
        for (const p of mlp(r.of).params.values()) {
          p.assign(p.add(tf.randomNormal(p.shape, 0, r.std, "float32", r.seed)));
        }
      });
      return null;
    case "mlpMasks":
      tf.tidy(() => {
        for (const [name, values] of Object.entries(r.masks)) {
          const m = mlp(r.of);
          setMask(m, name, tf.tensor(values, m.params.get(name)!.shape));
        }
      });
      return null;
    case "mlpWeight":
      return mlp(r.of).weight(r.name);
    case "timedRun": {
      const log: Plain[] = [];
      const ms = r.ms;
      return recorded(() => {
        const k = log.length;
        log[k] = k;
        busyWait(ms[k] ?? ms[ms.length - 1]);
      }, log);
    }
    case "fakeClock": {
      const log: Plain[] = [];
      let clock = 0;
      const durations = r.durations;
      const clockObject = {
        run: () =>
          new PromiseCtor<void>((resolve) =>
            setTimer(() => {
              clock += durations[log.length] ?? 1000;
              log[log.length] = clock;
              resolve();
            }, 0)
          ),
        now: () => clock,
      };
      return recorded(clockObject, log);
    }
    case "constant": {
      const log: Plain[] = [];
      const value = r.value;
      return recorded(() => {
        log[log.length] = log.length;
        return clone(value);
      }, log);
    }
    case "magnitudePrune": {
      const log: Plain[] = [];
      return recorded((model: MLP, amount: number) => {
        log[log.length] = amount;
        globalMagnitudePrune(model, model.weightNames(), amount);
      }, log);
    }
    case "adamStep": {
      // One Adam step on a fixed input: the same update on both sides of the check.
      const log: Plain[] = [];
      const inputs = r.inputs;
      const lr = r.lr;
      return recorded((model: MLP) => {
        log[log.length] = mlpState(model);
        const optimizer = tf.train.adam(lr);
        tf.tidy(() => {
          optimizer.minimize(
            () => model.forward(tf.tensor2d(inputs)).square().sum() as tf.Scalar,
            false,
            [...model.params.values()],
          );
        });
        optimizer.dispose();
      }, log);
    }
  }
}

/** A DistilBERT's state as plain data: config and every parameter. */
export function distilbertState(model: DistilBertForSequenceClassification): Plain {
  const params: Record<string, Plain> = {};
  for (const [name, p] of model.params) params[name] = plain(p);
  return { config: plain(model.config), params };
}

/** An MLP's state as plain data: parameters and masks. */
export function mlpState(model: MLP): Plain {
  const params: Record<string, Plain> = {};
  const masks: Record<string, Plain> = {};
  for (const [name, p] of model.params) params[name] = plain(p);
  for (const [name, m] of model.masks) masks[name] = plain(m);
  return { params, masks };
}

function read(value: unknown, reader: Reader): Plain {
  if (reader === "distilbert") {
    return value instanceof DistilBertForSequenceClassification
      ? distilbertState(value)
      : { unreadable: "not a model" };
  }
  if (reader === "mlp") {
    return value instanceof MLP ? mlpState(value) : { unreadable: "not an MLP" };
  }
  if (reader === "log") {
    const log = (value !== null && typeof value === "object") || typeof value === "function"
      ? wm.get(recorders, value as object)?.log
      : undefined;
    const copy: Plain[] = [];
    for (let i = 0; log && i < log.length; i++) copy[i] = log[i];
    return copy;
  }
  if (reader === "calls") {
    return value !== null && typeof value === "object"
      ? wm.get(forwardCalls, value as object) ?? 0
      : 0;
  }
  return plain(value);
}

/** One line for something thrown, read without trusting it. */
export function thrownText(e: unknown): string {
  try {
    const text = e instanceof Error ? StringCtor(e.message) : `threw ${StringCtor(e)}`;
    return text.split("\n")[0].slice(0, 500);
  } catch {
    return "threw a value that cannot be shown";
  }
}

/**
 * Runs a probe against the names a notebook defined and returns one outcome per step.
 *
 * @example
 * ```ts
 * const [out] = await runProbe({ countParameters }, { objects: { m: { recipe: "distilbert", config: {}, seed: 1 } }, steps: [{ call: "countParameters", args: [{ ref: "m" }] }] });
 * ```
 */
export async function runProbe(
  defined: Record<string, unknown>,
  probe: Probe,
): Promise<StepOutcome[]> {
  const objects = await buildObjects(probe.objects);
  const outcomes: StepOutcome[] = [];
  try {
    for (let i = 0; i < probe.steps.length; i++) {
      outcomes[i] = await runStep(defined, objects, probe.steps[i]);
    }
  } finally {
    for (const o of objects.values()) disposeObject(o);
  }
  return outcomes;
}

async function runStep(
  defined: Record<string, unknown>,
  objects: Map<string, unknown>,
  step: Step,
): Promise<StepOutcome> {
  if ("with" in step) return { value: read(wm.mget(objects, step.read), step.with) };
  const f = wm.mhas(objects, step.call) ? wm.mget(objects, step.call) : defined[step.call];
  if (typeof f !== "function") return { missing: step.call };
  const args = (step.args ?? []).map((a) => resolveArg(a, objects));
  let result: unknown;
  let isAsync = false;
  try {
    result = apply(f, undefined, args);
    if (
      result instanceof PromiseCtor ||
      (result !== null && typeof result === "object" &&
        typeof (result as { then?: unknown }).then === "function")
    ) {
      isAsync = true;
      result = await promiseResolve(result);
    }
  } catch (e) {
    return { threw: thrownText(e), async: isAsync };
  }
  if (step.as) wm.mset(objects, step.as, result);
  try {
    return { value: read(result, step.read ?? "json"), async: isAsync };
  } catch (e) {
    return { threw: `its result cannot be read: ${thrownText(e)}`, async: isAsync };
  }
}

function resolveArg(a: Arg, objects: Map<string, unknown>): unknown {
  if (
    a !== null && typeof a === "object" && !isArray(a) &&
    typeof (a as { ref?: unknown }).ref === "string"
  ) {
    const { ref, field } = a as { ref: string; field?: string };
    const o = wm.mget(objects, ref) as Record<string, unknown>;
    return field ? o[field] : o;
  }
  // A fresh copy, so that a student's function cannot change the probe's own data.
  return clone(a);
}

function disposeObject(o: unknown): void {
  if (o !== null && typeof o === "object" && wm.has(shared, o)) return;
  try {
    if (o instanceof DistilBertForSequenceClassification || o instanceof MLP) o.dispose();
    else if (o instanceof TensorCtor) o.dispose();
    else if (isArray(o)) {
      for (const b of o as CalibrationBatch[]) {
        if (b?.inputIds instanceof TensorCtor) {
          b.inputIds.dispose();
          b.attentionMask.dispose();
        }
      }
    }
  } catch { /* already freed by the student's code */ }
}

/**
 * Builds `recipes` on the grader's side (the truth of a check), runs `body` on them and frees
 * them.
 *
 * @example
 * ```ts
 * const want = await withObjects({ m: recipe }, (o) => (o.get("m") as DistilBertForSequenceClassification).numParameters());
 * ```
 */
export async function withObjects<T>(
  recipes: Record<string, Recipe>,
  body: (objects: Map<string, unknown>) => T | Promise<T>,
): Promise<T> {
  const objects = await buildObjects(recipes);
  try {
    return await body(objects);
  } finally {
    for (const o of objects.values()) disposeObject(o);
  }
}
