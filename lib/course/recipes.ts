// The course's input recipes for its checks: small random DistilBERTs (with a forward-pass
// counter and an optional known cost per pass), the small model, calibration batches, MLPs
// and the callbacks built on them. Importing this module registers them in the grader's
// recipe book; the grader's worker imports it (by the path the course's check module names)
// before any student code loads. Every forward pass of every DistilBERT is counted per model,
// on the prototype, at that point; the methods cannot be replaced afterwards.
import { tf } from "../engine/tf.ts";
import { type DistilBertConfig, parseConfig } from "../model/config.ts";
import { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { MLP } from "../model/mlp.ts";
import { type LoadedModel, loadModel, TINY_MODEL } from "../model/loading.ts";
import type { CalibrationBatch } from "../importance/calibration.ts";
import { globalMagnitudePrune, setMask } from "../prune/magnitude.ts";
import { busyWait, captured, type Plain, plain, wm } from "../grader/shared/plain.ts";
import { type RecipeTools, registerRecipes } from "../grader/shared/recipe_book.ts";
import { advanceVirtualClock } from "../grader/shared/virtual_clock.ts";

/** Every input a course check can ask for: the grader's generic recipes and the course's. */
export type Recipe =
  | {
    recipe: "distilbert";
    config: Partial<DistilBertConfig>;
    seed: number;
    scale?: number;
    frozen?: string[];
    /**
     * Every forward pass of this model costs this many ms: exactly, on the virtual clock when
     * the probe holds one (`virtualClock`), else at least that long.
     */
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
  | { recipe: "virtualClock" }
  | { recipe: "clockedRun"; durations: number[] }
  | { recipe: "constant"; value: Plain }
  /** `(mlp, amount) => …`: the course's global magnitude pruning (a reference input). */
  | { recipe: "magnitudePrune" }
  | { recipe: "adamStep"; lr: number; inputs: number[][] };

type Of<K extends Recipe["recipe"]> = Extract<Recipe, { recipe: K }>;

// ---- forward passes, counted per model (only outermost calls: forward may call forwardFrom)
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
        // On the virtual clock a pass costs exactly `delay` ms; otherwise it takes that long.
        if (delay && !advanceVirtualClock(delay)) busyWait(delay);
      }
      forwardDepth++;
      try {
        return captured.apply(original, this, args);
      } finally {
        forwardDepth--;
      }
    },
    writable: false,
    configurable: false,
  });
}

let embedded: Promise<LoadedModel> | undefined;

function distilbert(r: Of<"distilbert">): DistilBertForSequenceClassification {
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

function batches(r: Of<"batches">): CalibrationBatch[] {
  return r.groups.map((rows): CalibrationBatch => ({
    inputIds: tf.tensor2d(rows.map((i) => r.ids[i]), undefined, "int32"),
    attentionMask: tf.tensor2d(
      rows.map((i) => r.ids[i].map((v, j) => (v !== 0 || j === 0 ? 1 : 0))),
      undefined,
      "int32",
    ),
    labels: rows.map((i) => r.labels[i]),
  }));
}

/** `(model, amount) => …`: the course's global magnitude pruning, recording each amount. */
function magnitudePrune(tools: RecipeTools) {
  const log: Plain[] = [];
  return tools.recorded((model: MLP, amount: number) => {
    log[log.length] = amount;
    globalMagnitudePrune(model, model.weightNames(), amount);
  }, log);
}

/** `(model) => …`: one Adam step on a fixed input (the same update on both sides). */
function adamStep(r: Of<"adamStep">, tools: RecipeTools) {
  const log: Plain[] = [];
  const { inputs, lr } = r;
  return tools.recorded((model: MLP) => {
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

/**
 * A DistilBERT's state as plain data: config and every parameter.
 *
 * @example
 * ```ts
 * const state = distilbertState(model); // { config, params: { "distilbert.embeddings…": … } }
 * ```
 */
export function distilbertState(model: DistilBertForSequenceClassification): Plain {
  const params: Record<string, Plain> = {};
  for (const [name, p] of model.params) params[name] = plain(p);
  return { config: plain(model.config), params };
}

/**
 * An MLP's state as plain data: parameters and masks.
 *
 * @example
 * ```ts
 * const state = mlpState(MLP.create([4, 3, 2], 1)); // { params, masks }
 * ```
 */
export function mlpState(model: MLP): Plain {
  const params: Record<string, Plain> = {};
  const masks: Record<string, Plain> = {};
  for (const [name, p] of model.params) params[name] = plain(p);
  for (const [name, m] of model.masks) masks[name] = plain(m);
  return { params, masks };
}

const mlpOf = (tools: RecipeTools, name: string) => tools.get(name) as MLP;

registerRecipes({
  recipes: {
    distilbert: (r) => distilbert(r as Of<"distilbert">),
    embedded: async (r, tools) => {
      embedded ??= loadModel(TINY_MODEL);
      const part = (await embedded)[(r as Of<"embedded">).part];
      tools.keep(part as object);
      return part;
    },
    batches: (r) => batches(r as Of<"batches">),
    mlp: (r) => MLP.create((r as Of<"mlp">).sizes, (r as Of<"mlp">).seed),
    mlpSnapshot: (r, tools) => mlpOf(tools, (r as Of<"mlpSnapshot">).of).snapshot(),
    mlpPerturb: (r, tools) => {
      const { of, std, seed } = r as Of<"mlpPerturb">;
      tf.tidy(() => {
        for (const p of mlpOf(tools, of).params.values()) {
          p.assign(p.add(tf.randomNormal(p.shape, 0, std, "float32", seed)));
        }
      });
      return null;
    },
    mlpMasks: (r, tools) => {
      const { of, masks } = r as Of<"mlpMasks">;
      tf.tidy(() => {
        for (const [name, values] of Object.entries(masks)) {
          const m = mlpOf(tools, of);
          setMask(m, name, tf.tensor(values, m.params.get(name)!.shape));
        }
      });
      return null;
    },
    mlpWeight: (r, tools) => {
      const { of, name } = r as Of<"mlpWeight">;
      return mlpOf(tools, of).weight(name);
    },
    magnitudePrune: (_r, tools) => magnitudePrune(tools),
    adamStep: (r, tools) => adamStep(r as Of<"adamStep">, tools),
  },
  readers: {
    distilbert: (v) =>
      v instanceof DistilBertForSequenceClassification
        ? distilbertState(v)
        : { unreadable: "not a model" },
    mlp: (v) => v instanceof MLP ? mlpState(v) : { unreadable: "not an MLP" },
    calls: (v) => v !== null && typeof v === "object" ? wm.get(forwardCalls, v) ?? 0 : 0,
  },
  dispose: (o) => {
    if (o instanceof DistilBertForSequenceClassification || o instanceof MLP) {
      o.dispose();
      return true;
    }
    if (captured.isArray(o)) {
      for (const b of o as CalibrationBatch[]) {
        if (b?.inputIds instanceof captured.TensorCtor) {
          b.inputIds.dispose();
          b.attentionMask.dispose();
        }
      }
      return true;
    }
    return false;
  },
});
