// Measurement (not a test): what pruning 30% of the heads costs a model on SST-2 dev, and how
// much a short distillation wins back, with notebook 04's method: ablation, entropy and
// gradient importance on 256 train sentences, the pruning curve 0..90%, the "best" score (the
// latest cliff), 30% of the heads pruned by it, then distillation from the unpruned teacher
// (0.9 · T² · KL + 0.1 · CE, T = 2, AdamW lr 1e-4, batch 32 from every 7th train sentence).
// Word embeddings stay frozen and long batches run as micro-batches (wasm memory ends at
// 4 GB). Writes out/pretrained_pruning_<model>.json.
//
//   deno run -A bench/pretrained_pruning.ts [--model distilbert-sst2-minilm] [--steps 300]
import { parseArgs } from "node:util";
import { basename, join } from "node:path";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadModel } from "lib/model/loading.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";
import { ablationImportance } from "lib/importance/ablation.ts";
import { entropyImportance } from "lib/importance/entropy.ts";
import { gradientImportance } from "lib/importance/gradient.ts";
import { calibrationBatches, disposeBatches } from "lib/importance/calibration.ts";
import { pruneHeads, type PruningPlan } from "lib/prune/heads.ts";
import { AdamW } from "lib/training/adamw.ts";
import { OUT_DIR } from "lib/io/paths.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: "distilbert-sst2-minilm" },
    steps: { type: "string", default: "300" },
    "eval-every": { type: "string", default: "100" },
    rates: { type: "string", default: "0,10,20,30,40,50,60,70,80,90" },
    "max-batch-tokens": { type: "string", default: "1024" },
    /** Importance methods to compare (a subset saves time: ablation costs ~40 forward passes). */
    methods: { type: "string", default: "ablation,entropy,gradient" },
  },
});
type Model = DistilBertForSequenceClassification;
const started = performance.now();
const minutes = () => ((performance.now() - started) / 60000).toFixed(1);
const say = (s: string) => console.error(`[${minutes()} min] ${s}`);

await initTf();
const { model: teacher, tokenizer } = await loadModel(args.model!);
const dev = await loadSst2("validation");
const train = await loadSst2("train");
const accuracy = (m: Model) =>
  accuracyOf(
    predictProbabilities(m, tokenizer, dev.map((d) => d.sentence), { batchSize: 64 }),
    dev.map((d) => d.label),
  );

/** Notebook 04's selection: globally lowest scores first, ties by layer then head. */
function selectHeads(scores: number[][], rate: number): PruningPlan {
  const all = scores.flatMap((row, layer) => row.map((score, head) => ({ layer, head, score })))
    .sort((a, b) => a.score - b.score || a.layer - b.layer || a.head - b.head)
    .slice(0, Math.round(rate * scores.flat().length));
  const plan: PruningPlan = {};
  for (const { layer, head } of all) (plan[String(layer)] ??= []).push(head);
  return plan;
}

/** Notebook 04's cliff: the first rate after the peak more than 2 points below it. */
function findCliff(curve: { rate: number; accuracy: number }[]): number | null {
  const peak = Math.max(...curve.map((p) => p.accuracy));
  const top = curve.findIndex((p) => p.accuracy === peak);
  return curve.slice(top + 1).find((p) => p.accuracy < peak - 0.02)?.rate ?? null;
}

const baseline = accuracy(teacher);
say(`${args.model}: dev ${(100 * baseline).toFixed(2)}%`);
const batches = calibrationBatches(
  tokenizer,
  train.filter((_, i) => i % 97 === 0).slice(0, 256),
  16,
  64,
);
const importance = {
  ablation: ablationImportance,
  entropy: entropyImportance,
  gradient: gradientImportance,
};
const scores: Record<string, number[][]> = {};
for (const method of args.methods!.split(",") as (keyof typeof importance)[]) {
  if (!importance[method]) throw new Error(`--methods: unknown method ${method}`);
  scores[method] = importance[method](teacher, batches);
  say(`${method} importance done`);
}
disposeBatches(batches);

const rates = args.rates!.split(",").map(Number);
const curves: Record<string, { rate: number; accuracy: number }[]> = {};
for (const method of Object.keys(scores)) {
  curves[method] = [];
  for (const rate of rates) {
    let acc = baseline;
    if (rate > 0) {
      const m = (await loadModel(args.model!)).model;
      pruneHeads(m, selectHeads(scores[method], rate / 100));
      acc = accuracy(m);
      m.dispose();
    }
    curves[method].push({ rate, accuracy: acc });
    say(`${method} ${rate}%: ${(100 * acc).toFixed(2)}%`);
  }
}
const cliffs = Object.fromEntries(
  Object.keys(scores).map((m) => [m, findCliff(curves[m])]),
);
const best = Object.keys(scores).sort((a, b) => (cliffs[b] ?? 100) - (cliffs[a] ?? 100))[0];

