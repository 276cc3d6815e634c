// Per-layer sensitivity (as in Han et al. 2015 and NNI's sensitivity analysis): prune one
// layer at a time at several rates, measure accuracy, and give each layer a pruning budget
// where it costs least. Uniform rates are rarely optimal: some layers tolerate much more.
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { ffnDims, headCounts } from "../model/config.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import type { TextTokenizer } from "../data/tokenizer.ts";
import { accuracyOf, type Engine, predictor } from "../evaluation/predict.ts";
import { lowestPerLayer } from "./plan.ts";

/** Options of `sensitivityScan`. */
export interface SensitivityOptions {
  /** Pruning rates to try in each layer, each in (0, 1). */
  rates: number[];
  /** Prune attention heads (head masks) or FFN neurons (lin2 columns zeroed). */
  kind: "heads" | "ffn";
  /** Importance `[layer][unit]` (higher = more important); each rate prunes the lowest. */
  importance: number[][];
  /** Default onnxruntime: an FFN rate costs one export, a head rate only a head mask. */
  engine?: Engine;
  batchSize?: number;
}

/** What `sensitivityScan` measured. */
export interface SensitivityScan {
  kind: "heads" | "ffn";
  rates: number[];
  /** Accuracy with nothing pruned. */
  baseline: number;
  /** `accuracy[layer][r]`: only that layer pruned at `rates[r]`. */
  accuracy: number[][];
  /** Heads or FFN neurons per layer. */
  units: number[];
  seconds: number;
}

/**
 * Accuracy on `sentences` when only one layer is pruned, for every layer and rate. Heads are
 * masked (one model, no copies); FFN neurons are removed by zeroing their lin2 columns
 * (exactly what removing them computes), restored afterwards.
 *
 * @example
 * ```ts
 * const scan = await sensitivityScan(model, tokenizer, texts, labels, {
 *   rates: [0.25, 0.5, 0.75], kind: "heads", importance: ablationScores,
 * });
 * scan.accuracy[5]; // layer 5 at 25%, 50%, 75% of its heads
 * ```
 */
