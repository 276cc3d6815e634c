// Multi-head self-attention's core as one kernel forward (`PruningLabAttention`) and one backward
// (`PruningLabAttentionGrad`) on the SIMD kernels: per example and head, scores = scale · q kᵀ
// plus the padding bias, softmax, dropout and head mask, then the context. q, k and v come as
// one projection's output, `[batch, seq, 3 * heads * head_dim]` (heads are read with a stride),
// so the ~12 ops, 4 transposes and `[batch, heads, seq, seq]` temporaries of the composed form
// become one call each way. Wasm with the SIMD kernels only (lib/engine/kernels/simd_kernels.ts).
import * as tf from "@tensorflow/tfjs";
import { type KernelInput, registerJsKernel, runJs } from "./js_kernel.ts";
import { type SimdKernels, simdKernels } from "./simd_kernels.ts";

const FORWARD = "PruningLabAttention";
const BACKWARD = "PruningLabAttentionGrad";

type Inputs = Record<string, KernelInput | undefined>;

/**
 * Shapes and byte strides shared by both kernels: `qkv` is `[batch, seq, 3 * width]` (the q, k
 * and v projections side by side), the context and its gradient `[batch, seq, width]`.
 */
function layout(qkv: KernelInput, heads: number) {
  const [batch, seq, triple] = qkv.shape;
  const width = triple / 3;
  const size = width / heads;
  return {
    batch,
    seq,
    size,
    rowBytes: 4 * triple,
    contextRowBytes: 4 * width,
    mapBytes: 4 * seq * seq,
    /** Byte offsets of head h of example b: q (then k at +4 width, v at +8 width), context. */
    head: (b: number, h: number) => ({
      q: b * seq * 4 * triple + 4 * h * size,
      context: b * seq * 4 * width + 4 * h * size,
      k: 4 * width,
      v: 8 * width,
    }),
  };
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
    outputShapes: ({ qkv }, attrs) => {
      const [batch, seq, triple] = qkv!.shape;
      const probs = attrs.keepProbs ? [batch, attrs.heads as number, seq, seq] : [0];
      return [[batch, seq, triple / 3], probs];
    },
    compute: ({ qkv, keyBias, dropMask, headMask }: Inputs, [context, probs], attrs) => {
      const simd = kernels();
      const heads = attrs.heads as number;
      const scale = attrs.scale as number;
      const { batch, seq, size, rowBytes, contextRowBytes, mapBytes, head } = layout(qkv!, heads);
      const hm = headValue(headMask?.values.slice(), headMask?.shape[0] ?? 1, heads);
      // Offsets first: the scratch area may grow memory (and detach views of unshared memory).
      const [x, bias, ctx] = [at(qkv!), at(keyBias!), at(context)];
      const [kept, drops] = [attrs.keepProbs ? at(probs) : 0, dropMask ? at(dropMask) : 0];
      const stride = (mapBytes + 15) & ~15;
      const scratch = simd.scratch(4 * size * seq + 2 * stride + 32);
      const keysT = scratch; // [size, seq]
      const weights = scratch + ((4 * size * seq + 15) & ~15); // [seq, seq]
      const probsHere = weights + stride; // the softmax when not kept for the gradient
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const o = head(b, h);
          const map = (b * heads + h) * mapBytes;
          simd.transpose(x + o.q + o.k, keysT, seq, size, rowBytes);
          const p = attrs.keepProbs ? kept + map : probsHere;
          simd.matmul(x + o.q, keysT, p, seq, size, seq, rowBytes, 4, 4 * seq, 4 * seq, 0);
          simd.softmaxRows(p, bias + 4 * b * seq, p, seq, seq, scale);
          let w = p;
          if (dropMask || hm(b, h) !== 1) {
            simd.mulScale(p, dropMask ? drops + map : 0, weights, seq * seq, hm(b, h));
            w = weights;
          }
          const c = ctx + o.context;
          simd.matmul(
            w,
            x + o.q + o.v,
            c,
            seq,
            seq,
            size,
            4 * seq,
            4,
            rowBytes,
            contextRowBytes,
            0,
          );
        }
      }
    },
  });
  registerJsKernel(BACKWARD, {
    outputShapes: ({ qkv, headMask }) => [qkv!.shape, headMask?.shape ?? [0]],
    compute: ({ dy, qkv, probs, dropMask, headMask }: Inputs, [dqkv, dHeadMask], attrs) => {
      const simd = kernels();
      const heads = attrs.heads as number;
      const scale = attrs.scale as number;
      const { batch, seq, size, rowBytes, contextRowBytes, mapBytes, head } = layout(qkv!, heads);
      const maskRows = headMask?.shape[0] ?? 1;
      const hm = headValue(headMask?.values.slice(), maskRows, heads);
      const dMask = new Float64Array(dHeadMask.length);
      // Offsets first: the scratch area may grow memory (and detach views of unshared memory).
      const [x, dx, d] = [at(qkv!), at(dqkv), at(dy!)];
      const [probs0, drops] = [at(probs!), dropMask ? at(dropMask) : 0];
      const stride = (mapBytes + 15) & ~15;
      const scratch = simd.scratch(4 * size * seq + 3 * stride + 32);
      const valuesT = scratch; // [size, seq]
      const grad = scratch + ((4 * size * seq + 15) & ~15); // d(weights), then d(scores)
      const weights = grad + stride; // probs ∘ dropout ∘ head mask
      const dropped = weights + stride; // probs ∘ dropout (for the head mask's gradient)
      const n = seq * seq;
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < heads; h++) {
          const o = head(b, h);
          const p = probs0 + (b * heads + h) * mapBytes;
          const drop = dropMask ? drops + (b * heads + h) * mapBytes : 0;
          const dyHead = d + o.context;
          // d(weights) = dy_h v_hᵀ
          simd.transpose(x + o.q + o.v, valuesT, seq, size, rowBytes);
          simd.matmul(
            dyHead,
            valuesT,
            grad,
            seq,
            size,
            seq,
            contextRowBytes,
            4,
            4 * seq,
            4 * seq,
            0,
          );
          // dv_h = weightsᵀ dy_h
          let w = p;
          if (drop || hm(b, h) !== 1) {
            simd.mulScale(p, drop, weights, n, hm(b, h));
            w = weights;
          }
          simd.matmul(
            w,
            dyHead,
            dx + o.q + o.v,
            seq,
            seq,
            size,
            4,
            4 * seq,
            contextRowBytes,
            rowBytes,
            0,
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
          // dq_h = d(scores) k_h, dk_h = d(scores)ᵀ q_h
          simd.matmul(
            grad,
            x + o.q + o.k,
            dx + o.q,
            seq,
            seq,
            size,
            4 * seq,
            4,
            rowBytes,
            rowBytes,
            0,
          );
          simd.matmul(
            grad,
            x + o.q,
            dx + o.q + o.k,
            seq,
            seq,
            size,
            4,
            4 * seq,
            rowBytes,
            rowBytes,
            0,
          );
        }
      }
      dHeadMask.set(dMask);
    },
  });
}

