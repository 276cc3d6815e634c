// Per-sentence predictions for error analysis and for comparing engines row by row:
// `sentence,label,prediction,p_positive` for each input row, in input order.
import type { LabelledSentence } from "../data/sst2.ts";

/** One row of a predictions file. */
export interface PredictionRow {
  sentence: string;
  label: number;
  /** The most probable class id. */
  prediction: number;
  /** Probability of the class named POSITIVE in `id2label` (class 1 when none is). */
  p_positive: number;
}

/**
 * The prediction rows of labelled sentences and their class probabilities (same order).
 *
 * @example
 * ```ts
 * predictionRows([{ sentence: "great", label: 1 }], [[0.1, 0.9]]);
 * // [{ sentence: "great", label: 1, prediction: 1, p_positive: 0.9 }]
 * ```
 */
export function predictionRows(
  data: LabelledSentence[],
  probabilities: number[][],
  id2label?: Record<string, string>,
): PredictionRow[] {
  if (probabilities.length !== data.length) {
    throw new Error(
      `predictionRows: ${probabilities.length} probability rows for ${data.length} sentences`,
    );
  }
  const named = Object.entries(id2label ?? {}).find(([, name]) =>
    name.toUpperCase() === "POSITIVE"
  );
  const positive = named ? Number(named[0]) : 1;
  return data.map((d, i) => {
    const p = probabilities[i];
    return {
      sentence: d.sentence,
      label: d.label,
      prediction: p.indexOf(Math.max(...p)),
      p_positive: p[positive],
    };
  });
}
