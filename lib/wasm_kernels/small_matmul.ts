// Batched products of small matrices (attention's [batch, heads, seq, head_dim] products of a
// small model) in plain JavaScript on the operands' memory. XNNPACK, which wasm's BatchMatMul
// uses, is fast on large matrices, but run once per batch entry it pays an operator set-up (and,
// with threads, a thread wake-up) for each tiny product: 384 products of [19, 8] x [8, 19] took
// 8 ms on one thread and up to 500 ms on two threads of a loaded machine, against ~1 ms here.

/** Per-entry multiply-adds (m * k * n) up to which `smallBatchedMatMul` beats XNNPACK. */
export const SMALL_MATMUL_MAX_MACS = 16 * 1024;

/**
 * `out[i] = op(a[i]) @ op(b[i])` for every batch entry, where `op` transposes the last two axes
 * when its flag is set; `a` holds `batchA` matrices, `b` holds `batchB` (1 broadcasts). Offsets
 * are in elements; accumulation is in float64.
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
  // Strides of the logical a [m, k] and b [k, n] in their stored layouts.
  const aRow = transposeA ? 1 : k;
  const aCol = transposeA ? m : 1;
  const bRow = transposeB ? 1 : n;
  const bCol = transposeB ? k : 1;
  const batch = Math.max(batchA, batchB);
  const row = new Float64Array(n);
  for (let e = 0; e < batch; e++) {
    const aBase = aOffset + (batchA === 1 ? 0 : e) * m * k;
    const bBase = bOffset + (batchB === 1 ? 0 : e) * k * n;
    const oBase = outOffset + e * m * n;
    if (!transposeB) {
      // Row i of the result as a sum of rows of b: contiguous inner loop.
      for (let i = 0; i < m; i++) {
        row.fill(0);
        const ai = aBase + i * aRow;
        for (let p = 0; p < k; p++) {
          const av = a[ai + p * aCol];
          const bp = bBase + p * bRow;
          for (let j = 0; j < n; j++) row[j] += av * b[bp + j];
        }
        const o = oBase + i * n;
        for (let j = 0; j < n; j++) out[o + j] = row[j];
      }
    } else {
      // b stored [n, k]: each result is a dot product of two rows.
      for (let i = 0; i < m; i++) {
        const ai = aBase + i * aRow;
        const o = oBase + i * n;
        for (let j = 0; j < n; j++) {
          const bj = bBase + j * bCol;
          let s = 0;
          for (let p = 0; p < k; p++) s += a[ai + p * aCol] * b[bj + p];
          out[o + j] = s;
        }
      }
    }
  }
}
