// Compression probe (a benchmark, not a test): what vocabulary pruning and int8 give on the
// embedded model (disk MB, SST-2 dev accuracy, onnxruntime latency at B=32 and B=1) and, with
// random weights at DistilBERT-base size, how fast int8 (dense and pruned) runs on
// onnxruntime against float at B=16, S=64. Variants are timed in interleaved rounds in one
// process, so that ratios hold on a shared machine. Needs SST-2 (PRUNING_LAB_DATA_MIRROR or
// the hub); `--skip-base` leaves out the DistilBERT-base part.
//
//   deno run -A bench/compression_probe.ts [--rounds 15] [--skip-base]
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { initTf, tf } from "lib/tf.ts";
import { distilbertBaseConfig } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { EMBEDDED_MODEL, loadModel } from "lib/models.ts";
import { serializeSafetensors } from "lib/safetensors.ts";
import { exportOnnx } from "lib/onnx_export.ts";
import { exportOnnxInt8, type Int8Mode } from "lib/onnx_quantize.ts";
import { pruneVocabulary, usedTokenIds, vocabularyCoverage } from "lib/prune/vocabulary.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { loadSst2 } from "lib/sst2.ts";
import { readLabelledFile } from "lib/labelled_file.ts";
import { REVIEWS_CSV } from "lib/paths.ts";
import { quantile } from "lib/evaluation.ts";
import type { TextTokenizer } from "lib/tokenizer.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "15" }, "skip-base": { type: "boolean" } },
});
const ROUNDS = Number(args.rounds);
await initTf();

const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
const int64 = (rows: number[][]) =>
  new ort.Tensor("int64", BigInt64Array.from(rows.flat(), (v) => BigInt(v)), [
    rows.length,
    rows[0].length,
  ]);
const session = (bytes: Uint8Array) => ort.InferenceSession.create(bytes);

/** Safetensors bytes of a model in float32. */
function safetensorsBytes(model: DistilBertForSequenceClassification): number {
  const tensors = new Map(
    [...model.params].map(([n, p]) => [n, { shape: p.shape, data: p.dataSync() as Float32Array }]),
  );
  return serializeSafetensors(tensors, "F32").length;
}

/** Accuracy of an onnxruntime session on labelled sentences (batches of 64). */
async function accuracy(
  s: ort.InferenceSession,
  tokenizer: TextTokenizer,
  rows: { sentence: string; label: number }[],
): Promise<number> {
  let right = 0;
  for (let i = 0; i < rows.length; i += 64) {
    const part = rows.slice(i, i + 64);
    const b = tokenizer.encodeBatch(part.map((r) => r.sentence));
    const out = await s.run({
      input_ids: int64(b.inputIds),
      attention_mask: int64(b.attentionMask),
    });
    const l = out.logits.data as Float32Array;
    part.forEach((r, k) => (right += Number((l[2 * k + 1] > l[2 * k] ? 1 : 0) === r.label)));
  }
  return right / rows.length;
}

function printTimes(
  title: string,
  times: Record<string, { p50: number; p95: number }>,
  base: string,
): void {
  console.log(`\n${title}`);
  for (const [name, t] of Object.entries(times)) {
    console.log(
      `  ${name.padEnd(42)} p50 ${t.p50.toFixed(2).padStart(8)} ms  p95 ${
        t.p95.toFixed(2).padStart(8)
      } ms  speed-up ${(times[base].p50 / t.p50).toFixed(2)}x`,
    );
  }
}

// ---- The embedded model ----
const dev = await loadSst2("validation");
const train = await loadSst2("train");
const reviews = await readLabelledFile(REVIEWS_CSV);
const dense = await loadModel(EMBEDDED_MODEL);
const vocab = await loadModel(EMBEDDED_MODEL);
const keepTrain = usedTokenIds(vocab.tokenizer, train.map((r) => r.sentence));
const keep = usedTokenIds(vocab.tokenizer, [...train, ...reviews].map((r) => r.sentence));
const pruned = await pruneVocabulary(vocab.model, vocab.dir, keep);
const trainOnly = await loadModel(EMBEDDED_MODEL);
const prunedTrainOnly = await pruneVocabulary(trainOnly.model, trainOnly.dir, keepTrain);
const reviewTexts = reviews.map((r) => r.sentence);
console.log(
  `vocabulary: ${keep.length} of ${dense.model.config.vocab_size} tokens kept ` +
    `(SST-2 train + reviews; train alone: ${keepTrain.length})`,
);
const full = vocabularyCoverage(dense.tokenizer, reviewTexts);
const cov = vocabularyCoverage(prunedTrainOnly.tokenizer, reviewTexts);
console.log(
  `unseen-review coverage with the train-only vocabulary: ${(100 * cov.coverage).toFixed(2)}% ` +
    `of tokens not [UNK] (${cov.unknown} [UNK] in ${cov.textsWithUnknown}/${reviews.length} ` +
    `reviews); full vocabulary ${(100 * full.coverage).toFixed(2)}%`,
);
trainOnly.model.dispose();

