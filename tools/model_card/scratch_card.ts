// The model card of a model trained from scratch by `deno task train-model`: what it is, its
// measured figures, where its parameters are and the training recipe with its epochs.
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import type { ShippedEval } from "./measure.ts";

/** One epoch of a training run (training.json). */
interface EpochLog {
  epoch: number;
  step: number;
  trainLoss: number;
  devAccuracy: number;
}

/** What a card is written from: the folder's training log, measurements and model. */
export interface CardInputs {
  // deno-lint-ignore no-explicit-any
  training: any;
  measured: ShippedEval;
  model: DistilBertForSequenceClassification;
  backend: string;
  /** Bytes of model.safetensors. */
  size: number;
  /** Markdown rows of the parameter table. */
  parameterRows: string[];
  /** Hand-written notes on how the recipe was chosen ("" when none). */
  notes: string;
}

/**
 * The card rows both templates share: parameters, size on disk and the measured accuracies.
 *
 * @example
 * ```ts
 * const rows = measuredRows(inputs); // "| parameters | 3,623,138 |\n| on disk | …"
 * ```
 */
export function measuredRows({ model, size, measured }: CardInputs): string {
  const total = model.numParameters();
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return `| parameters | ${total.toLocaleString("en-US")} |
| on disk | ${(size / 1e6).toFixed(2)} MB (\`model.safetensors\`, F16; loaded as float32) |
| SST-2 dev accuracy | **${pct(measured.devAccuracy)}** (${
    Math.round(measured.devAccuracy * measured.devExamples)
  }/${measured.devExamples}), these shipped weights |
| product reviews (\`data/reviews.csv\`) | ${pct(measured.reviewsAccuracy)} (${
    Math.round(measured.reviewsAccuracy * measured.reviewsExamples)
  }/${measured.reviewsExamples}): domain transfer, no product reviews in training |`;
}

/**
 * The README.md of a model trained from scratch.
 *
 * @example
 * ```ts
 * const card = scratchCard({ training, measured, model, backend, size, parameterRows, notes });
 * ```
 */
export function scratchCard(inputs: CardInputs): string {
  const { training, measured, model, backend, parameterRows, notes } = inputs;
  const c = model.config;
  const r = training.recipe;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const epochs = (training.epochs as EpochLog[]).map((e) =>
    `| ${e.epoch} | ${e.step} | ${e.trainLoss.toFixed(4)} | ${pct(e.devAccuracy)} |`
  );
  const heads = c.n_layers * c.n_heads;
  const stepsPerEpoch = Math.ceil(training.train / r.batchSize);
  return `# ${r.name}

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
${measuredRows(inputs)}
| SST-2 dev evaluation time | ${
    measured.devSeconds.toFixed(1)
  } s for ${measured.devExamples} sentences (${backend}, one thread, batch 32) |
| training wall time | ${
    (training.elapsedSeconds / 60).toFixed(1)
  } min (${training.backend}, one thread) |

## Where the parameters are

| component | parameters | share |
|---|---:|---:|
${parameterRows.join("\n")}

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
}