/** What `attention` needs besides the projections. */
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
 * The context `[batch, seq, heads * head_dim]` of multi-head attention over `qkv`, the q, k and
 * v projections side by side (`[batch, seq, 3 * heads * head_dim]`); differentiable in `qkv`
 * and the head mask. Needs the SIMD kernels (`simdKernels()`).
 *
 * @example
 * ```ts
 * const context = attention(tf.concat([q, k, v], -1), { heads: 12, scale: 1 / Math.sqrt(8), keyBias });
 * ```
 */
export function attention(qkv: tf.Tensor, options: AttentionOptions): tf.Tensor {
  register();
  const { heads, scale, keyBias, dropMask, headMask } = options;
  // The softmax is an output only while gradients are recorded (the backward reads it).
  const attrs = { heads, scale, keepProbs: tf.engine().state.gradientDepth > 0 };
  const inputs = headMask ? [qkv, headMask] : [qkv];
  const op = tf.customGrad((...args: (tf.Tensor | ((t: tf.Tensor[]) => void))[]) => {
    const save = args.pop() as (t: tf.Tensor[]) => void;
    const [x, mask] = args as tf.Tensor[];
    const [context, probs] = runJs(FORWARD, { qkv: x, keyBias, dropMask, headMask: mask }, attrs);
    save([x, probs, ...(dropMask ? [dropMask] : []), ...(mask ? [mask] : [])]);
    return {
      value: context,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [sx, sp] = kept;
        let i = 2;
        const sd = dropMask ? kept[i++] : undefined;
        const sm = mask ? kept[i++] : undefined;
        const [dqkv, dMask] = runJs(
          BACKWARD,
          { dy, qkv: sx, probs: sp, dropMask: sd, headMask: sm },
          attrs,
        );
        if (sm) return [dqkv, dMask];
        dMask.dispose();
        return [dqkv];
      },
    };
  }) as unknown as (...t: tf.Tensor[]) => tf.Tensor;
  return op(...inputs);
}
