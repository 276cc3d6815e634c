// Multi-head self-attention of small heads as one kernel (`PruningLabAttention`) and its
// gradient as one kernel (`PruningLabAttentionGrad`), for the wasm and cpu backends. It reads
// q, k, v in the linear layers' `[batch, seq, heads * size]` layout and writes the context in
// that layout, so the per-layer head split (reshape + transpose) and merge disappear, and with
// them the scale, mask, softmax, dropout and head-mask ops: ~12 ops forward and ~30 backward.
// Worth it where heads are small (the embedded model's 8 values per head); large heads stay on
// XNNPACK's matmuls (`fitsAttentionKernel`).
import * as tf from "@tensorflow/tfjs";
import { type KernelInput, registerJsKernel, runJs } from "./js_kernel.ts";

const FORWARD = "PruningLabAttention";
const fround = Math.fround;
const BACKWARD = "PruningLabAttentionGrad";

type Inputs = Record<string, KernelInput | undefined>;

/**
 * Whether the attention kernel pays for `seq` tokens of heads of `size` values (per head, at
 * most 32K multiply-adds per product; XNNPACK wins above).
 *
 * @example
 * ```ts
 * fitsAttentionKernel(64, 8); // true
 * fitsAttentionKernel(64, 64); // false
 * ```
 */
export function fitsAttentionKernel(seq: number, size: number): boolean {
  return seq * seq * size <= 32 * 1024;
}

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  registerJsKernel(FORWARD, {
    outputShapes: ({ q }, attrs) => {
      const [batch, seq] = q!.shape;
      const heads = attrs.heads as number;
      return [q!.shape, [batch, heads, seq, seq], [batch, heads, seq, seq]];
    },
    compute: (inputs: Inputs, [context, weights, probs], attrs) =>
      forward(inputs, context, weights, probs, attrs.heads as number, attrs.scale as number),
  });
  registerJsKernel(BACKWARD, {
    outputShapes: ({ q, headMask }) => [q!.shape, q!.shape, q!.shape, headMask!.shape],
    compute: (inputs: Inputs, [dq, dk, dv, dHeadMask], attrs) =>
      backward(inputs, dq, dk, dv, dHeadMask, attrs.heads as number, attrs.scale as number),
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ["q", "k", "v", "keyMask", "headMask", "drop"],
    outputsToSave: [false, false, true],
    gradFunc: (dys, saved, attrs) => {
      const [q, k, v, keyMask, headMask, drop, probs] = saved;
      const [dContext, dWeights] = dys as (tf.Tensor | null)[];
      const [dq, dk, dv, dHeadMask] = runJs(BACKWARD, {
        dContext: dContext ?? tf.zerosLike(q),
        dWeights: dWeights ?? undefined,
        q,
        k,
        v,
        probs,
        keyMask,
        headMask,
        drop,
      }, attrs as unknown as Record<string, number>);
      return {
        q: () => dq,
        k: () => dk,
        v: () => dv,
        headMask: () => dHeadMask,
        keyMask: () => tf.zerosLike(keyMask),
        drop: () => tf.zerosLike(drop),
      };
    },
  });
}

/** Per (example, head): scores, masked softmax, dropout and head factor, then the context. */
function forward(
  { q, k, v, keyMask, headMask, drop }: Inputs,
  context: Float32Array,
  weights: Float32Array,
  probs: Float32Array,
  heads: number,
  scale: number,
): void {
  const [batch, seq, inner] = q!.shape;
  const size = inner / heads;
  const [qs, ks, vs, mask, hm] = [q!, k!, v!, keyMask!, headMask!].map((t) => t.values);
  const dropping = drop!.values.length > 1;
  const dv = drop!.values;
  const perExampleMask = headMask!.shape[0] > 1;
  const row = new Float64Array(seq);
  const qRow = new Float64Array(size);
  const acc = new Float64Array(size);
  for (let b = 0; b < batch; b++) {
    let keys = 0;
    for (let j = 0; j < seq; j++) keys += mask[b * seq + j] !== 0 ? 1 : 0;
    for (let h = 0; h < heads; h++) {
      const factor = hm[(perExampleMask ? b * heads : 0) + h];
      const pBase = (b * heads + h) * seq * seq;
      for (let i = 0; i < seq; i++) {
        const qo = (b * seq + i) * inner + h * size;
        // Rounded to float32 as the other engines compute it (q scaled first, as HF does).
        for (let c = 0; c < size; c++) qRow[c] = fround(qs[qo + c] * scale);
        let max = -Infinity;
        for (let j = 0; j < seq; j++) {
          if (mask[b * seq + j] === 0) continue;
          const ko = (b * seq + j) * inner + h * size;
          let s = 0;
          for (let c = 0; c < size; c++) s = fround(s + qRow[c] * ks[ko + c]);
          row[j] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let j = 0; j < seq; j++) {
          if (mask[b * seq + j] === 0) continue;
          const e = fround(Math.exp(row[j] - max));
          row[j] = e;
          sum = fround(sum + e);
        }
        acc.fill(0);
        const po = pBase + i * seq;
        for (let j = 0; j < seq; j++) {
          // No key at all (an all-padding row): uniform, as a softmax of equal scores.
          const p = keys === 0 ? 1 / seq : mask[b * seq + j] === 0 ? 0 : fround(row[j] / sum);
          probs[po + j] = p;
          const w = p * factor * (dropping ? dv[po + j] : 1);
          weights[po + j] = w;
          if (w === 0) continue;
          const vo = (b * seq + j) * inner + h * size;
          for (let c = 0; c < size; c++) acc[c] += w * vs[vo + c];
        }
        for (let c = 0; c < size; c++) context[qo + c] = acc[c];
      }
    }
  }
}

