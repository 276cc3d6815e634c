// `deno task train-model`: trains the embedded DistilBERT (6 layers x 12 heads, small width)
// from scratch on SST-2 train with this project's tfjs engine, resumable from checkpoints,
// and writes it in HF layout with a generated model card.
import { parseArgs } from "node:util";
import { join } from "node:path";
import seedrandom from "seedrandom";
import { initTf, tf } from "lib/tf.ts";
import { type DistilBertConfig, parseConfig } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { loadDistilBert, saveDistilBert } from "lib/model/io.ts";
import { AdamW } from "lib/adamw.ts";
import { lengthBucketedBatches } from "lib/batches.ts";
import { accuracyOf, predictProbabilities } from "lib/predict.ts";
import { loadSst2 } from "lib/sst2.ts";
import { copyTokenizerFiles, loadTokenizer } from "lib/tokenizer.ts";
import { readSafetensors, writeSafetensors } from "lib/safetensors.ts";
import { cacheDir, exists } from "lib/hub.ts";
import { resolveTokenizerDir } from "lib/models.ts";
import { progressLine } from "lib/progress.ts";
import { writeModelCard } from "./model_card.ts";

const { values: args } = parseArgs({
  options: {
    name: { type: "string", default: "distilbert-sst2-tiny" },
    out: { type: "string" },
    dim: { type: "string", default: "96" },
    "hidden-dim": { type: "string", default: "384" },
    "max-positions": { type: "string", default: "128" },
    epochs: { type: "string", default: "3" },
    "stop-after": { type: "string", default: "1" },
    "batch-size": { type: "string", default: "32" },
    lr: { type: "string", default: "1e-3" },
    warmup: { type: "string", default: "0.06" },
    "weight-decay": { type: "string", default: "0.01" },
    "label-smoothing": { type: "string", default: "0.1" },
    dropout: { type: "string", default: "0.1" },
    clip: { type: "string", default: "1.0" },
    seed: { type: "string", default: "42" },
    "max-steps": { type: "string" },
    "checkpoint-every": { type: "string", default: "250" },
    fresh: { type: "boolean", default: false },
  },
});

const recipe = {
  name: args.name!,
  dim: Number(args.dim),
  hiddenDim: Number(args["hidden-dim"]),
  maxPositions: Number(args["max-positions"]),
  epochs: Number(args.epochs),
  /** Epochs actually trained: the schedule spans `epochs`, training stops after these. */
  stopAfterEpochs: Number(args["stop-after"]),
  batchSize: Number(args["batch-size"]),
  learningRate: Number(args.lr),
  warmupFraction: Number(args.warmup),
  weightDecay: Number(args["weight-decay"]),
  labelSmoothing: Number(args["label-smoothing"]),
  dropout: Number(args.dropout),
  clipNorm: Number(args.clip),
  seed: Number(args.seed),
};
const outDir = args.out ?? join("data", "models", recipe.name);
const ckptRoot = join(cacheDir(), "train", recipe.name);
const ckptDir = join(ckptRoot, "checkpoint");
const logPath = join(ckptRoot, "train.log");

const backend = await initTf();
const tokenizerDir = await resolveTokenizerDir("bert-base-uncased");
const tokenizer = await loadTokenizer(tokenizerDir);
const train = await loadSst2("train");
const dev = await loadSst2("validation");
console.error(`backend ${backend}; SST-2 train ${train.length}, dev ${dev.length}`);
const encoded = train.map((r) => tokenizer.encode(r.sentence, recipe.maxPositions));
const lengths = encoded.map((e) => e.length);

const config: DistilBertConfig = parseConfig({
  architectures: ["DistilBertForSequenceClassification"],
  model_type: "distilbert",
  activation: "gelu",
  attention_dropout: recipe.dropout,
  dropout: recipe.dropout,
  dim: recipe.dim,
  hidden_dim: recipe.hiddenDim,
  n_heads: 12,
  n_layers: 6,
  max_position_embeddings: recipe.maxPositions,
  vocab_size: tokenizer.vocabSize,
  initializer_range: 0.02,
  pad_token_id: tokenizer.padId,
  qa_dropout: 0.1,
  seq_classif_dropout: 0.2,
  sinusoidal_pos_embds: false,
  tie_weights_: true,
  id2label: { "0": "NEGATIVE", "1": "POSITIVE" },
  label2id: { NEGATIVE: 0, POSITIVE: 1 },
  finetuning_task: "sst-2",
});

