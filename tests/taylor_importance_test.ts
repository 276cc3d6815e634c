// Taylor FFN importance equals |Σ activation × gradient| computed by hand (a local forward of
// the layer up to its GELU output, then the rest of the model); weight-norm importance equals a
// direct computation.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { golden } from "./helpers/golden.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import type { CalibrationBatch } from "lib/importance/calibration.ts";
import { taylorFfnImportance } from "lib/importance/taylor.ts";
import { ffnWeightNormImportance } from "lib/importance/weight_norm.ts";

await initTf();
const model = await loadDistilBert(join(TINY, "model"));
const ids: number[][] = golden.input_ids;
const masks: number[][] = golden.attention_mask;
const batchOf = (rows: number[], labels: number[]): CalibrationBatch => ({
  inputIds: tf.tensor2d(rows.map((i) => ids[i]), undefined, "int32"),
  attentionMask: tf.tensor2d(rows.map((i) => masks[i]), undefined, "int32"),
  labels,
});
const batches = [batchOf([0, 1], [1, 0]), batchOf([2, 3], [0, 1])];

/** y = x Wᵀ + b with HF's [out, in] weight. */
const linear = (m: DistilBertForSequenceClassification, x: tf.Tensor, name: string) =>
  tf.matMul(x.reshape([-1, x.shape[2]!]), m.param(`${name}.weight`), false, true)
    .add(m.param(`${name}.bias`)).reshape([x.shape[0], x.shape[1]!, -1]);
const layerNorm = (m: DistilBertForSequenceClassification, x: tf.Tensor, name: string) => {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(1e-12).sqrt()).mul(m.param(`${name}.weight`))
    .add(m.param(`${name}.bias`));
};

/** Layer `l` by hand: its FFN activation (GELU output) and the logits as a function of it. */
function byHand(
  m: DistilBertForSequenceClassification,
  x: tf.Tensor3D,
  mask: tf.Tensor2D,
  l: number,
): { act: tf.Tensor; logitsOf: (a: tf.Tensor) => tf.Tensor } {
  const p = `distilbert.transformer.layer.${l}`;
  const [b, s, d] = x.shape;
  const heads = m.config.n_heads;
  const size = d / heads;
  const split = (t: tf.Tensor) => t.reshape([b, s, heads, size]).transpose([0, 2, 1, 3]);
  const q = split(linear(m, x, `${p}.attention.q_lin`)).div(Math.sqrt(size));
  const k = split(linear(m, x, `${p}.attention.k_lin`));
  const v = split(linear(m, x, `${p}.attention.v_lin`));
  const bias = tf.scalar(1).sub(mask.toFloat()).mul(-1e9).reshape([b, 1, 1, s]);
  const weights = tf.softmax(tf.matMul(q, k, false, true).add(bias));
  const context = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([b, s, d]);
  const sa = layerNorm(
    m,
    linear(m, context, `${p}.attention.out_lin`).add(x),
    `${p}.sa_layer_norm`,
  );
  const h = linear(m, sa, `${p}.ffn.lin1`);
  const act = h.mul(tf.erf(h.div(Math.SQRT2)).add(1)).mul(0.5);
  const logitsOf = (a: tf.Tensor) => {
    const out = layerNorm(m, linear(m, a, `${p}.ffn.lin2`).add(sa), `${p}.output_layer_norm`);
    return m.forwardFrom(out as tf.Tensor3D, mask, l + 1).logits;
  };
  return { act, logitsOf };
}

Deno.test("Taylor FFN importance equals |Σ activation × ∂L/∂activation| computed by hand", () => {
  const scores = taylorFfnImportance(model, batches);
  assert.deepStrictEqual(scores.map((r) => r.length), [80, 80, 80]);
  for (let l = 0; l < model.config.n_layers; l++) {
    const expected = tf.tidy(() => {
      let sum = tf.zeros([80]);
      for (const { inputIds, attentionMask, labels } of batches) {
        const { hiddenStates, logits } = model.forward(inputIds, attentionMask, {
          outputHiddenStates: true,
        });
        const { act, logitsOf } = byHand(model, hiddenStates![l], attentionMask, l);
        // The hand-written layer reproduces the model's logits.
        assertClose(
          Array.from(logitsOf(act).dataSync()),
          Array.from(logits.dataSync()),
          1e-5,
          "hand forward",
        );
        const onehot = tf.oneHot(tf.tensor1d(labels, "int32"), 2);
        const grad = tf.grad((a: tf.Tensor) =>
          tf.losses.softmaxCrossEntropy(onehot, logitsOf(a)) as tf.Scalar
        )(act);
        sum = sum.add(act.mul(grad).sum([0, 1]).abs());
      }
      return Array.from(sum.div(batches.length).dataSync());
    });
    assertClose(scores[l], expected, 1e-5, `layer ${l}`);
    assert.ok(expected.some((v) => v > 1e-6), "some neuron matters");
  }
});

Deno.test("Taylor importance: no batches is an error; no tensors leak", () => {
  assert.throws(() => taylorFfnImportance(model, []), /batches is empty/);
  taylorFfnImportance(model, batches);
  const before = tf.memory().numTensors;
  taylorFfnImportance(model, batches);
  assert.strictEqual(tf.memory().numTensors, before);
});

Deno.test("weight-norm FFN importance is ‖lin1 row‖ · ‖lin2 column‖; a bad layer is named", () => {
  const w1 = model.param("distilbert.transformer.layer.1.ffn.lin1.weight")
    .arraySync() as number[][];
  const w2 = model.param("distilbert.transformer.layer.1.ffn.lin2.weight")
    .arraySync() as number[][];
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const expected = w1.map((row, n) => norm(row) * norm(w2.map((r) => r[n])));
  assertClose(ffnWeightNormImportance(model, 1), expected, 1e-5, "weight norm");
  assert.throws(() => ffnWeightNormImportance(model, 3), /layer 3 is not in 0\.\.2/);
});
