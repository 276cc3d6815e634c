// Sensitivity scan and budgets: the scan's accuracies equal those of the masked (heads) or
// physically pruned (FFN) model, the model is left unchanged, budgets hit the global target
// where accuracy drops least, and bad input is named.
import { assert } from "./helpers/assert.ts";
import { EMBEDDED } from "./helpers/paths.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import type { DistilBertConfig } from "lib/model/config.ts";
import { tinyConfig } from "./helpers/tiny_config.ts";
import { loadTokenizer } from "lib/data/tokenizer.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { lowestPerLayer } from "lib/prune/plan.ts";
import { budgetsFromSensitivity, sensitivityScan } from "lib/prune/sensitivity.ts";

await initTf();
const tokenizer = await loadTokenizer(EMBEDDED);
const config: DistilBertConfig = tinyConfig(0.5);
const sentences = [
  "a wonderful film",
  "dull and far too long",
  "the cast is great but the plot is thin",
  "i would not watch it again",
  "funny , warm and clever",
  "a mess from start to finish",
  "not bad at all",
  "the best movie of the year",
];
const labels = [1, 0, 1, 0, 1, 0, 1, 1];
const randomScores = (rows: number[], seed: number) =>
  rows.map((n, l) => Array.from({ length: n }, (_, i) => Math.sin(seed + 13 * l + 7 * i)));
const paramsOf = (m: DistilBertForSequenceClassification) =>
  [...m.params.values()].map((p) => Array.from(p.dataSync()));

Deno.test("head scan: each accuracy is the one-layer-masked model's; the model is unchanged", async () => {
  const model = DistilBertForSequenceClassification.random(config, 3);
  const importance = randomScores([4, 4], 1);
  const scan = await sensitivityScan(model, tokenizer, sentences, labels, {
    rates: [0.25, 0.5, 0.75],
    kind: "heads",
    importance,
    engine: "tfjs",
  });
  assert.deepStrictEqual(scan.units, [4, 4]);
  assert.strictEqual(
    scan.baseline,
    accuracyOf(predictProbabilities(model, tokenizer, sentences), labels),
  );
  for (let l = 0; l < 2; l++) {
    scan.rates.forEach((rate, r) => {
      const plan = lowestPerLayer([importance[l]], rate)["0"];
      const headMask = [0, 1].map((i) =>
        [0, 1, 2, 3].map((h) => (i === l && plan.includes(h) ? 0 : 1))
      );
      const expected = accuracyOf(
        predictProbabilities(model, tokenizer, sentences, { headMask }),
        labels,
      );
      assert.strictEqual(scan.accuracy[l][r], expected, `layer ${l} rate ${rate}`);
    });
  }
  model.dispose();
});

Deno.test("FFN scan: each accuracy is the physically pruned copy's; lin2 is restored", async () => {
  const model = DistilBertForSequenceClassification.random(config, 4);
  const before = paramsOf(model);
  const importance = randomScores([24, 24], 2);
  const rates = [0.5, 0.9];
  const scan = await sensitivityScan(model, tokenizer, sentences, labels, {
    rates,
    kind: "ffn",
    importance,
    engine: "tfjs",
  });
  assert.deepStrictEqual(paramsOf(model), before, "parameters restored");
  for (let l = 0; l < 2; l++) {
    for (const [r, rate] of rates.entries()) {
      const copy = DistilBertForSequenceClassification.random(config, 4);
      pruneFfnNeurons(copy, { [String(l)]: lowestPerLayer([importance[l]], rate)["0"] });
      const probs = predictProbabilities(copy, tokenizer, sentences);
      assert.strictEqual(scan.accuracy[l][r], accuracyOf(probs, labels), `layer ${l} rate ${rate}`);
      copy.dispose();
    }
  }
  model.dispose();
});

Deno.test("the scan on onnxruntime gives the tfjs accuracies", async () => {
  const model = DistilBertForSequenceClassification.random(config, 5);
  const options = { rates: [0.5], kind: "heads" as const, importance: randomScores([4, 4], 3) };
  const onOrt = await sensitivityScan(model, tokenizer, sentences, labels, options);
  const onTfjs = await sensitivityScan(model, tokenizer, sentences, labels, {
    ...options,
    engine: "tfjs",
  });
  assert.deepStrictEqual(onOrt.accuracy, onTfjs.accuracy);
  model.dispose();
});