/** Gradients of q, k, v and the head factors from the context's (and weights') gradients. */
function backward(
  { dContext, dWeights, q, k, v, probs, headMask, drop }: Inputs,
  dq: Float32Array,
  dk: Float32Array,
  dv: Float32Array,
  dHeadMask: Float32Array,
  heads: number,
  scale: number,
): void {
  const [batch, seq, inner] = q!.shape;
  const size = inner / heads;
  const [dcs, qs, ks, vs, ps, hm] = [dContext!, q!, k!, v!, probs!, headMask!].map((t) => t.values);
  const dws = dWeights?.values;
  const dropping = drop!.values.length > 1;
  const drops = drop!.values;
  const perExampleMask = headMask!.shape[0] > 1;
  dq.fill(0);
  dk.fill(0);
  dv.fill(0);
  const dHm = new Float64Array(dHeadMask.length);
  const dW = new Float64Array(seq);
  const dS = new Float64Array(seq);
  const acc = new Float64Array(size);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const hmIndex = (perExampleMask ? b * heads : 0) + h;
      const factor = hm[hmIndex];
      const pBase = (b * heads + h) * seq * seq;
      let dFactor = 0;
      for (let i = 0; i < seq; i++) {
        const qo = (b * seq + i) * inner + h * size;
        const po = pBase + i * seq;
        // dW[j] = dContext_i . v_j (+ the weights' own gradient); dV_j += W_ij dContext_i.
        let dot = 0;
        for (let j = 0; j < seq; j++) {
          const p = ps[po + j];
          const d = dropping ? drops[po + j] : 1;
          const vo = (b * seq + j) * inner + h * size;
          let s = dws ? dws[po + j] : 0;
          for (let c = 0; c < size; c++) s += dcs[qo + c] * vs[vo + c];
          dW[j] = s;
          const w = p * factor * d;
          if (w !== 0) { for (let c = 0; c < size; c++) dv[vo + c] += w * dcs[qo + c]; }
          dFactor += s * p * d;
          const dp = s * factor * d; // gradient of the softmax output
          dS[j] = dp;
          dot += dp * p;
        }
        acc.fill(0);
        for (let j = 0; j < seq; j++) {
          const p = ps[po + j];
          if (p === 0) continue;
          const g = p * (dS[j] - dot) * scale; // softmax, then the scale of the scores
          const ko = (b * seq + j) * inner + h * size;
          for (let c = 0; c < size; c++) {
            acc[c] += g * ks[ko + c];
            dk[ko + c] += g * qs[qo + c];
          }
        }
        for (let c = 0; c < size; c++) dq[qo + c] = acc[c];
      }
      dHm[hmIndex] += dFactor;
    }
  }
  dHeadMask.set(dHm);
}

/**
 * Self-attention of `heads` heads on q, k, v `[batch, seq, heads * size]`: softmax of
 * `scale * q k^T` over the keys where `keyMask` `[batch, seq]` is 1, times `drop` (a dropout
 * multiplier `[batch, heads, seq, seq]`, or `[1]` for none) and `headMask` (`[1 or batch,
 * heads]`). Returns the context `[batch, seq, heads * size]` and the weights `[batch, heads,
 * seq, seq]` (after dropout and head mask, as HF returns them); differentiable in q, k, v and
 * `headMask`.
 *
 * @example
 * ```ts
 * const { context, weights } = attention(q, k, v, keyMask, tf.ones([1, 12]), tf.ones([1]), 12, 1 / Math.sqrt(8));
 * ```
 */
export function attention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  keyMask: tf.Tensor,
  headMask: tf.Tensor,
  drop: tf.Tensor,
  heads: number,
  scale: number,
): { context: tf.Tensor; weights: tf.Tensor4D } {
  register();
  const [context, weights] = runJs(FORWARD, { q, k, v, keyMask, headMask, drop }, {
    heads,
    scale,
  });
  return { context, weights: weights as tf.Tensor4D };
}
