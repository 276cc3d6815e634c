// Multi-head self-attention's core as one kernel forward (`PruningLabAttention`) and one backward
// (`PruningLabAttentionGrad`) on the SIMD kernels: per example and head, scores = scale · q kᵀ
// plus the padding bias, softmax, dropout and head mask, then the context. q, k and v stay in
// the projections' `[batch, seq, heads * head_dim]` layout (heads are read with a stride), so
// the ~12 ops, 4 transposes and the `[batch, heads, seq, seq]` temporaries of the composed form
// become one call each way. Wasm with the SIMD kernels only (lib/wasm_kernels/simd_kernels.ts).
import * as tf from "@tensorflow/tfjs";
import { type KernelInput, registerJsKernel, runJs } from "./js_kernel.ts";
import { type SimdKernels, simdKernels } from "./simd_kernels.ts";

const FORWARD = "PruningLabAttention";
const BACKWARD = "PruningLabAttentionGrad";

type Inputs = Record<string, KernelInput | undefined>;

/** Shapes and strides (bytes) shared by both kernels. */
function layout(q: KernelInput, heads: number) {
  const [batch, seq, width] = q.shape;
  const size = width / heads;
  return { batch, seq, width, size, rowBytes: 4 * width, mapBytes: 4 * seq * seq };
}

function kernels(): SimdKernels {
  const simd = simdKernels();
  if (!simd) throw new Error(`${FORWARD} runs only on wasm with the SIMD kernels installed`);
  return simd;
}

/** The head mask's value for example `b`, head `h` (1 without a mask). */
function headValue(mask: Float32Array | undefined, rows: number, heads: number) {
  return (b: number, h: number) => mask ? mask[(rows === 1 ? 0 : b) * heads + h] : 1;
}

/** Where a kernel's input or output lies in the backend's memory (bytes). */
const at = (t: KernelInput | Float32Array) =>
  t instanceof Float32Array ? t.byteOffset : t.values.byteOffset;

let registered = false;

function register(): void {
  if (registered) return;
  registered = true;
  registerJsKernel(FORWARD, {
    outputShapes: ({ q }, attrs) => {
      const [batch, seq] = q!.shape;
      return [q!.shape, attrs.keepProbs ? [batch, attrs.heads as number, seq, seq] : [0]];
    },
    compute: ({ q, k, v, keyBias, dropMask, headMask }: Inputs, [context, probs], attrs) => {
      const simd = kernels();
      const heads = attrs.heads as number;
      const scale = attrs.scale as number;
      const { batch, seq, size, rowBytes, mapBytes } = layout(q!, heads);
      const hm = headValue(headMask?.values.slice(), headMask?.shape[0] ?? 1, heads);
      const stride = (mapBytes + 15) & ~15;
      const scratch = simd.scratch(4 * size * seq + 2 * stride + 32);
      const keysT = scratch; // [size, seq]
      const weights = scratch + ((4 * size * seq + 15) & ~15); // [seq, seq]
      const probsHere = weights + stride; // the softmax when not kept for the gradient
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const head = b * seq * rowBytes + 4 * h * size; // q, k, v, context: head h of example b
          const map = (b * heads + h) * mapBytes;
          simd.transpose(at(k!) + head, keysT, seq, size, rowBytes);
          const p = attrs.keepProbs ? at(probs) + map : probsHere;
          simd.matmul(at(q!) + head, keysT, p, seq, size, seq, rowBytes, 4, 4 * seq, 4 * seq);
          simd.softmaxRows(p, at(keyBias!) + 4 * b * seq, p, seq, seq, scale);
          let w = p;
          if (dropMask || hm(b, h) !== 1) {
            simd.mulScale(p, dropMask ? at(dropMask) + map : 0, weights, seq * seq, hm(b, h));
            w = weights;
          }
          simd.matmul(
            w,
            at(v!) + head,
            at(context) + head,
            seq,
            seq,
            size,
            4 * seq,
            4,
            rowBytes,
            rowBytes,
          );
        }
      }
    },
  });
  registerJsKernel(BACKWARD, {
    outputShapes: ({ q, headMask }) => [q!.shape, q!.shape, q!.shape, headMask?.shape ?? [0]],
    compute: (
      { dy, q, k, v, probs, dropMask, headMask }: Inputs,
      [dq, dk, dv, dHeadMask],
      attrs,
    ) => {
      const simd = kernels();
      const heads = attrs.heads as number;
      const scale = attrs.scale as number;
      const { batch, seq, size, rowBytes, mapBytes } = layout(q!, heads);
      const maskRows = headMask?.shape[0] ?? 1;
      const hm = headValue(headMask?.values.slice(), maskRows, heads);
      const dMask = new Float64Array(dHeadMask.length);
      const dq0 = at(dq), dk0 = at(dk), dv0 = at(dv);
      const stride = (mapBytes + 15) & ~15;
      const scratch = simd.scratch(4 * size * seq + 3 * stride + 32);
      const valuesT = scratch; // [size, seq]
      const grad = scratch + ((4 * size * seq + 15) & ~15); // d(weights), then d(scores)
      const weights = grad + stride; // probs ∘ dropout ∘ head mask
      const dropped = weights + stride; // probs ∘ dropout (for the head mask's gradient)
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const head = b * seq * rowBytes + 4 * h * size;
          const map = (b * heads + h) * mapBytes;
          const p = at(probs!) + map;
          const drop = dropMask ? at(dropMask) + map : 0;
          const n = seq * seq;
          // d(weights) = dy_h v_hᵀ
          simd.transpose(at(v!) + head, valuesT, seq, size, rowBytes);
          simd.matmul(at(dy!) + head, valuesT, grad, seq, size, seq, rowBytes, 4, 4 * seq, 4 * seq);
          // dv_h = weightsᵀ dy_h
          let w = p;
          if (drop || hm(b, h) !== 1) {
            simd.mulScale(p, drop, weights, n, hm(b, h));
            w = weights;
          }
          simd.matmul(
            w,
            at(dy!) + head,
            dv0 + head,
            seq,
            seq,
            size,
            4,
            4 * seq,
            rowBytes,
            rowBytes,
          );
          if (headMask) {
            let pd = p;
            if (drop) {
              simd.mulScale(p, drop, dropped, n, 1);
              pd = dropped;
            }
            dMask[(maskRows === 1 ? 0 : b) * heads + h] += simd.dot(grad, pd, n);
          }
          // d(probs) = d(weights) ∘ dropout ∘ head mask; d(scores) through the softmax, scaled
          if (drop || hm(b, h) !== 1) simd.mulScale(grad, drop, grad, n, hm(b, h));
          simd.softmaxGradRows(p, grad, grad, seq, seq, scale);
          simd.matmul(
            grad,
            at(k!) + head,
            dq0 + head,
            seq,
            seq,
            size,
            4 * seq,
            4,
            rowBytes,
            rowBytes,
          );
          simd.matmul(
            grad,
            at(q!) + head,
            dk0 + head,
            seq,
            seq,
            size,
            4,
            4 * seq,
            rowBytes,
            rowBytes,
          );
        }
      }
      dHeadMask.set(dMask);
    },
  });
}

