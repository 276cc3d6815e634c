// Benchmark (not a test): notebook 06's compression pipeline run with the course's reference
// code — heads (60%, per-layer budgets from a sensitivity scan, pruned gradually with
// distillation), FFN (90% by Taylor importance, then a short distillation), vocabulary (the
// tokens of SST-2 train and half of the product reviews), int8 — and measured against the dense
// model on onnxruntime in one run (latencies interleaved, so that ratios hold on a shared
// machine); then the same stages at DistilBERT-base size with random weights (B=16, S=64).
// Ends with one line a script can read:
// `compressed embedded model: <X.X>x smaller, <Y.YY>x faster on onnxruntime (B=32), SST-2 dev <dense>% -> <compressed>%`.
//
//   deno run -A bench/compression_pipeline.ts [--rounds 20] [--skip-base] [--heads 0.6] [--ffn 0.9]
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { initTf, tf } from "lib/engine/tf.ts";
import { distilbertBaseConfig, ffnDims, headCounts } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { loadModel, TINY_MODEL } from "lib/model/loading.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";
import { quantile } from "lib/evaluation/evaluation.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";
import { calibrationBatches, disposeBatches } from "lib/importance/calibration.ts";
import { gradientImportance } from "lib/importance/gradient.ts";
import { taylorFfnImportance } from "lib/importance/taylor.ts";
import { budgetsFromSensitivity, sensitivityScan } from "lib/prune/sensitivity.ts";
import { lowestPerLayer } from "lib/prune/plan.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { gradualPrune } from "lib/prune/gradual.ts";
import {
  cachedTeacherLogits,
  disposeTrainingBatches,
  distil,
  distillationBatches,
} from "lib/training/distillation.ts";
import {
  pruneVocabulary,
  specialTokenIds,
  tokenCounts,
  tokensToKeep,
} from "lib/prune/vocabulary.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import { exportOnnxInt8 } from "lib/deploy/quantize.ts";
import { accuracyOf, predictor } from "lib/evaluation/predict.ts";
import { tokenFeeds } from "lib/deploy/ort_tensors.ts";

