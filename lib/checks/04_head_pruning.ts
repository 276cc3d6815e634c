// Checks of notebook 04 (head pruning). References: lib/prune on small random models, and
// small worked examples computed here.
import { defineChecks, expectEqual, fail, partial, show } from "../grader/checks.ts";
import { initTf, tf } from "../tf.ts";
import type { DistilBertForSequenceClassification } from "../model/distilbert.ts";
import { tinyDistilBert } from "./tiny_distilbert.ts";
import { pruneHeads, type PruningPlan } from "../prune/heads.ts";
import { quantile } from "../evaluation.ts";

type Model = DistilBertForSequenceClassification;
type Head = { layer: number; head: number };
type Int64Feed = { type: string; data: unknown; dims: unknown };
type Latency = { p50: number; p95: number; times: number[] };

/** The checks' tiny model with this notebook's sizes. */
function tinyModel(seed: number): Promise<Model> {
  return tinyDistilBert({ vocab_size: 30, max_position_embeddings: 8, hidden_dim: 20 }, seed);
}

/** Max |difference| between two models' parameters of the same names and shapes. */
function sameParameters(a: Model, b: Model): string | undefined {
  for (const [name, p] of b.params) {
    const q = a.params.get(name);
    if (!q) return `parameter ${name} is missing`;
    if (q.shape.join() !== p.shape.join()) {
      return `${name} has shape [${q.shape}]; expected [${p.shape}]`;
    }
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(q, p))).dataSync()[0]);
    if (diff > 0) return `${name} differs from the reference by up to ${diff}`;
  }
  return undefined;
}