const models: Record<string, { bytes: Uint8Array; tokenizer: TextTokenizer }> = {
  "dense fp32": { bytes: exportOnnx(dense.model), tokenizer: dense.tokenizer },
  "vocab-pruned fp32": { bytes: exportOnnx(vocab.model), tokenizer: pruned.tokenizer },
  "dense int8 (dynamic)": { bytes: exportOnnxInt8(dense.model), tokenizer: dense.tokenizer },
};
for (const mode of ["dynamic", "dynamic-fused", "weights"] as Int8Mode[]) {
  models[`vocab-pruned int8 (${mode})`] = {
    bytes: exportOnnxInt8(vocab.model, { mode }),
    tokenizer: pruned.tokenizer,
  };
}
models["vocab-pruned int8 (dynamic, fp32 emb.)"] = {
  bytes: exportOnnxInt8(vocab.model, { embeddings: false }),
  tokenizer: pruned.tokenizer,
};
const vocabSafetensors = safetensorsBytes(vocab.model);
// A stand-in for the notebook's full pipeline: half the heads and half the FFN of every layer,
// chosen by index (no importance scores, no fine-tuning), on the vocabulary-pruned model.
pruneHeads(
  vocab.model,
  Object.fromEntries(Array.from({ length: 6 }, (_, l) => [String(l), [0, 2, 4, 6, 8, 10]])),
);
pruneFfnNeurons(
  vocab.model,
  Object.fromEntries(
    Array.from({ length: 6 }, (_, l) => [String(l), Array.from({ length: 192 }, (_, i) => 2 * i)]),
  ),
);
models["vocab+50% heads+50% FFN fp32"] = {
  bytes: exportOnnx(vocab.model),
  tokenizer: pruned.tokenizer,
};
models["vocab+50% heads+50% FFN int8 (dynamic)"] = {
  bytes: exportOnnxInt8(vocab.model),
  tokenizer: pruned.tokenizer,
};

console.log("\nembedded model: disk size and accuracy (onnxruntime)");
console.log(
  `  safetensors F32: dense ${mb(safetensorsBytes(dense.model))} MB, vocab+heads+FFN-pruned ${
    mb(safetensorsBytes(vocab.model))
  } MB (before head/FFN pruning: ${
    mb(vocabSafetensors)
  } MB); parameters ${dense.model.numParameters()} -> ${vocab.model.numParameters()}`,
);
const denseSize = models["dense fp32"].bytes.length;
const sessions: Record<string, ort.InferenceSession> = {};
for (const [name, m] of Object.entries(models)) {
  sessions[name] = await session(m.bytes);
  const devAcc = await accuracy(sessions[name], m.tokenizer, dev);
  const revAcc = await accuracy(sessions[name], m.tokenizer, reviews);
  console.log(
    `  ${name.padEnd(42)} model.onnx ${mb(m.bytes.length).padStart(6)} MB (${
      (denseSize / m.bytes.length).toFixed(1)
    }x smaller)  dev ${(100 * devAcc).toFixed(2)}%  reviews ${(100 * revAcc).toFixed(2)}%`,
  );
}
const tfjsDense = tf.tidy(() => {
  let right = 0;
  for (let i = 0; i < dev.length; i += 64) {
    const part = dev.slice(i, i + 64);
    const { inputIds, attentionMask } = dense.tokenizer.encodeTensors(part.map((r) => r.sentence));
    const l = dense.model.forward(inputIds, attentionMask).logits.arraySync() as number[][];
    part.forEach((r, k) => (right += Number((l[k][1] > l[k][0] ? 1 : 0) === r.label)));
  }
  return right / dev.length;
});
console.log(`  dense on tfjs: dev ${(100 * tfjsDense).toFixed(2)}%`);

