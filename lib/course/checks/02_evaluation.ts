// Checks of notebook 02 (evaluation pipeline). Inputs are drawn from the run's fixtures; the
// references (lib's predictions, safetensors serialisation and FLOP count on the embedded
// model and on random configs) are computed here.
import {
  call,
  CheckFailure,
  defineChecks,
  expectClose,
  expectEqual,
  fail,
  numbers,
  partial,
  show,
  value,
} from "../../grader/api/check.ts";
import { type Plain, withObjects } from "../../grader/shared/probe.ts";
import { type Recipe } from "../recipes.ts";
import type { DistilBertForSequenceClassification } from "../../model/distilbert.ts";
import { initTf } from "../../engine/tf.ts";
import { EMBEDDED_MODEL, type LoadedModel, loadModel } from "../../model/loading.ts";
import { distilbertBaseConfig } from "../../model/config.ts";
import { accuracyOf, predictProbabilities } from "../../evaluation/predict.ts";
import { serializeSafetensors } from "../../io/safetensors.ts";
import { forwardFlops } from "../../evaluation/flops.ts";

/** Sentences the pipeline checks draw from (SST-2 style, lower-cased and tokenised). */
const POOL = [
  { sentence: "a gorgeous , witty , seductive movie .", label: 1 },
  { sentence: "the story is dull and the jokes fall flat .", label: 0 },
  { sentence: "not bad at all", label: 1 },
  { sentence: "an utterly pointless exercise in boredom", label: 0 },
  { sentence: "it 's a charming and often affecting journey .", label: 1 },
  { sentence: "unflinchingly bleak and desperate", label: 0 },
  { sentence: "the acting is superb and the script is sharp .", label: 1 },
  { sentence: "a tedious , overlong mess .", label: 0 },
  { sentence: "i loved every minute of it", label: 1 },
  { sentence: "the battery died after two days", label: 0 },
  { sentence: "works exactly as described and arrived early", label: 1 },
  { sentence: "cheap plastic that broke on the first use", label: 0 },
];

let embedded: Promise<LoadedModel> | undefined;
/** The embedded model on the grader's side, loaded once per process. */
function model(): Promise<LoadedModel> {
  embedded ??= initTf().then(() => loadModel(EMBEDDED_MODEL));
  return embedded;
}

const MODEL: Recipe = { recipe: "embedded", part: "model" };
const TOKENIZER: Recipe = { recipe: "embedded", part: "tokenizer" };

