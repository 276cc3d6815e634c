// Checks of notebook 03 (head importance). References come from lib/importance on a small
// random model and fixed calibration batches built here, at check time.
import { defineChecks, fail, partial, show } from "../grader/checks.ts";
import { tf } from "../tf.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { tinyDistilBert } from "./tiny_distilbert.ts";
import { type CalibrationBatch, disposeBatches } from "../importance/calibration.ts";
import { ablationImportance } from "../importance/ablation.ts";
import { entropyImportance } from "../importance/entropy.ts";
import { gradientImportance } from "../importance/gradient.ts";
import { spearman } from "../stats.ts";

type Model = DistilBertForSequenceClassification;
type Scores = (m: Model, b: CalibrationBatch[]) => number[][];

/** A 3-layer x 4-head random model and two padded batches of random token ids. */
async function setting(): Promise<{ model: Model; batches: CalibrationBatch[] }> {
  const model = await tinyDistilBert({ max_position_embeddings: 16 }, 11);
  // Bigger weights than the default init, so that heads differ clearly.
  tf.tidy(() => {
    for (const p of model.params.values()) p.assign(p.mul(8));
  });
  const ids = [[5, 9, 14, 3, 22, 7], [8, 31, 2, 0, 0, 0], [12, 4, 4, 19, 27, 0], [
    30,
    1,
    0,
    0,
    0,
    0,
  ]];
  const masks = ids.map((r) => r.map((v, i) => (v !== 0 || i === 0 ? 1 : 0)));
  const batches = [[0, 1], [2, 3]].map((rows) => ({
    inputIds: tf.tensor2d(rows.map((r) => ids[r]), undefined, "int32"),
    attentionMask: tf.tensor2d(rows.map((r) => masks[r]), undefined, "int32"),
    labels: rows.map((r) => r % 2),
  }));
  return { model, batches };
}

/** Frees the check setting's model and batches. */
function release({ model, batches }: { model: Model; batches: CalibrationBatch[] }): void {
  model.dispose();
  disposeBatches(batches);
}

/** Compares a student's scores function with the reference on the check setting. */
async function compareScores(f: unknown, reference: Scores, what: string, tol: number) {
  const setup = await setting();
  try {
    const want = reference(setup.model, setup.batches);
    const got = (f as Scores)(setup.model, setup.batches);
    if (
      !Array.isArray(got) || got.length !== want.length ||
      got.some((row, l) => !Array.isArray(row) || row.length !== want[l].length)
    ) {
      return fail(`${what}: expected a [3][4] array of scores, got ${show(got)}`);
    }
    const worst = Math.max(
      ...want.flatMap((row, l) => row.map((v, h) => Math.abs(v - Number(got[l][h])))),
    );
    return worst <= tol
      ? {
        fraction: 1,
        message: `${what} matches the reference (max difference ${worst.toExponential(1)})`,
      }
      : fail(
        `${what}: expected ${show(want)}, got ${show(got)} (max difference ${
          worst.toPrecision(3)
        } > ${tol})`,
      );
  } finally {
    release(setup);
  }
}

export default defineChecks([
  {
    id: "03.ablation",
    points: 4,
    title: "Ablation importance with batched head masks",
    uses: ["ablationImportance"],
    run: async ({ ablationImportance: f }) => {
      const { model, batches } = await setting();
      // Count passes: batched masks need at most 1 + n_layers model calls per batch.
      let calls = 0;
      const forward = model.forward.bind(model);
      const forwardFrom = model.forwardFrom.bind(model);
      model.forward = (...a: Parameters<Model["forward"]>) => (calls++, forward(...a));
      model.forwardFrom = (...a: Parameters<Model["forwardFrom"]>) => (calls++, forwardFrom(...a));
      try {
        const got = (f as Scores)(model, batches);
        const passes = calls;
        model.forward = forward;
        model.forwardFrom = forwardFrom;
        const want = ablationImportance(model, batches);
        const worst = Array.isArray(got) && got.length === 3
          ? Math.max(
            ...want.flatMap((row, l) => row.map((v, h) => Math.abs(v - Number(got[l]?.[h])))),
          )
          : Infinity;
        return partial([
          {
            ok: worst <= 1e-5,
            weight: 3,
            message: `scores: expected ${show(want)}, got ${show(got)}`,
          },
          {
            ok: passes <= 2 * (1 + 3),
            message:
              `${passes} model calls for 12 heads and 2 batches: batch the head masks (at most ${
                2 * (1 + 3)
              })`,
          },
        ]);
      } finally {
        release({ model, batches });
      }
    },
  },
  {
    id: "03.entropy",
    points: 3,
    title: "Entropy importance over real keys",
    uses: ["entropyImportance"],
    run: ({ entropyImportance: f }) => {
      return compareScores(f, entropyImportance, "entropy importance", 1e-4);
    },
  },
  {
    id: "03.gradient",
    points: 3,
    title: "Gradient importance (Michel et al.)",
    uses: ["gradientImportance"],
    run: ({ gradientImportance: f }) => {
      return compareScores(f, gradientImportance, "gradient importance", 1e-4);
    },
  },
  {
    id: "03.rank_heads",
    points: 1,
    title: "Rank heads",
    uses: ["rankHeads"],
    run: ({ rankHeads }) => {
      const got =
        (rankHeads as (s: number[][]) => { layer: number; head: number; score: number }[])([[
          0.2,
          0.9,
        ], [0.5, 0.1]]);
      const want = [{ layer: 0, head: 1, score: 0.9 }, { layer: 1, head: 0, score: 0.5 }, {
        layer: 0,
        head: 0,
        score: 0.2,
      }, { layer: 1, head: 1, score: 0.1 }];
      return JSON.stringify(got) === JSON.stringify(want)
        ? { fraction: 1, message: "heads ranked from most to least important" }
        : fail(`rankHeads([[0.2, 0.9], [0.5, 0.1]]): expected ${show(want)}, got ${show(got)}`);
    },
  },
  {
    id: "03.spearman",
    points: 2,
    title: "Spearman correlation between rankings",
    uses: ["spearmanCorrelation"],
    run: ({ spearmanCorrelation }) => {
      const f = spearmanCorrelation as (a: number[], b: number[]) => number;
      const cases: [number[], number[]][] = [[[1, 2, 3, 4, 5], [5, 6, 7, 8, 7]], [[0.3, 0.1, 0.2], [
        3,
        2,
        1,
      ]], [[1, 1, 2, 3], [4, 3, 2, 1]]];
      return partial(cases.map(([a, b]) => ({
        ok: Math.abs(f(a, b) - spearman(a, b)) < 1e-9,
        message: `spearman(${show(a)}, ${show(b)}): expected ${spearman(a, b)}, got ${
          show(f(a, b))
        } (ties take their average rank)`,
      })));
    },
  },
]);