for (const batch of [32, 1]) {
  const feedsFor = (tokenizer: TextTokenizer) =>
    Array.from({ length: batch === 1 ? 32 : 8 }, (_, k) => {
      const part = dev.slice(k * batch, (k + 1) * batch).map((r) => r.sentence);
      const b = tokenizer.encodeBatch(part);
      return { input_ids: int64(b.inputIds), attention_mask: int64(b.attentionMask) };
    });
  // Each session gets its own vocabulary's ids (the shapes, what time depends on, agree).
  const timed = Object.fromEntries([
    "dense fp32",
    "vocab-pruned fp32",
    "dense int8 (dynamic)",
    "vocab-pruned int8 (dynamic)",
    "vocab-pruned int8 (dynamic-fused)",
    "vocab-pruned int8 (weights)",
    "vocab+50% heads+50% FFN fp32",
    "vocab+50% heads+50% FFN int8 (dynamic)",
  ].map((n) => [n, sessions[n]]));
  const denseFeeds = feedsFor(dense.tokenizer);
  const prunedFeeds = feedsFor(pruned.tokenizer);
  const result = await timeInterleaved(
    timed,
    (n) => n.startsWith("dense") ? denseFeeds : prunedFeeds,
  );
  printTimes(
    `embedded model on onnxruntime, dev sentences, B=${batch} (per call)`,
    result,
    "dense fp32",
  );
}

/** `timeSessions` with a feed list per session (vocabularies differ). */
async function timeInterleaved(
  sessions: Record<string, ort.InferenceSession>,
  feedsOf: (name: string) => Record<string, ort.Tensor>[],
): Promise<Record<string, { p50: number; p95: number }>> {
  const times: Record<string, number[]> = {};
  for (const [name, s] of Object.entries(sessions)) {
    times[name] = [];
    for (const f of feedsOf(name).slice(0, 2)) await s.run(f);
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, s] of Object.entries(sessions)) {
      for (const f of feedsOf(name)) {
        const t = performance.now();
        await s.run(f);
        times[name].push(performance.now() - t);
      }
    }
  }
  return Object.fromEntries(
    Object.entries(times).map((
      [name, t],
    ) => [name, { p50: quantile(t, 0.5), p95: quantile(t, 0.95) }]),
  );
}
for (const s of Object.values(sessions)) await s.release();
dense.model.dispose();
vocab.model.dispose();

// ---- DistilBERT-base size, random weights, B=16, S=64 ----
if (!args["skip-base"]) {
  const config = distilbertBaseConfig();
  const base = DistilBertForSequenceClassification.random(config, 0);
  const sizes: Record<string, Uint8Array> = {
    "base dense fp32": exportOnnx(base),
    "base dense int8 (dynamic)": exportOnnxInt8(base),
    "base dense int8 (dynamic-fused)": exportOnnxInt8(base, { mode: "dynamic-fused" }),
  };
  // 30% of the heads (22 of 72, spread over the layers) and half of every FFN, as
  // bench/forward_bench.ts prunes.
  pruneHeads(
    base,
    Object.fromEntries(
      Array.from(
        { length: 6 },
        (_, l) => [String(l), Array.from({ length: l < 4 ? 4 : 3 }, (_, k) => (3 * k + l) % 12)],
      ),
    ),
  );
  pruneFfnNeurons(
    base,
    Object.fromEntries(
      Array.from(
        { length: 6 },
        (_, l) => [String(l), Array.from({ length: 1536 }, (_, i) => 2 * i)],
      ),
    ),
  );
  sizes["base pruned fp32"] = exportOnnx(base);
  sizes["base pruned int8 (dynamic)"] = exportOnnxInt8(base);
  base.dispose();
  const baseSessions: Record<string, ort.InferenceSession> = {};
  for (const [name, bytes] of Object.entries(sizes)) baseSessions[name] = await session(bytes);
  let seed = 1;
  const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const feeds = Array.from({ length: 3 }, () => {
    const ids = Array.from({ length: 16 }, () => [
      101,
      ...Array.from({ length: 62 }, () => 1000 + Math.floor(random() * 29000)),
      102,
    ]);
    return { input_ids: int64(ids), attention_mask: int64(ids.map((r) => r.map(() => 1))) };
  });
  const result = await timeInterleaved(baseSessions, () => feeds);
  printTimes(
    "DistilBERT-base size (random weights) on onnxruntime, B=16, S=64",
    result,
    "base dense fp32",
  );
  for (const [name, bytes] of Object.entries(sizes)) {
    console.log(`  ${name}: ${mb(bytes.length)} MB`);
  }
}