export async function sensitivityScan(
  model: DistilBertForSequenceClassification,
  tokenizer: TextTokenizer,
  sentences: string[],
  labels: number[],
  options: SensitivityOptions,
): Promise<SensitivityScan> {
  const { rates, kind, importance, engine = "onnxruntime", batchSize = 64 } = options;
  if (kind !== "heads" && kind !== "ffn") {
    throw new Error(`sensitivityScan: kind "${kind}" must be "heads" or "ffn"`);
  }
  if (rates.length === 0) throw new Error("sensitivityScan: rates is empty");
  for (const r of rates) {
    if (!(r >= 0 && r < 1)) throw new Error(`sensitivityScan: rate ${r} is not in [0, 1)`);
  }
  if (sentences.length === 0 || sentences.length !== labels.length) {
    throw new Error(
      `sensitivityScan: ${sentences.length} sentences and ${labels.length} labels (need as many, at least one)`,
    );
  }
  const units = kind === "heads" ? headCounts(model.config) : ffnDims(model.config);
  if (
    importance.length !== units.length || importance.some((row, l) => row.length !== units[l])
  ) {
    throw new Error(
      `sensitivityScan: importance has shape [${
        importance.map((r) => r.length)
      }]; expected one score per ${kind === "heads" ? "head" : "neuron"}: [${units}]`,
    );
  }
  const started = performance.now();
  const accuracy: number[][] = units.map(() => []);
  let baseline: number;
  if (kind === "heads") {
    const run = await predictor(model, tokenizer, engine);
    try {
      baseline = accuracyOf(await run(sentences, { batchSize }), labels);
      for (let l = 0; l < units.length; l++) {
        for (const rate of rates) {
          const pruned = lowestPerLayer([importance[l]], rate)["0"] ?? [];
          const headMask = units.map((n, i) =>
            Array.from({ length: n }, (_, h) => (i === l && pruned.includes(h) ? 0 : 1))
          );
          accuracy[l].push(accuracyOf(await run(sentences, { batchSize, headMask }), labels));
        }
      }
    } finally {
      await run.release();
    }
  } else {
    const evaluate = async () => {
      const run = await predictor(model, tokenizer, engine);
      try {
        return accuracyOf(await run(sentences, { batchSize }), labels);
      } finally {
        await run.release();
      }
    };
    baseline = await evaluate();
    for (let l = 0; l < units.length; l++) {
      const w2 = model.param(`distilbert.transformer.layer.${l}.ffn.lin2.weight`);
      const original = tf.clone(w2);
      try {
        for (const rate of rates) {
          const pruned = lowestPerLayer([importance[l]], rate)["0"] ?? [];
          // Zeroing column n of lin2 removes neuron n's contribution: the same logits as pruning.
          tf.tidy(() => {
            const keep = tf.tensor1d(
              Array.from({ length: units[l] }, (_, n) => (pruned.includes(n) ? 0 : 1)),
            );
            w2.assign(original.mul(keep.reshape([1, -1])));
          });
          accuracy[l].push(await evaluate());
        }
      } finally {
        w2.assign(original);
        original.dispose();
      }
    }
  }
  return {
    kind,
    rates: [...rates],
    baseline,
    accuracy,
    units,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Per-layer budgets: the rate and the number of units to prune in each layer. */
export interface LayerBudgets {
  rates: number[];
  counts: number[];
}

/**
 * Per-layer pruning budgets from a sensitivity scan. With `target` (a fraction of all units
 * in [0, 1)): a greedy allocation, one unit at a time, to the layer whose accuracy curve
 * (piecewise linear between the scanned rates, from the baseline at 0) drops least for its
 * next unit (ties: the layer pruned least so far, then the lower layer), never beyond a
 * layer's largest scanned rate; the counts sum to `Math.round(target · total units)`. With
 * `maxDrop` (accuracy, e.g. 0.01): each layer gets the largest scanned rate up to which no
 * scanned accuracy is more than `maxDrop` below the baseline.
 *
 * @example
 * ```ts
 * const { rates, counts } = budgetsFromSensitivity(scan, { target: 0.3 });
 * counts.reduce((a, b) => a + b); // Math.round(0.3 * 72) = 22 heads
 * ```
 */
export const budgetsFromSensitivity = courseReference(
  "06.sensitivity_budgets",
  function budgetsFromSensitivity(
    scan: Pick<SensitivityScan, "rates" | "baseline" | "accuracy" | "units">,
    budget: { target: number } | { maxDrop: number },
  ): LayerBudgets {
    const { rates, baseline, accuracy, units } = scan;
    // Each layer's curve: (0, baseline) then its scanned points, by rate.
    const curves = accuracy.map((row) => {
      const points = rates.map((r, i) => [r, row[i]]).filter(([r]) => r > 0);
      return [[0, baseline], ...points].sort((a, b) => a[0] - b[0]);
    });
    const maxRate = Math.max(0, ...rates);
    if ("maxDrop" in budget) {
      if (!(budget.maxDrop >= 0)) {
        throw new Error(`budgetsFromSensitivity: maxDrop ${budget.maxDrop} must be ≥ 0`);
      }
      const chosen = curves.map((curve) => {
        let best = 0;
        for (const [r, acc] of curve) {
          if (acc < baseline - budget.maxDrop) break;
          best = r;
        }
        return best;
      });
      const counts = chosen.map((r, l) => Math.round(r * units[l]));
      return { rates: counts.map((c, l) => c / units[l]), counts };
    }
    const { target } = budget;
    if (!(target >= 0 && target < 1)) {
      throw new Error(`budgetsFromSensitivity: target ${target} is not in [0, 1)`);
    }
    const total = units.reduce((a, b) => a + b, 0);
    const wanted = Math.round(target * total);
    const caps = units.map((n) => Math.floor(maxRate * n + 1e-9));
    const capacity = caps.reduce((a, b) => a + b, 0);
    if (wanted > capacity) {
      throw new Error(
        `budgetsFromSensitivity: target ${target} needs ${wanted} units but the scan reaches only ${capacity} (its largest rate is ${maxRate})`,
      );
    }
    const at = (curve: number[][], x: number) => {
      for (let i = 1; i < curve.length; i++) {
        const [x0, y0] = curve[i - 1];
        const [x1, y1] = curve[i];
        if (x <= x1 + 1e-12) return x1 === x0 ? y1 : y0 + (y1 - y0) * (x - x0) / (x1 - x0);
      }
      return curve[curve.length - 1][1];
    };
    const counts = units.map(() => 0);
    for (let k = 0; k < wanted; k++) {
      let pick = -1;
      let pickCost = Infinity;
      for (let l = 0; l < units.length; l++) {
        if (counts[l] >= caps[l]) continue;
        const n = units[l];
        const cost = at(curves[l], counts[l] / n) - at(curves[l], (counts[l] + 1) / n);
        const better = cost < pickCost - 1e-12 ||
          (Math.abs(cost - pickCost) <= 1e-12 && counts[l] / n < counts[pick] / units[pick]);
        if (pick < 0 || better) {
          pick = l;
          pickCost = cost;
        }
      }
      counts[pick]++;
    }
    return { rates: counts.map((c, l) => c / units[l]), counts };
  },
);
