// Checks of notebook 02 (evaluation pipeline). Inputs are drawn from the run's fixtures; the
// references (lib's predictions, safetensors serialisation and FLOP count on the embedded
// model and on random configs) are computed here. Timing runs on a virtual clock
// (lib/grader/shared/virtual_clock.ts): performance.now() advances only by the known cost of
// each call, so latencies and throughput are exact. Scoring: a check pays only when its core
// parts pass; each check's comment says why a fixed answer passes with probability below 1e-3.
import {
  call,
  CheckFailure,
  defineChecks,
  fail,
  numbers,
  partial,
  sameValue,
  show,
  value,
} from "../../grader/api/check.ts";
import { type Plain, withObjects } from "../../grader/shared/probe.ts";
import { type Recipe } from "../recipes.ts";
import type { DistilBertForSequenceClassification } from "../../model/distilbert.ts";
import { initTf } from "../../engine/tf.ts";
import { type LoadedModel, loadModel, TINY_MODEL } from "../../model/loading.ts";
import { distilbertBaseConfig } from "../../model/config.ts";
import { accuracyOf, predictProbabilities } from "../../evaluation/predict.ts";
import { serializeSafetensors } from "../../io/safetensors.ts";
import { forwardFlops } from "../../evaluation/flops.ts";
import { quantile } from "../../evaluation/evaluation.ts";
import type { Fixtures } from "../../grader/api/fixtures.ts";

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
  { sentence: "the best purchase i made this year", label: 1 },
  { sentence: "customer service never answered my emails", label: 0 },
  { sentence: "a warm , funny and wise film", label: 1 },
  { sentence: "the plot makes no sense whatsoever", label: 0 },
  { sentence: "fits perfectly and feels solid", label: 1 },
  { sentence: "arrived broken and smelled of smoke", label: 0 },
  { sentence: "an instant classic with a great cast", label: 1 },
  { sentence: "two hours i will never get back", label: 0 },
  { sentence: "easy to set up , even for my grandmother", label: 1 },
  { sentence: "the zipper fell off within a week", label: 0 },
  { sentence: "beautifully shot and wonderfully acted", label: 1 },
  { sentence: "loud , clumsy and far too long", label: 0 },
];

let embedded: Promise<LoadedModel> | undefined;
/** The small model (TINY_MODEL) on the grader's side, loaded once per process. */
function model(): Promise<LoadedModel> {
  embedded ??= initTf().then(() => loadModel(TINY_MODEL));
  return embedded;
}

const TOKENIZER: Recipe = { recipe: "embedded", part: "tokenizer" };

/** The greatest common divisor of two positive integers. */
function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * A random 1-3 layer classifier over the embedded tokenizer's vocabulary, its weights scaled
 * so that scores differ from text to text (neither all 0.5 nor all saturated).
 */
function randomClassifier(fx: Fixtures, vocabSize: number, delayMs?: number): Recipe {
  return {
    recipe: "distilbert",
    config: {
      vocab_size: vocabSize,
      max_position_embeddings: 64,
      n_layers: fx.int(1, 3),
      n_heads: 2,
      dim: 16,
      hidden_dim: fx.int(8, 64),
      id2label: { "0": "NEGATIVE", "1": "POSITIVE" },
      label2id: { NEGATIVE: 0, POSITIVE: 1 },
    },
    seed: fx.int(1, 100_000),
    scale: 8,
    ...(delayMs ? { delayMs } : {}),
  };
}

