// `deno task train-model`: trains a shipped DistilBERT (6 layers x 12 heads, small width)
// from scratch on SST-2 train with this project's tfjs engine, resumable from checkpoints,
// and writes it in HF layout with a generated model card. `--init <folder>` fine-tunes a
// converted pretrained encoder instead (tools/convert_bert.ts), with early stopping on a
// held-out slice of train (`--holdout`, `--eval-every`, `--patience`); dev is only reported.
import { parseArgs } from "node:util";
import { join } from "node:path";
import seedrandom from "seedrandom";
import { initTf, tf } from "lib/engine/tf.ts";
import { type DistilBertConfig, sst2ClassifierConfig } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { loadDistilBert, saveDistilBert } from "lib/model/io.ts";
import { AdamW } from "lib/training/adamw.ts";
import { lengthBucketedBatches, shuffle } from "lib/data/batches.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { loadTokenizer } from "lib/data/tokenizer.ts";
import { readSafetensors, writeSafetensors } from "lib/io/safetensors.ts";
import { cacheDir, exists } from "lib/io/hub.ts";
import { resolveTokenizerDir } from "lib/model/loading.ts";
import { progressLine } from "lib/io/progress.ts";
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
    init: { type: "string" },
    holdout: { type: "string", default: "0" },
    "eval-every": { type: "string", default: "250" },
    patience: { type: "string", default: "4" },
    "freeze-word-embeddings": { type: "boolean", default: false },
    "max-batch-tokens": { type: "string", default: "0" },
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
  /** Fine-tuning: the folder of the converted model the weights start from. */
  init: args.init,
  /** Train sentences held out (seeded) for early stopping; 0: none (dev accuracy per epoch instead). */
  holdout: Number(args.holdout),
  evalEvery: Number(args["eval-every"]),
  /** Holdout evaluations without a new best before training stops. */
  patience: Number(args.patience),
  freezeWordEmbeddings: args["freeze-word-embeddings"],
  /** Padded tokens per micro-batch (gradient accumulation above it); 0: no limit. */
  maxBatchTokens: Number(args["max-batch-tokens"]),
};
const outDir = args.out ?? join("data", "models", recipe.name);
const ckptRoot = join(cacheDir(), "train", recipe.name);
const ckptDir = join(ckptRoot, "checkpoint");
const logPath = join(ckptRoot, "train.log");

const backend = await initTf();
const tokenizerDir = await resolveTokenizerDir("bert-base-uncased");
const tokenizer = await loadTokenizer(tokenizerDir);
const sst2Train = await loadSst2("train");
const dev = await loadSst2("validation");
// The held-out slice: a seeded draw of train sentences, never trained on, for early stopping.
const heldOutIds = new Set(
  shuffle(sst2Train.map((_, i) => i), seedrandom(`${recipe.seed}-holdout`)).slice(
    0,
    recipe.holdout,
  ),
);
const train = sst2Train.filter((_, i) => !heldOutIds.has(i));
const heldOut = sst2Train.filter((_, i) => heldOutIds.has(i));
console.error(
  `backend ${backend}; SST-2 train ${train.length} (+${heldOut.length} held out), dev ${dev.length}`,
);
const encoded = train.map((r) => tokenizer.encode(r.sentence, recipe.maxPositions));
const lengths = encoded.map((e) => e.length);

