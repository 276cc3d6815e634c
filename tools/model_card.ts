// Writes the model card (README.md) of a trained model folder from its config, weights and
// training.json; also runnable alone: `deno run -A tools/model_card.ts data/models/<name>`.
import { join } from "node:path";

/**
 * Generates `README.md` in a model folder written by `train_model.ts`.
 *
 * @example
 * ```ts
 * await writeModelCard("data/models/distilbert-sst2-tiny");
 * ```
 */
export async function writeModelCard(dir: string): Promise<void> {
  const { loadDistilBert } = await import("lib/model/io.ts");
  const { parameterBreakdown } = await import("lib/model/parameters.ts");
  const model = await loadDistilBert(dir);
  const training = JSON.parse(await Deno.readTextFile(join(dir, "training.json")));
  const size = (await Deno.stat(join(dir, "model.safetensors"))).size;
  const parts = parameterBreakdown(model);
  const total = model.numParameters();
  const c = model.config;
  const r = training.recipe;
  const last = training.epochs.at(-1);
  const rows = Object.entries(parts).map(([k, n]) =>
    `| ${k} | ${n.toLocaleString("en-US")} | ${(100 * n / total).toFixed(1)}% |`
  );
  const card = `# ${r.name}

A small DistilBERT-architecture sentiment classifier (SST-2), trained from scratch by this
project's tfjs engine. It is the course's embedded default model: offline and fast on a CPU.
It keeps DistilBERT's structure (${c.n_layers} layers x ${c.n_heads} heads) so the course's
pruning numbers match the full-size model's (${c.n_layers * c.n_heads} heads; 30% = ${
    Math.round(0.3 * c.n_layers * c.n_heads)
  } heads).

| | |
|---|---|
| architecture | DistilBertForSequenceClassification, ${c.n_layers} layers, ${c.n_heads} heads of ${
    c.dim / c.n_heads
  }, dim ${c.dim}, FFN ${c.hidden_dim}, max positions ${c.max_position_embeddings} |
| tokenizer | bert-base-uncased (WordPiece, ${c.vocab_size} tokens) |
| parameters | ${total.toLocaleString("en-US")} |
| on disk | ${(size / 1e6).toFixed(2)} MB (\`model.safetensors\`, F16; loaded as float32) |
| SST-2 dev accuracy | **${(100 * last.devAccuracy).toFixed(2)}%** (${
    Math.round(last.devAccuracy * training.dev)
  }/${training.dev}), final epoch |
| training wall time | ${
    (training.elapsedSeconds / 60).toFixed(1)
  } min, ${training.backend} backend, one thread |

## Where the parameters are

| component | parameters | share |
|---|---:|---:|
${rows.join("\n")}

## Training recipe

SST-2 train (${
    training.train.toLocaleString("en-US")
  } sentences and phrases), ${r.epochs} epochs of ${
    Math.ceil(training.train / r.batchSize)
  } steps, batch ${r.batchSize}, length-bucketed batches with dynamic padding, AdamW (lr ${r.learningRate}, β 0.9/0.999, weight decay ${r.weightDecay}
except biases and LayerNorm), linear warm-up over ${
    (100 * r.warmupFraction).toFixed(0)
  }% of the steps then linear decay to 0, gradient clipping at norm ${r.clipNorm}, dropout ${r.dropout}
(attention ${r.dropout}, classifier 0.2), label smoothing ${r.labelSmoothing}, seed ${r.seed}. Random
initialisation as HF's \`_init_weights\` (N(0, 0.02)); no pre-training.

| epoch | step | train loss | dev accuracy |
|---:|---:|---:|---:|
${
    training.epochs.map((
      e: { epoch: number; step: number; trainLoss: number; devAccuracy: number },
    ) =>
      `| ${e.epoch} | ${e.step} | ${e.trainLoss.toFixed(4)} | ${
        (100 * e.devAccuracy).toFixed(2)
      }% |`
    ).join("\n")
  }

Reproduce (about ${
    Math.round(training.elapsedSeconds / 60)
  } minutes on a 2-core machine; resumes if killed):

\`\`\`
deno task train-model --fresh
\`\`\`

Limits: trained on movie-review sentences only, without pre-training: expect lower accuracy
than the full-size model (91.3% on SST-2 dev) and weaker transfer to other domains.
`;
  await Deno.writeTextFile(join(dir, "README.md"), card);
  model.dispose();
}

if (import.meta.main) {
  const { initTf } = await import("lib/tf.ts");
  await initTf();
  await writeModelCard(Deno.args[0] ?? "data/models/distilbert-sst2-tiny");
}
