// Calibration batches for importance scores: labelled sentences encoded into tensors once,
// batched by length (dynamic padding), reused by every importance method.
import { tf } from "../engine/tf.ts";
import type { TextTokenizer } from "../data/tokenizer.ts";
import type { LabelledSentence } from "../data/sst2.ts";

/** One encoded batch: ids and mask `[batch, seq]` (int32) and labels. */
export interface CalibrationBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  labels: number[];
}

/**
 * Encodes sentences into batches of similar length (kept tensors: `disposeBatches` frees them).
 *
 * @example
 * ```ts
 * const batches = calibrationBatches(tokenizer, train.slice(0, 256), 32, 64);
 * ```
 */
export function calibrationBatches(
  tokenizer: TextTokenizer,
  data: LabelledSentence[],
  batchSize = 32,
  maxLength = 128,
): CalibrationBatch[] {
  const encoded = data.map((d) => tokenizer.encode(d.sentence, maxLength));
  const order = data.map((_, i) => i).sort((a, b) => encoded[a].length - encoded[b].length);
  const batches: CalibrationBatch[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.slice(start, start + batchSize);
    const { inputIds, attentionMask } = tokenizer.padTensors(idx.map((i) => encoded[i]));
    batches.push({ inputIds, attentionMask, labels: idx.map((i) => data[i].label) });
  }
  return batches;
}

/** Frees the tensors of calibration batches. */
export function disposeBatches(batches: CalibrationBatch[]): void {
  for (const b of batches) tf.dispose([b.inputIds, b.attentionMask]);
}
