// Checks of notebook 03 (head importance). Each draws a small random model (with large
// weights, so that heads differ clearly) and padded batches of random token ids from the
// run's fixtures; references come from lib/importance, computed here. Scores are floats of
// a random model compared within 1e-4: a fixed answer passes with probability ~0. Scoring:
// a check pays only when its core parts pass (lib/grader/api/check.ts `partial`).
import {
  call,
  defineChecks,
  fail,
  partial,
  sameValue,
  show,
  type Student,
  value,
} from "../../grader/api/check.ts";
import type { Fixtures } from "../../grader/api/fixtures.ts";
import { type Plain, withObjects } from "../../grader/shared/probe.ts";
import { type Recipe } from "../recipes.ts";
import type { DistilBertForSequenceClassification } from "../../model/distilbert.ts";
import type { CalibrationBatch } from "../../importance/calibration.ts";
import { ablationImportance } from "../../importance/ablation.ts";
import { entropyImportance } from "../../importance/entropy.ts";
import { gradientImportance } from "../../importance/gradient.ts";
import { spearman } from "../../evaluation/stats.ts";
import { distilbertRecipe, randomConfig } from "../tiny_distilbert.ts";
import { initTf, tf } from "../../engine/tf.ts";

type Model = DistilBertForSequenceClassification;
type Scores = (m: Model, b: CalibrationBatch[]) => number[][];

/**
 * A random 2-3 layer model with large weights and two padded batches of random ids (`rows`
 * sentences in all, the last one a single token).
 *
 * @example
 * ```ts
 * const objects = setting(fx, 8); // { model, batches }: two batches of 4
 * ```
 */
export function setting(fx: Fixtures, rows = 4): Record<string, Recipe> {
  const config = randomConfig(fx, { n_layers: fx.int(2, 3), max_position_embeddings: 12 });
  const ids = Array.from({ length: rows }, (_, r) => {
    const length = r === rows - 1 ? 1 : fx.int(2, 7);
    return Array.from(
      { length: 7 },
      (_, j) => (j < length ? fx.int(1, config.vocab_size! - 1) : 0),
    );
  });
  const order = fx.shuffled(Array.from({ length: rows }, (_, i) => i));
  const half = rows / 2;
  return {
    model: distilbertRecipe(fx, config, { scale: fx.int(6, 9) }),
    batches: {
      recipe: "batches",
      ids,
      labels: ids.map(() => fx.int(0, 1)),
      groups: [order.slice(0, half).sort((a, b) => a - b), order.slice(half).sort((a, b) => a - b)],
    },
  };
}

/** The reference scores of a setting, computed here. */
export async function reference(
  objects: Record<string, Recipe>,
  scores: Scores,
): Promise<number[][]> {
  await initTf();
  return withObjects(
    objects,
    (o) => scores(o.get("model") as Model, o.get("batches") as CalibrationBatch[]),
  );
}

/** Max |difference| of two score matrices, or undefined when the shapes differ. */
export function worstDifference(want: number[][], got: Plain): number | undefined {
  if (
    !Array.isArray(got) || got.length !== want.length ||
    got.some((row, l) => !Array.isArray(row) || row.length !== want[l].length)
  ) {
    return undefined;
  }
  return Math.max(
    ...want.flatMap((row, l) => row.map((v, h) => Math.abs(v - Number((got[l] as Plain[])[h])))),
  );
}

/**
 * Entropy importance pooled over every real query token of the calibration set at once (the
 * other averaging the notebook's prose allows; the reference averages per sentence first).
 */
function entropyTokenPooled(model: Model, batches: CalibrationBatch[]): number[][] {
  let sums: number[][] | undefined;
  let tokens = 0;
  for (const { inputIds, attentionMask } of batches) {
    const batch = inputIds.shape[0];
    const perLayer = tf.tidy(() => {
      const { attentions } = model.forward(inputIds, attentionMask, { outputAttentions: true });
      const m = attentionMask.toFloat();
      tokens += m.sum().dataSync()[0];
      const lengths = m.sum(1);
      const norm = tf.log(tf.maximum(lengths, 2)).reshape([batch, 1, 1]);
      const single = lengths.greater(1).toFloat().reshape([batch, 1, 1]);
      const queries = m.reshape([batch, 1, -1]);
      return attentions!.map((w) => {
        const entropy = tf.neg(w.mul(tf.log(w.add(1e-12)))).sum(-1);
        return Array.from(entropy.div(norm).mul(single).mul(queries).sum(-1).sum(0).dataSync());
      });
    });
    sums = sums ? sums.map((row, l) => row.map((v, h) => v + perLayer[l][h])) : perLayer;
  }
  return (sums ?? []).map((row) => row.map((v) => 1 - v / tokens));
}

