// Measures a trained model folder's shipped weights: SST-2 dev and data/reviews.csv accuracy on
// tfjs, and the same dev pass on onnxruntime (the model's ONNX export), with the time each took.
import { backendThreads } from "lib/engine/tf.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";
import { accuracyOf, predictor, predictProbabilities } from "lib/evaluation/predict.ts";
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
  /** The same dev pass on onnxruntime-node (the exported ONNX model). */
  onnxDevSeconds?: number;
  onnxDevAccuracy?: number;
}

/**
 * The figures of `eval.json`: accuracies on SST-2 dev and the product reviews (tfjs) and the
 * dev pass on onnxruntime, with their times.
 *
 * @example
 * ```ts
 * const measured = await measureShipped(model, tokenizer);
 * measured.devAccuracy; // 0.8154
 * ```
 */
export async function measureShipped(
  model: DistilBertForSequenceClassification,
  tokenizer: TextTokenizer,
): Promise<ShippedEval> {
  const dev = await loadSst2("validation");
  const reviews = await readLabelledFile(REVIEWS_CSV);
  const labels = dev.map((d) => d.label);
  const started = performance.now();
  const devProbs = predictProbabilities(model, tokenizer, dev.map((d) => d.sentence));
  const devSeconds = (performance.now() - started) / 1000;
  const threads = await backendThreads();
  const onnx = await predictor(model, tokenizer, "onnxruntime");
  const onnxStarted = performance.now();
  const onnxProbs = await onnx(dev.map((d) => d.sentence));
  const onnxDevSeconds = (performance.now() - onnxStarted) / 1000;
  await onnx.release();
  return {
    devSeconds,
    devAccuracy: accuracyOf(devProbs, labels),
    devExamples: dev.length,
    reviewsAccuracy: accuracyOf(
      predictProbabilities(model, tokenizer, reviews.map((r) => r.sentence)),
      reviews.map((r) => r.label),
    ),
    reviewsExamples: reviews.length,
    threads,
    onnxDevSeconds,
    onnxDevAccuracy: accuracyOf(onnxProbs, labels),
  };
}
