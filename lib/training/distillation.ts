// Knowledge distillation for recovering a pruned model (NNI's prune-then-distil pipeline): the
// student learns the dense teacher's softened predictions. The teacher never changes, so its
// log-probabilities are computed once (onnxruntime) and cached with the training batches;
// batches group sentences of similar length; word embeddings stay frozen.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { numLabels } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { TextTokenizer } from "../data/tokenizer.ts";
import type { LabelledSentence } from "../data/sst2.ts";
import { predictor } from "../evaluation/predict.ts";
import { AdamW, type AdamWOptions } from "./adamw.ts";

/**
 * 0.9 · T² · KL(softmax(teacher/T) ‖ softmax(student/T)) + 0.1 · CE(student, labels), both
 * batch means (notebook 04's recipe; its TODO 04.distillation_loss).
 *
 * @example
 * ```ts
 * const loss = distillationLoss(studentLogits, teacherLogProbs, [1, 0], 2, 0.9);
 * ```
 */
export const distillationLoss = courseReference(
  "04.distillation_loss",
  function distillationLoss(
    student: tf.Tensor,
    teacher: tf.Tensor,
    labels: number[],
    T = 2,
    alpha = 0.9,
  ): tf.Scalar {
    return tf.tidy(() => {
      const p = tf.softmax(teacher.div(T));
      const kl = p.mul(tf.log(p).sub(tf.logSoftmax(student.div(T)))).sum(1).mean().mul(T * T);
      const ce = tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d(labels, "int32"), student.shape[1]!),
        student,
      );
      return kl.mul(alpha).add(ce.mul(1 - alpha)) as tf.Scalar;
    });
  },
);

/**
 * The teacher's log-probabilities `[sentence][label]`, computed once on onnxruntime. (They
 * differ from its logits by a constant per sentence, which the softmax in the loss ignores.)
 *
 * @example
 * ```ts
 * const teacherLogProbs = await cachedTeacherLogits(dense, tokenizer, train.map((d) => d.sentence));
 * ```
 */
export async function cachedTeacherLogits(
  teacher: DistilBertForSequenceClassification,
  tokenizer: TextTokenizer,
  sentences: string[],
  options: { batchSize?: number; engine?: "tfjs" | "onnxruntime" } = {},
): Promise<number[][]> {
  const run = await predictor(teacher, tokenizer, options.engine ?? "onnxruntime");
  try {
    const probs = await run(sentences, { batchSize: options.batchSize ?? 64 });
    return probs.map((p) => p.map((v) => Math.log(Math.max(v, 1e-30))));
  } finally {
    await run.release();
  }
}

/** One training batch: ids and mask `[batch, seq]` (int32), labels, cached teacher output. */
export interface TrainingBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  labels: number[];
  /** Teacher log-probabilities `[batch, labels]`; absent: plain cross-entropy. */
  teacherLogProbs?: tf.Tensor2D;
}

/**
 * Training batches of similar length (sorted by length within windows of `window` sentences,
 * so that the order still mixes lengths), with the teacher's cached log-probabilities when
 * given. Kept tensors: free them with `disposeTrainingBatches`.
 *
 * @example
 * ```ts
 * const batches = distillationBatches(tokenizer, pool, teacherLogProbs, { batchSize: 32 });
 * ```
 */
export function distillationBatches(
  tokenizer: TextTokenizer,
  data: LabelledSentence[],
  teacherLogProbs?: number[][],
  options: { batchSize?: number; maxLength?: number; window?: number } = {},
): TrainingBatch[] {
  const { batchSize = 32, maxLength = 64, window = 256 } = options;
  if (teacherLogProbs && teacherLogProbs.length !== data.length) {
    throw new Error(
      `distillationBatches: ${teacherLogProbs.length} teacher rows for ${data.length} sentences`,
    );
  }
  const encoded = data.map((d) => tokenizer.encode(d.sentence, maxLength));
  const batches: TrainingBatch[] = [];
  for (let w = 0; w < data.length; w += window) {
    const order = Array.from({ length: Math.min(window, data.length - w) }, (_, i) => w + i)
      .sort((a, b) => encoded[a].length - encoded[b].length);
    for (let b = 0; b < order.length; b += batchSize) {
      const idx = order.slice(b, b + batchSize);
      const { inputIds, attentionMask } = tokenizer.padTensors(idx.map((i) => encoded[i]));
      batches.push({
        inputIds,
        attentionMask,
        labels: idx.map((i) => data[i].label),
        teacherLogProbs: teacherLogProbs
          ? tf.tensor2d(idx.map((i) => teacherLogProbs[i]))
          : undefined,
      });
    }
  }
  return batches;
}

