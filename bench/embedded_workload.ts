// What students wait for, as benchmark workloads: training steps of the embedded model (batch
// 32 of SST-2 train sentences of similar length: forward, backward, AdamW) and its evaluation
// on the 872 SST-2 dev sentences, on tfjs (as notebooks and tools/train_model.ts run them).
import seedrandom from "seedrandom";
import { tf } from "lib/engine/tf.ts";
import { AdamW } from "lib/training/adamw.ts";
import { lengthBucketedBatches } from "lib/data/batches.ts";
import { loadModel, TINY_MODEL } from "lib/model/loading.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";

/** The embedded model, its tokenizer, training batches and dev sentences. */
export interface EmbeddedWorkload {
  model: DistilBertForSequenceClassification;
  tokenizer: TextTokenizer;
  /** Token rows and labels of seeded length-bucketed batches of 32 train sentences. */
  trainBatches: { rows: number[][]; labels: number[] }[];
  dev: { sentences: string[]; labels: number[] };
}

/**
 * Loads the embedded model and SST-2 (train: `batches` batches of 32, drawn as
 * tools/train_model.ts draws them; dev: all 872 sentences).
 *
 * @example
 * ```ts
 * const w = await embeddedWorkload(8);
 * const step = trainer(w);
 * step(w.trainBatches[0]);
 * ```
 */
export async function embeddedWorkload(batches: number): Promise<EmbeddedWorkload> {
  const { model, tokenizer } = await loadModel(TINY_MODEL);
  const train = await loadSst2("train");
  const devSet = await loadSst2("validation");
  const maxLength = model.config.max_position_embeddings;
  const encoded = train.map((r) => tokenizer.encode(r.sentence, maxLength));
  const order = lengthBucketedBatches(encoded.map((e) => e.length), 32, seedrandom("bench"));
  return {
    model,
    tokenizer,
    trainBatches: order.slice(0, batches).map((b) => ({
      rows: b.map((i) => encoded[i]),
      labels: b.map((i) => train[i].label),
    })),
    dev: { sentences: devSet.map((r) => r.sentence), labels: devSet.map((r) => r.label) },
  };
}

/**
 * A training step function over every parameter (as tools/train_model.ts: dropout on, label
 * smoothing 0.1, AdamW with weight decay); returns the loss. `dispose()` frees the moments.
 *
 * @example
 * ```ts
 * const step = trainer(w);
 * const loss = step(w.trainBatches[0]);
 * step.dispose();
 * ```
 */
export function trainer(
  w: EmbeddedWorkload,
): ((batch: { rows: number[][]; labels: number[] }) => number) & { dispose(): void } {
  const { model, tokenizer } = w;
  const optimizer = new AdamW(model.params, {
    learningRate: 1e-9, // the weights barely move: every timed step sees the same model
    warmupSteps: 0,
    totalSteps: 1e9,
    weightDecay: 0.01,
    noDecay: (name) => name.endsWith(".bias") || /LayerNorm|layer_norm/.test(name),
  });
  const variables = [...model.params.values()];
  let step = 0;
  const run = (batch: { rows: number[][]; labels: number[] }) =>
    tf.tidy(() => {
      const { inputIds, attentionMask } = tokenizer.padTensors(batch.rows);
      const labels = tf.oneHot(tf.tensor1d(batch.labels, "int32"), 2);
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = model.forward(inputIds, attentionMask, { training: true, seed: step++ });
        return tf.losses.softmaxCrossEntropy(labels, logits, undefined, 0.1) as tf.Scalar;
      }, variables);
      optimizer.step(grads);
      return value.dataSync()[0];
    });
  return Object.assign(run, { dispose: () => optimizer.dispose() });
}
