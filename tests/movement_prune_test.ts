// Movement pruning: the cubic schedule at known points and its errors, the sign of movement
// scores, the head-mask gradient equal to Sanh's −W ⊙ ∂L/∂W summed over a head's out_lin
// columns (kept heads) and to its straight-through value (masked heads), and the training loop
// end to end: the masked heads removed physically give the masked model's logits.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { golden } from "./helpers/golden.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import { headCounts } from "lib/model/config.ts";
import { pruneHeads, replace } from "lib/prune/heads.ts";
import type { TrainingBatch } from "lib/training/distillation.ts";
import {
  cubicSparsity,
  headMagnitudeScores,
  headMovementScores,
  lowestHeadsMask,
  movementPrune,
} from "lib/prune/movement.ts";
import { planFromMask } from "lib/prune/plan.ts";

await initTf();
const ids: number[][] = golden.input_ids;
const masks: number[][] = golden.attention_mask;
const batchOf = (rows: number[], labels: number[]): TrainingBatch => ({
  inputIds: tf.tensor2d(rows.map((i) => ids[i]), undefined, "int32"),
  attentionMask: tf.tensor2d(rows.map((i) => masks[i]), undefined, "int32"),
  labels,
});
const batches = [batchOf([0, 1], [1, 0]), batchOf([2, 3], [0, 1])];
const all = batchOf([0, 1, 2, 3], [1, 0, 0, 1]);

Deno.test("cubic sparsity: known points, clamped outside the steps", () => {
  const s = { initialStep: 0, finalStep: 10, finalSparsity: 0.8 };
  assert.strictEqual(cubicSparsity(0, s), 0);
  assertClose([cubicSparsity(5, s)], [0.8 * (1 - 0.5 ** 3)], 1e-12, "midpoint");
  assertClose([cubicSparsity(9, s)], [0.8 * (1 - 0.1 ** 3)], 1e-12, "near the end");
  assert.strictEqual(cubicSparsity(10, s), 0.8);
  assert.strictEqual(cubicSparsity(25, s), 0.8);
  const shifted = { initialStep: 4, finalStep: 8, initialSparsity: 0.2, finalSparsity: 0.6 };
  assert.strictEqual(cubicSparsity(2, shifted), 0.2);
  assertClose([cubicSparsity(6, shifted)], [0.6 - 0.4 * 0.125], 1e-12, "shifted midpoint");
  // Monotone: each step at least as sparse as the one before.
  const values = Array.from({ length: 12 }, (_, t) => cubicSparsity(t, s));
  assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]));
});

Deno.test("cubic sparsity: a sparsity outside (0, 1) or steps out of order is one clear error", () => {
  for (const bad of [0, 1, 1.2, -0.1, NaN]) {
    assert.throws(
      () => cubicSparsity(1, { finalStep: 10, finalSparsity: bad }),
      new RegExp(`finalSparsity ${bad} is outside \\(0, 1\\)`),
    );
  }
  assert.throws(
    () => cubicSparsity(1, { finalStep: 10, finalSparsity: 0.5, initialSparsity: 0.7 }),
    /initialSparsity 0.7 must be in \[0, finalSparsity 0.5\]/,
  );
  assert.throws(
    () => cubicSparsity(1, { initialStep: 5, finalStep: 5, finalSparsity: 0.5 }),
    /steps out of order: finalStep 5 must come after initialStep 5/,
  );
});

Deno.test("movement scores: weights moving toward zero score low, away from zero high", () => {
  // Gradient descent moves W by −lr·G. Head 0: W > 0, G > 0 (shrinks); head 1: W < 0, G > 0
  // (grows in size).
  const w = tf.tensor2d([[1, 0.5, -2, -1], [2, 1, -1, -0.5]]);
  const g = tf.tensor2d([[0.1, 0.2, 0.3, 0.1], [0.1, 0.1, 0.2, 0.2]]);
  const scores = headMovementScores(w, g, 2);
  assertClose(scores, [-(0.1 + 0.1 + 0.2 + 0.1), 0.6 + 0.1 + 0.2 + 0.1], 1e-6, "scores");
  assert.ok(scores[0] < 0 && scores[1] > 0);
  assert.throws(() => headMovementScores(w, g, 3), /headSize 3 does not divide the 4 columns/);
  assert.throws(() => headMovementScores(w, tf.zeros([2, 2]), 2), /same 2-D shape/);
});

