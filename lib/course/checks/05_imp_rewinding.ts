// Checks of notebook 05 (iterative magnitude pruning with rewinding) on tiny MLPs drawn from
// the run's fixtures: masks after compounding pruning steps, exact sparsity numbers, sparse
// sizes with index bytes, and one IMP iteration judged by its outputs (masks from the trained
// weights, surviving weights rewound to init when training starts, the state after a fixed
// optimiser step). References run here on the same MLPs. Scoring: a check pays only when its
// core parts pass (lib/grader/api/check.ts `partial`); each check's comment says why a fixed
// answer passes with probability below 1e-3.
import {
  call,
  defineChecks,
  expectClose,
  fail,
  type Part,
  partial,
  sameValue,
  show,
  value,
} from "../../grader/api/check.ts";
import type { Fixtures } from "../../grader/api/fixtures.ts";
import { type Plain, withObjects } from "../../grader/shared/probe.ts";
import { mlpState, type Recipe } from "../recipes.ts";
import { initTf } from "../../engine/tf.ts";
import type { MLP } from "../../model/mlp.ts";
import { globalMagnitudePrune } from "../../prune/magnitude.ts";
import { serializeSparse } from "../../deploy/sparse_storage.ts";

type MlpState = { params: Record<string, Plain>; masks: Record<string, Plain> };

/** A random small MLP recipe: 3 layers of random widths. */
function mlpRecipe(fx: Fixtures): Recipe & { sizes: number[] } {
  return {
    recipe: "mlp",
    sizes: [fx.int(4, 8), fx.int(3, 6), fx.int(2, 4)],
    seed: fx.int(1, 100_000),
  };
}

/** Random 0/1 masks for the weight matrices of an MLP of `sizes` (about `zeros` zero). */
function randomMasks(fx: Fixtures, sizes: number[], zeros: number): Record<string, number[]> {
  const masks: Record<string, number[]> = {};
  for (let i = 1; i < sizes.length; i++) {
    const n = sizes[i] * sizes[i - 1];
    masks[`fc${i}.weight`] = Array.from({ length: n }, () => (fx.uniform() < zeros ? 0 : 1));
    // Never all zero, never all one: every matrix has a sparsity of its own to measure.
    const [one, zero] = fx.sample(n, 2);
    masks[`fc${i}.weight`][one] = 1;
    masks[`fc${i}.weight`][zero] = 0;
  }
  return masks;
}

/** Weight count of the MLP's matrices. */
function weightCount(sizes: number[]): number {
  return sizes.slice(1).reduce((s, n, i) => s + n * sizes[i], 0);
}

function maskValues(state: MlpState | undefined): Plain {
  return state?.masks ?? null;
}