const stepsPerEpoch = Math.ceil(train.length / recipe.batchSize);
// The learning-rate schedule spans `epochs`; training stops after `stopAfterEpochs` (early
// stopping: a 3-epoch run peaked on SST-2 dev after epoch 1, see the model card).
const scheduleSteps = Math.min(
  stepsPerEpoch * recipe.epochs,
  args["max-steps"] ? Number(args["max-steps"]) : Infinity,
);
const totalSteps = Math.min(scheduleSteps, stepsPerEpoch * recipe.stopAfterEpochs);

interface TrainState {
  step: number;
  elapsedSeconds: number;
  epochs: { epoch: number; step: number; trainLoss: number; devAccuracy: number }[];
  recipe: typeof recipe;
}

if (args.fresh) await Deno.remove(ckptRoot, { recursive: true }).catch(() => {});
await Deno.mkdir(ckptRoot, { recursive: true });
let state: TrainState = { step: 0, elapsedSeconds: 0, epochs: [], recipe };
let model: DistilBertForSequenceClassification;
const resumeFrom = (await exists(join(ckptDir, "state.json")))
  ? ckptDir
  : (await exists(join(`${ckptDir}-old`, "state.json")))
  ? `${ckptDir}-old`
  : undefined;
if (resumeFrom) {
  state = JSON.parse(await Deno.readTextFile(join(resumeFrom, "state.json")));
  if (JSON.stringify(state.recipe) !== JSON.stringify(recipe)) {
    console.error(`${resumeFrom}: checkpoint of another recipe; run with --fresh to start over`);
    Deno.exit(2);
  }
  model = await loadDistilBert(resumeFrom);
  console.error(`resuming at step ${state.step} of ${totalSteps} from ${resumeFrom}`);
} else {
  model = DistilBertForSequenceClassification.random(config, recipe.seed);
}
const optimizer = new AdamW(model.params, {
  learningRate: recipe.learningRate,
  warmupSteps: Math.round(scheduleSteps * recipe.warmupFraction),
  totalSteps: scheduleSteps,
  weightDecay: recipe.weightDecay,
  noDecay: (name) => name.endsWith(".bias") || /LayerNorm|layer_norm/.test(name),
});
if (resumeFrom) {
  optimizer.restore(await readSafetensors(join(resumeFrom, "optimizer.safetensors")), state.step);
}

const log = (entry: Record<string, unknown>) =>
  Deno.writeTextFile(logPath, JSON.stringify({ time: new Date().toISOString(), ...entry }) + "\n", {
    append: true,
  });
await log({ event: resumeFrom ? "resume" : "start", step: state.step, totalSteps, recipe });

const variables = [...model.params.values()];
let lossEma = NaN;
let lossSum = 0;
let lossCount = 0;
const line = progressLine(true, 2000);
const started = performance.now();
const startStep = state.step;
const elapsed = () => state.elapsedSeconds + (performance.now() - started) / 1000;

