// Entropy importance (the FinCompress notebook): a head that spreads its attention evenly
// over the sentence (high entropy) is assumed less specific than one that focuses.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { CalibrationBatch } from "./calibration.ts";

/**
 * Importance `[layer][head]` = 1 − normalised attention entropy: for each real query token,
 * the entropy of its attention over the real (non-padding) keys divided by log(number of
 * real keys), averaged over queries and examples. Sentences of one token count as entropy 0.
 *
 * @example
 * ```ts
 * const scores = entropyImportance(model, batches);
 * ```
 */
export const entropyImportance = courseReference("03.entropy", function entropyImportance(
  model: DistilBertForSequenceClassification,
  batches: CalibrationBatch[],
): number[][] {
  let sums: number[][] | undefined;
  let examples = 0;
  for (const { inputIds, attentionMask } of batches) {
    const batch = inputIds.shape[0];
    examples += batch;
    const perLayer = tf.tidy(() => {
      const { attentions } = model.forward(inputIds, attentionMask, { outputAttentions: true });
      const m = attentionMask.toFloat();
      const lengths = m.sum(1); // [batch]
      const norm = tf.log(tf.maximum(lengths, 2)).reshape([batch, 1, 1]); // avoid log(1) = 0
      const single = lengths.greater(1).toFloat().reshape([batch, 1, 1]);
      const queries = m.reshape([batch, 1, -1]);
      return attentions!.map((w) => {
        // Σ_k −p log p over keys; padded keys have p = 0 and contribute 0.
        const entropy = tf.neg(w.mul(tf.log(w.add(1e-12)))).sum(-1); // [batch, heads, seq]
        const normalised = entropy.div(norm).mul(single);
        const perExample = normalised.mul(queries).sum(-1).div(queries.sum(-1)); // [batch, heads]
        return Array.from(perExample.sum(0).dataSync());
      });
    });
    sums = sums ? sums.map((row, l) => row.map((v, h) => v + perLayer[l][h])) : perLayer;
  }
  return (sums ?? []).map((row) => row.map((s) => 1 - s / examples));
});