export default defineChecks([
  {
    id: "05.global_prune",
    points: 3,
    title: "Global L1 unstructured pruning (compounding)",
    uses: ["pruneGlobalL1"],
    // Masks of a random 48-192 weight MLP after two steps of different amounts: a fixed answer
    // (no pruning, or another amount) cannot match. Leaving biases unmasked is secondary.
    run: async ({ student, fx }) => {
      await initTf();
      const recipe: Recipe & { sizes: number[] } = {
        recipe: "mlp",
        sizes: [fx.int(6, 12), fx.int(6, 12), fx.int(2, 4)],
        seed: fx.int(1, 100_000),
      };
      // Two steps of different amounts, 0.15 or more apart (at least 7 weights of 48 or more):
      // an answer that ignores the amount fails one of them.
      const [amount, next] = fx.sample(4, 2).map((k) => [0.2, 0.35, 0.5, 0.65][k]);
      const [once, twice] = await withObjects({ m: recipe }, (o) => {
        const m = o.get("m") as MLP;
        globalMagnitudePrune(m, m.weightNames(), amount);
        const first = mlpState(m) as MlpState;
        globalMagnitudePrune(m, m.weightNames(), next);
        return [first, mlpState(m) as MlpState];
      });
      const [c1, r1, c2, r2] = await student.probe({
        objects: { m: recipe },
        steps: [
          { call: "pruneGlobalL1", args: [{ ref: "m" }, amount] },
          { read: "m", with: "mlp" },
          { call: "pruneGlobalL1", args: [{ ref: "m" }, next] },
          { read: "m", with: "mlp" },
        ],
      });
      value(c1, `pruneGlobalL1(mlp, ${amount})`);
      value(c2, `pruneGlobalL1(mlp, ${next}) next`);
      const got1 = r1.value as unknown as MlpState;
      const got2 = r2.value as unknown as MlpState;
      const biases = Object.keys(got2?.masks ?? {}).filter((n) => !n.endsWith(".weight"));
      return partial([
        {
          ok: sameValue(maskValues(got1), maskValues(once)),
          weight: 2,
          message:
            `masks after one ${amount} step differ from the reference (global: all weight matrices together, smallest |w| first)`,
        },
        {
          ok: sameValue(maskValues(got2), maskValues(twice)),
          message:
            `the second step (${next}) must take ${next} of the weights still unpruned (compounding)`,
        },
        {
          ok: biases.length === 0,
          secondary: true,
          message: `biases must not be pruned (masks on ${biases.join(", ")})`,
        },
      ]);
    },
  },
  {
    id: "05.sparsity",
    points: 3,
    title: "Sparsity of a parameter, of the pruned parameters, of the model",
    uses: ["calculateSparsity", "calculateSparsityOverall", "calculateSparsityModel"],
    // Random masks (20-70% zeros) of a random MLP: three exact fractions a fixed answer
    // matches with probability far below 1e-3.
    run: async ({ student, fx }) => {
      await initTf();
      const recipe = mlpRecipe(fx);
      const masks = randomMasks(fx, recipe.sizes, fx.real(0.2, 0.7, 2));
      const names = Object.keys(masks);
      const one = fx.pick(names);
      const objects: Record<string, Recipe> = {
        m: recipe,
        masked: { recipe: "mlpMasks", of: "m", masks },
        w: { recipe: "mlpWeight", of: "m", name: one },
      };
      const zeros = (n: string) => masks[n].filter((v) => v === 0).length;
      const total = weightCount(recipe.sizes);
      const all = total + recipe.sizes.slice(1).reduce((s, n) => s + n, 0);
      const allZeros = names.reduce((s, n) => s + zeros(n), 0);
      const [single, overall, model] = await student.probe({
        objects,
        steps: [
          { call: "calculateSparsity", args: [{ ref: "w" }] },
          { call: "calculateSparsityOverall", args: [{ ref: "m" }, names] },
          { call: "calculateSparsityModel", args: [{ ref: "m" }] },
        ],
      });
      const parts = [
        [
          single,
          "calculateSparsity",
          zeros(one) / masks[one].length,
          `${one} with ${zeros(one)} of ${masks[one].length} zeros`,
        ],
        [
          overall,
          "calculateSparsityOverall",
          allZeros / total,
          `over the weight matrices (${allZeros} of ${total})`,
        ],
        [
          model,
          "calculateSparsityModel",
          allZeros / all,
          `${allZeros} zeros of ${all} values, biases included`,
        ],
      ] as const;
      return partial(parts.map(([out, name, want, what]) => {
        const got = out.threw !== undefined ? `threw: ${out.threw}` : out.value;
        return {
          ok: expectClose(got as Plain, want, "", 1e-9).fraction === 1,
          message: `${name} (${what}): expected ${want}, got ${show(got)}`,
        };
      }));
    },
  },
  {
    id: "05.sparse_size",
    points: 3,
    title: "Sparse model size with index overhead",
    uses: ["calculateSparseModelSize"],
    // The three sizes are core; their order (bitmap < COO < dense) is secondary.
    run: async ({ student, fx }) => {
      await initTf();
      // Big enough that the tensors, not the file header, decide which format is smaller, and
      // that a fixed answer lands in a size's window (at most ~1 KB of 20-180 KB, three
      // sizes) with probability below 1e-3.
      const recipe = {
        recipe: "mlp" as const,
        sizes: [fx.int(100, 300), fx.int(50, 150), fx.int(5, 20)],
        seed: fx.int(1, 100_000),
      };
      const masks = randomMasks(fx, recipe.sizes, fx.real(0.6, 0.75, 2));
      const objects: Record<string, Recipe> = {
        m: recipe,
        masked: { recipe: "mlpMasks", of: "m", masks },
      };
      // What is fixed: float32 values, int32 indices, one bit per entry, dense biases. The
      // tensor shapes and whether the file's header is counted are the student's choice.
      const weights = Object.values(masks);
      const nnz = weights.reduce((s, m) => s + m.filter((v) => v !== 0).length, 0);
      const biases = recipe.sizes.slice(1).reduce((s, n) => s + n, 0);
      const all = weightCount(recipe.sizes) + biases;
      const tensorBytes = {
        denseBytes: 4 * all,
        cooBytes: 4 * nnz + 4 * nnz + 4 * biases,
        bitmapBytes: 4 * nnz + weights.reduce((s, m) => s + Math.ceil(m.length / 8), 0) +
          4 * biases,
      };
      const fileBytes = await withObjects(objects, (o) => {
        const m = o.get("m") as MLP;
        return {
          denseBytes: serializeSparse(m, "dense").length,
          cooBytes: serializeSparse(m, "coo").length,
          bitmapBytes: serializeSparse(m, "bitmap").length,
        };
      });
      const got = value(
        await call(student, "calculateSparseModelSize", [{ ref: "m" }], { objects }),
        "calculateSparseModelSize(mlp)",
      ) as Record<string, Plain>;
      if (!got || typeof got !== "object") {
        return fail(`expected { denseBytes, cooBytes, bitmapBytes }, got ${show(got)}`);
      }
      // A header adds at most ~100 bytes per tensor (name, dtype, shape, offsets) + 8.
      const slack = 8 + 120 * (2 * weights.length + recipe.sizes.length);
      const parts: Part[] = (Object.keys(tensorBytes) as (keyof typeof tensorBytes)[]).map((k) => {
        const v = got[k];
        const lo = tensorBytes[k];
        return {
          ok: typeof v === "number" && v >= lo && v <= Math.max(lo + slack, fileBytes[k]),
          message: `${k}: the tensors alone take ${lo} bytes (${
            k === "denseBytes"
              ? "4 per value"
              : k === "cooBytes"
              ? `${nnz} non-zeros x (4-byte value + 4-byte int32 index) + dense biases`
              : `${nnz} x 4-byte values + 1 bit per weight + dense biases`
          }), a safetensors file ${fileBytes[k]}; got ${show(v)}`,
        };
      });
      const [d, c, b] = [got.denseBytes, got.cooBytes, got.bitmapBytes] as number[];
      parts.push({
        ok: b < c && c < d,
        secondary: true,
        message: `at ${
          ((1 - nnz / weightCount(recipe.sizes)) * 100).toFixed(0)
        }% sparsity the bitmap file must be smaller than COO, and COO smaller than dense; got ${
          show({ denseBytes: d, cooBytes: c, bitmapBytes: b })
        }`,
      });
      return partial(parts);
    },
  },
  {
    id: "05.repeated_pruning",
    points: 2,
    title: "Repeated pruning without retraining",
    uses: ["repeatedPruning"],
    // Two random MLPs with different iteration counts (1-6) and amounts (0.15 or more apart): a
    // fixed table, or one that ignores the count or the amount, fails one of them.
    run: async ({ student, fx }) => {
      const counts = fx.sample(6, 2).map((k) => k + 1);
      const amounts = fx.sample(5, 2).map((k) => [0.1, 0.25, 0.4, 0.55, 0.7][k]);
      const parts = [];
      for (let c = 0; c < 2; c++) {
        const recipe = mlpRecipe(fx);
        const [iterations, amount] = [counts[c], amounts[c]];
        const what = `repeatedPruning(mlp, ${iterations}, ${amount}, measure)`;
        const [out, after] = await student.probe({
          objects: {
            m: recipe,
            measure: { recipe: "constant", value: { accuracy: 1, latencyMs: 1, diskMB: 1 } },
            prune: { recipe: "magnitudePrune" },
          },
          steps: [
            {
              call: "repeatedPruning",
              args: [{ ref: "m" }, iterations, amount, { ref: "measure" }, { ref: "prune" }],
            },
            { read: "m", with: "mlp" },
          ],
        });
        const rows = value(out, what) as { iteration: number; sparsity: number }[];
        // The model itself ends with the masks of `iterations` compounding steps.
        const wantMasks = await withObjects({ m: recipe }, (o) => {
          const m = o.get("m") as MLP;
          for (let k = 0; k < iterations; k++) globalMagnitudePrune(m, m.weightNames(), amount);
          return (mlpState(m) as MlpState).masks;
        });
        parts.push({
          ok: sameValue((after.value as unknown as MlpState)?.masks ?? null, wantMasks),
          message:
            `${what}: the model passed in must end with the masks of ${iterations} prune(model, ${amount}) calls`,
        });
        // Sparsity over the weight matrices after k steps of `amount` of what remains.
        const total = weightCount(recipe.sizes);
        let alive = total;
        const want = [0];
        for (let k = 1; k <= iterations; k++) {
          alive -= Math.round(amount * alive);
          want.push(1 - alive / total);
        }
        const ok = Array.isArray(rows) && rows.length === iterations + 1 &&
          want.every((w, k) => rows[k]?.iteration === k && Math.abs(rows[k]?.sparsity - w) < 1e-9);
        parts.push({
          ok,
          message: `${what}: expected rows for iterations 0..${iterations} with sparsity ${
            show(want.map((w) => Number(w.toFixed(4))))
          } over the pruned weights, got ${show(rows)}`,
        });
      }
      return partial(parts);
    },
  },
  {
    id: "05.imp_iteration",
    points: 4,
    title: "One IMP iteration: prune, rewind to init, retrain",
    uses: ["impIteration"],
    // Masks, rewound weights and one training step of random MLPs moved away from their
    // init: float states a fixed answer (one that does nothing) cannot match.
    run: async ({ student, fx }) => {
      await initTf();
      // Two MLPs pruned by different amounts, 0.15 or more apart (at least 2 of 18 or more
      // weights): an answer that ignores the amount fails one of them.
      const amounts = fx.sample(4, 2).map((k) => [0.2, 0.35, 0.5, 0.65][k]);
      const parts = [];
      for (const amount of amounts) {
        const recipe = mlpRecipe(fx);
        const objects: Record<string, Recipe> = {
          m: recipe,
          init: { recipe: "mlpSnapshot", of: "m" },
          // Move away from init, as training would: the mask must come from these weights.
          moved: { recipe: "mlpPerturb", of: "m", std: 0.5, seed: fx.int(1, 10_000) },
          prune: { recipe: "magnitudePrune" },
          train: {
            recipe: "adamStep",
            lr: 0.1,
            inputs: [Array.from({ length: recipe.sizes[0] }, () => fx.real(-1, 1))],
          },
        };
        const want = await withObjects(objects, (o) => {
          const m = o.get("m") as MLP;
          globalMagnitudePrune(m, m.weightNames(), amount);
          m.restore(o.get("init") as Map<string, Float32Array>);
          (o.get("train") as (m: MLP) => void)(m);
          return mlpState(m) as MlpState;
        });
        const wantAtTrain = await withObjects(objects, (o) => {
          const m = o.get("m") as MLP;
          globalMagnitudePrune(m, m.weightNames(), amount);
          m.restore(o.get("init") as Map<string, Float32Array>);
          return mlpState(m) as MlpState;
        });
        const [out, after, log] = await student.probe({
          objects,
          steps: [
            {
              call: "impIteration",
              args: [{ ref: "m" }, { ref: "init" }, amount, { ref: "train" }, { ref: "prune" }],
            },
            { read: "m", with: "mlp" },
            { read: "train", with: "log" },
          ],
        });
        value(out, `impIteration(mlp, init, ${amount}, train)`);
        const got = after.value as unknown as MlpState;
        const atTrain = ((log.value ?? []) as Plain[])[0] as unknown as MlpState | undefined;
        const sameMasks = sameValue(maskValues(got), maskValues(want));
        // Surviving weights only: a pruned weight may be kept or zeroed, the mask hides it.
        const close = (a: MlpState | undefined, b: MlpState) =>
          Object.entries(b.params).every(([name, p]) => {
            const q = (a?.params?.[name] as { tensor?: { values: number[] } })?.tensor?.values;
            const r = (p as { tensor: { values: number[] } }).tensor.values;
            const mask = (b.masks[name] as { tensor?: { values: number[] } })?.tensor?.values;
            return q?.length === r.length &&
              r.every((v, i) => mask?.[i] === 0 || Math.abs(v - q[i]) <= 1e-5);
          });
        parts.push(
          {
            ok: sameMasks,
            message:
              `masks: ${amount} of the weights pruned by the magnitude of the trained weights (not the initial ones)`,
          },
          {
            ok: atTrain !== undefined && close(atTrain, wantAtTrain),
            weight: 2,
            message: atTrain === undefined
              ? "train(model) was never called"
              : "when train(model) starts, every weight must equal its initial value (rewind), with the new masks",
          },
          {
            ok: close(got, want),
            message:
              "after train(model) the weights differ from the reference (keep the masks, train once)",
          },
        );
      }
      return partial(parts);
    },
  },
]);