Deno.test("the head-mask gradient is Sanh's score over out_lin columns, straight-through when masked", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const size = 8;
  const gateMask = [[1, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1], [0, 1, 1, 0, 1, 1]];
  const onehot = tf.oneHot(tf.tensor1d(all.labels, "int32"), 2);
  const loss = (m = model, headMask?: tf.Tensor[]) =>
    tf.losses.softmaxCrossEntropy(
      onehot,
      m.forward(all.inputIds, all.attentionMask, { headMask }).logits,
    ) as tf.Scalar;
  const outLin = [0, 1, 2].map((l) =>
    model.param(`distilbert.transformer.layer.${l}.attention.out_lin.weight`)
  );
  const gates = gateMask.map((row) => tf.variable(tf.tensor1d(row)));
  const { grads } = tf.variableGrads(() => loss(model, gates), [...gates, ...outLin]);
  // Kept heads: −∂L/∂ξ = −Σ W ⊙ ∂L/∂W over the head's out_lin columns.
  for (let l = 0; l < 3; l++) {
    const fromWeights = headMovementScores(outLin[l], grads[outLin[l].name], size);
    const fromGate = Array.from(grads[gates[l].name].neg().dataSync());
    gateMask[l].forEach((m, h) => {
      if (m === 1) assertClose([fromGate[h]], [fromWeights[h]], 1e-5, `layer ${l} head ${h}`);
    });
  }
  // Masked heads: the same sum with the effective weights W ⊙ M (columns zeroed) differentiated
  // and multiplied by the dense W: Sanh's straight-through estimator.
  const masked = await loadDistilBert(join(TINY, "model"));
  for (let l = 0; l < 3; l++) {
    const cols = gateMask[l].flatMap((m) => Array(size).fill(m));
    replace(
      masked,
      `distilbert.transformer.layer.${l}.attention.out_lin.weight`,
      (w) => w.mul(tf.tensor1d(cols).reshape([1, -1])),
    );
  }
  const maskedOut = [0, 1, 2].map((l) =>
    masked.param(`distilbert.transformer.layer.${l}.attention.out_lin.weight`)
  );
  const straight = tf.variableGrads(() => loss(masked), maskedOut).grads;
  for (let l = 0; l < 3; l++) {
    const sanh = headMovementScores(outLin[l], straight[maskedOut[l].name], size);
    const fromGate = Array.from(grads[gates[l].name].neg().dataSync());
    gateMask[l].forEach((m, h) => {
      if (m === 0) {
        assertClose([fromGate[h]], [sanh[h]], 1e-5, `masked layer ${l} head ${h}`);
        assert.ok(Math.abs(sanh[h]) > 1e-9, "a masked head still gets a score");
      }
    });
  }
  model.dispose();
  masked.dispose();
});

Deno.test("lowest heads mask: global, ties by position, one head kept per layer on request", () => {
  assert.deepStrictEqual(lowestHeadsMask([[3, 1], [2, 0]], 2), [[1, 0], [1, 0]]);
  assert.deepStrictEqual(lowestHeadsMask([[0, 0], [5, 6]], 2), [[0, 0], [1, 1]]);
  assert.deepStrictEqual(
    lowestHeadsMask([[0, 0], [5, 6]], 2, { keepOneHeadPerLayer: true }),
    [[0, 1], [0, 1]],
  );
});

Deno.test("movement pruning end to end: masked heads removed physically equal the masked model", async () => {
  for (const criterion of ["movement", "magnitude"] as const) {
    const model = await loadDistilBert(join(TINY, "model"));
    const steps: number[] = [];
    const result = movementPrune(model, batches, {
      steps: 8,
      finalSparsity: 0.5,
      criterion,
      physical: false,
      learningRate: 1e-3,
      onStep: ({ masked }) => steps.push(masked),
    });
    assert.strictEqual(result.schedule.length, 8);
    assert.strictEqual(result.schedule.at(-1), 0.5);
    assert.ok(steps.every((v, i) => i === 0 || v >= steps[i - 1]), `masked heads grow: ${steps}`);
    assert.strictEqual(result.mask.flat().filter((m) => m === 0).length, 9, "9 of 18 heads");
    const planned = Object.values(result.plan).flat().length;
    assert.strictEqual(planned, 9);
    const maskedLogits = tf.tidy(() =>
      Array.from(
        model.forward(all.inputIds, all.attentionMask, { headMask: tf.tensor2d(result.mask) })
          .logits.dataSync(),
      )
    );
    pruneHeads(model, result.plan);
    const prunedLogits = tf.tidy(() =>
      Array.from(model.forward(all.inputIds, all.attentionMask).logits.dataSync())
    );
    assertClose(prunedLogits, maskedLogits, 1e-5, `${criterion}: pruned vs masked`);
    assert.strictEqual(headCounts(model.config).reduce((a, b) => a + b), 9);
    model.dispose();
  }
});

Deno.test("movement pruning: physical by default, bad input named, no tensors leak", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  assert.throws(
    () => movementPrune(model, batches, { steps: 4, finalSparsity: 1.5 }),
    /finalSparsity 1.5 is outside \(0, 1\)/,
  );
  assert.throws(() => movementPrune(model, batches, { steps: 1, finalSparsity: 0.5 }), /steps 1/);
  movementPrune(model, batches, { steps: 4, finalSparsity: 0.3, physical: false });
  const before = tf.memory().numTensors;
  const { plan } = movementPrune(model, batches, { steps: 4, finalSparsity: 0.3 });
  assert.deepStrictEqual(model.config.pruned_heads, plan);
  assert.strictEqual(headCounts(model.config).reduce((a, b) => a + b), 18 - 5);
  // Pruning replaces tensors one for one: nothing else may remain.
  assert.strictEqual(tf.memory().numTensors, before);
  assert.deepStrictEqual(headMagnitudeScores(model).map((r) => r.length), headCounts(model.config));
  model.dispose();
});

Deno.test("plan from a head mask: original indices of a pruned model, mismatches named", () => {
  assert.deepStrictEqual(planFromMask([[1, 0, 1], [1, 1, 1]]), { "0": [1] });
  assert.deepStrictEqual(planFromMask([[1, 0], [0, 1, 0]], [[0, 2], [1, 3, 5]]), {
    "0": [2],
    "1": [1, 5],
  });
  assert.throws(() => planFromMask([[1, 0]], [[0, 1, 2]]), /layer 0 has 2 mask entries but 3/);
});
