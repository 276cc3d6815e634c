// Ablation importance (the Hugging Face structured-pruning exercise's ablation step): mask one
// head at a time with the model's head mask and measure how much the output probabilities move.
// Heads of one layer are ablated together in one batch (per-example head masks), and the layers
// before it are computed once and reused, so 72 heads cost less than 72 passes.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { headCounts } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { CalibrationBatch } from "./calibration.ts";

/**
 * Importance `[layer][head]` = mean |Δp| over examples and classes between the unmasked
 * model's probabilities and those with only that head masked.
 *
 * @example
 * ```ts
 * const scores = ablationImportance(model, batches); // scores[3][7]: head 7 of layer 3
 * ```
 */
export const ablationImportance = courseReference("03.ablation", function ablationImportance(
  model: DistilBertForSequenceClassification,
  batches: CalibrationBatch[],
): number[][] {
  const heads = headCounts(model.config);
  const sums = heads.map((h) => new Array<number>(h).fill(0));
  let examples = 0;
  for (const { inputIds, attentionMask } of batches) {
    const batch = inputIds.shape[0];
    examples += batch;
    tf.tidy(() => {
      const { logits, hiddenStates } = model.forward(inputIds, attentionMask, {
        outputHiddenStates: true,
      });
      const base = tf.softmax(logits);
      heads.forEach((count, layer) => {
        if (count === 0) return;
        // One scope per layer: its count x batch copies are freed before the next layer's.
        const values = tf.tidy(() => {
          // count copies of the batch; copy h masks head h of this layer.
          const hidden = tf.tile(hiddenStates![layer], [count, 1, 1]) as tf.Tensor3D;
          const mask = tf.tile(attentionMask, [count, 1]) as tf.Tensor2D;
          const rows = Array.from({ length: count * batch }, (_, r) => Math.floor(r / batch));
          const headMask = heads.map((n, l) =>
            l === layer ? tf.oneHot(rows, n).mul(-1).add(1) : tf.ones([n])
          );
          const probs = tf.softmax(model.forwardFrom(hidden, mask, layer, { headMask }).logits);
          return probs.sub(tf.tile(base, [count, 1])).abs().mean(1).reshape([count, batch])
            .sum(1).dataSync();
        });
        for (let h = 0; h < count; h++) sums[layer][h] += values[h];
      });
    });
  }
  return sums.map((row) => row.map((s) => s / examples));
});
