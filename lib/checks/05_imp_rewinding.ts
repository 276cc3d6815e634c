// Checks of notebook 05 (iterative magnitude pruning with rewinding) on tiny MLPs: exact
// sparsity numbers, compounding pruning amounts, sparse sizes with index bytes, masked
// weights staying at zero through an optimizer step, and bit-exact rewinding.
import { defineChecks, expectClose, fail, partial, show } from "../grader/checks.ts";
import { initTf, tf } from "../tf.ts";
import { MLP } from "../mlp.ts";
import { globalMagnitudePrune, setMask } from "../prune/magnitude.ts";
import { serializeSparse } from "../sparse_storage.ts";

/** A 6 → 5 → 3 MLP with fixed weights. */
async function tiny(seed = 1): Promise<MLP> {
  await initTf();
  return MLP.create([6, 5, 3], seed);
}

/** The masks of a model as plain arrays. */
function masksOf(m: MLP): Record<string, number[]> {
  return Object.fromEntries([...m.masks].map(([n, t]) => [n, Array.from(t.dataSync())]));
}

export default defineChecks([
  {
    id: "05.global_prune",
    points: 3,
    title: "Global L1 unstructured pruning (compounding)",
    uses: ["pruneGlobalL1"],
    run: async ({ pruneGlobalL1 }) => {
      const f = pruneGlobalL1 as (m: MLP, amount: number) => void;
      const student = await tiny();
      const reference = await tiny();
      try {
        f(student, 0.33);
        globalMagnitudePrune(reference, reference.weightNames(), 0.33);
        const once = JSON.stringify(masksOf(student)) === JSON.stringify(masksOf(reference));
        f(student, 0.33);
        globalMagnitudePrune(reference, reference.weightNames(), 0.33);
        const twice = JSON.stringify(masksOf(student)) === JSON.stringify(masksOf(reference));
        const biases = [...student.masks.keys()].filter((n) => !n.endsWith(".weight"));
        return partial([
          {
            ok: once,
            weight: 2,
            message:
              "masks after one 33% step differ from the reference (global: all weight matrices together, smallest |w| first)",
          },
          {
            ok: twice,
            message:
              "the second 33% step must take 33% of the weights still unpruned (compounding)",
          },
          {
            ok: biases.length === 0,
            message: `biases must not be pruned (masks on ${biases.join(", ")})`,
          },
        ]);
      } finally {
        student.dispose();
        reference.dispose();
      }
    },
  },
  {
    id: "05.sparsity",
    points: 3,
    title: "Sparsity of a parameter, of the pruned parameters, of the model",
    uses: ["calculateSparsity", "calculateSparsityOverall", "calculateSparsityModel"],
    run: async ({ calculateSparsity, calculateSparsityOverall, calculateSparsityModel }) => {
      const m = await tiny();
      try {
        // fc1.weight [5, 6]: 12 of 30 zero; fc2.weight [3, 5]: 5 of 15 zero; biases 8 values.
        tf.tidy(() => {
          setMask(
            m,
            "fc1.weight",
            tf.tensor2d(
              Array.from(
                { length: 5 },
                (_, i) => Array.from({ length: 6 }, (_, j) => ((i * 6 + j) % 5 < 2 ? 0 : 1)),
              ),
            ),
          );
          setMask(
            m,
            "fc2.weight",
            tf.tensor2d(
              Array.from(
                { length: 3 },
                (_, i) =>
                  Array.from({ length: 5 }, (_, j) => (j === i || j === 4 && i < 2 ? 0 : 1)),
              ),
            ),
          );
        });
        const single = tf.tidy(() =>
          (calculateSparsity as (t: tf.Tensor) => number)(m.weight("fc1.weight"))
        );
        const overall = (calculateSparsityOverall as (m: MLP, n: string[]) => number)(m, [
          "fc1.weight",
          "fc2.weight",
        ]);
        const model = (calculateSparsityModel as (m: MLP) => number)(m);
        return partial([
          {
            ok: expectClose(single, 12 / 30, "", 1e-9).fraction === 1,
            message: `calculateSparsity(fc1 weight with 12 of 30 zeros): expected 0.4, got ${
              show(single)
            }`,
          },
          {
            ok: expectClose(overall, 17 / 45, "", 1e-9).fraction === 1,
            message: `calculateSparsityOverall over both weights (17 of 45): expected ${
              17 / 45
            }, got ${show(overall)}`,
          },
          {
            ok: expectClose(model, 17 / 53, "", 1e-9).fraction === 1,
            message: `calculateSparsityModel (17 zeros of 53 values, biases included): expected ${
              17 / 53
            }, got ${show(model)}`,
          },
        ]);
      } finally {
        m.dispose();
      }
    },
  },
  {
    id: "05.sparse_size",
    points: 3,
    title: "Sparse model size with index overhead",
    uses: ["calculateSparseModelSize"],
    run: async ({ calculateSparseModelSize }) => {
      const m = await tiny(4);
      try {
        globalMagnitudePrune(m, m.weightNames(), 0.6);
        const got = (calculateSparseModelSize as (m: MLP) => Record<string, number>)(m);
        const want = {
          denseBytes: serializeSparse(m, "dense").length,
          cooBytes: serializeSparse(m, "coo").length,
          bitmapBytes: serializeSparse(m, "bitmap").length,
        };
        if (!got || typeof got !== "object") {
          return fail(`expected { denseBytes, cooBytes, bitmapBytes }, got ${show(got)}`);
        }
        return partial(
          Object.entries(want).map(([k, v]) => ({
            ok: got[k] === v,
            message: `${k}: expected ${v} bytes (safetensors file of the documented tensors), got ${
              show(got[k])
            }`,
          })),
        );
      } finally {
        m.dispose();
      }
    },
  },
  {
    id: "05.repeated_pruning",
    points: 2,
    title: "Repeated pruning without retraining",
    uses: ["repeatedPruning"],
    run: async ({ repeatedPruning }) => {
      const m = await tiny(3);
      try {
        const rows = (repeatedPruning as (
          m: MLP,
          k: number,
          a: number,
          measure: (m: MLP) => Record<string, number>,
        ) => { iteration: number; sparsity: number }[])(
          m,
          3,
          0.33,
          () => ({ accuracy: 1, latencyMs: 1, diskMB: 1 }),
        );
        if (!Array.isArray(rows) || rows.length !== 4) {
          return fail(`expected rows for iterations 0..3, got ${show(rows)}`);
        }
        // Sparsity over the weight matrices after k steps of 33% of what remains.
        let alive = 45;
        const want = [0];
        for (let k = 1; k <= 3; k++) {
          alive -= Math.round(0.33 * alive);
          want.push(1 - alive / 45);
        }
        return partial(want.map((w, k) => ({
          ok: rows[k]?.iteration === k && Math.abs(rows[k]?.sparsity - w) < 1e-9,
          message: `iteration ${k}: expected sparsity ${
            w.toFixed(4)
          } over the pruned weights, got ${show(rows[k])}`,
        })));
      } finally {
        m.dispose();
      }
    },
  },
  {
    id: "05.imp_iteration",
    points: 4,
    title: "One IMP iteration: prune, rewind to init, retrain",
    uses: ["impIteration"],
    run: async ({ impIteration }) => {
      const m = await tiny(2);
      const init = m.snapshot();
      // Move away from init, as training would.
      tf.tidy(() => {
        for (const p of m.params.values()) {
          p.assign(p.add(tf.randomNormal(p.shape, 0, 0.5, "float32", 7)));
        }
      });
      let rewound = false;
      let zeroAfterStep = false;
      const train = (model: MLP) => {
        const names = [...model.params.keys()];
        const masked = (n: string) => model.masks.get(n)?.dataSync();
        rewound = names.every((n) => {
          const mask = masked(n);
          const now = model.params.get(n)!.dataSync();
          return init.get(n)!.every((v, i) => (mask && mask[i] === 0) || Object.is(now[i], v));
        });
        // One optimizer step on the masked network: pruned weights must stay exactly 0.
        const optimizer = tf.train.adam(0.1);
        tf.tidy(() => {
          optimizer.minimize(
            () => model.forward(tf.ones([2, 6])).square().sum() as tf.Scalar,
            false,
            [...model.params.values()],
          );
        });
        optimizer.dispose();
        zeroAfterStep = model.weightNames().every((n) => {
          const w = tf.tidy(() => model.weight(n).dataSync());
          const mask = masked(n);
          return !mask || w.every((v, i) => mask[i] !== 0 || v === 0);
        });
      };
      try {
        (impIteration as (
          m: MLP,
          init: Map<string, Float32Array>,
          amount: number,
          train: (m: MLP) => void,
        ) => void)(m, init, 0.33, train);
        const pruned = [...m.masks.values()].reduce(
          (s, t) => s + t.size - tf.tidy(() => t.sum().dataSync()[0]),
          0,
        );
        return partial([
          {
            ok: pruned === Math.round(0.33 * 45),
            message: `33% of the 45 weights should be pruned, got ${pruned}`,
          },
          {
            ok: rewound,
            weight: 2,
            message:
              "before retraining, every surviving weight must equal its initial value exactly (rewind)",
          },
          {
            ok: zeroAfterStep,
            message:
              "pruned weights must stay exactly 0 through an optimizer step (keep the masks)",
          },
        ]);
      } finally {
        m.dispose();
      }
    },
  },
]);
