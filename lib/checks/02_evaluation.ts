// Checks of notebook 02 (evaluation pipeline). References are computed here at check time:
// lib's predictions, safetensors serialisation and FLOP count on the embedded model and on
// small random configs.
import { defineChecks, expectClose, expectEqual, fail, partial, show } from "../grader/checks.ts";
import { initTf } from "../tf.ts";
import { EMBEDDED_MODEL, type LoadedModel, loadModel } from "../models.ts";
import { distilbertBaseConfig, parseConfig } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { TextTokenizer } from "../tokenizer.ts";
import { accuracyOf, predictProbabilities } from "../predict.ts";
import { serializeSafetensors } from "../safetensors.ts";
import { forwardFlops } from "../flops.ts";

const SENTENCES = [
  { sentence: "a gorgeous , witty , seductive movie .", label: 1 },
  { sentence: "the story is dull and the jokes fall flat .", label: 0 },
  { sentence: "not bad at all", label: 1 },
  { sentence: "an utterly pointless exercise in boredom", label: 0 },
  { sentence: "it 's a charming and often affecting journey .", label: 1 },
  { sentence: "unflinchingly bleak and desperate", label: 0 },
];

let embedded: Promise<LoadedModel> | undefined;
/** The embedded model, loaded once per process. */
function model(): Promise<LoadedModel> {
  embedded ??= initTf().then(() => loadModel(EMBEDDED_MODEL));
  return embedded;
}

interface Stats {
  mean: number;
  p50: number;
  p95: number;
}

type Pipeline = (texts: string[], batchSize?: number) => { label: string; score: number }[];

