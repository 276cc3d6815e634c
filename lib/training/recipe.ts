// The recovery recipe the notebooks fine-tune with after pruning (notebook 04 section 6, notebook
// 06's distillation stages): batch size, learning rate, distillation weights and calibration
// size, per kind of model. A pretrained model (width 384 or more) was fine-tuned at a low rate and
// takes small batches in wasm's memory; the small model trained from scratch takes larger ones.
import type { DistilBertConfig } from "../model/config.ts";

/** How a pruned model is fine-tuned and calibrated. */
export interface RecoveryRecipe {
  /** Sentences per training step. */
  batchSize: number;
  /** AdamW's peak rate (linear decay to 0 over each round, no warm-up). */
  learningRate: number;
  /** Weight of the soft (teacher) term of the distillation loss; 1 − alpha goes to the labels. */
  alpha: number;
  /** Softmax temperature of the distillation loss. */
  temperature: number;
  /** Calibration sentences for importance scores, and their batch size. */
  calibrationSentences: number;
  calibrationBatch: number;
}

/**
 * The recipe for a model: the pretrained one (dim ≥ 384) takes batches of 16, 3e-5 and an
 * alpha of 0.3 (the labels weigh 0.7; chosen on the selection part by
 * `bench/distillation_recipe.ts`); the small model 32, 1e-4 and alpha 0.9.
 *
 * @example
 * ```ts
 * const recipe = recoveryRecipe(model.config);
 * distillationLoss(student, teacher, labels, recipe.temperature, recipe.alpha);
 * ```
 */
export function recoveryRecipe(config: Pick<DistilBertConfig, "dim">): RecoveryRecipe {
  return config.dim >= 384
    ? {
      batchSize: 16,
      learningRate: 3e-5,
      alpha: 0.3,
      temperature: 2,
      calibrationSentences: 64,
      calibrationBatch: 8,
    }
    : {
      batchSize: 32,
      learningRate: 1e-4,
      alpha: 0.9,
      temperature: 2,
      calibrationSentences: 256,
      calibrationBatch: 32,
    };
}
