// Forward-pass FLOPs of a DistilBERT classifier (2 per multiply-add), per layer head counts and
// FFN widths included, so that pruning's compute saving can be compared with its speedup.
import { courseReference } from "../course/reference.ts";
import { type DistilBertConfig, ffnDims, headCounts, headDim, numLabels } from "../model/config.ts";

/**
 * FLOPs of one forward pass for `batch` sequences of `seq` tokens: the linear layers
 * (q, k, v, out, lin1, lin2, pre_classifier, classifier) and the two attention products
 * (scores and context). Softmax, GELU, LayerNorm and embeddings lookups are not counted.
 *
 * @example
 * ```ts
 * forwardFlops(baseConfig, 1, 128); // ≈ 11.2e9 for DistilBERT-base
 * ```
 */
export const forwardFlops = courseReference(
  "02.flops",
  function forwardFlops(config: DistilBertConfig, batch: number, seq: number): number {
    const tokens = batch * seq;
    const heads = headCounts(config);
    const ffn = ffnDims(config);
    const size = headDim(config);
    let flops = 0;
    for (let i = 0; i < config.n_layers; i++) {
      const inner = heads[i] * size;
      flops += 2 * tokens * (3 * config.dim * inner + inner * config.dim); // q, k, v, out_lin
      flops += 2 * 2 * batch * heads[i] * seq * seq * size; // q·kᵀ and weights·v
      flops += 2 * tokens * 2 * config.dim * ffn[i]; // lin1, lin2
    }
    flops += 2 * batch * (config.dim * config.dim + config.dim * numLabels(config)); // classifier head
    return flops;
  },
);