/** Compares a student's scores function with the reference(s) on a fresh setting. */
async function compareScores(
  student: Student,
  name: string,
  reference_: Scores,
  fx: Fixtures,
  tol: number,
  alternative?: Scores,
  rows = 4,
) {
  const objects = setting(fx, rows);
  const want = await reference(objects, reference_);
  const other = alternative ? await reference(objects, alternative) : undefined;
  const what = `${name}(model, batches)`;
  const got = value(
    await call(student, name, [{ ref: "model" }, { ref: "batches" }], { objects }),
    what,
  );
  const first = worstDifference(want, got);
  if (first === undefined) {
    return fail(`${what}: expected a [${want.length}][${want[0].length}] array, got ${show(got)}`);
  }
  const second = other ? worstDifference(other, got) ?? Infinity : Infinity;
  const worst = Number.isNaN(first) ? NaN : Math.min(first, second);
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
}

export default defineChecks([
  {
    id: "03.ablation",
    points: 4,
    title: "Ablation importance with batched head masks",
    uses: ["ablationImportance"],
    // Float scores of a random model within 1e-5: a fixed answer cannot match. Batching the
    // head masks (the number of forward passes) is secondary.
    run: async ({ student, fx }) => {
      const objects = setting(fx);
      const layers = objects.model.recipe === "distilbert" ? objects.model.config.n_layers! : 0;
      const want = await reference(objects, ablationImportance);
      const [out, calls] = await student.probe({
        objects,
        steps: [
          { call: "ablationImportance", args: [{ ref: "model" }, { ref: "batches" }] },
          { read: "model", with: "calls" },
        ],
      });
      const got = value(out, "ablationImportance(model, batches)");
      const worst = worstDifference(want, got) ?? Infinity;
      const passes = calls.value as number;
      const limit = 2 * (1 + layers);
      return partial([
        {
          ok: worst <= 1e-5,
          weight: 3,
          message: `scores: expected ${show(want)}, got ${show(got)}`,
        },
        {
          ok: passes <= limit,
          secondary: true,
          message:
            `${passes} model calls for ${want.flat().length} heads and 2 batches: batch the head masks (at most ${limit})`,
        },
      ]);
    },
  },
  {
    id: "03.entropy",
    points: 3,
    title: "Entropy importance over real keys",
    uses: ["entropyImportance"],
    // Float scores of a random model within 1e-4: a fixed answer cannot match.
    run: ({ student, fx }) =>
      compareScores(
        student,
        "entropyImportance",
        entropyImportance,
        fx,
        1e-4,
        entropyTokenPooled,
      ),
  },
  {
    id: "03.gradient",
    points: 3,
    title: "Gradient importance (Michel et al.)",
    uses: ["gradientImportance"],
    // Batches of 4: |Σ| over a batch differs from Σ|·| whenever a head's per-example
    // gradients differ in sign, which four examples make near certain.
    run: ({ student, fx }) =>
      compareScores(student, "gradientImportance", gradientImportance, fx, 1e-4, undefined, 8),
  },
  {
    id: "03.rank_heads",
    points: 1,
    title: "Rank heads",
    uses: ["rankHeads"],
    // 4-16 distinct scores drawn from 1000 values, in random order: a fixed ranking (which
    // carries the scores) matches with probability ~0.
    run: async ({ student, fx }) => {
      const [layers, heads] = [fx.int(2, 4), fx.int(2, 4)];
      const values = fx.shuffled(fx.sample(1000, layers * heads).map((k) => (k + 1) / 1000));
      const scores = Array.from(
        { length: layers },
        (_, l) => values.slice(l * heads, (l + 1) * heads),
      );
      const want = scores.flatMap((row, layer) =>
        row.map((score, head) => ({ layer, head, score }))
      )
        .sort((a, b) => b.score - a.score);
      const what = `rankHeads(${show(scores)})`;
      const got = value(await call(student, "rankHeads", [scores]), what);
      // Compare the fields that matter, whatever their order or any extra fields.
      const trimmed = Array.isArray(got)
        ? got.map((g) => {
          const o = (g ?? {}) as Record<string, Plain>;
          return { layer: o.layer, head: o.head, score: o.score };
        })
        : got;
      return sameValue(trimmed, want)
        ? { fraction: 1, message: "heads ranked from most to least important" }
        : fail(`${what}: expected ${show(want)}, got ${show(got)}`);
    },
  },
  {
    id: "03.spearman",
    points: 2,
    title: "Spearman correlation between rankings",
    uses: ["spearmanCorrelation"],
    // Three random pairs (4-8 values, one with ties): a fixed answer matches all three with
    // probability ~0.
    run: async ({ student, fx }) => {
      const cases = Array.from({ length: 3 }, (_, k) => {
        const n = fx.int(4, 8);
        // The last case has ties on both sides.
        const draw = () =>
          Array.from({ length: n }, () => (k === 2 ? fx.int(1, 3) : fx.real(0, 1)));
        let a = draw();
        let b = draw();
        while (new Set(a).size < 2 || new Set(b).size < 2) [a, b] = [draw(), draw()];
        return [a, b] as [number[], number[]];
      });
      const parts = [];
      for (const [a, b] of cases) {
        const what = `spearmanCorrelation(${show(a)}, ${show(b)})`;
        const got = value(await call(student, "spearmanCorrelation", [a, b]), what);
        const want = spearman(a, b);
        parts.push({
          ok: typeof got === "number" && Math.abs(got - want) < 1e-9,
          message: `${what}: expected ${want}, got ${show(got)} (ties take their average rank)`,
        });
      }
      return partial(parts);
    },
  },
]);
