// Movement pruning of attention heads (Sanh, Wolf & Rush 2020): keep the weights that move
// away from zero during fine-tuning, not the large ones. A weight's score accumulates
// −W · ∂L/∂W over training steps; sparsity grows along the cubic schedule of Zhu & Gupta
// (2017). Scores here are per head (NNI's block granularity): the sum over the head's columns
// of out_lin, which equals −∂L/∂ξ for the head's mask ξ. The loop takes it from ξ, so that a
// masked head keeps being scored (the straight-through estimator) and may come back. Heads
// masked at the end are removed physically with `pruneHeads`.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { headCounts, headDim, remainingHeads } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import {
  newAdamW,
  trainableParameters,
  type TrainingBatch,
  trainingLoss,
} from "../training/distillation.ts";
import { pruneHeads, type PruningPlan } from "./heads.ts";
import { planFromMask } from "./plan.ts";

/** The cubic schedule: sparsity rises from `initialSparsity` at `initialStep` to `finalSparsity` at `finalStep`. */
export interface CubicSchedule {
  initialStep?: number;
  finalStep: number;
  initialSparsity?: number;
  finalSparsity: number;
}

/**
 * Sparsity at `step` (Zhu & Gupta 2017): s_f + (s_i − s_f) · (1 − (t − t₀)/(t₁ − t₀))³
 * between `initialStep` t₀ and `finalStep` t₁; s_i before, s_f after. Sparsities must lie in
 * (0, 1) (the initial one in [0, final]) and the steps in order.
 *
 * @example
 * ```ts
 * cubicSparsity(5, { initialStep: 0, finalStep: 10, finalSparsity: 0.8 }); // 0.7
 * ```
 */
export const cubicSparsity = courseReference(
  "06.cubic_sparsity",
  function cubicSparsity(step: number, schedule: CubicSchedule): number {
    const { initialStep = 0, finalStep, initialSparsity = 0, finalSparsity } = schedule;
    if (!(finalSparsity > 0 && finalSparsity < 1)) {
      throw new Error(`cubicSparsity: finalSparsity ${finalSparsity} is outside (0, 1)`);
    }
    if (!(initialSparsity >= 0 && initialSparsity <= finalSparsity)) {
      throw new Error(
        `cubicSparsity: initialSparsity ${initialSparsity} must be in [0, finalSparsity ${finalSparsity}]`,
      );
    }
    if (!(Number.isFinite(initialStep) && finalStep > initialStep)) {
      throw new Error(
        `cubicSparsity: steps out of order: finalStep ${finalStep} must come after initialStep ${initialStep}`,
      );
    }
    if (!Number.isFinite(step)) throw new Error(`cubicSparsity: step ${step} is not a number`);
    if (step <= initialStep) return initialSparsity;
    if (step >= finalStep) return finalSparsity;
    const left = 1 - (step - initialStep) / (finalStep - initialStep);
    return finalSparsity + (initialSparsity - finalSparsity) * left ** 3;
  },
);

/**
 * Movement scores of one step for the heads of one layer: −Σ W ⊙ ∂L/∂W over each head's
 * block of `headSize` columns of `out_lin.weight` (`[dim, heads · headSize]`). Positive: the
 * head's weights move away from zero (it is being used); negative: towards zero.
 *
 * @example
 * ```ts
 * headMovementScores(outLinWeight, outLinGrad, 8); // one score per head of the layer
 * ```
 */
export const headMovementScores = courseReference(
  "06.movement_scores",
  function headMovementScores(weight: tf.Tensor, grad: tf.Tensor, headSize: number): number[] {
    if (weight.rank !== 2 || !tf.util.arraysEqual(weight.shape, grad.shape)) {
      throw new Error(
        `headMovementScores: weight [${weight.shape}] and gradient [${grad.shape}] must be the same 2-D shape`,
      );
    }
    if (!(Number.isInteger(headSize) && headSize > 0 && weight.shape[1]! % headSize === 0)) {
      throw new Error(
        `headMovementScores: headSize ${headSize} does not divide the ${weight.shape[1]} columns`,
      );
    }
    return tf.tidy(() =>
      Array.from(
        weight.mul(grad).neg().sum(0).reshape([-1, headSize]).sum(1).dataSync(),
      )
    );
  },
);

/**
 * Magnitude of each head `[layer][head]`: the L2 norm of its q/k/v rows and out_lin columns
 * (weights only) — the baseline movement pruning is compared with.
 *
 * @example
 * ```ts
 * headMagnitudeScores(model)[0]; // the heads of layer 0
 * ```
 */
export function headMagnitudeScores(model: DistilBertForSequenceClassification): number[][] {
  const size = headDim(model.config);
  return headCounts(model.config).map((heads, l) => {
    if (heads === 0) return [];
    const p = `distilbert.transformer.layer.${l}.attention`;
    return tf.tidy(() => {
      const rows = (name: string) =>
        model.param(`${p}.${name}.weight`).square().sum(1).reshape([heads, size]).sum(1);
      const out = model.param(`${p}.out_lin.weight`).square().sum(0).reshape([heads, size]).sum(1);
      return Array.from(
        rows("q_lin").add(rows("k_lin")).add(rows("v_lin")).add(out).sqrt()
          .dataSync(),
      );
    });
  });
}

/**
 * A head mask `[layer][head]` with 0 at the `count` lowest scores over all layers (ties: the
 * lower layer, then head, first). With `keepOneHeadPerLayer`, a layer's last head is skipped.
 *
 * @example
 * ```ts
 * lowestHeadsMask([[3, 1], [2, 0]], 2); // [[1, 0], [1, 0]]
 * ```
 */
