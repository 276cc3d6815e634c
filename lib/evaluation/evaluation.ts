// The course's evaluation pipeline: accuracy, per-example latency (warm-up, p50/p95),
// throughput, parameters, in-memory and on-disk size of a classifier on labelled sentences.
import { courseReference } from "../course/reference.ts";
import { join } from "node:path";
import { tf } from "../engine/tf.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { TextTokenizer } from "../data/tokenizer.ts";
import type { LabelledSentence } from "../data/sst2.ts";
import { accuracyOf, type Engine, predictor } from "./predict.ts";

/** Figures of one evaluation; latencies in milliseconds, sizes in MB (10^6 bytes). */
export interface EvaluationReport {
  examples: number;
  accuracy: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  /** Every timed single-example run, in order (ms): for intervals of latency ratios. */
  latencyTimesMs: number[];
  throughputPerSecond: number;
  parameters: number;
  inMemoryMB: number;
  onDiskMB: number | null;
}

/** Options of `evaluateClassifier`. */
export interface EvaluationOptions {
  /** Batch size of the throughput/accuracy pass (default 32). */
  batchSize?: number;
  /** Examples timed one at a time for the latency percentiles (default 100). */
  latencySamples?: number;
  /** Untimed single-example runs before timing (default 5). */
  warmup?: number;
  /** The model folder, whose `model.safetensors` gives the on-disk size. */
  modelDir?: string;
  /** Progress callback (phase, done, total). */
  onProgress?: (phase: string, done: number, total: number) => void;
  /**
   * Where the forward passes run: tfjs (default, the course's engine) or onnxruntime (the
   * same numbers within 1e-5 from an in-memory ONNX export; for repeated evaluations).
   */
  engine?: Engine;
}

/**
 * Value at quantile `q` (0..1) of numbers, linear interpolation as numpy's default.
 *
 * @example
 * ```ts
 * quantile([1, 2, 3, 4], 0.5); // 2.5
 * ```
 */
export function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * Evaluates a classifier: one batched pass for accuracy and throughput, then per-example
 * latency on the first `latencySamples` sentences after `warmup` untimed runs.
 *
 * @example
 * ```ts
 * const report = await evaluateClassifier(model, tokenizer, await loadSst2("validation"));
 * report.accuracy; // 0.8…
 * ```
 */
export const evaluateClassifier = courseReference(
  "02.evaluate_model",
  async function evaluateClassifier(
    model: DistilBertForSequenceClassification,
    tokenizer: TextTokenizer,
    data: LabelledSentence[],
    options: EvaluationOptions = {},
  ): Promise<EvaluationReport> {
    const texts = data.map((d) => d.sentence);
    const samples = texts.slice(0, options.latencySamples ?? 100);
    const predict = await predictor(model, tokenizer, options.engine ?? "tfjs");
    let probabilities: number[][];
    let seconds: number;
    const latencies: number[] = [];
    try {
      for (let i = 0; i < (options.warmup ?? 5); i++) {
        await predict([samples[i % samples.length]]);
      }
      const started = performance.now();
      probabilities = await predict(texts, {
        batchSize: options.batchSize ?? 32,
        onProgress: (done, total) => options.onProgress?.("batched", done, total),
      });
      seconds = (performance.now() - started) / 1000;
      for (const [i, text] of samples.entries()) {
        const t = performance.now();
        await predict([text]);
        options.onProgress?.("latency", i + 1, samples.length);
        latencies.push(performance.now() - t);
      }
    } finally {
      await predict.release();
    }
    const parameters = model.numParameters();
    return {
      examples: texts.length,
      accuracy: accuracyOf(probabilities, data.map((d) => d.label)),
      latencyP50Ms: quantile(latencies, 0.5),
      latencyP95Ms: quantile(latencies, 0.95),
      latencyTimesMs: latencies,
      throughputPerSecond: texts.length / seconds,
      parameters,
      inMemoryMB: [...model.params.values()].reduce((n, p) => n + p.size * bytesOf(p.dtype), 0) /
        1e6,
      onDiskMB: options.modelDir ? await fileMB(join(options.modelDir, "model.safetensors")) : null,
    };
  },
);

function bytesOf(dtype: tf.DataType): number {
  return dtype === "float32" || dtype === "int32" ? 4 : 1;
}

async function fileMB(path: string): Promise<number | null> {
  try {
    return (await Deno.stat(path)).size / 1e6;
  } catch {
    return null;
  }
}
