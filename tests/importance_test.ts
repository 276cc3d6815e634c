// Head importance: the batched ablation equals one masked pass per head, entropy equals a
// direct computation over real keys, gradient importance equals per-example gradients; ranks
// and Spearman correlation as scipy computes them.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import { ablationImportance } from "lib/importance/ablation.ts";
import { entropyImportance } from "lib/importance/entropy.ts";
import { gradientImportance } from "lib/importance/gradient.ts";
import type { CalibrationBatch } from "lib/importance/calibration.ts";
import { ranks, spearman } from "lib/evaluation/stats.ts";

await initTf();
const golden = JSON.parse(await Deno.readTextFile(join(TINY, "golden.json")));
const model = await loadDistilBert(join(TINY, "model"));
const ids: number[][] = golden.input_ids;
const masks: number[][] = golden.attention_mask;
const batches: CalibrationBatch[] = [
  {
    inputIds: tf.tensor2d(ids.slice(0, 2), undefined, "int32"),
    attentionMask: tf.tensor2d(masks.slice(0, 2), undefined, "int32"),
    labels: [1, 0],
  },
  {
    inputIds: tf.tensor2d(ids.slice(2), undefined, "int32"),
    attentionMask: tf.tensor2d(masks.slice(2), undefined, "int32"),
    labels: [0, 1],
  },
];
const all = {
  inputIds: tf.tensor2d(ids, undefined, "int32"),
  attentionMask: tf.tensor2d(masks, undefined, "int32"),
};

Deno.test("batched ablation equals one masked forward pass per head", () => {
  const batched = ablationImportance(model, batches).flat();
  const naive: number[] = tf.tidy(() => {
    const base = tf.softmax(model.forward(all.inputIds, all.attentionMask).logits);
    const values: number[] = [];
    for (let l = 0; l < 3; l++) {
      for (let h = 0; h < 6; h++) {
        const headMask = tf.tensor2d(
          Array.from(
            { length: 3 },
            (_, i) => Array.from({ length: 6 }, (_, j) => (i === l && j === h ? 0 : 1)),
          ),
        );
        const p = tf.softmax(model.forward(all.inputIds, all.attentionMask, { headMask }).logits);
        values.push(p.sub(base).abs().mean().dataSync()[0]);
      }
    }
    return values;
  });
  assertClose(batched, naive, 1e-6, "ablation");
  assert.ok(naive.some((v) => v > 0), "some head matters");
});

Deno.test("entropy importance equals a direct computation over real keys and queries", () => {
  const scores = entropyImportance(model, batches);
  const weights = tf.tidy(() =>
    model.forward(all.inputIds, all.attentionMask, { outputAttentions: true }).attentions!.map(
      (a) => a.arraySync() as number[][][][],
    )
  );
  for (let l = 0; l < 3; l++) {
    const w = weights[l];
    for (let h = 0; h < 6; h++) {
      let total = 0;
      masks.forEach((m, b) => {
        const n = m.reduce((s, v) => s + v, 0);
        let perExample = 0;
        for (let q = 0; q < n; q++) {
          let e = 0;
          for (let k = 0; k < n; k++) {
            if (w[b][h][q][k] > 0) e -= w[b][h][q][k] * Math.log(w[b][h][q][k]);
          }
          perExample += e / Math.log(n);
        }
        total += perExample / n;
      });
      assert.ok(Math.abs(scores[l][h] - (1 - total / masks.length)) < 1e-4, `layer ${l} head ${h}`);
    }
  }
});

Deno.test("gradient importance equals per-example |∂L/∂mask|, normalised per layer", () => {
  const scores = gradientImportance(model, batches);
  const sums = Array.from({ length: 3 }, () => new Array(6).fill(0));
  const labels = [1, 0, 0, 1];
  ids.forEach((row, b) => {
    const grad = tf.tidy(() =>
      tf.grad((m: tf.Tensor) => {
        const { logits } = model.forward(
          tf.tensor2d([row], undefined, "int32"),
          tf.tensor2d([masks[b]], undefined, "int32"),
          { headMask: m },
        );
        return tf.losses.softmaxCrossEntropy(
          tf.oneHot(tf.tensor1d([labels[b]], "int32"), 2),
          logits,
        );
      })(tf.ones([3, 6])).arraySync() as number[][]
    );
    grad.forEach((r, l) => r.forEach((g, h) => (sums[l][h] += Math.abs(g))));
  });
  const expected = sums.map((r) => {
    const norm = Math.sqrt(r.reduce((s, v) => s + v * v, 0));
    return r.map((v) => v / norm);
  });
  assertClose(scores.flat(), expected.flat(), 1e-5, "gradient importance");
});

Deno.test("ranks average ties and Spearman matches scipy", () => {
  assert.deepStrictEqual(ranks([10, 30, 20, 20]), [1, 4, 2.5, 2.5]);
  assert.strictEqual(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.strictEqual(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // scipy.stats.spearmanr([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]).statistic == 0.8207826816681233
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) - 0.8207826816681233) < 1e-12);
});
