// Benchmark (not a test): chooses the recovery recipe of a model on the selection part, the way
// notebook 04 section 6 recovers: prune to `--rate`% of the heads in two rounds (half, then all
// of it; ablation scores of notebook 03 from out/03_head_scores.json, else computed on the
// training part), `--steps` distillation steps per round on long sentences of the training part,
// no dropout. For each candidate (learning rate, alpha) it prints the selection-part accuracy
// after each pruning and each distillation; the test part (SST-2 dev) is never read. Last line:
// `chosen recipe: learning rate <lr>, alpha <alpha>` (the highest selection accuracy at the end;
// the first candidate on a tie).
//
//   deno run -A bench/distillation_recipe.ts [--model distilbert-sst2-minilm] [--rate 50]
//     [--steps 60] [--candidates 3e-5:0.9,1e-4:0.9,3e-5:0.7,3e-5:0.5,3e-5:0.3]
import { parseArgs } from "node:util";
import { initTf } from "lib/engine/tf.ts";
import { DEFAULT_MODEL, loadModel } from "lib/model/loading.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { evenSample, loadSplits } from "lib/data/splits.ts";
import type { LabelledSentence } from "lib/data/sst2.ts";
import { predictor } from "lib/evaluation/predict.ts";
import { correctAnswers } from "lib/evaluation/comparison.ts";
import { ablationImportance } from "lib/importance/ablation.ts";
import { calibrationBatches, disposeBatches } from "lib/importance/calibration.ts";
import { lowestHeadsMask } from "lib/prune/movement.ts";
import { planFromMask } from "lib/prune/plan.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import {
  cachedTeacherLogits,
  disposeTrainingBatches,
  distil,
  distillationBatches,
} from "lib/training/distillation.ts";
import { recoveryRecipe } from "lib/training/recipe.ts";
import { OUT_DIR } from "lib/io/paths.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    rate: { type: "string", default: "50" },
    steps: { type: "string", default: "60" },
    candidates: { type: "string", default: "3e-5:0.9,1e-4:0.9,3e-5:0.7,3e-5:0.5,3e-5:0.3" },
  },
});
const candidates = args.candidates.split(",").map((c) => {
  const [learningRate, alpha] = c.split(":").map(Number);
  if (!(learningRate > 0 && alpha >= 0 && alpha <= 1)) {
    throw new Error(`--candidates: "${c}" is not <learning rate>:<alpha in [0, 1]>`);
  }
  return { learningRate, alpha };
});
const rate = Number(args.rate) / 100;
const steps = Number(args.steps);
if (!(rate > 0 && rate < 1)) throw new Error(`--rate ${args.rate} must be in (0, 100)`);
if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps ${args.steps} must be > 0`);

await initTf();
const { model: original, tokenizer } = await loadModel(args.model);
const recipe = recoveryRecipe(original.config);
const splits = await loadSplits();
const { train, selection } = splits;
console.error(
  `${args.model}: choosing on ${selection.length} sentences of ${splits.names.selection}`,
);

let scores: number[][];
try {
  const saved = JSON.parse(await Deno.readTextFile(`${OUT_DIR}03_head_scores.json`));
  if (saved.model !== args.model) throw new Error("scores of another model");
  scores = saved.ablation;
} catch {
  const batches = calibrationBatches(
    tokenizer,
    evenSample(train, recipe.calibrationSentences),
    recipe.calibrationBatch,
    64,
  );
  scores = ablationImportance(original, batches);
  disposeBatches(batches);
}

// Notebook 04's training sentences: whole ones (8 words or more), every third when plentiful.
const long = train.filter((p) => p.sentence.split(" ").length >= 8);
const pool =
  (long.length > 6 * steps * recipe.batchSize ? long.filter((_, i) => i % 3 === 0) : long)
    .slice(0, 2 * steps * recipe.batchSize);
const teacher = await cachedTeacherLogits(original, tokenizer, pool.map((p) => p.sentence));
const batches = distillationBatches(tokenizer, pool, teacher, { batchSize: recipe.batchSize });

async function selectionAccuracy(m: DistilBertForSequenceClassification, data: LabelledSentence[]) {
  const run = await predictor(m, tokenizer, "onnxruntime");
  try {
    const right = correctAnswers(
      await run(data.map((d) => d.sentence), { batchSize: 64 }),
      data.map((d) => d.label),
    );
    return right.filter(Boolean).length / right.length;
  } finally {
    await run.release();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const unpruned = await selectionAccuracy(original, selection);
const rows: { candidate: string; cells: string[]; final: number }[] = [];
for (const { learningRate, alpha } of candidates) {
  const student = (await loadModel(args.model)).model;
  const cells: string[] = [];
  let step = 0;
  let final = 0;
  const started = performance.now();
  for (const roundRate of [rate / 2, rate]) {
    const heads = original.config.n_layers * original.config.n_heads;
    pruneHeads(student, planFromMask(lowestHeadsMask(scores, Math.round(roundRate * heads))));
    cells.push(pct(await selectionAccuracy(student, selection)));
    const options = { steps, learningRate, alpha, temperature: recipe.temperature, dropout: false };
    distil(student, batches, { ...options, firstBatch: step });
    step += steps;
    final = await selectionAccuracy(student, selection);
    cells.push(pct(final));
  }
  student.dispose();
  const candidate = `${learningRate}:${alpha}`;
  rows.push({ candidate, cells, final });
  console.error(
    `  ${candidate}: ${cells.join(" → ")} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
}
disposeTrainingBatches(batches);

const half = Math.round(50 * rate);
console.log(
  `\n${args.model}, selection part (${selection.length} sentences), unpruned ${
    pct(unpruned)
  }; ${steps} steps per round, batch ${recipe.batchSize}\n`,
);
console.log(
  `| learning rate : alpha | ${half}% heads, pruned | distilled | ${
    Math.round(100 * rate)
  }% heads, pruned | distilled |`,
);
console.log("|---|---:|---:|---:|---:|");
for (const r of rows) console.log(`| ${r.candidate} | ${r.cells.join(" | ")} |`);
const best = rows.reduce((a, b) => (b.final > a.final ? b : a));
const [lr, alpha] = best.candidate.split(":");
console.log(`\nchosen recipe: learning rate ${lr}, alpha ${alpha}`);