export default defineChecks([
  {
    id: "02.accuracy",
    points: 1,
    title: "Accuracy",
    uses: ["accuracy"],
    // Three random lists of 20-60 predictions: each accuracy takes one of dozens of values,
    // so a fixed answer matches all three with probability below 1e-4.
    run: async ({ student, fx }) => {
      const parts = [];
      for (let k = 0; k < 3; k++) {
        const n = fx.int(20, 60);
        const labels = Array.from({ length: n }, () => fx.int(0, 1));
        const wrong = fx.real(0.1, 0.6);
        const predictions = labels.map((l) => (fx.uniform() < wrong ? 1 - l : l));
        const want = predictions.filter((p, i) => p === labels[i]).length / n;
        const what = `accuracy(${show(predictions)}, ${show(labels)})`;
        const got = value(await call(student, "accuracy", [predictions, labels]), what);
        parts.push({
          ok: typeof got === "number" && Math.abs(got - want) <= 1e-12,
          message: `${what}: expected ${want}, got ${show(got)}`,
        });
      }
      return partial(parts);
    },
  },
  {
    id: "02.latency",
    points: 3,
    title: "Latency with warm-up and repeats",
    uses: ["measureLatency"],
    // run() costs known, different virtual durations (slow warm-ups, then 8-20 timed calls of
    // 2-60 ms): the mean, p50 and p95 per batch and per example are exact; a fixed answer
    // matches them with probability far below 1e-3. Two runs with different warm-up counts,
    // repeats and batch sizes: an answer that ignores the options fails one of them.
    run: async ({ student, fx }) => {
      const warmups = fx.sample(5, 2).map((k) => k + 1);
      const repeatCounts = fx.sample(13, 2).map((k) => k + 8);
      const batchSizes = fx.sample(19, 2).map((k) => k + 2);
      const parts = [];
      for (let c = 0; c < 2; c++) {
        const [warmup, repeats, batchSize] = [warmups[c], repeatCounts[c], batchSizes[c]];
        const timed = Array.from({ length: repeats }, () => fx.int(2, 60));
        const durations = [...Array.from({ length: warmup }, () => fx.int(300, 500)), ...timed];
        const [out, log] = await student.probe({
          objects: { run: { recipe: "clockedRun", durations } },
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
        const got = value(out, what) as Record<string, Record<string, Plain>>;
        const calls = (log.value as Plain[]).length;
        if (!got?.perBatch || !got?.perExample) {
          return fail(`expected { perBatch, perExample }, got ${show(got)}`);
        }
        const mean = timed.reduce((a, b) => a + b, 0) / repeats;
        const want = { mean, p50: quantile(timed, 0.5), p95: quantile(timed, 0.95) };
        const close = (v: Plain, w: number) =>
          typeof v === "number" && Math.abs(v - w) <= 1e-9 * Math.max(1, w);
        const stat = (k: "mean" | "p50" | "p95", scale: number, where: string) => ({
          ok: close(got[where]?.[k], want[k] / scale),
          message: `${what}: ${where}.${k}: expected ${show(want[k] / scale)} ms, got ${
            show(got[where]?.[k])
          }`,
        });
        parts.push(
          {
            ok: calls === warmup + repeats,
            message: `${what}: run() should be called warmup + repeats = ${
              warmup + repeats
            } times, was called ${calls}`,
          },
          {
            ...stat("mean", 1, "perBatch"),
            message: `${stat("mean", 1, "perBatch").message} (timed calls took ${
              show(timed)
            } ms on performance.now(); the ${warmup} warm-up calls stay out)`,
          },
          ...(["p50", "p95"] as const).map((k) => stat(k, 1, "perBatch")),
          ...(["mean", "p50", "p95"] as const).map((k) => stat(k, batchSize, "perExample")),
        );
      }
      return partial(parts);
    },
  },
  {
    id: "02.pipeline",
    points: 3,
    title: "Batched text-classification pipeline",
    uses: ["createPipeline"],
    // A random model (continuous scores) on 5-12 of 24 sentences: a fixed answer matches
    // every score with probability ~0. The forward passes are counted at two batch sizes
    // (1-3, then all texts at once), so the batch size is used: ceil(texts / batchSize).
    run: async ({ student, fx }) => {
      const { tokenizer } = await model();
      const recipe = randomClassifier(fx, tokenizer.vocabSize);
      const texts = fx.shuffled(POOL).slice(0, fx.int(5, 12)).map((s) => s.sentence);
      // Two calls: batches of 1-3 texts (several passes), then one batch holding them all.
      const batchSize = fx.int(1, 3);
      const whole = fx.int(texts.length, texts.length + 8);
      const [made, out, passes, again, passesAfter] = await student.probe({
        objects: { model: recipe, tokenizer: TOKENIZER },
        steps: [
          {
            call: "createPipeline",
            args: [{ ref: "model" }, { ref: "tokenizer" }],
            as: "classify",
          },
          { call: "classify", args: [texts, batchSize] },
          { read: "model", with: "calls" },
          { call: "classify", args: [texts, whole] },
          { read: "model", with: "calls" },
        ],
      });
      value(made, "createPipeline(model, tokenizer)");
      const got = value(out, `createPipeline(model, tokenizer)(texts, ${batchSize})`) as {
        label: string;
        score: number;
      }[];
      value(again, `createPipeline(model, tokenizer)(texts, ${whole})`);
      const want = await withObjects({ m: recipe }, (o) => {
        const m = o.get("m") as DistilBertForSequenceClassification;
        return predictProbabilities(m, tokenizer, texts).map((p) => {
          const k = p.indexOf(Math.max(...p));
          return { label: m.config.id2label![String(k)], score: p[k] };
        });
      });
      if (!Array.isArray(got) || got.length !== texts.length) {
        return fail(`expected ${texts.length} results in input order, got ${show(got)}`);
      }
      const batches = Math.ceil(texts.length / batchSize);
      return partial([
        ...want.map((w, i) => ({
          ok: got[i]?.label === w.label && Math.abs(got[i]?.score - w.score) < 1e-4,
          message: `"${texts[i]}": expected ${show(w)}, got ${show(got[i])}`,
        })),
        {
          ok: passes.value === batches,
          message:
            `${texts.length} texts in batches of ${batchSize} take ${batches} forward passes; the model ran ${
              show(passes.value)
            }`,
        },
        {
          ok: typeof passesAfter.value === "number" && typeof passes.value === "number" &&
            passesAfter.value - passes.value === 1,
          message:
            `${texts.length} texts with batchSize ${whole} take one forward pass; the model ran ${
              typeof passesAfter.value === "number" && typeof passes.value === "number"
                ? passesAfter.value - passes.value
                : show(passesAfter.value)
            }`,
        },
      ]);
    },
  },
  {
    id: "02.evaluate_model",
    points: 3,
    title: "evaluateModel: accuracy, latency, throughput, sizes",
    uses: ["evaluateModel"],
    // A random model whose every forward pass costs `delay` (15-60) virtual ms on
    // performance.now(): latency and throughput are exact. Sizes depend on the random depth
    // and FFN width (171 shapes), accuracy is k / n in lowest terms over 8-24 sentences: a
    // fixed answer passes with probability below 1e-5.
    run: async ({ student, fx }) => {
      const { tokenizer } = await model();
      const delay = fx.int(15, 60);
      const recipe = randomClassifier(fx, tokenizer.vocabSize, delay);
      // Two data sets of different sizes (8-24 sentences) and batch sizes: a run that ignores
      // the data or the options fails one of them. The labels make the accuracy k / n in
      // lowest terms, so that no other data set of another size has the same accuracy.
      const sizes = fx.sample(17, 2).map((k) => k + 8);
      const batchSizes = fx.sample(5, 2).map((k) => k + 2);
      const parts = [];
      for (let c = 0; c < 2; c++) {
        const sentences = Array.from({ length: sizes[c] }, () => fx.pick(POOL).sentence);
        const predicted = await withObjects(
          { m: { ...recipe, delayMs: 0 } },
          (o) =>
            predictProbabilities(
              o.get("m") as DistilBertForSequenceClassification,
              tokenizer,
              sentences,
            )
              .map((p) => (p[1] > p[0] ? 1 : 0)),
        );
        const n = sentences.length;
        const coprime = Array.from({ length: n - 1 }, (_, k) => k + 1).filter((k) =>
          gcd(k, n) === 1
        );
        const right = new Set(fx.sample(n, fx.pick(coprime)));
        const data = sentences.map((sentence, i) => ({
          sentence,
          label: right.has(i) ? predicted[i] : 1 - predicted[i],
        }));
        const batchSize = batchSizes[c];
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
          }], {
            objects: { clock: { recipe: "virtualClock" }, model: recipe, tokenizer: TOKENIZER },
          }),
          "evaluateModel(model, tokenizer, data)",
          { async: true },
        ) as Record<string, Plain>;
        if (!got || typeof got !== "object" || Array.isArray(got)) {
          return fail(`expected an object of metrics, got ${show(got)}`);
        }
        const num = (k: string) => (typeof got[k] === "number" ? got[k] as number : NaN);
        const near = (k: string, w: number, why: string) => ({
          ok: Math.abs(num(k) - w) <= 1e-9 * Math.max(1, Math.abs(w)),
          message: `${k}: expected ${show(w)}${why}, got ${show(got[k])}`,
        });
        // One timed batch of min(batchSize, n) examples is one forward pass (`delay` ms); the
        // whole set takes ceil(n / batchSize) passes.
        const perExample = delay / Math.min(batchSize, data.length);
        const passes = Math.ceil(data.length / batchSize);
        const timing =
          ` (each forward pass costs ${delay} ms on performance.now(); ${data.length} examples in batches of ${batchSize})`;
        parts.push(
          near("accuracy", want.accuracy, ` on ${data.length} examples`),
          near("inMemoryMB", want.inMemoryMB, " (4 bytes per parameter, MB = 10^6 bytes)"),
          near("onDiskMB", want.onDiskMB, " (F32 safetensors bytes / 1e6)"),
          near("meanLatencyMs", perExample, ` per example${timing}`),
          near("p95LatencyMs", perExample, ` per example${timing}`),
          near(
            "throughput",
            data.length / (passes * delay / 1000),
            ` examples/s: ${passes} passes${timing}`,
          ),
        );
      }
      return partial(parts);
    },
  },
  {
    id: "02.confusion_matrix",
    points: 2,
    title: "Confusion matrix",
    uses: ["confusionMatrix"],
    // Two random matrices (2-4 labels, 12-30 examples, not symmetric): a fixed answer matches
    // both with probability far below 1e-3; the label counts differ, so numLabels is used.
    run: async ({ student, fx }) => {
      const ks = fx.shuffled([2, 3, 4]).slice(0, 2);
      const parts = [];
      for (const k of ks) {
        let labels: number[] = [];
        let predictions: number[] = [];
        let want: number[][] = [];
        // Draw until the matrix is not symmetric, so that a transposed answer is told apart.
        for (let tries = 0; tries < 50; tries++) {
          labels = Array.from({ length: fx.int(12, 30) }, () => fx.int(0, k - 1));
          predictions = labels.map((l) => (fx.uniform() < 0.4 ? fx.int(0, k - 1) : l));
          want = Array.from({ length: k }, () => Array(k).fill(0));
          labels.forEach((l, i) => want[l][predictions[i]]++);
          if (want.some((row, i) => row.some((v, j) => v !== want[j][i]))) break;
        }
        const what = `confusionMatrix(predictions ${show(predictions)}, labels ${
          show(labels)
        }, ${k}) (rows: true label, columns: prediction)`;
        const got = value(await call(student, "confusionMatrix", [predictions, labels, k]), what);
        parts.push({
          ok: sameValue(got, want),
          message: `${what}: expected ${show(want)}, got ${show(got)}`,
        });
      }
      return partial(parts);
    },
  },
  {
    id: "02.flops",
    points: 2,
    title: "FLOPs per example (the extra metric)",
    uses: ["flopsPerExample"],
    // Two randomly pruned DistilBERT-base configs at random lengths: FLOP counts in the
    // billions that a fixed answer matches with probability ~0. The unpruned DistilBERT-base
    // count (the notebook's printed example) is secondary.
    run: async ({ student, fx }) => {
      const base = distilbertBaseConfig();
      const prunedConfig = () => ({
        ...base,
        pruned_heads: {
          [String(fx.int(0, 2))]: fx.sample(12, fx.int(1, 4)),
          [String(fx.int(3, 5))]: fx.sample(12, fx.int(1, 4)),
        },
        pruning_lab_ffn_dims: Array.from({ length: 6 }, () => fx.pick([3072, 2048, 1536, 1000])),
      });
      const ask = async (c: unknown, seq: number, what: string) =>
        value(await call(student, "flopsPerExample", [c as Plain, seq]), what);
      const parts = [];
      for (let k = 0; k < 2; k++) {
        const pruned = prunedConfig();
        const seq = fx.int(8, 256);
        const got = await ask(pruned, seq, `flopsPerExample(pruned, ${seq})`);
        if (numbers(got) === undefined) {
          throw new CheckFailure(`expected a number, got ${show(got)}`);
        }
        const want = forwardFlops(pruned, 1, seq);
        parts.push({
          ok: got === want,
          message: `pruned heads ${show(pruned.pruned_heads)} and FFN widths ${
            show(pruned.pruning_lab_ffn_dims)
          }, ${seq} tokens: expected ${want}, got ${show(got)}`,
        });
      }
      const s1 = fx.pick([64, 128, 256]);
      const gotBase = await ask(base, s1, `flopsPerExample(DistilBERT-base, ${s1})`);
      const wantBase = forwardFlops(base, 1, s1);
      parts.push({
        ok: gotBase === wantBase,
        secondary: true,
        message: `DistilBERT-base, ${s1} tokens: expected ${wantBase}, got ${show(gotBase)}`,
      });
      return partial(parts);
    },
  },
]);
