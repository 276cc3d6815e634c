// onnxruntime inputs of token rows: `input_ids` / `attention_mask` are int64 tensors
// `[batch, sequence]` in the exported graph, built here from padded rows of numbers.
import * as ort from "onnxruntime-node";

/**
 * An int64 onnxruntime tensor `[rows, width]` of padded rows (all of one width).
 *
 * @example
 * ```ts
 * const ids = int64Tensor([[101, 2307, 102], [101, 2919, 102]]); // dims [2, 3]
 * ```
 */
export function int64Tensor(rows: number[][]): ort.Tensor {
  const width = rows[0]?.length ?? 0;
  if (rows.some((r) => r.length !== width)) {
    throw new Error(`int64Tensor: every row must have ${width} values (pad them first)`);
  }
  return new ort.Tensor("int64", BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [
    rows.length,
    width,
  ]);
}

/**
 * The token inputs of an exported DistilBERT: `{ input_ids, attention_mask }`.
 *
 * @example
 * ```ts
 * const out = await session.run(tokenFeeds(tokenizer.encodeBatch(["a fine film"])));
 * ```
 */
export function tokenFeeds(
  batch: { inputIds: number[][]; attentionMask: number[][] },
): Record<string, ort.Tensor> {
  return {
    input_ids: int64Tensor(batch.inputIds),
    attention_mask: int64Tensor(batch.attentionMask),
  };
}
