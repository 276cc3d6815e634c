// Distillation and gradual pruning: the loss against a hand computation, the cached teacher
// log-probabilities against tfjs, length-bucketed batches, distillation lowering its loss, and
// gradual vs one-shot pruning end to end on a tiny random model, with bad stages named; the
// recovery recipe's values, its alpha and temperature reaching the loss, and dropout off.
import { assert, assertClose } from "./helpers/assert.ts";
import { EMBEDDED } from "./helpers/paths.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { type DistilBertConfig, headCounts } from "lib/model/config.ts";
import { tinyConfig } from "./helpers/tiny_config.ts";
import { loadTokenizer } from "lib/data/tokenizer.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { lowestHeadsMask } from "lib/prune/movement.ts";
import {
  cachedTeacherLogits,
  disposeTrainingBatches,
  distil,
  distillationBatches,
  distillationLoss,
  trainingLoss,
} from "lib/training/distillation.ts";
import { gradualPrune } from "lib/prune/gradual.ts";
import { recoveryRecipe } from "lib/training/recipe.ts";

await initTf();
const tokenizer = await loadTokenizer(EMBEDDED);
const config: DistilBertConfig = tinyConfig(0.2);
const data = [
  "a wonderful film",
  "dull and far too long",
  "the cast is great but the plot is thin",
  "i would not watch it again",
  "funny , warm and clever",
  "a mess from start to finish",
  "not bad at all",
  "the best movie of the year , by far",
  "boring",
  "an absolute delight",
].map((sentence, i) => ({ sentence, label: i % 2 === 0 ? 1 : 0 }));

Deno.test("distillation loss: 0.9 · T² · KL + 0.1 · CE by hand", () => {
  const student = [[1, -1], [0.5, 2]];
  const teacher = [[2, 0], [-1, 1]];
  const labels = [0, 1];
  const T = 2;
  const softmax = (v: number[]) => {
    const e = v.map((x) => Math.exp(x));
    const s = e.reduce((a, b) => a + b);
    return e.map((x) => x / s);
  };
  let kl = 0;
  let ce = 0;
  student.forEach((s, i) => {
    const p = softmax(teacher[i].map((v) => v / T));
    const q = softmax(s.map((v) => v / T));
    kl += p.reduce((acc, pj, j) => acc + pj * Math.log(pj / q[j]), 0) / 2;
    ce += -Math.log(softmax(s)[labels[i]]) / 2;
  });
  const expected = 0.9 * T * T * kl + 0.1 * ce;
  const loss = distillationLoss(tf.tensor2d(student), tf.tensor2d(teacher), labels);
  assertClose([loss.dataSync()[0]], [expected], 1e-6, "loss");
  const other = distillationLoss(tf.tensor2d(student), tf.tensor2d(teacher), labels, 1, 0.5);
  assert.ok(Math.abs(other.dataSync()[0] - expected) > 1e-3, "T and alpha are used");
});

Deno.test("cached teacher log-probabilities equal tfjs's; batches carry them, grouped by length", async () => {
  const teacher = DistilBertForSequenceClassification.random(config, 1);
  const sentences = data.map((d) => d.sentence);
  const cached = await cachedTeacherLogits(teacher, tokenizer, sentences);
  const probs = predictProbabilities(teacher, tokenizer, sentences);
  assertClose(cached.flat(), probs.flat().map(Math.log), 1e-5, "log-probabilities");
  const batches = distillationBatches(tokenizer, data, cached, { batchSize: 4, window: 8 });
  assert.deepStrictEqual(batches.map((b) => b.labels.length), [4, 4, 2]);
  // Within the first window of 8, the batches go from short to long sentences.
  const widths = batches.map((b) => b.inputIds.shape[1]);
  assert.ok(widths[0] <= widths[1], `widths ${widths}`);
  const rows = batches.flatMap((b) => b.teacherLogProbs!.arraySync() as number[][]);
  const byLabel = batches.flatMap((b) => b.labels);
  assert.strictEqual(rows.length, 10);
  assert.deepStrictEqual(byLabel.filter((l) => l === 1).length, 5);
  assert.throws(
    () => distillationBatches(tokenizer, data, cached.slice(1)),
    /9 teacher rows for 10/,
  );
  disposeTrainingBatches(batches);
  teacher.dispose();
});

Deno.test("distillation steps lower the loss on the training batches; word embeddings stay", async () => {
  const teacher = DistilBertForSequenceClassification.random(config, 1);
  const student = DistilBertForSequenceClassification.random(config, 2);
  const cached = await cachedTeacherLogits(teacher, tokenizer, data.map((d) => d.sentence), {
    engine: "tfjs",
  });
  const batches = distillationBatches(tokenizer, data, cached, { batchSize: 5 });
  const total = () =>
    tf.tidy(() =>
      batches.reduce((s, b) => {
        const logits = student.forward(b.inputIds, b.attentionMask).logits;
        return s + distillationLoss(logits, b.teacherLogProbs!, b.labels).dataSync()[0];
      }, 0)
    );
  const embeddings = Array.from(
    student.param("distilbert.embeddings.word_embeddings.weight").dataSync(),
  );
  const before = total();
  distil(student, batches, { steps: 10, learningRate: 3e-3 });
  assert.ok(total() < before, `loss ${before} -> ${total()}`);
  const tensors = tf.memory().numTensors;
  distil(student, batches, { steps: 2 });
  assert.strictEqual(tf.memory().numTensors, tensors, "no tensors leak from distil");
  assert.deepStrictEqual(
    Array.from(student.param("distilbert.embeddings.word_embeddings.weight").dataSync()),
    embeddings,
  );
  // Without teacher outputs the training loss is cross-entropy.
  const plain = { ...batches[0], teacherLogProbs: undefined };
  const ce = tf.tidy(() => trainingLoss(student, plain, { seed: 1 }).dataSync()[0]);
  assert.ok(Number.isFinite(ce) && ce > 0);
  assert.throws(() => distil(student, batches, { steps: 1.5 }), /steps 1.5/);
  disposeTrainingBatches(batches);
  teacher.dispose();
  student.dispose();
});

