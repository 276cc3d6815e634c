// Benchmark (not a test): the course model's fine-tuning step as notebooks 04 and 06 run it
// (a batch of long training-part sentences, forward + backward + AdamW, word embeddings frozen,
// the recovery recipe's batch size and loss) on the reference engine path (tfjs' own kernels)
// and on the fast path (lib/engine/kernels/), step by step in turns so that both see the same
// machine load. Last line:
// `distillation step (<model>, B=<n>, S≈<tokens>): reference <ms> ms, fast <ms> ms, <x.xx>x`.
//
//   deno run -A bench/distillation_step.ts [--model distilbert-sst2-minilm] [--steps 12]
import { parseArgs } from "node:util";
import { initTf, tf } from "lib/engine/tf.ts";
import { type EngineMode, setEngineMode } from "lib/engine/mode.ts";
import { DEFAULT_MODEL, loadModel } from "lib/model/loading.ts";
import { loadSplits } from "lib/data/splits.ts";
import { quantile } from "lib/evaluation/evaluation.ts";
import {
  cachedTeacherLogits,
  distillationBatches,
  distillationLoss,
  newAdamW,
  trainableParameters,
} from "lib/training/distillation.ts";
import { recoveryRecipe } from "lib/training/recipe.ts";

const { values: args } = parseArgs({
  options: {
    model: { type: "string", default: DEFAULT_MODEL },
    steps: { type: "string", default: "12" },
  },
});
const steps = Number(args.steps);
if (!(Number.isInteger(steps) && steps > 0)) throw new Error(`--steps ${args.steps} must be > 0`);

await initTf();
const { model, tokenizer } = await loadModel(args.model);
const recipe = recoveryRecipe(model.config);
const { train } = await loadSplits();
// Notebook 04's training sentences: whole ones (8 words or more), every third.
const pool = train.filter((p) => p.sentence.split(" ").length >= 8).filter((_, i) => i % 3 === 0)
  .slice(0, (steps + 2) * recipe.batchSize);
const teacher = await cachedTeacherLogits(model, tokenizer, pool.map((p) => p.sentence));
const batches = distillationBatches(tokenizer, pool, teacher, { batchSize: recipe.batchSize });
const trainable = trainableParameters(model);
const variables = [...trainable.values()];
// A rate of 1e-9: the weights barely move, so every timed step sees the same model.
const optimizer = newAdamW(trainable, {
  learningRate: 1e-9,
  warmupSteps: 0,
  totalSteps: 1e9,
  weightDecay: 0,
});
const step = (b: (typeof batches)[number]) =>
  tf.tidy(() => {
    const { grads } = tf.variableGrads(() =>
      distillationLoss(
        model.forward(b.inputIds, b.attentionMask).logits,
        b.teacherLogProbs!,
        b.labels,
        recipe.temperature,
        recipe.alpha,
      ), variables);
    optimizer.step(grads);
  });
const modes: EngineMode[] = ["reference", "fast"];
for (const mode of modes) {
  setEngineMode(mode);
  step(batches[0]);
  step(batches[1]);
}
const times: Record<EngineMode, number[]> = { reference: [], fast: [] };
for (const [i, b] of batches.slice(2, 2 + steps).entries()) {
  for (const mode of modes) {
    setEngineMode(mode);
    const t = performance.now();
    step(b);
    times[mode].push(performance.now() - t);
  }
  console.error(
    `  step ${i + 1}/${steps}: reference ${times.reference.at(-1)!.toFixed(0)} ms, fast ${
      times.fast.at(-1)!.toFixed(0)
    } ms`,
  );
}
setEngineMode("fast");
optimizer.dispose();
const tokens = batches.slice(2, 2 + steps).map((b) => b.inputIds.shape[1]);
const [ref, fast] = modes.map((m) => quantile(times[m], 0.5));
console.log(
  `distillation step (${args.model}, B=${recipe.batchSize}, S≈${
    quantile(tokens, 0.5)
  }): reference ${ref.toFixed(0)} ms, fast ${fast.toFixed(0)} ms, ${(ref / fast).toFixed(2)}x`,
);