const { values: args } = parseArgs({
  // Imported by bench/forward_bench.ts: its own flags are not ours.
  args: import.meta.main ? Deno.args : [],
  options: {
    rounds: { type: "string", default: "20" },
    "skip-base": { type: "boolean" },
    /** Final share of heads and of FFN neurons pruned (notebook 06's settings by default). */
    heads: { type: "string", default: "0.6" },
    ffn: { type: "string", default: "0.9" },
  },
});
const ROUNDS = Number(args.rounds);
const HEADS = Number(args.heads);
const FFN = Number(args.ffn);
await initTf();
const started = performance.now();
const say = (s: string) =>
  console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${s}`);

const { model, tokenizer, dir } = await loadModel(TINY_MODEL);
const dev = await loadSst2("validation");
const train = await loadSst2("train");
const reviews = await readLabelledFile(REVIEWS_CSV);
const texts = dev.map((d) => d.sentence);
const labels = dev.map((d) => d.label);
const denseBytes = exportOnnx(model);

// Heads: gradient importance, a sensitivity scan, budgets, gradual pruning with distillation.
const calibration = calibrationBatches(
  tokenizer,
  train.filter((_, i) => i % 97 === 0).slice(0, 256),
  32,
  64,
);
const headScores = gradientImportance(model, calibration);
const scanSet = dev.filter((_, i) => i % 3 === 0);
const scan = await sensitivityScan(
  model,
  tokenizer,
  scanSet.map((d) => d.sentence),
  scanSet.map((d) => d.label),
  { rates: [0.25, 0.5, 0.75], kind: "heads", importance: headScores },
);
say("sensitivity scan done");
const pool = train.filter((_, i) => i % 7 === 3).slice(0, 2000);
const batches = distillationBatches(
  tokenizer,
  pool,
  await cachedTeacherLogits(model, tokenizer, pool.map((p) => p.sentence)),
  { batchSize: 32 },
);
const heads = headCounts(model.config);
const devAccuracy = async (m: DistilBertForSequenceClassification) => {
  const run = await predictor(m, tokenizer, "onnxruntime");
  try {
    return accuracyOf(await run(texts, { batchSize: 64 }), labels);
  } finally {
    await run.release();
  }
};
await gradualPrune(model, {
  stages: [HEADS / 3, 2 * HEADS / 3, HEADS],
  stepsPerStage: 10,
  prune: (m, rate) => {
    const { counts } = budgetsFromSensitivity(scan, { target: rate });
    pruneHeads(m, lowestPerLayer(headScores, counts.map((c, l) => c / heads[l])));
  },
  batches,
  evaluate: devAccuracy,
  learningRate: 1e-4,
});
say(`heads: ${headCounts(model.config).join(" ")}`);
// FFN: Taylor importance on the head-pruned model, then a short distillation.
pruneFfnNeurons(model, lowestPerLayer(taylorFfnImportance(model, calibration), FFN));
distil(model, batches, { steps: 20, learningRate: 1e-4 });
disposeTrainingBatches(batches);
disposeBatches(calibration);
say(`FFN: ${ffnDims(model.config).join(" ")}`);
// Vocabulary, then int8.
const corpus = [
  ...train.map((d) => d.sentence),
  ...reviews.filter((_, i) => i % 2 === 0).map((r) => r.sentence),
];
const keep = tokensToKeep(tokenCounts(tokenizer, corpus), specialTokenIds(tokenizer));
const vocabularySize = tokenizer.vocabSize;
const { tokenizer: prunedTokenizer } = await pruneVocabulary(model, dir, keep);
const compressedBytes = exportOnnxInt8(model);
say(
  `vocabulary ${keep.length} of ${vocabularySize}; int8 ONNX ${
    (compressedBytes.length / 1e6).toFixed(2)
  } MB`,
);

/** Feeds of sentences for a tokenizer. */
function feeds(tok: TextTokenizer, sentences: string[]) {
  return tokenFeeds(tok.pad(sentences.map((s) => tok.encode(s, 64))));
}
/** Accuracy of an ONNX session on labelled sentences (batches of 32, by length). */
async function accuracy(
  session: ort.InferenceSession,
  tok: TextTokenizer,
  data: { sentence: string; label: number }[],
) {
  const order = data.map((_, i) => i).sort((a, b) =>
    data[a].sentence.length - data[b].sentence.length
  );
  let right = 0;
  for (let b = 0; b < order.length; b += 32) {
    const idx = order.slice(b, b + 32);
    const out = (await session.run(feeds(tok, idx.map((i) => data[i].sentence)))).logits
      .data as Float32Array;
    idx.forEach((
      i,
      k,
    ) => (right += Number((out[2 * k + 1] > out[2 * k] ? 1 : 0) === data[i].label)));
  }
  return right / data.length;
}
/** p50 milliseconds of each session on its feeds, timed in interleaved rounds. */
async function interleaved(
  runs: { session: ort.InferenceSession; input: Record<string, ort.Tensor> }[],
  rounds: number,
) {
  for (const r of runs) for (let i = 0; i < 3; i++) await r.session.run(r.input);
  const times = runs.map(() => [] as number[]);
  for (let k = 0; k < rounds; k++) {
    for (const [i, r] of runs.entries()) {
      const t = performance.now();
      await r.session.run(r.input);
      times[i].push(performance.now() - t);
    }
  }
  return times.map((t) => quantile(t, 0.5));
}

const dense = await ort.InferenceSession.create(denseBytes);
const compressed = await ort.InferenceSession.create(compressedBytes);
const batch32 = texts.slice(0, 32);
const median = [...texts].sort((a, b) => a.length - b.length)[texts.length >> 1];
const [dense32, compressed32, dense1, compressed1] = await interleaved([
  { session: dense, input: feeds(tokenizer, batch32) },
  { session: compressed, input: feeds(prunedTokenizer, batch32) },
  { session: dense, input: feeds(tokenizer, [median]) },
  { session: compressed, input: feeds(prunedTokenizer, [median]) },
], ROUNDS);
const rows = [
  {
    variant: "dense (F32)",
    mb: denseBytes.length / 1e6,
    dev: await accuracy(dense, tokenizer, dev),
    reviews: await accuracy(dense, tokenizer, reviews),
    b32: dense32,
    b1: dense1,
  },
  {
    variant: `compressed (heads ${100 * HEADS}%, FFN ${100 * FFN}%, vocabulary, int8)`,
    mb: compressedBytes.length / 1e6,
    dev: await accuracy(compressed, prunedTokenizer, dev),
    reviews: await accuracy(compressed, prunedTokenizer, reviews),
    b32: compressed32,
    b1: compressed1,
  },
];
await dense.release();
await compressed.release();
console.log(
  "\nembedded model, notebook 06's pipeline on onnxruntime (ONNX file size, p50 of interleaved runs)",
);
console.log("| variant | ONNX MB | SST-2 dev | reviews | p50 ms B=32 | p50 ms B=1 |");
console.log("|---|---:|---:|---:|---:|---:|");
for (const r of rows) {
  console.log(
    `| ${r.variant} | ${r.mb.toFixed(2)} | ${(100 * r.dev).toFixed(2)}% | ${
      (100 * r.reviews).toFixed(2)
    }% | ${r.b32.toFixed(2)} | ${r.b1.toFixed(2)} |`,
  );
}

if (!args["skip-base"]) {
  // DistilBERT-base size, random weights: the same per-layer head shares, FFN share and
  // vocabulary share, then int8 (B=16, S=64).
  const base = DistilBertForSequenceClassification.random(distilbertBaseConfig(), 0);
  const baseDense = exportOnnx(base);
  const kept = headCounts(model.config);
  pruneHeads(
    base,
    Object.fromEntries(
      kept.map((
        k,
        l,
      ) => [String(l), Array.from({ length: 12 - Math.round(12 * k / heads[l]) }, (_, h) => h)]),
    ),
  );
  pruneFfnNeurons(
    base,
    lowestPerLayer(ffnDims(base.config).map((n) => Array.from({ length: n }, (_, i) => i)), FFN),
  );
  const rowsKept = Math.round(base.config.vocab_size * keep.length / vocabularySize);
  const name = "distilbert.embeddings.word_embeddings.weight";
  const old = base.param(name);
  base.params.set(name, tf.variable(old.slice([0, 0], [rowsKept, old.shape[1]!])));
  old.dispose();
  base.config.vocab_size = rowsKept;
  const baseCompressed = exportOnnxInt8(base);
  base.dispose();
  const ids = Array.from(
    { length: 16 },
    (_, i) => Array.from({ length: 64 }, (_, j) => 1 + ((i * 64 + j) * 7919) % (rowsKept - 1)),
  );
  const input = tokenFeeds({ inputIds: ids, attentionMask: ids.map((r) => r.map(() => 1)) });
  const a = await ort.InferenceSession.create(baseDense);
  const b = await ort.InferenceSession.create(baseCompressed);
  const [ta, tb] = await interleaved(
    [{ session: a, input }, { session: b, input }],
    Math.max(3, ROUNDS >> 2),
  );
  await a.release();
  await b.release();
  console.log(
    "\nDistilBERT-base size, random weights, B=16, S=64, onnxruntime (p50 of interleaved runs)",
  );
  console.log("| variant | ONNX MB | p50 ms | speedup |");
  console.log("|---|---:|---:|---:|");
  console.log(
    `| dense (F32) | ${(baseDense.length / 1e6).toFixed(1)} | ${ta.toFixed(1)} | 1.00x |`,
  );
  console.log(
    `| same pipeline (heads, FFN, vocabulary, int8) | ${
      (baseCompressed.length / 1e6).toFixed(1)
    } | ${tb.toFixed(1)} | ${(ta / tb).toFixed(2)}x |`,
  );
}

/** The line a script reads. */
export const compressedLine = `compressed embedded model: ${
  (rows[0].mb / rows[1].mb).toFixed(1)
}x smaller, ${(rows[0].b32 / rows[1].b32).toFixed(2)}x faster on onnxruntime (B=32), SST-2 dev ${
  (100 * rows[0].dev).toFixed(2)
}% -> ${(100 * rows[1].dev).toFixed(2)}%`;
// Run on its own it ends with the line; `deno task bench` prints it in its closing lines.
if (import.meta.main) console.log(`\n${compressedLine}`);