while (state.step < totalSteps) {
  const epoch = Math.floor(state.step / stepsPerEpoch);
  const batches = lengthBucketedBatches(
    lengths,
    recipe.batchSize,
    seedrandom(`${recipe.seed}-epoch-${epoch}`),
  );
  for (
    let b = state.step - epoch * stepsPerEpoch;
    b < batches.length && state.step < totalSteps;
    b++
  ) {
    const loss = trainStep(batches[b], state.step);
    lossEma = Number.isNaN(lossEma) ? loss : 0.98 * lossEma + 0.02 * loss;
    lossSum += loss;
    lossCount++;
    state.step++;
    const rate = (state.step - startStep) / ((performance.now() - started) / 1000);
    line.update(
      `epoch ${epoch + 1}/${recipe.stopAfterEpochs} step ${state.step}/${totalSteps} ` +
        `loss ${lossEma.toFixed(4)} lr ${optimizer.learningRateAt(state.step).toExponential(2)} ` +
        `${rate.toFixed(2)} steps/s eta ${((totalSteps - state.step) / rate / 60).toFixed(1)} min`,
    );
    if (state.step % 100 === 0) await log({ step: state.step, loss: lossEma });
    if (state.step % Number(args["checkpoint-every"]) === 0) await checkpoint();
  }
  const endOfEpoch = state.step % stepsPerEpoch === 0 || state.step === totalSteps;
  if (endOfEpoch) {
    const devAccuracy = accuracyOf(
      predictProbabilities(model, tokenizer, dev.map((r) => r.sentence), { batchSize: 64 }),
      dev.map((r) => r.label),
    );
    const entry = {
      epoch: epoch + 1,
      step: state.step,
      trainLoss: lossSum / Math.max(1, lossCount),
      devAccuracy,
    };
    state.epochs.push(entry);
    lossSum = 0;
    lossCount = 0;
    line.clear();
    console.error(
      `epoch ${epoch + 1}: train loss ${entry.trainLoss.toFixed(4)}, dev accuracy ${
        (100 * devAccuracy).toFixed(2)
      }%`,
    );
    await log({ event: "epoch", ...entry });
    await checkpoint();
  }
}

state.elapsedSeconds = elapsed();
await saveDistilBert(model, outDir, { dtype: "F16" });
await copyTokenizerFiles(tokenizerDir, outDir);
await Deno.writeTextFile(
  join(outDir, "training.json"),
  JSON.stringify({ backend, train: train.length, dev: dev.length, totalSteps, ...state }, null, 2) +
    "\n",
);
await writeModelCard(outDir);
await log({ event: "done", out: outDir, elapsedSeconds: state.elapsedSeconds });
console.error(`saved ${outDir} after ${(state.elapsedSeconds / 60).toFixed(1)} min of training`);

/** One optimisation step on a batch of training examples; returns the loss. */
function trainStep(batch: number[], step: number): number {
  return tf.tidy(() => {
    const { inputIds: ids, attentionMask: mask } = tokenizer.padTensors(
      batch.map((i) => encoded[i]),
    );
    const labels = tf.oneHot(tf.tensor1d(batch.map((i) => train[i].label), "int32"), 2);
    const { value, grads } = tf.variableGrads(() => {
      const { logits } = model.forward(ids, mask, {
        training: true,
        seed: recipe.seed * 1e6 + step,
      });
      return tf.losses.softmaxCrossEntropy(
        labels,
        logits,
        undefined,
        recipe.labelSmoothing,
      ) as tf.Scalar;
    }, variables);
    const norm = Math.sqrt(
      tf.addN(Object.values(grads).map((g) => g.square().sum())).dataSync()[0],
    );
    const scale = norm > recipe.clipNorm ? recipe.clipNorm / norm : 1;
    const clipped: tf.NamedTensorMap = {};
    for (const [k, g] of Object.entries(grads)) clipped[k] = scale === 1 ? g : g.mul(scale);
    optimizer.step(clipped);
    return value.dataSync()[0];
  });
}

/** Writes model, optimizer moments and state to a new folder, then swaps it in. */
async function checkpoint(): Promise<void> {
  const next = `${ckptDir}-new`;
  await Deno.remove(next, { recursive: true }).catch(() => {});
  await saveDistilBert(model, next);
  await writeSafetensors(join(next, "optimizer.safetensors"), optimizer.state());
  await Deno.writeTextFile(
    join(next, "state.json"),
    JSON.stringify({ ...state, elapsedSeconds: elapsed() }, null, 2),
  );
  await Deno.remove(`${ckptDir}-old`, { recursive: true }).catch(() => {});
  if (await exists(ckptDir)) await Deno.rename(ckptDir, `${ckptDir}-old`);
  await Deno.rename(next, ckptDir);
  await Deno.remove(`${ckptDir}-old`, { recursive: true }).catch(() => {});
}