Deno.test("scan: bad rates, kind, labels and importance shapes are named", async () => {
  const model = DistilBertForSequenceClassification.random(config, 6);
  const importance = randomScores([4, 4], 1);
  const scan = (o: Record<string, unknown>, s = sentences, l = labels) =>
    sensitivityScan(model, tokenizer, s, l, {
      rates: [0.5],
      kind: "heads",
      importance,
      engine: "tfjs",
      ...o,
    });
  await assert.rejects(() => scan({ rates: [0.5, 1] }), /rate 1 is not in \[0, 1\)/);
  await assert.rejects(() => scan({ rates: [] }), /rates is empty/);
  await assert.rejects(() => scan({ kind: "neurons" }), /kind "neurons" must be "heads" or "ffn"/);
  await assert.rejects(() => scan({}, sentences, [1]), /8 sentences and 1 labels/);
  await assert.rejects(
    () => scan({ importance: [[1, 2, 3, 4]] }),
    /importance has shape \[4\]; expected one score per head: \[4,4\]/,
  );
  model.dispose();
});

Deno.test("budgets: counts sum to the target, pruning where accuracy drops least", () => {
  const scan = {
    rates: [0.25, 0.5, 0.75],
    baseline: 0.9,
    units: [12, 12, 12],
    accuracy: [
      [0.9, 0.9, 0.89], // tolerant
      [0.85, 0.7, 0.6], // sensitive
      [0.9, 0.88, 0.8], // in between
    ],
  };
  for (const target of [0, 0.1, 0.3, 0.5]) {
    const { counts, rates } = budgetsFromSensitivity(scan, { target });
    assert.strictEqual(counts.reduce((a, b) => a + b), Math.round(target * 36), `target ${target}`);
    rates.forEach((r, l) => assert.strictEqual(r, counts[l] / 12));
  }
  const { counts } = budgetsFromSensitivity(scan, { target: 0.3 });
  // 11 heads: layer 0 is free up to 50% (6 heads), then layer 2's first 3 cost 0 too (flat to
  // 25%), then the cheapest next steps: layer 0 (0.01 over 3 heads) vs layer 2 (0.02 over 3).
  assert.deepStrictEqual(counts, [8, 0, 3]);
  assert.deepStrictEqual(budgetsFromSensitivity(scan, { maxDrop: 0.02 }).counts, [9, 0, 6]);
  assert.deepStrictEqual(budgetsFromSensitivity(scan, { maxDrop: 0 }).counts, [6, 0, 3]);
});

Deno.test("budgets: a target outside [0, 1) or beyond the scanned rates is one clear error", () => {
  const scan = { rates: [0.5], baseline: 1, units: [4, 4], accuracy: [[1], [1]] };
  assert.throws(() => budgetsFromSensitivity(scan, { target: 1 }), /target 1 is not in \[0, 1\)/);
  assert.throws(() => budgetsFromSensitivity(scan, { target: -0.1 }), /target -0.1/);
  assert.throws(
    () => budgetsFromSensitivity(scan, { target: 0.75 }),
    /target 0.75 needs 6 units but the scan reaches only 4 \(its largest rate is 0.5\)/,
  );
  assert.throws(() => budgetsFromSensitivity(scan, { maxDrop: -1 }), /maxDrop -1 must be ≥ 0/);
});

Deno.test("no tensors leak from a scan", async () => {
  const model = DistilBertForSequenceClassification.random(config, 7);
  const options = {
    rates: [0.5],
    kind: "ffn" as const,
    importance: randomScores([24, 24], 1),
    engine: "tfjs" as const,
  };
  await sensitivityScan(model, tokenizer, sentences, labels, options);
  const before = tf.memory().numTensors;
  await sensitivityScan(model, tokenizer, sentences, labels, options);
  assert.strictEqual(tf.memory().numTensors, before);
  model.dispose();
});