/**
 * Frees the tensors of training batches.
 *
 * @example
 * ```ts
 * disposeTrainingBatches(batches);
 * ```
 */
export function disposeTrainingBatches(batches: TrainingBatch[]): void {
  for (const b of batches) tf.dispose([b.inputIds, b.attentionMask, b.teacherLogProbs ?? []]);
}

/**
 * The training loss of a batch (call inside a gradient function): the distillation loss when
 * the batch has teacher outputs, else cross-entropy; dropout on.
 *
 * @example
 * ```ts
 * const { grads } = tf.variableGrads(() => trainingLoss(model, batch), variables);
 * ```
 */
export function trainingLoss(
  model: DistilBertForSequenceClassification,
  batch: TrainingBatch,
  options: {
    headMask?: tf.Tensor[];
    seed?: number;
    temperature?: number;
    alpha?: number;
    /** Dropout during the forward pass (default true). */
    dropout?: boolean;
  } = {},
): tf.Scalar {
  const { logits } = model.forward(batch.inputIds, batch.attentionMask, {
    training: options.dropout ?? true,
    headMask: options.headMask,
    seed: options.seed,
  });
  if (batch.teacherLogProbs) {
    // Undefined temperature or alpha: distillationLoss's own defaults (2 and 0.9).
    return distillationLoss(
      logits,
      batch.teacherLogProbs,
      batch.labels,
      options.temperature,
      options.alpha,
    );
  }
  const onehot = tf.oneHot(tf.tensor1d(batch.labels, "int32"), numLabels(model.config));
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
}

/**
 * The parameters fine-tuning updates: all but the word embeddings (frozen).
 *
 * @example
 * ```ts
 * const variables = [...trainableParameters(model).values()];
 * ```
 */
export function trainableParameters(
  model: DistilBertForSequenceClassification,
): Map<string, tf.Variable> {
  return new Map([...model.params].filter(([name]) => !name.endsWith("word_embeddings.weight")));
}

/**
 * `new AdamW(params, options)` inside `tf.tidy`: AdamW's constructor leaves the zero tensors
 * its moment variables start from registered (two per parameter, holding the moments' memory
 * after `dispose()`); the scope frees them, the variables keep their data.
 *
 * @example
 * ```ts
 * const optimizer = newAdamW(trainableParameters(model), { learningRate: 1e-4, warmupSteps: 0, totalSteps: 60 });
 * ```
 */
export function newAdamW(params: Map<string, tf.Variable>, options: AdamWOptions): AdamW {
  let optimizer: AdamW | undefined;
  tf.tidy(() => {
    optimizer = new AdamW(params, options);
  });
  return optimizer!;
}

/** Options of `distil`. */
export interface DistilOptions {
  steps: number;
  /** AdamW peak rate, linear decay to 0 over `steps` (no warm-up); default 1e-4. */
  learningRate?: number;
  /** Index of the first batch (batches are used in turn, wrapping around). */
  firstBatch?: number;
  /** Seed of the dropout masks (step i uses seed + i). */
  seed?: number;
  /** Weight of the teacher term of the distillation loss (default 0.9) and its temperature (2). */
  alpha?: number;
  temperature?: number;
  /** Dropout on (default) or off (the same numbers on every run, as notebook 04 trains). */
  dropout?: boolean;
}

/**
 * Fine-tunes the model in place for `steps` steps on `batches` (distillation loss where they
 * carry teacher outputs), word embeddings frozen. Returns the seconds it took.
 *
 * @example
 * ```ts
 * distil(student, batches, { steps: 60 });
 * ```
 */
export function distil(
  model: DistilBertForSequenceClassification,
  batches: TrainingBatch[],
  options: DistilOptions,
): number {
  const { steps, learningRate = 1e-4, firstBatch = 0, seed = 0, alpha, temperature, dropout } =
    options;
  if (!(Number.isInteger(steps) && steps >= 0)) {
    throw new Error(`distil: steps ${steps} must be a whole number ≥ 0`);
  }
  if (steps > 0 && batches.length === 0) throw new Error("distil: batches is empty");
  const started = performance.now();
  const trainable = trainableParameters(model);
  const variables = [...trainable.values()];
  const optimizer = newAdamW(trainable, {
    learningRate,
    warmupSteps: 0,
    totalSteps: steps,
    weightDecay: 0,
  });
  try {
    for (let s = 0; s < steps; s++) {
      const batch = batches[(firstBatch + s) % batches.length];
      tf.tidy(() => {
        const { grads } = tf.variableGrads(
          () => trainingLoss(model, batch, { seed: seed + s, alpha, temperature, dropout }),
          variables,
        );
        optimizer.step(grads);
      });
    }
  } finally {
    optimizer.dispose();
  }
  return (performance.now() - started) / 1000;
}