// Prune 30% by the best score, then distil from the unpruned teacher.
const student = (await loadModel(args.model!)).model;
const plan = selectHeads(scores[best], 0.3);
pruneHeads(student, plan);
const pruned = accuracy(student);
say(`30% of the heads by ${best}: ${(100 * pruned).toFixed(2)}%`);
const steps = Number(args.steps);
const trainable = new Map(
  [...student.params].filter(([name]) => !name.endsWith("word_embeddings.weight")),
);
const optimizer = new AdamW(trainable, {
  learningRate: 1e-4,
  warmupSteps: 0,
  totalSteps: steps,
  weightDecay: 0,
});
const variables = [...trainable.values()];
const pool = train.filter((_, i) => i % 7 === 0);
const recovery = [{ step: 0, accuracy: pruned }];
const T = 2;
const alpha = 0.9;
for (let step = 0; step < steps; step++) {
  const batch = Array.from({ length: 32 }, (_, k) => pool[(step * 32 + k) % pool.length]);
  const encoded = batch.map((b) => tokenizer.encode(b.sentence, 64));
  const longest = Math.max(...encoded.map((e) => e.length));
  const perChunk = Math.max(1, Math.floor(Number(args["max-batch-tokens"]) / longest));
  let summed: tf.NamedTensorMap | undefined;
  for (let c = 0; c * perChunk < batch.length; c++) {
    const rows = encoded.slice(c * perChunk, (c + 1) * perChunk);
    const labels = batch.slice(c * perChunk, (c + 1) * perChunk).map((b) => b.label);
    const weight = rows.length / batch.length;
    const { grads } = tf.tidy(() => {
      const { inputIds, attentionMask } = tokenizer.padTensors(rows);
      const p = tf.softmax(teacher.forward(inputIds, attentionMask).logits.div(T));
      return tf.variableGrads(() => {
        const s = student.forward(inputIds, attentionMask, { training: true, seed: step * 100 + c })
          .logits;
        const kl = p.mul(tf.log(p).sub(tf.logSoftmax(s.div(T)))).sum(1).mean().mul(T * T);
        const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), 2), s);
        return kl.mul(alpha).add(ce.mul(1 - alpha)).mul(weight) as tf.Scalar;
      }, variables);
    });
    if (!summed) summed = grads;
    else {
      const next: tf.NamedTensorMap = {};
      for (const [k, g] of Object.entries(grads)) next[k] = summed[k].add(g);
      tf.dispose([...Object.values(summed), ...Object.values(grads)]);
      summed = next;
    }
  }
  tf.tidy(() => optimizer.step(summed!));
  tf.dispose(Object.values(summed!));
  if ((step + 1) % Number(args["eval-every"]) === 0 || step + 1 === steps) {
    recovery.push({ step: step + 1, accuracy: accuracy(student) });
    say(`distillation step ${step + 1}: ${(100 * recovery.at(-1)!.accuracy).toFixed(2)}%`);
  }
}
const after = recovery.at(-1)!.accuracy;
const cost = baseline - pruned;
const result = {
  model: args.model,
  devExamples: dev.length,
  baseline,
  scores,
  curves,
  cliffs,
  best,
  plan,
  prunedHeads: Object.values(plan).flat().length,
  pruned30: pruned,
  cost30Points: 100 * cost,
  recovery,
  recoveredFraction: cost > 0 ? (after - pruned) / cost : null,
  minutes: Number(minutes()),
};
await Deno.mkdir(OUT_DIR, { recursive: true });
const path = join(OUT_DIR, `pretrained_pruning_${basename(args.model!)}.json`);
await Deno.writeTextFile(path, JSON.stringify(result, null, 2) + "\n");
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
console.log(`| % heads pruned | ${Object.keys(scores).join(" | ")} |`);
console.log(`|---:|${Object.keys(scores).map(() => "---:").join("|")}|`);
rates.forEach((rate, i) =>
  console.log(
    `| ${rate} | ${Object.keys(scores).map((m) => pct(curves[m][i].accuracy)).join(" | ")} |`,
  )
);
console.log(
  `\n${args.model}: dev ${pct(baseline)}; 30% of the heads by ${best} (${
    cliffs[best] === null ? "no cliff up to 90%" : `cliff at ${cliffs[best]}%`
  }): ${pct(pruned)} (cost ${(100 * cost).toFixed(2)} points); after ${steps} distillation ` +
    `steps ${pct(after)} (recovered ${
      result.recoveredFraction === null ? "n/a" : pct(result.recoveredFraction)
    } of the cost). ${path}`,
);
