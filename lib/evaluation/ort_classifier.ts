// A DistilBERT classifier run by onnxruntime-node: the model is exported to ONNX in memory
// (with a head-mask input, so that batched ablations work) and run on the CPU's native
// kernels. The evaluation pipeline uses it where the lesson is not the forward pass itself.
// Imported dynamically (onnxruntime-node is a native addon, which the grader's sandbox and
// browsers cannot load).
import * as ort from "onnxruntime-node";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { headCounts } from "../model/config.ts";
import { exportOnnx } from "../deploy/onnx_export.ts";
import { tokenFeeds } from "../deploy/ort_tensors.ts";

/**
 * A snapshot of a model on onnxruntime: later changes to the tfjs model are not seen (make a
 * new one after pruning).
 *
 * @example
 * ```ts
 * const ort = await OrtClassifier.create(model);
 * const logits = await ort.logits([[101, 2307, 102]], [[1, 1, 1]]);
 * await ort.release();
 * ```
 */
export class OrtClassifier {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Heads per layer when exported (the head mask's layout). */
    readonly heads: number[],
    readonly labels: number,
  ) {}

  /** Exports `model` in memory and starts an onnxruntime session on it. */
  static async create(model: DistilBertForSequenceClassification): Promise<OrtClassifier> {
    const session = await ort.InferenceSession.create(exportOnnx(model, { headMask: true }));
    return new OrtClassifier(
      session,
      headCounts(model.config),
      model.param("classifier.weight").shape[0],
    );
  }

  /**
   * Logits `[batch][labels]` of padded token ids. `headMask` is one row per example (or one
   * row for all) of per-layer head factors (1 keeps a head, 0 removes it), as tfjs'
   * `forward(..., { headMask })` takes them: `[layer][head]` or `[example][layer][head]`.
   */
  async logits(
    inputIds: number[][],
    attentionMask: number[][],
    headMask?: number[][] | number[][][],
  ): Promise<number[][]> {
    const batch = inputIds.length;
    const total = this.heads.reduce((a, b) => a + b, 0);
    const mask = new Float32Array(batch * total).fill(1);
    if (headMask) {
      const perExample = Array.isArray(headMask[0]?.[0]);
      for (let b = 0; b < batch; b++) {
        const rows = (perExample ? (headMask as number[][][])[b] : headMask) as number[][];
        if (rows.length !== this.heads.length) {
          throw new Error(`headMask has ${rows.length} layers; expected ${this.heads.length}`);
        }
        let o = b * total;
        rows.forEach((row, l) => {
          if (row.length !== this.heads[l]) {
            throw new Error(
              `headMask layer ${l} has ${row.length} heads; expected ${this.heads[l]}`,
            );
          }
          mask.set(row, o);
          o += row.length;
        });
      }
    }
    const out = await this.session.run({
      ...tokenFeeds({ inputIds, attentionMask }),
      head_mask: new ort.Tensor("float32", mask, [batch, total]),
    });
    const data = out.logits.data as Float32Array;
    return Array.from(
      { length: batch },
      (_, b) => Array.from(data.subarray(b * this.labels, (b + 1) * this.labels)),
    );
  }

  /** Frees the session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}
