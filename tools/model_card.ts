// Writes the model card (README.md) and eval.json of a trained model folder. It measures the
// shipped weights (F16 on disk) on SST-2 dev and data/reviews.csv, and reads the recipe from
// training.json. Runnable alone: `deno task model-card data/models/<name>`.
import { join } from "node:path";
import { initTf } from "lib/tf.ts";
import { loadModel } from "lib/models.ts";
import { parameterBreakdown } from "lib/model/parameters.ts";
import { accuracyOf, predictProbabilities } from "lib/predict.ts";
import { loadSst2 } from "lib/sst2.ts";
import { readLabelledFile } from "lib/labelled_file.ts";
import { REVIEWS_CSV } from "lib/paths.ts";

/** Figures measured on the shipped weights, saved as eval.json beside the card. */
export interface ShippedEval {
  devAccuracy: number;
  devExamples: number;
  devSeconds: number;
  reviewsAccuracy: number;
  reviewsExamples: number;
}

interface EpochLog {
  epoch: number;
  step: number;
  trainLoss: number;
  devAccuracy: number;
}

/**
 * Measures the shipped model and generates `README.md` + `eval.json` in its folder.
 *
 * @example
 * ```ts
 * await writeModelCard("data/models/distilbert-sst2-tiny");
 * ```
 */
export async function writeModelCard(dir: string): Promise<ShippedEval> {
  const backend = await initTf();
  const { model, tokenizer } = await loadModel(dir);
  const dev = await loadSst2("validation");
  const reviews = await readLabelledFile(REVIEWS_CSV);
  const started = performance.now();
  const devProbs = predictProbabilities(model, tokenizer, dev.map((d) => d.sentence));
  const measured: ShippedEval = {
    devSeconds: (performance.now() - started) / 1000,
    devAccuracy: accuracyOf(devProbs, dev.map((d) => d.label)),
    devExamples: dev.length,
    reviewsAccuracy: accuracyOf(
      predictProbabilities(model, tokenizer, reviews.map((r) => r.sentence)),
      reviews.map((r) => r.label),
    ),
    reviewsExamples: reviews.length,
  };
  await Deno.writeTextFile(join(dir, "eval.json"), JSON.stringify(measured, null, 2) + "\n");

  const training = JSON.parse(await Deno.readTextFile(join(dir, "training.json")));
  const size = (await Deno.stat(join(dir, "model.safetensors"))).size;
  const parts = parameterBreakdown(model);
  const total = model.numParameters();
  const c = model.config;
  const r = training.recipe;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const rows = Object.entries(parts).map(([k, n]) =>
    `| ${k} | ${n.toLocaleString("en-US")} | ${(100 * n / total).toFixed(1)}% |`
  );
  const epochs = (training.epochs as EpochLog[]).map((e) =>
    `| ${e.epoch} | ${e.step} | ${e.trainLoss.toFixed(4)} | ${pct(e.devAccuracy)} |`
  );
  const heads = c.n_layers * c.n_heads;
  const stepsPerEpoch = Math.ceil(training.train / r.batchSize);
  // Hand-written notes on how the recipe was chosen (optional), kept beside the card.
  const notes = await Deno.readTextFile(join(dir, "recipe_notes.md")).then(
    (t) => `${t.trim()}\n\n`,
    () => "",
  );
  const card = `# ${r.name}

A small DistilBERT-architecture sentiment classifier (SST-2), trained from scratch by this
project's tfjs engine. It is the course's embedded default model: offline and fast on a CPU.
It keeps DistilBERT's structure (${c.n_layers} layers x ${c.n_heads} heads), so the course's
pruning numbers match the full-size model's (${heads} heads; 30% = ${
    Math.round(0.3 * heads)
  } heads).

| | |
|---|---|
| architecture | DistilBertForSequenceClassification: ${c.n_layers} layers, ${c.n_heads} heads of ${
    c.dim / c.n_heads
  }, dim ${c.dim}, FFN ${c.hidden_dim}, max positions ${c.max_position_embeddings} |
| tokenizer | bert-base-uncased (WordPiece, ${c.vocab_size.toLocaleString("en-US")} tokens) |
| parameters | ${total.toLocaleString("en-US")} |
| on disk | ${(size / 1e6).toFixed(2)} MB (\`model.safetensors\`, F16; loaded as float32) |
| SST-2 dev accuracy | **${pct(measured.devAccuracy)}** (${
    Math.round(measured.devAccuracy * measured.devExamples)
  }/${measured.devExamples}), these shipped weights |
| product reviews (\`data/reviews.csv\`) | ${pct(measured.reviewsAccuracy)} (${
    Math.round(measured.reviewsAccuracy * measured.reviewsExamples)
  }/${measured.reviewsExamples}): domain transfer, no product reviews in training |
| SST-2 dev evaluation time | ${
    measured.devSeconds.toFixed(1)
  } s for ${measured.devExamples} sentences (${backend}, one thread, batch 32) |
| training wall time | ${
    (training.elapsedSeconds / 60).toFixed(1)
  } min (${training.backend}, one thread) |

## Where the parameters are

| component | parameters | share |
|---|---:|---:|
${rows.join("\n")}

The word embeddings (30,522 x ${c.dim}) dominate: the tokenizer's vocabulary is fixed, and the
transformer layers are small so that the model runs fast on a CPU.

## Training recipe

From random initialisation (HF's \`_init_weights\`: N(0, 0.02)), no pre-training. SST-2 train
(${
    training.train.toLocaleString("en-US")
  } sentences and phrases), batch ${r.batchSize}, length-bucketed batches with dynamic
padding; AdamW (lr ${r.learningRate}, betas 0.9/0.999, weight decay ${r.weightDecay} except biases and LayerNorm), linear
warm-up over ${(100 * r.warmupFraction).toFixed(0)}% of a ${r.epochs}-epoch schedule (${
    r.epochs * stepsPerEpoch
  } steps) then linear decay; gradient clipping at norm ${r.clipNorm}; dropout ${r.dropout} (attention ${r.dropout},
classifier 0.2); label smoothing ${r.labelSmoothing}; seed ${r.seed}. Training ${
    (r.stopAfterEpochs ?? r.epochs) < r.epochs
      ? `stops after epoch ${r.stopAfterEpochs} (step ${training.totalSteps}) and ships those weights`
      : "runs the whole schedule and ships the final weights"
  }.

| epoch | step | train loss | dev accuracy (float32, during training) |
|---:|---:|---:|---:|
${epochs.join("\n")}

Reproduce (about ${
    Math.round(training.elapsedSeconds / 60)
  } minutes on a 2-core machine; a killed run resumes from its last checkpoint):

\`\`\`sh
deno task train-model --fresh      # writes this folder
deno task model-card data/models/${r.name}   # re-measures and rewrites this card
\`\`\`

${notes}Limits: trained on movie-review sentences only, without pre-training. Expect lower accuracy than
the full-size model (91.3% on SST-2 dev) and weaker transfer to other domains.
`;
  await Deno.writeTextFile(join(dir, "README.md"), card);
  model.dispose();
  return measured;
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? "data/models/distilbert-sst2-tiny";
  const measured = await writeModelCard(dir);
  console.log(
    `${dir}/README.md: SST-2 dev ${(100 * measured.devAccuracy).toFixed(2)}%, reviews ${
      (100 * measured.reviewsAccuracy).toFixed(2)
    }%, dev evaluation ${measured.devSeconds.toFixed(1)} s`,
  );
}
