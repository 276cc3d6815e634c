// Gradual pruning with distillation (Zhu & Gupta 2017; NNI's iterative pruners): prune in
// stages, each followed by a short distillation fine-tune from the dense teacher, instead of
// removing everything at once. One-shot pruning is the same call with a single stage.
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { distil, type TrainingBatch } from "../training/distillation.ts";

/** Options of `gradualPrune`. */
export interface GradualOptions {
  /** Cumulative sparsity after each stage, increasing, each in (0, 1). */
  stages: number[];
  /** Distillation steps after each stage's pruning. */
  stepsPerStage: number;
  /** Prunes the model in place to `rate` overall (e.g. heads by importance). */
  prune: (model: DistilBertForSequenceClassification, rate: number) => void;
  /** Training batches (with cached teacher log-probabilities for distillation). */
  batches: TrainingBatch[];
  /** Accuracy of the model as it is now (e.g. on dev, through onnxruntime). */
  evaluate: (model: DistilBertForSequenceClassification) => number | Promise<number>;
  learningRate?: number;
  /** Weight of the teacher term of the distillation loss (default 0.9). */
  alpha?: number;
  seed?: number;
}

/** One stage of `gradualPrune`: accuracy right after pruning and after distillation. */
export interface StageResult {
  rate: number;
  pruned: number;
  distilled: number;
  /** Distillation steps done so far (all stages). */
  steps: number;
  /** Seconds of distillation in this stage. */
  seconds: number;
}

/**
 * Prunes the student in place stage by stage, distilling `stepsPerStage` steps after each;
 * batches continue where the last stage stopped. Returns each stage's accuracies.
 *
 * @example
 * ```ts
 * const gradual = await gradualPrune(student, { stages: [0.2, 0.4, 0.6], stepsPerStage: 20, prune, batches, evaluate });
 * const oneShot = await gradualPrune(other, { stages: [0.6], stepsPerStage: 60, prune, batches, evaluate });
 * ```
 */
export async function gradualPrune(
  student: DistilBertForSequenceClassification,
  options: GradualOptions,
): Promise<StageResult[]> {
  const { stages, stepsPerStage, prune, batches, evaluate, learningRate, alpha, seed = 0 } =
    options;
  if (stages.length === 0) throw new Error("gradualPrune: stages is empty");
  stages.forEach((rate, i) => {
    if (!(rate > 0 && rate < 1)) {
      throw new Error(`gradualPrune: stages[${i}] = ${rate} is outside (0, 1)`);
    }
    if (i > 0 && !(rate > stages[i - 1])) {
      throw new Error(
        `gradualPrune: stages must increase, but stages[${i}] = ${rate} follows ${stages[i - 1]}`,
      );
    }
  });
  if (!(Number.isInteger(stepsPerStage) && stepsPerStage >= 0)) {
    throw new Error(`gradualPrune: stepsPerStage ${stepsPerStage} must be a whole number ≥ 0`);
  }
  const results: StageResult[] = [];
  let steps = 0;
  for (const rate of stages) {
    prune(student, rate);
    const pruned = await evaluate(student);
    const seconds = distil(student, batches, {
      steps: stepsPerStage,
      learningRate,
      alpha,
      firstBatch: steps,
      seed: seed + steps,
    });
    steps += stepsPerStage;
    results.push({ rate, pruned, distilled: await evaluate(student), steps, seconds });
  }
  return results;
}
