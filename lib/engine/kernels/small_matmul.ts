// Batched products of small matrices (attention's [batch, heads, seq, head_dim] products of a
// small model) in plain JavaScript on the operands' memory. XNNPACK, which wasm's BatchMatMul
// uses, is fast on large matrices, but run once per batch entry it pays an operator set-up (and,
// with threads, a thread wake-up) for each tiny product: 384 products of [19, 8] x [8, 19] took
// 8 ms on one thread and up to 500 ms on two threads of a loaded machine, against ~1 ms here.

import type { SimdKernels } from "./simd_kernels.ts";

/** Rows of the shared dimension per pass of a weight's gradient (see `simdBatchedMatMul`). */
const K_CHUNK = 256;

/** Per-entry multiply-adds (m * k * n) up to which `smallBatchedMatMul` beats XNNPACK. */
export const SMALL_MATMUL_MAX_MACS = 32 * 1024;

/**
 * `out[i] = op(a[i]) @ op(b[i])` for every batch entry, where `op` transposes the last two axes
 * when its flag is set; `a` holds `batchA` matrices, `b` holds `batchB` (1 broadcasts). Offsets
 * are in elements; products and sums are rounded to float32, as XNNPACK computes them.
 *
 * @example
 * ```ts
 * const out = new Float32Array(4);
 * smallBatchedMatMul(new Float32Array([1, 2, 3, 4]), 0, new Float32Array([1, 0, 0, 1]), 0, out, 0,
 *   { batchA: 1, batchB: 1, m: 2, k: 2, n: 2, transposeA: false, transposeB: false });
 * out; // [1, 2, 3, 4]
 * ```
 */
export function smallBatchedMatMul(
  a: Float32Array,
  aOffset: number,
  b: Float32Array,
  bOffset: number,
  out: Float32Array,
  outOffset: number,
  shape: {
    batchA: number;
    batchB: number;
    m: number;
    k: number;
    n: number;
    transposeA: boolean;
    transposeB: boolean;
  },
): void {
  const { batchA, batchB, m, k, n, transposeA, transposeB } = shape;
  const batch = Math.max(batchA, batchB);
  // A transposed operand is first copied into row-major order (k * n or m * k values), so that
  // every product runs the same loop: rows of b scaled and summed into a row of the result.
  const aRows = transposeA ? new Float32Array(m * k) : a;
  const bRows = transposeB ? new Float32Array(k * n) : b;
  // float32 accumulators, as XNNPACK's: the same overflow (Inf, then NaN) on extreme values.
  const row = new Float32Array(n);
  const f = Math.fround;
  for (let e = 0; e < batch; e++) {
    let aBase = aOffset + (batchA === 1 ? 0 : e) * m * k;
    let bBase = bOffset + (batchB === 1 ? 0 : e) * k * n;
    if (transposeA && (e === 0 || batchA > 1)) {
      for (let p = 0; p < k; p++) {
        for (let i = 0; i < m; i++) aRows[i * k + p] = a[aBase + p * m + i];
      }
    }
    if (transposeB && (e === 0 || batchB > 1)) {
      for (let j = 0; j < n; j++) {
        for (let p = 0; p < k; p++) bRows[p * n + j] = b[bBase + j * k + p];
      }
    }
    if (transposeA) aBase = 0;
    if (transposeB) bBase = 0;
    const oBase = outOffset + e * m * n;
    if (n === 8) {
      // Attention's context product of 8-value heads: the row in eight locals.
      for (let i = 0; i < m; i++) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        const ai = aBase + i * k;
        for (let p = 0; p < k; p++) {
          const av = aRows[ai + p];
          const bp = bBase + p * 8;
          s0 = f(s0 + f(av * bRows[bp]));
          s1 = f(s1 + f(av * bRows[bp + 1]));
          s2 = f(s2 + f(av * bRows[bp + 2]));
          s3 = f(s3 + f(av * bRows[bp + 3]));
          s4 = f(s4 + f(av * bRows[bp + 4]));
          s5 = f(s5 + f(av * bRows[bp + 5]));
          s6 = f(s6 + f(av * bRows[bp + 6]));
          s7 = f(s7 + f(av * bRows[bp + 7]));
        }
        const o = oBase + i * 8;
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
        out[o + 4] = s4;
        out[o + 5] = s5;
        out[o + 6] = s6;
        out[o + 7] = s7;
      }
      continue;
    }
    for (let i = 0; i < m; i++) {
      row.fill(0);
      const ai = aBase + i * k;
      for (let p = 0; p < k; p++) {
        const av = aRows[ai + p];
        const bp = bBase + p * n;
        for (let j = 0; j < n; j++) row[j] += f(av * bRows[bp + j]);
      }
      const o = oBase + i * n;
      for (let j = 0; j < n; j++) out[o + j] = row[j];
    }
  }
}

/**
 * `smallBatchedMatMul` on the SIMD kernels (lib/engine/kernels/simd_kernels.ts): operands and
 * result are byte offsets into the backend's memory; a transposed `b` is first copied,
 * row-major, into the kernels' scratch area (a transposed `a` is read where it lies).
 *
 * @example
 * ```ts
 * simdBatchedMatMul(simdKernels()!, aOffset, bOffset, outOffset,
 *   { batchA: 384, batchB: 384, m: 19, k: 8, n: 19, transposeA: false, transposeB: true });
 * ```
 */
export function simdBatchedMatMul(
  simd: SimdKernels,
  a: number,
  b: number,
  out: number,
  shape: Parameters<typeof smallBatchedMatMul>[6],
): void {
  const { batchA, batchB, m, k, n, transposeA, transposeB } = shape;
  const batch = Math.max(batchA, batchB);
  if (batch === 1 && transposeA && !transposeB) {
    // A weight's gradient aᵀ b (a [k, m], b [k, n]). The operand read row by row for every
    // block of output rows is the narrower one (n ≤ m: b; else a, computing (bᵀ a)ᵀ and
    // transposing it into place), and k goes in chunks of K_CHUNK rows summed into the output,
    // so that what is re-read stays in cache.
    const swap = n > m;
    const [rows, cols, left, right] = swap ? [n, m, b, a] : [m, n, a, b];
    const target = swap ? simd.scratch(4 * n * m) : out;
    for (let p = 0; p < k; p += K_CHUNK) {
      const chunk = Math.min(K_CHUNK, k - p);
      simd.matmul(
        left + 4 * p * rows,
        right + 4 * p * cols,
        target,
        rows,
        chunk,
        cols,
        4,
        4 * rows,
        4 * cols,
        4 * cols,
        p === 0 ? 0 : 1,
      );
    }
    if (swap) simd.transpose(target, out, n, m, 4 * m);
    return;
  }
  // A transposed is read in place (strided); B transposed is copied row-major first.
  const bRows = transposeB ? simd.scratch(4 * k * n) : 0;
  const [rowStride, colStride] = transposeA ? [4, 4 * m] : [4 * k, 4];
  for (let e = 0; e < batch; e++) {
    const aAt = a + (batchA === 1 ? 0 : e) * 4 * m * k;
    let bAt = b + (batchB === 1 ? 0 : e) * 4 * k * n;
    if (transposeB) {
      if (e === 0 || batchB > 1) simd.transpose(bAt, bRows, n, k, 4 * k);
      bAt = bRows;
    }
    simd.matmul(aAt, bAt, out + e * 4 * m * n, m, k, n, rowStride, colStride, 4 * n, 4 * n, 0);
  }
}