Deno.test("gradual vs one-shot end to end: stages pruned, distilled, measured", async () => {
  const teacher = DistilBertForSequenceClassification.random(config, 1);
  const cached = await cachedTeacherLogits(teacher, tokenizer, data.map((d) => d.sentence), {
    engine: "tfjs",
  });
  const batches = distillationBatches(tokenizer, data, cached, { batchSize: 5 });
  const scores = [[0.1, 0.5, 0.3, 0.9], [0.2, 0.8, 0.4, 0.6]];
  const prune = (m: DistilBertForSequenceClassification, rate: number) => {
    const plan: Record<string, number[]> = {};
    lowestHeadsMask(scores, Math.round(rate * 8)).forEach((row, l) =>
      row.forEach((v, h) => v === 0 && (plan[String(l)] ??= []).push(h))
    );
    pruneHeads(m, plan);
  };
  const evaluate = (m: DistilBertForSequenceClassification) =>
    accuracyOf(
      predictProbabilities(m, tokenizer, data.map((d) => d.sentence)),
      data.map((d) => d.label),
    );
  const gradual = DistilBertForSequenceClassification.random(config, 1);
  const stages = await gradualPrune(gradual, {
    stages: [0.25, 0.5],
    stepsPerStage: 2,
    prune,
    batches,
    evaluate,
  });
  assert.deepStrictEqual(stages.map((s) => [s.rate, s.steps]), [[0.25, 2], [0.5, 4]]);
  assert.deepStrictEqual(headCounts(gradual.config), [2, 2]);
  for (const s of stages) assert.ok(s.pruned >= 0 && s.pruned <= 1 && s.distilled >= 0);
  const oneShot = DistilBertForSequenceClassification.random(config, 1);
  const once = await gradualPrune(oneShot, {
    stages: [0.5],
    stepsPerStage: 4,
    prune,
    batches,
    evaluate,
  });
  assert.strictEqual(once.length, 1);
  assert.deepStrictEqual(oneShot.config.pruned_heads, gradual.config.pruned_heads);
  for (
    const [bad, message] of [
      [[0.3, 1.2], /stages\[1\] = 1.2 is outside \(0, 1\)/],
      [[0], /stages\[0\] = 0 is outside \(0, 1\)/],
      [[0.5, 0.4], /stages must increase, but stages\[1\] = 0.4 follows 0.5/],
      [[], /stages is empty/],
    ] as const
  ) {
    await assert.rejects(
      () => gradualPrune(oneShot, { stages: [...bad], stepsPerStage: 1, prune, batches, evaluate }),
      message,
    );
  }
  disposeTrainingBatches(batches);
  [teacher, gradual, oneShot].forEach((m) => m.dispose());
});

Deno.test("the recovery recipe: its alpha and temperature reach the loss distil trains on", async () => {
  assert.deepStrictEqual(
    [recoveryRecipe({ dim: 384 }), recoveryRecipe({ dim: 96 })].map((r) => [
      r.batchSize,
      r.learningRate,
      r.alpha,
      r.temperature,
    ]),
    [[16, 3e-5, 0.3, 2], [32, 1e-4, 0.9, 2]],
  );
  const teacher = DistilBertForSequenceClassification.random(config, 1);
  const cached = await cachedTeacherLogits(teacher, tokenizer, data.map((d) => d.sentence), {
    engine: "tfjs",
  });
  const [batch] = distillationBatches(tokenizer, data, cached, { batchSize: 10 });
  const student = DistilBertForSequenceClassification.random(config, 2);
  const loss = (options: { alpha?: number; temperature?: number }) =>
    tf.tidy(() => trainingLoss(student, batch, { seed: 3, ...options }).dataSync()[0]);
  const byHand = tf.tidy(() => {
    const logits = student.forward(batch.inputIds, batch.attentionMask, { training: true, seed: 3 })
      .logits;
    return distillationLoss(logits, batch.teacherLogProbs!, batch.labels, 1.5, 0.3).dataSync()[0];
  });
  assertClose([loss({ alpha: 0.3, temperature: 1.5 })], [byHand], 1e-6, "alpha 0.3, T 1.5");
  assert.ok(Math.abs(loss({}) - byHand) > 1e-4, "the defaults (0.9, 2) give another loss");
  // distil trains on that loss: one step with alpha 0 and one with alpha 1 move a weight apart.
  const after = (alpha: number, options: { seed?: number; dropout?: boolean } = {}) => {
    const s = DistilBertForSequenceClassification.random(config, 2);
    distil(s, [batch], { steps: 1, learningRate: 1e-2, alpha, ...options });
    const w = Array.from(s.param("pre_classifier.weight").dataSync());
    s.dispose();
    return w;
  };
  const [labelsOnly, teacherOnly] = [after(0), after(1)];
  assert.ok(labelsOnly.some((v, i) => Math.abs(v - teacherOnly[i]) > 1e-6), "alpha reaches distil");
  // Without dropout the dropout seed changes nothing; with it, it does.
  assert.deepStrictEqual(
    after(0.3, { seed: 1, dropout: false }),
    after(0.3, { seed: 7, dropout: false }),
  );
  assert.notDeepStrictEqual(after(0.3, { seed: 1 }), after(0.3, { seed: 7 }));
  disposeTrainingBatches([batch]);
  teacher.dispose();
  student.dispose();
});
