// Sparse storage of a pruned model, written as safetensors files: dense (every value, F32),
// COO (non-zero values + their flat int32 indices) and bitmap (non-zero values + one bit per
// entry). Shows when sparsity pays off on disk once index bytes are counted.
import { courseReference } from "../course/reference.ts";
import type { MLP } from "../model/mlp.ts";
import { type NamedTensor, serializeSafetensors } from "../io/safetensors.ts";
import { tf } from "../engine/tf.ts";

/** How weights are stored; biases are always dense. */
export type SparseFormat = "dense" | "coo" | "bitmap";

/**
 * The tensors a format writes, by name: dense `<p>`; COO `<p>.values` (F32 non-zeros, row-major
 * order) and `<p>.indices` (I32 flat indices); bitmap `<p>.values` and `<p>.bitmap` (U8, bit
 * `i % 8` of byte `i >> 3` set when entry i is non-zero).
 *
 * @example
 * ```ts
 * sparseTensors(mlp, "coo").get("fc1.weight.indices");
 * ```
 */
export const sparseTensors = courseReference(
  "05.sparse_size",
  function sparseTensors(model: MLP, format: SparseFormat): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const name of model.params.keys()) {
      const w = tf.tidy(() => model.weight(name));
      const values = w.dataSync() as Float32Array;
      const shape = w.shape;
      w.dispose();
      if (format === "dense" || !name.endsWith(".weight")) {
        out.set(name, { shape, data: values });
        continue;
      }
      const nonzero: number[] = [];
      for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero.push(i);
      out.set(`${name}.values`, {
        shape: [nonzero.length],
        data: Float32Array.from(nonzero, (i) => values[i]),
      });
      if (format === "coo") {
        out.set(`${name}.indices`, { shape: [nonzero.length], data: Int32Array.from(nonzero) });
      } else {
        const bitmap = new Uint8Array(Math.ceil(values.length / 8));
        for (const i of nonzero) bitmap[i >> 3] |= 1 << (i % 8);
        out.set(`${name}.bitmap`, { shape: [bitmap.length], data: bitmap });
      }
    }
    return out;
  },
);

/**
 * The bytes of a model serialised in a format (a safetensors file).
 *
 * @example
 * ```ts
 * await Deno.writeFile("out/mlp-coo.safetensors", serializeSparse(mlp, "coo"));
 * ```
 */
export const serializeSparse = courseReference(
  "05.sparse_size",
  function serializeSparse(model: MLP, format: SparseFormat): Uint8Array {
    return serializeSafetensors(sparseTensors(model, format));
  },
);