export function lowestHeadsMask(
  scores: number[][],
  count: number,
  options: { keepOneHeadPerLayer?: boolean } = {},
): number[][] {
  const mask = scores.map((row) => row.map(() => 1));
  const left = scores.map((row) => row.length);
  const order = scores.flatMap((row, layer) => row.map((score, head) => ({ layer, head, score })))
    .sort((a, b) => a.score - b.score || a.layer - b.layer || a.head - b.head);
  let masked = 0;
  for (const { layer, head } of order) {
    if (masked === count) break;
    if (options.keepOneHeadPerLayer && left[layer] === 1) continue;
    mask[layer][head] = 0;
    left[layer]--;
    masked++;
  }
  return mask;
}

/** Options of `movementPrune`. */
export interface MovementOptions {
  steps: number;
  /** Fraction of the heads removed at the end, in (0, 1). */
  finalSparsity: number;
  /** Schedule: pruning starts at `initialStep` (default 10% of steps) and reaches the final sparsity at `finalStep` (default 70%). */
  initialStep?: number;
  finalStep?: number;
  /** "movement" (default) or "magnitude" (head weight norm, recomputed each step). */
  criterion?: "movement" | "magnitude";
  /** AdamW peak rate, linear decay to 0; default 1e-4. */
  learningRate?: number;
  /** Weight of the teacher term of the distillation loss (default 0.9). */
  alpha?: number;
  keepOneHeadPerLayer?: boolean;
  /** Remove the masked heads at the end (default true); false leaves the model dense. */
  physical?: boolean;
  seed?: number;
  onStep?: (info: { step: number; sparsity: number; masked: number; loss: number }) => void;
}

/** What `movementPrune` did. */
export interface MovementResult {
  /** Heads removed (or to remove), by original head index. */
  plan: PruningPlan;
  /** The final head mask `[layer][head]` over the heads present before pruning. */
  mask: number[][];
  /** Final scores `[layer][head]` (movement: accumulated −∂L/∂ξ; magnitude: weight norms). */
  scores: number[][];
  /** Target sparsity at each step. */
  schedule: number[];
  seconds: number;
}

/**
 * Fine-tunes the model in place for `steps` steps with head masks that follow the cubic
 * schedule, chosen by movement (or magnitude) scores; at the end the masked heads are removed
 * physically. Batches are used in turn (distillation where they carry teacher outputs); word
 * embeddings stay frozen.
 *
 * @example
 * ```ts
 * const { plan } = movementPrune(model, batches, { steps: 60, finalSparsity: 0.3 });
 * ```
 */
export function movementPrune(
  model: DistilBertForSequenceClassification,
  batches: TrainingBatch[],
  options: MovementOptions,
): MovementResult {
  const { steps, finalSparsity, criterion = "movement", learningRate = 1e-4 } = options;
  if (!(Number.isInteger(steps) && steps >= 2)) {
    throw new Error(`movementPrune: steps ${steps} must be a whole number ≥ 2`);
  }
  if (criterion !== "movement" && criterion !== "magnitude") {
    throw new Error(`movementPrune: criterion "${criterion}" must be "movement" or "magnitude"`);
  }
  if (batches.length === 0) throw new Error("movementPrune: batches is empty");
  const schedule: CubicSchedule = {
    initialStep: options.initialStep ?? Math.round(0.1 * steps),
    finalStep: options.finalStep ?? Math.max(1, Math.round(0.7 * steps)),
    finalSparsity,
  };
  cubicSparsity(0, schedule); // validates the schedule before any work
  const started = performance.now();
  const heads = headCounts(model.config);
  const total = heads.reduce((a, b) => a + b, 0);
  const gates = heads.map((n) => tf.tidy(() => tf.variable(tf.ones([n]), true)));
  const movement = heads.map((n) => new Array<number>(n).fill(0));
  const scoresNow = () => criterion === "movement" ? movement : headMagnitudeScores(model);
  const maskAt = (sparsity: number) =>
    lowestHeadsMask(scoresNow(), Math.round(sparsity * total), options);
  const trainable = trainableParameters(model);
  const variables = [...trainable.values(), ...gates.filter((g) => g.size > 0)];
  const optimizer = newAdamW(trainable, {
    learningRate,
    warmupSteps: 0,
    totalSteps: steps,
    weightDecay: 0,
  });
  const sparsities: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const sparsity = cubicSparsity(step, schedule);
      sparsities.push(sparsity);
      const mask = maskAt(sparsity);
      tf.tidy(() => gates.forEach((g, l) => g.assign(tf.tensor1d(mask[l]))));
      const batch = batches[step % batches.length];
      const loss = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () =>
            trainingLoss(model, batch, {
              headMask: gates,
              seed: (options.seed ?? 0) + step,
              alpha: options.alpha,
            }),
          variables,
        );
        if (criterion === "movement") {
          gates.forEach((g, l) => {
            if (g.size === 0) return;
            const d = grads[g.name].dataSync();
            for (let h = 0; h < d.length; h++) movement[l][h] -= d[h];
          });
        }
        optimizer.step(grads);
        return value.dataSync()[0];
      });
      options.onStep?.({ step, sparsity, masked: mask.flat().filter((m) => m === 0).length, loss });
    }
  } finally {
    optimizer.dispose();
    gates.forEach((g) => g.dispose());
  }
  const mask = maskAt(finalSparsity);
  const plan: PruningPlan = planFromMask(mask, remainingHeads(model.config));
  const scores = scoresNow().map((row) => [...row]);
  if (options.physical ?? true) pruneHeads(model, plan);
  return {
    plan,
    mask,
    scores,
    schedule: sparsities,
    seconds: (performance.now() - started) / 1000,
  };
}