export default defineChecks([
  {
    id: "04.select_heads",
    points: 2,
    title: "Select the least important heads",
    uses: ["selectHeadsToPrune"],
    run: ({ selectHeadsToPrune }) => {
      const f = selectHeadsToPrune as (
        s: number[][],
        rate?: number,
        o?: { keepOneHeadPerLayer?: boolean },
      ) => Head[];
      const plain = f([[0.5, 0.1, 0.9], [0.2, 0.3, 0.05]], 0.5);
      const keep = f([[0.01, 0.02], [0.5, 0.6]], 0.5, { keepOneHeadPerLayer: true });
      const byDefault = f([[0.5, 0.1, 0.9, 0.4, 0.7], [0.2, 0.3, 0.05, 0.6, 0.8]]);
      let badRate = "no error";
      try {
        f([[0.1, 0.2]], 1.5);
      } catch (e) {
        badRate = (e as Error).message;
      }
      return partial([
        {
          ok: JSON.stringify(plain) ===
            JSON.stringify([{ layer: 1, head: 2 }, { layer: 0, head: 1 }, { layer: 1, head: 0 }]),
          message: `rate 0.5 of 6 heads: expected the 3 lowest, least important first, got ${
            show(plain)
          }`,
        },
        {
          ok:
            JSON.stringify(keep) === JSON.stringify([{ layer: 0, head: 0 }, { layer: 1, head: 0 }]),
          message: `keepOneHeadPerLayer: layer 0 must keep a head; got ${show(keep)}`,
        },
        {
          ok: Array.isArray(byDefault) && byDefault.length === 3,
          message: `default rate 0.3 of 10 heads: expected 3 heads, got ${show(byDefault)}`,
        },
        {
          ok: /rate/.test(badRate),
          message: `rate 1.5 must throw an error naming the rate, got: ${badRate}`,
        },
      ]);
    },
  },
  {
    id: "04.pruning_plan",
    points: 1,
    title: "The pruning plan in Hugging Face's format",
    uses: ["toPruningPlan"],
    run: ({ toPruningPlan }) =>
      expectEqual(
        (toPruningPlan as (h: Head[]) => PruningPlan)([
          { layer: 1, head: 2 },
          { layer: 0, head: 1 },
          { layer: 1, head: 0 },
        ]),
        { "0": [1], "1": [0, 2] },
        "toPruningPlan([L1H2, L0H1, L1H0])",
      ),
  },
  {
    id: "04.prune_heads",
    points: 4,
    title: "Physical head pruning (HF semantics)",
    uses: ["pruneHeads"],
    run: async ({ pruneHeads: f }) => {
      const student = await tinyModel(5);
      const reference = await tinyModel(5);
      try {
        const prune = f as (m: Model, p: PruningPlan) => void;
        prune(student, { "0": [1, 3], "2": [0] });
        pruneHeads(reference, { "0": [1, 3], "2": [0] });
        const first = sameParameters(student, reference);
        const config1 = JSON.stringify(student.config.pruned_heads) ===
          JSON.stringify(reference.config.pruned_heads);
        // Original indices: head 3 of layer 0 is already gone, head 2 is still there.
        prune(student, { "0": [3, 2] });
        pruneHeads(reference, { "0": [3, 2] });
        const second = sameParameters(student, reference);
        return partial([
          { ok: !first, weight: 2, message: `after pruning {0: [1, 3], 2: [0]}: ${first}` },
          {
            ok: config1,
            message: `config.pruned_heads: expected ${show(reference.config.pruned_heads)}, got ${
              show(student.config.pruned_heads)
            }`,
          },
          {
            ok: !second,
            message: `pruning {0: [3, 2]} next (original indices; 3 is already pruned): ${second}`,
          },
        ]);
      } finally {
        student.dispose();
        reference.dispose();
      }
    },
  },
  {
    id: "04.head_mask",
    points: 1,
    title: "The head mask equivalent to a plan",
    uses: ["headMaskFromPlan"],
    run: ({ headMaskFromPlan }) =>
      expectEqual(
        (headMaskFromPlan as (p: PruningPlan, l: number, h: number) => number[][])(
          { "0": [1], "2": [0, 3] },
          3,
          4,
        ),
        [[1, 0, 1, 1], [1, 1, 1, 1], [0, 1, 1, 0]],
        "headMaskFromPlan({0: [1], 2: [0, 3]}, 3 layers, 4 heads)",
      ),
  },
  {
    id: "04.find_cliff",
    points: 2,
    title: "Find the accuracy cliff",
    uses: ["findCliff"],
    run: ({ findCliff }) => {
      const f = findCliff as (c: { rate: number; accuracy: number }[]) => number | null;
      const curve = [
        { rate: 0, accuracy: 0.8 },
        { rate: 10, accuracy: 0.81 },
        { rate: 20, accuracy: 0.795 },
        { rate: 30, accuracy: 0.785 },
        { rate: 40, accuracy: 0.7 },
      ];
      const flat = [{ rate: 0, accuracy: 0.8 }, { rate: 50, accuracy: 0.79 }];
      return partial([
        {
          ok: f(curve) === 30,
          message: `peak 81%: the first point more than 2 points below is at 30%; got ${
            show(f(curve))
          }`,
        },
        {
          ok: f(flat) === null,
          message: `no point falls more than 2 points below the peak: expected null, got ${
            show(f(flat))
          }`,
        },
      ]);
    },
  },
  {
    id: "04.ffn_importance",
    points: 2,
    title: "FFN neuron importance",
    uses: ["ffnNeuronImportance"],
    run: async ({ ffnNeuronImportance }) => {
      const model = await tinyModel(9);
      try {
        const got = (ffnNeuronImportance as (m: Model, l: number) => number[])(model, 1);
        const want = tf.tidy(() => {
          const w1 = model.param("distilbert.transformer.layer.1.ffn.lin1.weight");
          const w2 = model.param("distilbert.transformer.layer.1.ffn.lin2.weight");
          return Array.from(tf.norm(w1, 2, 1).mul(tf.norm(w2, 2, 0)).dataSync());
        });
        if (!Array.isArray(got) || got.length !== want.length) {
          return fail(`expected ${want.length} scores, got ${show(got)}`);
        }
        const worst = Math.max(
          ...want.map((w, i) => Math.abs(w - got[i]) / Math.max(1e-12, Math.abs(w))),
        );
        return worst < 1e-4
          ? { fraction: 1, message: "‖lin1 row‖·‖lin2 column‖ per neuron" }
          : fail(`layer 1: expected ${show(want)}, got ${show(got)}`);
      } finally {
        model.dispose();
      }
    },
  },
  {
    id: "04.distillation_loss",
    points: 3,
    title: "Knowledge-distillation loss (T = 2, 0.9 KD + 0.1 CE)",
    uses: ["distillationLoss"],
    run: async ({ distillationLoss }) => {
      await initTf();
      const student = [[1.0, -0.5], [0.2, 0.3], [-1.2, 2.0]];
      const teacher = [[2.0, -1.0], [0.0, 0.1], [-0.5, 0.5]];
      const labels = [0, 1, 1];
      const want = tf.tidy(() => {
        const s = tf.tensor2d(student);
        const t = tf.tensor2d(teacher);
        const p = tf.softmax(t.div(2));
        const kl = p.mul(tf.log(p).sub(tf.logSoftmax(s.div(2)))).sum(1).mean().mul(4);
        const ce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), 2), s);
        return kl.mul(0.9).add(ce.mul(0.1)).dataSync()[0];
      });
      const got = tf.tidy(() => {
        const out = (distillationLoss as (
          s: tf.Tensor,
          t: tf.Tensor,
          l: number[],
          T?: number,
          a?: number,
        ) => tf.Tensor)(
          tf.tensor2d(student),
          tf.tensor2d(teacher),
          labels,
        );
        return out instanceof tf.Tensor ? out.dataSync()[0] : NaN;
      });
      return Math.abs(got - want) < 1e-5
        ? { fraction: 1, message: `loss = ${got.toFixed(5)}` }
        : fail(
          `expected ${
            want.toFixed(5)
          } (0.9 · T² · KL(teacher_T ‖ student_T) + 0.1 · CE, batch mean), got ${show(got)}`,
        );
    },
  },
  {
    id: "04.ort_feeds",
    points: 2,
    title: "onnxruntime feeds from a tokenized batch",
    uses: ["toOrtFeeds"],
    run: ({ toOrtFeeds }) => {
      const f = toOrtFeeds as (b: { inputIds: number[][]; attentionMask: number[][] }) => Record<
        string,
        Int64Feed
      >;
      const got = f({
        inputIds: [[101, 2307, 102], [101, 102, 0]],
        attentionMask: [[1, 1, 1], [1, 1, 0]],
      });
      const describe = (feed: Int64Feed | undefined) =>
        feed === undefined
          ? "missing"
          : `type ${show(feed.type)}, ${feed.data?.constructor?.name ?? typeof feed.data} [${
            Array.from((feed.data ?? []) as ArrayLike<unknown>, Number)
          }], dims ${show(feed.dims)}`;
      const matches = (feed: Int64Feed | undefined, values: number[]) =>
        feed?.type === "int64" && feed.data instanceof BigInt64Array &&
        JSON.stringify(feed.dims) === "[2,3]" &&
        JSON.stringify(Array.from(feed.data, Number)) === JSON.stringify(values);
      let ragged = "no error";
      try {
        f({ inputIds: [[101, 102], [101]], attentionMask: [[1, 1], [1]] });
      } catch (e) {
        ragged = (e as Error).message;
      }
      return partial([
        {
          ok: matches(got?.input_ids, [101, 2307, 102, 101, 102, 0]),
          weight: 2,
          message:
            `input_ids: expected type "int64", BigInt64Array [101,2307,102,101,102,0], dims [2,3]; got ${
              describe(got?.input_ids)
            }`,
        },
        {
          ok: matches(got?.attention_mask, [1, 1, 1, 1, 1, 0]),
          weight: 2,
          message:
            `attention_mask: expected type "int64", BigInt64Array [1,1,1,1,1,0], dims [2,3]; got ${
              describe(got?.attention_mask)
            }`,
        },
        {
          ok: /row 1/.test(ragged),
          message:
            `rows of different lengths (row 1 has 1 id, row 0 has 2) should throw an error naming row 1; got ${
              show(ragged)
            }`,
        },
      ]);
    },
  },
  {
    id: "04.measure_latency",
    points: 2,
    title: "Latency with warm-up: p50 and p95",
    uses: ["measureLatency"],
    run: async ({ measureLatency }) => {
      // A fake clock: the first two (warm-up) calls are slow, the timed ones take 1..20 ms,
      // and time passes only when the returned promise settles.
      let clock = 0;
      let calls = 0;
      const durations = [500, 300, ...Array.from({ length: 20 }, (_, i) => (7 * i) % 20 + 1)];
      const run = () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            clock += durations[calls++] ?? 1000;
            resolve();
          }, 0)
        );
      const got = await (measureLatency as (
        r: () => unknown,
        o: { warmup: number; repeats: number },
        now?: () => number,
      ) => Promise<Latency>)(run, { warmup: 2, repeats: 20 }, () => clock);
      const timed = durations.slice(2);
      const close = (a: unknown, b: number) => typeof a === "number" && Math.abs(a - b) < 1e-9;
      return partial([
        {
          ok: calls === 22,
          message: `2 warm-up + 20 timed calls expected; run was called ${calls} times`,
        },
        {
          ok: Array.isArray(got?.times) && got.times.length === 20 &&
            got.times.every((t, i) => close(t, timed[i])),
          message: `times: the 20 timed durations in call order (warm-up left out), got ${
            show(got?.times)
          }`,
        },
        {
          ok: close(got?.p50, quantile(timed, 0.5)),
          message: `p50 = ${quantile(timed, 0.5)} expected, got ${show(got?.p50)}`,
        },
        {
          ok: close(got?.p95, quantile(timed, 0.95)),
          message: `p95 = ${
            quantile(timed, 0.95)
          } expected (linear interpolation, as quantile()), got ${show(got?.p95)}`,
        },
      ]);
    },
  },
  {
    id: "04.deploy_speedups",
    points: 1,
    title: "Speedup against the FLOP ratio",
    uses: ["speedupsVsFlops"],
    run: ({ speedupsVsFlops }) => {
      const rows = [
        { variant: "dense", ms: 100, flops: 10e9 },
        { variant: "heads", ms: 80, flops: 8e9 },
        { variant: "both", ms: 60, flops: 4e9 },
      ];
      const got = (speedupsVsFlops as (r: typeof rows) => {
        variant: string;
        speedup: number;
        flopRatio: number;
        efficiency: number;
      }[])(rows);
      const want = [[1, 1, 1], [1.25, 1.25, 1], [100 / 60, 2.5, 100 / 60 / 2.5]];
      const ok = Array.isArray(got) && got.length === 3 &&
        got.every((r, i) =>
          r.variant === rows[i].variant &&
          [r.speedup, r.flopRatio, r.efficiency].every((v, j) => Math.abs(v - want[i][j]) < 1e-9)
        );
      return ok ? { fraction: 1, message: "correct" } : fail(
        `against the first row: speedup = dense ms / ms, flopRatio = dense FLOPs / FLOPs, efficiency = speedup / flopRatio; for 100 ms/10 GFLOPs, 80/8, 60/4 expected speedups 1, 1.25, 1.667, ratios 1, 1.25, 2.5, efficiencies 1, 1, 0.667; got ${
          show(got)
        }`,
      );
    },
  },
]);