export default defineChecks([
  {
    id: "02.accuracy",
    points: 1,
    title: "Accuracy",
    uses: ["accuracy"],
    run: ({ accuracy }) => {
      const f = accuracy as (p: number[], l: number[]) => number;
      const half = f([1, 0, 1, 1], [1, 1, 1, 0]);
      return partial([
        {
          ok: half === 0.5,
          message: `accuracy([1,0,1,1], [1,1,1,0]): expected 0.5, got ${show(half)}`,
        },
        { ok: f([0, 0, 1], [0, 0, 1]) === 1, message: "all correct should give 1" },
      ]);
    },
  },
  {
    id: "02.latency",
    points: 3,
    title: "Latency with warm-up and repeats",
    uses: ["measureLatency"],
    run: ({ measureLatency }) => {
      let calls = 0;
      // The first three calls are slow (a cold start); warm-up must keep them out of the stats.
      const run = () => {
        calls++;
        const until = performance.now() + (calls <= 3 ? 40 : 2);
        while (performance.now() < until) { /* busy */ }
      };
      const out =
        (measureLatency as (r: () => unknown, o: object) => { perBatch: Stats; perExample: Stats })(
          run,
          { warmup: 3, repeats: 10, batchSize: 4 },
        );
      if (!out?.perBatch || !out?.perExample) {
        return fail(`expected { perBatch, perExample }, got ${show(out)}`);
      }
      const b = out.perBatch;
      const e = out.perExample;
      return partial([
        {
          ok: calls === 13,
          message: `run() should be called warmup + repeats = 13 times, was called ${calls}`,
        },
        {
          ok: b.p95 < 20 && b.mean < 20,
          message: `warm-up calls (40 ms) leaked into the stats: ${show(b)} ms`,
        },
        {
          ok: b.p50 >= 1.9 && b.p50 <= b.p95,
          message: `per batch: expected p50 ≈ 2 ms ≤ p95, got ${show(b)}`,
        },
        {
          ok: Math.abs(e.mean - b.mean / 4) < 1e-9 && Math.abs(e.p95 - b.p95 / 4) < 1e-9,
          message: `per example should be per batch / batch size: got ${show(e)} for ${show(b)}`,
        },
      ]);
    },
  },
  {
    id: "02.pipeline",
    points: 3,
    title: "Batched text-classification pipeline",
    uses: ["createPipeline"],
    run: async ({ createPipeline }) => {
      const { model: m, tokenizer } = await model();
      const texts = SENTENCES.map((s) => s.sentence);
      const classify =
        (createPipeline as (m: DistilBertForSequenceClassification, t: TextTokenizer) => Pipeline)(
          m,
          tokenizer,
        );
      const got = classify(texts, 4);
      const want = predictProbabilities(m, tokenizer, texts).map((p) => {
        const k = p.indexOf(Math.max(...p));
        return { label: m.config.id2label![String(k)], score: p[k] };
      });
      if (!Array.isArray(got) || got.length !== texts.length) {
        return fail(`expected ${texts.length} results in input order, got ${show(got)}`);
      }
      return partial(want.map((w, i) => ({
        ok: got[i]?.label === w.label && Math.abs(got[i]?.score - w.score) < 1e-4,
        message: `"${texts[i]}": expected ${show(w)}, got ${show(got[i])}`,
      })));
    },
  },
  {
    id: "02.evaluate_model",
    points: 3,
    title: "evaluateModel: accuracy, latency, throughput, sizes",
    uses: ["evaluateModel"],
    run: async ({ evaluateModel }) => {
      const { model: m, tokenizer } = await model();
      const got = await (evaluateModel as (...a: unknown[]) => Record<string, number>)(
        m,
        tokenizer,
        SENTENCES,
        {
          batchSize: 4,
          warmup: 1,
          repeats: 3,
        },
      );
      const probs = predictProbabilities(m, tokenizer, SENTENCES.map((s) => s.sentence));
      const acc = accuracyOf(probs, SENTENCES.map((s) => s.label));
      const params = m.numParameters();
      const tensors = new Map(
        [...m.params].map(([k, p]) => [k, { shape: p.shape, data: p.dataSync() as Float32Array }]),
      );
      const disk = serializeSafetensors(tensors).length / 1e6;
      if (!got || typeof got !== "object") {
        return fail(`expected an object of metrics, got ${show(got)}`);
      }
      const positive = (k: string) => ({
        ok: typeof got[k] === "number" && got[k] > 0,
        message: `${k}: expected a positive number, got ${show(got[k])}`,
      });
      return partial([
        {
          ok: expectClose(got.accuracy, acc, "accuracy").fraction === 1,
          message: `accuracy: expected ${acc}, got ${show(got.accuracy)}`,
        },
        {
          ok: expectClose(got.inMemoryMB, params * 4 / 1e6, "", 1e-9).fraction === 1,
          message: `inMemoryMB: expected ${params * 4 / 1e6}, got ${show(got.inMemoryMB)}`,
        },
        {
          ok: expectClose(got.onDiskMB, disk, "", 1e-9).fraction === 1,
          message: `onDiskMB (F32 safetensors bytes / 1e6): expected ${disk}, got ${
            show(got.onDiskMB)
          }`,
        },
        positive("meanLatencyMs"),
        positive("p95LatencyMs"),
        positive("throughput"),
      ]);
    },
  },
  {
    id: "02.confusion_matrix",
    points: 2,
    title: "Confusion matrix",
    uses: ["confusionMatrix"],
    run: ({ confusionMatrix }) =>
      expectEqual(
        (confusionMatrix as (p: number[], l: number[], n?: number) => number[][])([1, 0, 1, 1, 0], [
          1,
          1,
          0,
          1,
          0,
        ], 2),
        [[1, 1], [1, 2]],
        "confusionMatrix(predictions [1,0,1,1,0], labels [1,1,0,1,0]) (rows: true label)",
      ),
  },
  {
    id: "02.flops",
    points: 2,
    title: "FLOPs per example (the extra metric)",
    uses: ["flopsPerExample"],
    run: ({ flopsPerExample }) => {
      const f = flopsPerExample as (c: ReturnType<typeof parseConfig>, seq: number) => number;
      const base = distilbertBaseConfig();
      const pruned = {
        ...base,
        pruned_heads: { "0": [0, 1, 2], "5": [7] },
        pruning_lab_ffn_dims: [3072, 3072, 1536, 3072, 3072, 3072],
      };
      const [gotBase, gotPruned] = [f(base, 128), f(pruned, 64)];
      const [wantBase, wantPruned] = [forwardFlops(base, 1, 128), forwardFlops(pruned, 1, 64)];
      return partial([
        {
          ok: gotBase === wantBase,
          message: `DistilBERT-base, 128 tokens: expected ${wantBase}, got ${show(gotBase)}`,
        },
        {
          ok: gotPruned === wantPruned,
          message: `pruned heads and FFN, 64 tokens: expected ${wantPruned}, got ${
            show(gotPruned)
          }`,
        },
      ]);
    },
  },
]);