export default defineChecks([
  {
    id: "02.accuracy",
    points: 1,
    title: "Accuracy",
    uses: ["accuracy"],
    run: async ({ student, fx }) => {
      const n = fx.int(5, 12);
      const labels = Array.from({ length: n }, () => fx.int(0, 1));
      const predictions = labels.map((l) => (fx.uniform() < 0.35 ? 1 - l : l));
      const want = predictions.filter((p, i) => p === labels[i]).length / n;
      const what = `accuracy(${show(predictions)}, ${show(labels)})`;
      return expectClose(
        value(await call(student, "accuracy", [predictions, labels]), what),
        want,
        what,
        1e-12,
      );
    },
  },
  {
    id: "02.latency",
    points: 3,
    title: "Latency with warm-up and repeats",
    uses: ["measureLatency"],
    run: async ({ student, fx }) => {
      const warmup = fx.int(2, 4);
      const repeats = fx.int(6, 10);
      const batchSize = fx.int(2, 8);
      const fastMs = fx.int(2, 4);
      // The warm-up calls are slow (a cold start): warm-up must keep them out of the stats.
      // They take 400 ms, so that a busy machine (which only adds time) cannot pass for a leak.
      const ms = [...Array(warmup).fill(400), fastMs];
      const [out, log] = await student.probe({
        objects: { run: { recipe: "timedRun", ms } },
        steps: [
          {
            call: "measureLatency",
            args: [{ ref: "run" }, { warmup, repeats, batchSize }],
          },
          { read: "run", with: "log" },
        ],
      });
      const what =
        `measureLatency(run, { warmup: ${warmup}, repeats: ${repeats}, batchSize: ${batchSize} })`;
      const got = value(out, what) as Record<string, Record<string, number>>;
      const calls = (log.value as Plain[]).length;
      if (!got?.perBatch || !got?.perExample) {
        return fail(`expected { perBatch, perExample }, got ${show(got)}`);
      }
      const b = got.perBatch;
      const e = got.perExample;
      // Timing is the point: without the calls, nothing else counts.
      if (calls !== warmup + repeats) {
        return fail(
          `run() should be called warmup + repeats = ${
            warmup + repeats
          } times, was called ${calls}`,
        );
      }
      return partial([
        {
          ok: b.p95 < 200,
          message: `warm-up calls (400 ms) leaked into the stats: ${show(b)} ms`,
        },
        {
          ok: b.p50 >= fastMs * 0.95 && b.p50 <= b.p95 && b.p50 < 200,
          message:
            `per batch: each timed call takes ${fastMs} ms; expected p50 ≈ ${fastMs} ms ≤ p95, got ${
              show(b)
            }`,
        },
        {
          ok: Math.abs(e.mean - b.mean / batchSize) < 1e-9 &&
            Math.abs(e.p95 - b.p95 / batchSize) < 1e-9,
          message: `per example should be per batch / batch size (${batchSize}): got ${
            show(e)
          } for ${show(b)}`,
        },
      ]);
    },
  },
  {
    id: "02.pipeline",
    points: 3,
    title: "Batched text-classification pipeline",
    uses: ["createPipeline"],
    run: async ({ student, fx }) => {
      const { model: m, tokenizer } = await model();
      const texts = fx.shuffled(POOL).slice(0, fx.int(5, 9)).map((s) => s.sentence);
      const batchSize = fx.int(2, 4);
      const [made, out] = await student.probe({
        objects: { model: MODEL, tokenizer: TOKENIZER },
        steps: [
          {
            call: "createPipeline",
            args: [{ ref: "model" }, { ref: "tokenizer" }],
            as: "classify",
          },
          { call: "classify", args: [texts, batchSize] },
        ],
      });
      value(made, "createPipeline(model, tokenizer)");
      const got = value(out, `createPipeline(model, tokenizer)(texts, ${batchSize})`) as {
        label: string;
        score: number;
      }[];
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
    run: async ({ student, fx }) => {
      // A small random model whose every forward pass takes `delay` ms: the latency and
      // throughput must come from timing the calls, not from anything else.
      const { tokenizer } = await model();
      const delay = fx.int(15, 30);
      const recipe: Recipe = {
        recipe: "distilbert",
        config: {
          vocab_size: tokenizer.vocabSize,
          max_position_embeddings: 64,
          n_layers: 2,
          n_heads: 2,
          dim: 8,
          hidden_dim: fx.int(8, 16),
          id2label: { "0": "NEGATIVE", "1": "POSITIVE" },
          label2id: { NEGATIVE: 0, POSITIVE: 1 },
        },
        seed: fx.int(1, 100_000),
        scale: 20,
        delayMs: delay,
      };
      const data = fx.shuffled(POOL).slice(0, fx.int(6, 10));
      const batchSize = fx.int(2, 4);
      const want = await withObjects({ m: { ...recipe, delayMs: 0 } }, (o) => {
        const m = o.get("m") as DistilBertForSequenceClassification;
        const probs = predictProbabilities(m, tokenizer, data.map((s) => s.sentence));
        const tensors = new Map(
          [...m.params].map((
            [k, p],
          ) => [k, { shape: p.shape, data: p.dataSync() as Float32Array }]),
        );
        return {
          accuracy: accuracyOf(probs, data.map((s) => s.label)),
          inMemoryMB: [...m.params.values()].reduce((s, p) => s + p.size, 0) * 4 / 1e6,
          onDiskMB: serializeSafetensors(tensors).length / 1e6,
        };
      });
      const got = value(
        await call(student, "evaluateModel", [{ ref: "model" }, { ref: "tokenizer" }, data, {
          batchSize,
          warmup: 1,
          repeats: 3,
        }], { objects: { model: recipe, tokenizer: TOKENIZER } }),
        "evaluateModel(model, tokenizer, data)",
        { async: true },
      ) as Record<string, Plain>;
      if (!got || typeof got !== "object" || Array.isArray(got)) {
        return fail(`expected an object of metrics, got ${show(got)}`);
      }
      const num = (k: string) => (typeof got[k] === "number" ? got[k] as number : NaN);
      const close = (k: keyof typeof want) => ({
        ok: Math.abs(num(k) - want[k]) <= 1e-9,
        message: `${k}: expected ${want[k]}, got ${show(got[k])}`,
      });
      // One timed batch of `batchSize` examples costs at least `delay` ms; the whole set
      // needs ceil(n / batchSize) such passes.
      const perExample = delay / Math.min(batchSize, data.length);
      const passes = Math.ceil(data.length / batchSize);
      const maxThroughput = data.length / (passes * delay / 1000);
      // Generous upper bounds: a busy machine adds time, never removes it.
      const timed = (k: string, lo: number, slack: number) => ({
        ok: num(k) >= lo * 0.95 && num(k) <= lo * slack + 10 * slack,
        message: `${k}: each forward pass of this model takes ${delay} ms, so about ${
          lo.toFixed(2)
        } ms per example (batches of ${batchSize}); got ${show(got[k])}`,
      });
      return partial([
        close("accuracy"),
        close("inMemoryMB"),
        {
          ...close("onDiskMB"),
          message: `onDiskMB (F32 safetensors bytes / 1e6): expected ${want.onDiskMB}, got ${
            show(got.onDiskMB)
          }`,
        },
        timed("meanLatencyMs", perExample, 6),
        timed("p95LatencyMs", perExample, 20),
        {
          // No floor: a cold first pass on a busy machine can be many times slower.
          ok: num("throughput") <= maxThroughput * 1.05 && num("throughput") > 0,
          message:
            `throughput: ${data.length} examples in ${passes} passes of at least ${delay} ms each is at most ${
              maxThroughput.toFixed(1)
            } examples/s; got ${show(got.throughput)}`,
        },
      ]);
    },
  },
  {
    id: "02.confusion_matrix",
    points: 2,
    title: "Confusion matrix",
    uses: ["confusionMatrix"],
    run: async ({ student, fx }) => {
      const k = fx.int(2, 3);
      let labels: number[] = [];
      let predictions: number[] = [];
      let want: number[][] = [];
      // Draw until the matrix is not symmetric, so that a transposed answer is told apart.
      for (let tries = 0; tries < 50; tries++) {
        labels = Array.from({ length: fx.int(6, 12) }, () => fx.int(0, k - 1));
        predictions = labels.map((l) => (fx.uniform() < 0.4 ? fx.int(0, k - 1) : l));
        want = Array.from({ length: k }, () => Array(k).fill(0));
        labels.forEach((l, i) => want[l][predictions[i]]++);
        if (want.some((row, i) => row.some((v, j) => v !== want[j][i]))) break;
      }
      const what = `confusionMatrix(predictions ${show(predictions)}, labels ${
        show(labels)
      }, ${k}) (rows: true label, columns: prediction)`;
      return expectEqual(
        value(await call(student, "confusionMatrix", [predictions, labels, k]), what),
        want,
        what,
      );
    },
  },
  {
    id: "02.flops",
    points: 2,
    title: "FLOPs per example (the extra metric)",
    uses: ["flopsPerExample"],
    run: async ({ student, fx }) => {
      const base = distilbertBaseConfig();
      const pruned = {
        ...base,
        pruned_heads: {
          [String(fx.int(0, 2))]: fx.sample(12, fx.int(1, 4)),
          [String(fx.int(3, 5))]: fx.sample(12, fx.int(1, 4)),
        },
        pruning_lab_ffn_dims: Array.from({ length: 6 }, () => fx.pick([3072, 2048, 1536, 1000])),
      };
      const [s1, s2] = [fx.pick([64, 128, 256]), fx.int(8, 96)];
      const ask = async (c: unknown, seq: number, what: string) =>
        value(await call(student, "flopsPerExample", [c as Plain, seq]), what);
      const gotBase = await ask(base, s1, `flopsPerExample(DistilBERT-base, ${s1})`);
      const gotPruned = await ask(pruned, s2, `flopsPerExample(pruned, ${s2})`);
      const [wantBase, wantPruned] = [forwardFlops(base, 1, s1), forwardFlops(pruned, 1, s2)];
      if (numbers(gotBase) === undefined) {
        throw new CheckFailure(`expected a number, got ${show(gotBase)}`);
      }
      return partial([
        {
          ok: gotBase === wantBase,
          message: `DistilBERT-base, ${s1} tokens: expected ${wantBase}, got ${show(gotBase)}`,
        },
        {
          ok: gotPruned === wantPruned,
          message: `pruned heads ${show(pruned.pruned_heads)} and FFN widths ${
            show(pruned.pruning_lab_ffn_dims)
          }, ${s2} tokens: expected ${wantPruned}, got ${show(gotPruned)}`,
        },
      ]);
    },
  },
]);