const config: DistilBertConfig = sst2ClassifierConfig({
  attention_dropout: recipe.dropout,
  dropout: recipe.dropout,
  dim: recipe.dim,
  hidden_dim: recipe.hiddenDim,
  n_heads: 12,
  n_layers: 6,
  max_position_embeddings: recipe.maxPositions,
  vocab_size: tokenizer.vocabSize,
  pad_token_id: tokenizer.padId,
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
  /** Holdout accuracy at each evaluation (fine-tuning with `--holdout`). */
  evaluations?: { step: number; trainLoss: number; holdoutAccuracy: number }[];
  best?: { step: number; holdoutAccuracy: number };
  stoppedEarly?: boolean;
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
} else if (recipe.init) {
  model = await loadDistilBert(recipe.init);
  console.error(`fine-tuning ${recipe.init} (${model.numParameters()} parameters)`);
} else {
  model = DistilBertForSequenceClassification.random(config, recipe.seed);
}
const bestDir = join(ckptRoot, "best");
const trainable = new Map(
  [...model.params].filter(([name]) =>
    !(recipe.freezeWordEmbeddings && name.endsWith("word_embeddings.weight"))
  ),
);
const optimizer = new AdamW(trainable, {
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

const variables = [...trainable.values()];
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
    if (recipe.holdout > 0 && state.step % recipe.evalEvery === 0) {
      if (await evaluateHoldout()) break;
    }
    if (state.step % Number(args["checkpoint-every"]) === 0) await checkpoint();
  }
  if (state.stoppedEarly) break;
  const endOfEpoch = state.step % stepsPerEpoch === 0 || state.step === totalSteps;
  if (endOfEpoch && recipe.holdout === 0) {
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

if (recipe.holdout > 0) {
  // Early stopping: ship the best model on the held-out slice; dev is measured once, here.
  if (!state.stoppedEarly && state.step % recipe.evalEvery !== 0) await evaluateHoldout();
  state.elapsedSeconds = elapsed();
  model.dispose();
  model = await loadDistilBert(bestDir);
  const devAccuracy = accuracyOf(
    predictProbabilities(model, tokenizer, dev.map((r) => r.sentence), { batchSize: 64 }),
    dev.map((r) => r.label),
  );
  state.epochs.push({
    epoch: state.step / stepsPerEpoch,
    step: state.best!.step,
    trainLoss: state.evaluations!.find((e) => e.step === state.best!.step)!.trainLoss,
    devAccuracy,
  });
  line.clear();
  console.error(
    `best step ${state.best!.step}: holdout ${(100 * state.best!.holdoutAccuracy).toFixed(2)}%, ` +
      `dev ${(100 * devAccuracy).toFixed(2)}%`,
  );
  await log({ event: "dev", step: state.best!.step, devAccuracy });
}
state.elapsedSeconds = elapsed();
await saveDistilBert(model, outDir, { dtype: "F16", tokenizer: tokenizerDir });
await Deno.writeTextFile(
  join(outDir, "training.json"),
  JSON.stringify(
    {
      backend,
      train: train.length,
      heldOut: heldOut.length,
      dev: dev.length,
      totalSteps,
      ...state,
    },
    null,
    2,
  ) +
    "\n",
);
await writeModelCard(outDir);
await log({ event: "done", out: outDir, elapsedSeconds: state.elapsedSeconds });
console.error(`saved ${outDir} after ${(state.elapsedSeconds / 60).toFixed(1)} min of training`);

/**
 * Accuracy on the held-out slice; a new best is saved to `best/`. Returns true when
 * `patience` evaluations in a row brought no new best (training then stops).
 */
async function evaluateHoldout(): Promise<boolean> {
  const holdoutAccuracy = accuracyOf(
    predictProbabilities(model, tokenizer, heldOut.map((r) => r.sentence), { batchSize: 64 }),
    heldOut.map((r) => r.label),
  );
  const entry = { step: state.step, trainLoss: lossSum / Math.max(1, lossCount), holdoutAccuracy };
  lossSum = 0;
  lossCount = 0;
  state.evaluations = [...(state.evaluations ?? []), entry];
  line.clear();
  console.error(
    `step ${state.step}: train loss ${entry.trainLoss.toFixed(4)}, ` +
      `holdout accuracy ${(100 * holdoutAccuracy).toFixed(2)}%`,
  );
  await log({ event: "holdout", ...entry });
  if (!state.best || holdoutAccuracy > state.best.holdoutAccuracy) {
    state.best = { step: state.step, holdoutAccuracy };
    await Deno.remove(`${bestDir}-new`, { recursive: true }).catch(() => {});
    await saveDistilBert(model, `${bestDir}-new`);
    await Deno.remove(bestDir, { recursive: true }).catch(() => {});
    await Deno.rename(`${bestDir}-new`, bestDir);
  }
  const sinceBest = state.evaluations.filter((e) => e.step > state.best!.step).length;
  state.stoppedEarly = sinceBest >= recipe.patience;
  if (state.stoppedEarly) await log({ event: "early stop", step: state.step, best: state.best });
  return state.stoppedEarly;
}

/**
 * One optimisation step on a batch of training examples; returns the loss. With
 * `--max-batch-tokens`, a batch whose padded size is larger runs as micro-batches whose
 * gradients are summed (weighted by their share of the batch): the same mean loss, in less
 * memory (a backward pass keeps ~2 MB per token at dim 384, and wasm memory ends at 4 GB).
 */
function trainStep(batch: number[], step: number): number {
  const longest = Math.max(...batch.map((i) => encoded[i].length));
  const perChunk = recipe.maxBatchTokens > 0
    ? Math.max(1, Math.floor(recipe.maxBatchTokens / longest))
    : batch.length;
  const chunks: number[][] = [];
  for (let i = 0; i < batch.length; i += perChunk) chunks.push(batch.slice(i, i + perChunk));
  let loss = 0;
  let summed: tf.NamedTensorMap = {};
  chunks.forEach((chunk, c) => {
    const weight = chunk.length / batch.length;
    const { value, grads } = tf.tidy(() => {
      const { inputIds: ids, attentionMask: mask } = tokenizer.padTensors(
        chunk.map((i) => encoded[i]),
      );
      const labels = tf.oneHot(tf.tensor1d(chunk.map((i) => train[i].label), "int32"), 2);
      return tf.variableGrads(() => {
        const { logits } = model.forward(ids, mask, {
          training: true,
          seed: recipe.seed * 1e6 + step + c * 1e5,
        });
        return tf.losses.softmaxCrossEntropy(
          labels,
          logits,
          undefined,
          recipe.labelSmoothing,
        ).mul(weight) as tf.Scalar;
      }, variables);
    });
    loss += value.dataSync()[0];
    value.dispose();
    if (c === 0) summed = grads;
    else {
      const next: tf.NamedTensorMap = {};
      for (const [k, g] of Object.entries(grads)) next[k] = summed[k].add(g);
      tf.dispose([...Object.values(summed), ...Object.values(grads)]);
      summed = next;
    }
  });
  tf.tidy(() => {
    const norm = Math.sqrt(
      tf.addN(Object.values(summed).map((g) => g.square().sum())).dataSync()[0],
    );
    const scale = norm > recipe.clipNorm ? recipe.clipNorm / norm : 1;
    const clipped: tf.NamedTensorMap = {};
    for (const [k, g] of Object.entries(summed)) clipped[k] = scale === 1 ? g : g.mul(scale);
    optimizer.step(clipped);
  });
  tf.dispose(Object.values(summed));
  return loss;
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