/** What `attention` needs besides q, k and v. */
export interface AttentionOptions {
  heads: number;
  /** Multiplies q kᵀ (1 / √head_dim). */
  scale: number;
  /** `[batch, seq]`, added to every query's scores (0 for tokens, -3.4e38 for padding). */
  keyBias: tf.Tensor;
  /** `[batch, heads, seq, seq]` dropout multipliers (0 or 1 / (1 - rate)); none: no dropout. */
  dropMask?: tf.Tensor;
  /** `[1 or batch, heads]` multipliers of each head's weights (HF's head_mask). */
  headMask?: tf.Tensor;
}

/**
 * The context `[batch, seq, heads * head_dim]` of multi-head attention over q, k, v in the same
 * layout; differentiable in q, k, v and the head mask. Needs the SIMD kernels (`simdKernels()`).
 *
 * @example
 * ```ts
 * const context = attention(q, k, v, { heads: 12, scale: 1 / Math.sqrt(8), keyBias });
 * ```
 */
export function attention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: AttentionOptions,
): tf.Tensor {
  register();
  const { heads, scale, keyBias, dropMask, headMask } = options;
  // The softmax is an output only while gradients are recorded (the backward reads it).
  const attrs = { heads, scale, keepProbs: tf.engine().state.gradientDepth > 0 };
  const inputs = headMask ? [q, k, v, headMask] : [q, k, v];
  const op = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const save = args.pop() as (t: tf.Tensor[]) => void;
    const [qi, ki, vi, mask] = args as tf.Tensor[];
    const [context, probs] = runJs(FORWARD, {
      q: qi,
      k: ki,
      v: vi,
      keyBias,
      dropMask,
      headMask: mask,
    }, attrs);
    const saved = [qi, ki, vi, probs, ...(dropMask ? [dropMask] : []), ...(mask ? [mask] : [])];
    save(saved);
    return {
      value: context,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [sq, sk, sv, sp] = kept;
        let i = 4;
        const sd = dropMask ? kept[i++] : undefined;
        const sm = mask ? kept[i++] : undefined;
        const [dq, dk, dv, dMask] = runJs(
          BACKWARD,
          { dy, q: sq, k: sk, v: sv, probs: sp, dropMask: sd, headMask: sm },
          attrs,
        );
        if (sm) return [dq, dk, dv, dMask];
        dMask.dispose();
        return [dq, dk, dv];
      },
    };
  }) as unknown as (...t: tf.Tensor[]) => tf.Tensor;
  return op(...inputs);
}
