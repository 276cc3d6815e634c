// The WebAssembly text of the engine's SIMD kernels (128-bit `f32x4`, as XNNPACK's wasm build),
// assembled from one generator per kernel (`simd/`): a matmul with strided operands
// (attention's per-head products, weight gradients), transpose, softmax rows and their
// gradient, GELU and its gradient, LayerNorm and its gradient, column sums, small vector ops
// and the AdamW update. They run on the wasm backend's own memory (imported), so a kernel reads
// and writes tensors where they lie.
import { adamw } from "./simd/adamw.ts";
import { columnSums } from "./simd/column_sums.ts";
import { gelu } from "./simd/gelu.ts";
import { layerNormGradRows, layerNormRows } from "./simd/layer_norm.ts";
import { matmul } from "./simd/matmul.ts";
import { softmaxGradRows, softmaxRows } from "./simd/softmax.ts";
import { transpose } from "./simd/transpose.ts";
import { dot, mulScale } from "./simd/vector_ops.ts";

export { ERF_P, ERF_Q } from "./simd/gelu.ts";

/**
 * The module's text: imports `env.memory` (the wasm backend's memory: shared when the backend
 * runs threads), exports every kernel (matmul, transpose, gelu, adamw, softmaxRows,
 * softmaxGradRows, mulScale, dot, layerNormRows, layerNormGradRows, columnSums).
 *
 * @example
 * ```ts
 * const module = wabt.parseWat("simd.wat", simdKernelsText(true), { simd: true, threads: true });
 * ```
 */
export function simdKernelsText(sharedMemory: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 ${sharedMemory ? "65536 shared" : ""}))
  ${matmul()}
  ${transpose()}
  ${gelu()}
  ${adamw()}
  ${softmaxRows()}${softmaxGradRows()}${mulScale()}${dot()}${layerNormRows()}${layerNormGradRows()}${columnSums()}
)`;
}
