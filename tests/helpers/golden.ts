// The golden fixture of tests/fixtures/distilbert-tiny (outputs of an independent PyTorch
// implementation) and its inputs as tensors, shared by the model and pruning tests.
import { join } from "node:path";
import { TINY } from "./paths.ts";
import { tf } from "lib/engine/tf.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";

/** golden.json: inputs, logits, hidden states, attentions, head-masked and pruned outputs. */
export const golden = JSON.parse(await Deno.readTextFile(join(TINY, "golden.json")));

/** The golden input ids `[batch, seq]` (a new int32 tensor). */
export const goldenIds = () => tf.tensor2d(golden.input_ids, undefined, "int32");

/** The golden attention mask `[batch, seq]` (a new int32 tensor). */
export const goldenMask = () => tf.tensor2d(golden.attention_mask, undefined, "int32");

/**
 * A model's logits on the golden inputs, flat; no tensor is left behind.
 *
 * @example
 * ```ts
 * assertClose(goldenLogits(model), golden.logits.flat(), 1e-4, "logits");
 * ```
 */
export function goldenLogits(
  model: DistilBertForSequenceClassification,
  headMask?: tf.Tensor,
): number[] {
  return tf.tidy(() =>
    Array.from(model.forward(goldenIds(), goldenMask(), { headMask }).logits.dataSync())
  );
}
