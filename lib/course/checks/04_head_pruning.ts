// Checks of notebook 04 (head pruning). Inputs (scores, plans, curves, logits, small random
// models) are drawn from the run's fixtures; references are lib/prune on the same models and
// small computations here. Scoring: a check pays only when its core parts pass
// (lib/grader/api/check.ts `partial`); each check's comment says why a fixed answer passes
// with probability below 1e-3.
import {
  call,
  defineChecks,
  expectEqual,
  numbers,
  partial,
  sameValue,
  show,
  value,
} from "../../grader/api/check.ts";
import type { Fixtures } from "../../grader/api/fixtures.ts";
import { type Plain, withObjects } from "../../grader/shared/probe.ts";
import { type Recipe } from "../recipes.ts";
import { distilbertState } from "../recipes.ts";
import { initTf, tf } from "../../engine/tf.ts";
import type { DistilBertForSequenceClassification } from "../../model/distilbert.ts";
import { pruneHeads, type PruningPlan } from "../../prune/heads.ts";
import { quantile } from "../../evaluation/evaluation.ts";
import { distilbertRecipe, onModel, randomConfig } from "../tiny_distilbert.ts";

type Model = DistilBertForSequenceClassification;
type Head = { layer: number; head: number };
type State = {
  config: Record<string, Plain>;
  params: Record<string, { tensor: { shape: number[]; values: number[] } }>;
};

/** Distinct random scores, layers x heads. */
function randomScores(fx: Fixtures, layers: number, heads: number): number[][] {
  const values = fx.shuffled(Array.from({ length: layers * heads }, (_, i) => (i + 1) / 50));
  return Array.from({ length: layers }, (_, l) => values.slice(l * heads, (l + 1) * heads));
}

/** The heads to prune by the notebook's rule (least important first). */
function selectReference(scores: number[][], rate: number, keepOne = false): Head[] {
  const all = scores.flatMap((row, layer) => row.map((score, head) => ({ layer, head, score })))
    .sort((a, b) => a.score - b.score || a.layer - b.layer || a.head - b.head);
  const target = Math.round(rate * all.length);
  const left = scores.map((row) => row.length);
  const chosen: Head[] = [];
  for (const h of all) {
    if (chosen.length === target) break;
    if (keepOne && left[h.layer] === 1) continue;
    chosen.push({ layer: h.layer, head: h.head });
    left[h.layer]--;
  }
  return chosen;
}

/** {layer, head} of each entry, whatever else it carries. */
function heads(got: Plain): Plain {
  return Array.isArray(got)
    ? got.map((g) => {
      const o = (g ?? {}) as Record<string, Plain>;
      return { layer: o.layer, head: o.head };
    })
    : got;
}

/** The first difference between a student's model state and the reference's, if any. */
function stateDifference(got: State, want: State): string | undefined {
  if (!got?.params) return `expected the model, got ${show(got)}`;
  for (const [name, p] of Object.entries(want.params)) {
    const q = got.params[name]?.tensor;
    if (!q) return `parameter ${name} is missing`;
    if (JSON.stringify(q.shape) !== JSON.stringify(p.tensor.shape)) {
      return `${name} has shape [${q.shape}]; expected [${p.tensor.shape}]`;
    }
    const diff = Math.max(0, ...p.tensor.values.map((v, i) => Math.abs(v - q.values[i])));
    if (!(diff <= 1e-6)) return `${name} differs from the reference by up to ${diff}`;
  }
  return undefined;
}

export default defineChecks([
  {
    id: "04.select_heads",
    points: 2,
    title: "Select the least important heads",
    uses: ["selectHeadsToPrune"],
    // Random scores of 8-20 heads at two different rates, a keep-one case and the default
    // rate: a fixed selection matches all four with probability far below 1e-3. The rate's
    // validation (already in the stub) is secondary.
    run: async ({ student, fx }) => {
      const ask = async (args: Plain[], what: string) =>
        heads(value(await call(student, "selectHeadsToPrune", args), what));
      // Rates 0.15 apart on 8-20 heads: different rates select different numbers of heads.
      const rates = fx.sample(5, 2).map((k) => [0.1, 0.25, 0.4, 0.55, 0.7][k]);
      const parts = [];
      for (const rate of rates) {
        const scores = randomScores(fx, fx.int(2, 4), fx.int(4, 5));
        const got = await ask([scores, rate], `selectHeadsToPrune(scores, ${rate})`);
        const want = selectReference(scores, rate);
        parts.push({
          ok: sameValue(got, want),
          message: `rate ${rate} of ${scores.flat().length} heads (scores ${
            show(scores)
          }): expected the lowest, least important first: ${show(want)}, got ${show(got)}`,
        });
      }
      // One layer holds the lowest scores: keepOneHeadPerLayer must leave it one head.
      const low = randomScores(fx, 3, 2);
      const target = fx.int(0, 2);
      low[target] = [0.001, 0.002];
      const keep = await ask([low, 0.5, { keepOneHeadPerLayer: true }], "keepOneHeadPerLayer");
      const defaults = randomScores(fx, 2, 5);
      const byDefault = await ask([defaults], "selectHeadsToPrune(scores) (default rate 0.3)");
      const bad = fx.pick([1.5, -0.2, 1]);
      const [badOut] = await student.probe({
        steps: [{ call: "selectHeadsToPrune", args: [[[0.1, 0.2]], bad] }],
      });
      const wantKeep = selectReference(low, 0.5, true);
      const wantDefault = selectReference(defaults, 0.3);
      parts.push(
        {
          ok: sameValue(keep, wantKeep),
          message: `keepOneHeadPerLayer with scores ${
            show(low)
          }: layer ${target} must keep a head; expected ${show(wantKeep)}, got ${show(keep)}`,
        },
        {
          ok: sameValue(byDefault, wantDefault),
          message: `default rate 0.3 of 10 heads: expected ${show(wantDefault)}, got ${
            show(byDefault)
          }`,
        },
        {
          ok: /rate/.test(badOut.threw ?? ""),
          secondary: true,
          message: `rate ${bad} must throw an error naming the rate, got: ${
            badOut.threw ?? `no error (${show(badOut.value)})`
          }`,
        },
      );
      return partial(parts);
    },
  },
  {
    id: "04.pruning_plan",
    points: 1,
    title: "The pruning plan in Hugging Face's format",
    uses: ["toPruningPlan"],
    // 3-7 of 16 heads in random order: a fixed plan matches with probability below 1e-3.
    run: async ({ student, fx }) => {
      const chosen = fx.shuffled(
        fx.sample(16, fx.int(3, 7)).map((k) => ({ layer: k % 4, head: Math.floor(k / 4) })),
      );
      const want: PruningPlan = {};
      for (const { layer, head } of chosen) (want[String(layer)] ??= []).push(head);
      for (const k of Object.keys(want)) want[k].sort((a, b) => a - b);
      const what = `toPruningPlan(${show(chosen)})`;
      return expectEqual(value(await call(student, "toPruningPlan", [chosen]), what), want, what);
    },
  },
  {
    id: "04.prune_heads",
    points: 4,
    title: "Physical head pruning (HF semantics)",
    uses: ["pruneHeads"],
    // Random weights of a random model: a state that ignores the model or the plan cannot
    // match the reference's tensors.
    run: async ({ student, fx }) => {
      const config = randomConfig(fx, { n_heads: 4, n_layers: 3, dim: 4 * fx.int(2, 3) });
      const recipe: Recipe = distilbertRecipe(fx, config);
      const [a, b] = fx.sample(4, 2);
      const first: PruningPlan = { "0": [a, b].sort(), [String(fx.int(1, 2))]: [fx.int(0, 3)] };
      // Original indices: one head of layer 0 is already gone, another is still there.
      const still = [0, 1, 2, 3].find((h) => h !== a && h !== b)!;
      const second: PruningPlan = { "0": [b, still] };
      await initTf();
      const [want1, want2] = await withObjects({ m: recipe }, (o) => {
        const m = o.get("m") as Model;
        pruneHeads(m, first);
        const s1 = distilbertState(m);
        pruneHeads(m, second);
        return [s1, distilbertState(m)] as State[];
      });
      const [c1, r1, c2, r2] = await student.probe({
        objects: { m: recipe },
        steps: [
          { call: "pruneHeads", args: [{ ref: "m" }, first] },
          { read: "m", with: "distilbert" },
          { call: "pruneHeads", args: [{ ref: "m" }, second] },
          { read: "m", with: "distilbert" },
        ],
      });
      value(c1, `pruneHeads(model, ${show(first)})`);
      const got1 = r1.value as unknown as State;
      const got2 = r2.value as unknown as State;
      const d1 = stateDifference(got1, want1);
      const d2 = c2.threw !== undefined ? `it threw: ${c2.threw}` : stateDifference(got2, want2);
      return partial([
        { ok: !d1, weight: 2, message: `after pruning ${show(first)}: ${d1}` },
        {
          ok: sameValue(got1?.config?.pruned_heads, want1.config.pruned_heads),
          message: `config.pruned_heads: expected ${show(want1.config.pruned_heads)}, got ${
            show(got1?.config?.pruned_heads)
          }`,
        },
        {
          ok: !d2,
          message: `pruning ${show(second)} next (original indices; ${b} is already pruned): ${d2}`,
        },
        {
          ok: c2.threw === undefined &&
            sameValue(got2?.config?.pruned_heads, want2.config.pruned_heads),
          message: `config.pruned_heads after the second call: expected ${
            show(want2.config.pruned_heads)
          } (merged with the heads pruned before, as Hugging Face does), got ${
            show(got2?.config?.pruned_heads)
          }`,
        },
      ]);
    },
  },
  {
    id: "04.head_mask",
    points: 1,
    title: "The head mask equivalent to a plan",
    uses: ["headMaskFromPlan"],
    // Two random plans of different shapes (2-6 layers, 2-6 heads): a fixed mask matches
    // both with probability far below 1e-3.
    run: async ({ student, fx }) => {
      const parts = [];
      const shapes = fx.sample(25, 2).map((k) => [2 + (k % 5), 2 + Math.floor(k / 5)]);
      for (const [layers, n] of shapes) {
        const plan: PruningPlan = {};
        for (const l of fx.sample(layers, fx.int(1, layers))) {
          plan[String(l)] = fx.sample(n, fx.int(1, n - 1));
        }
        const want = Array.from(
          { length: layers },
          (_, l) =>
            Array.from({ length: n }, (_, h) => ((plan[String(l)] ?? []).includes(h) ? 0 : 1)),
        );
        const what = `headMaskFromPlan(${show(plan)}, ${layers} layers, ${n} heads)`;
        const got = value(await call(student, "headMaskFromPlan", [plan, layers, n]), what);
        parts.push({
          ok: sameValue(got, want),
          message: `${what}: expected ${show(want)}, got ${show(got)}`,
        });
      }
      return partial(parts);
    },
  },
  {
    id: "04.find_cliff",
    points: 2,
    title: "Find the accuracy cliff",
    uses: ["findCliff"],
    // Three random curves (rate steps of 2-10, the peak at point 1-3, the cliff 2-5 points
    // after it) and a flat one: a fixed answer matches every cliff with probability below
    // 1e-4. In each curve the first point is already more than 2 points below the peak
    // (counting from the start fails), and the cliff stays within 2 points of the first
    // point (measuring the drop from the first point instead of the peak fails); after the
    // cliff a deeper fall follows.
    run: async ({ student, fx }) => {
      const parts = [];
      for (let k = 0; k < 3; k++) {
        const peak = fx.real(0.8, 0.9, 3);
        const peakAt = fx.int(1, 3);
        const cliffAt = peakAt + fx.int(2, 5);
        const step = fx.pick([2, 5, 10]);
        const first = peak - 0.025 - fx.real(0, 0.01);
        const curve = Array.from({ length: cliffAt + 3 }, (_, i) => {
          const accuracy = i === 0
            ? first
            : i < peakAt
            ? peak - fx.real(0.001, 0.015)
            : i === peakAt
            ? peak
            : i < cliffAt
            ? peak - fx.real(0.001, 0.019)
            : i === cliffAt
            ? peak - 0.021 - fx.real(0, 0.01)
            : first - 0.021 - fx.real(0, 0.1);
          return { rate: i * step, accuracy: Number(accuracy.toFixed(4)) };
        });
        const got = value(await call(student, "findCliff", [curve]), "findCliff(curve)");
        parts.push({
          ok: got === cliffAt * step,
          message: `curve ${show(curve)}: peak ${peak} at ${
            peakAt * step
          }%; the first point after it more than 2 points below is at ${cliffAt * step}%; got ${
            show(got)
          }`,
        });
      }
      const peak = fx.real(0.8, 0.9, 3);
      const flat = [{ rate: 0, accuracy: peak }, {
        rate: 50,
        accuracy: Number((peak - fx.real(0, 0.019)).toFixed(4)),
      }];
      const gotFlat = value(await call(student, "findCliff", [flat]), "findCliff(flat curve)");
      parts.push({
        ok: gotFlat === null,
        message: `no point falls more than 2 points below the peak: expected null, got ${
          show(gotFlat)
        }`,
      });
      return partial(parts);
    },
  },
  {
    id: "04.ffn_importance",
    points: 2,
    title: "FFN neuron importance",
    uses: ["ffnNeuronImportance"],
    // Every layer of a random model, in random order: float scores that a fixed answer (or
    // one that ignores the layer) cannot match.
    run: async ({ student, fx }) => {
      const config = randomConfig(fx);
      const recipe = distilbertRecipe(fx, config);
      const parts = [];
      for (const layer of fx.shuffled(Array.from({ length: config.n_layers! }, (_, l) => l))) {
        const want = await onModel(recipe, (m) =>
          tf.tidy(() => {
            const w1 = m.param(`distilbert.transformer.layer.${layer}.ffn.lin1.weight`);
            const w2 = m.param(`distilbert.transformer.layer.${layer}.ffn.lin2.weight`);
            return Array.from(tf.norm(w1, 2, 1).mul(tf.norm(w2, 2, 0)).dataSync());
          }));
        const what = `ffnNeuronImportance(model, ${layer})`;
        const got = numbers(
          value(
            await call(student, "ffnNeuronImportance", [{ ref: "m" }, layer], {
              objects: { m: recipe },
            }),
            what,
          ),
        );
        const worst = got?.length === want.length
          ? Math.max(...want.map((w, i) => Math.abs(w - got[i]) / Math.max(1e-12, Math.abs(w))))
          : Infinity;
        parts.push({
          ok: worst < 1e-4,
          message: `${what}: expected ${show(want)} (‖lin1 row‖·‖lin2 column‖ per neuron), got ${
            show(got)
          }`,
        });
      }
      return partial(parts);
    },
  },
  {
    id: "04.distillation_loss",
    points: 3,
    title: "Knowledge-distillation loss (T = 2, 0.9 KD + 0.1 CE)",
    uses: ["distillationLoss"],
    // Random logits, the defaults and a random T and alpha (both used): continuous losses a
    // fixed answer cannot match.
    run: async ({ student, fx }) => {
      await initTf();
      const n = fx.int(3, 6);
      const logits = () => Array.from({ length: n }, () => [fx.real(-4, 4), fx.real(-4, 4)]);
      const reference = (
        s: number[][],
        t: number[][],
        labels: number[],
        T: number,
        alpha: number,
      ) =>
        tf.tidy(() => {
          const p = tf.softmax(tf.tensor2d(t).div(T));
          const kl = p.mul(tf.log(p).sub(tf.logSoftmax(tf.tensor2d(s).div(T)))).sum(1).mean().mul(
            T * T,
          );
          const ce = tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(labels, "int32"), 2),
            tf.tensor2d(s),
          );
          return kl.mul(alpha).add(ce.mul(1 - alpha)).dataSync()[0];
        });
      // The soft-target cross-entropy −Σ p_T log q_T is KL plus the teacher's entropy H(p_T),
      // a constant for the student (the same gradients): accepted as well.
      const teacherEntropy = (t: number[][], T: number) =>
        tf.tidy(() => {
          const p = tf.softmax(tf.tensor2d(t).div(T));
          return tf.neg(p.mul(tf.log(p))).sum(1).mean().dataSync()[0];
        });
      const alphas = fx.sample(66, 2).map((k) => Number((0.3 + k / 100).toFixed(2)));
      const cases = [
        { T: 2, alpha: 0.9, given: false },
        // Two given cases with different T and alpha: ignoring either fails one of them.
        // (T up to 3: at high T the scaled KL barely changes with T.)
        ...fx.sample(19, 2).map((k, i) => ({
          T: Number((1.2 + k / 10).toFixed(1)),
          alpha: alphas[i],
          given: true,
        })),
      ];
      const parts = [];
      for (const { T, alpha, given } of cases) {
        const [s, t] = [logits(), logits()];
        const labels = Array.from({ length: n }, () => fx.int(0, 1));
        const want = reference(s, t, labels, T, alpha);
        const soft = want + alpha * T * T * teacherEntropy(t, T);
        const args: Plain[] = [{ ref: "s" }, { ref: "t" }, labels];
        if (given) args.push(T, alpha);
        const what = given
          ? `distillationLoss(s, t, labels, T=${T}, alpha=${alpha})`
          : "distillationLoss(s, t, labels) (defaults)";
        const out = await call(student, "distillationLoss", args, {
          objects: {
            s: { recipe: "tensor", values: s },
            t: { recipe: "tensor", values: t },
          },
        });
        const got = numbers(value(out, what));
        parts.push({
          ok: got?.length === 1 &&
            (Math.abs(got[0] - want) < 1e-5 || Math.abs(got[0] - soft) < 1e-5),
          message: `${what}: expected ${
            want.toFixed(5)
          } (alpha · T² · KL(teacher_T ‖ student_T) + (1 − alpha) · CE, batch mean; or ${
            soft.toFixed(5)
          } with the soft-target cross-entropy in place of KL), got ${show(out.value)}`,
        });
      }
      return partial(parts);
    },
  },
  {
    id: "04.ort_feeds",
    points: 2,
    title: "onnxruntime feeds from a tokenized batch",
    uses: ["toOrtFeeds"],
    // Random token ids (each row 3 or more real tokens) of a random 3-6 x 5-10 batch: a fixed
    // answer matches with probability ~0. Naming the
    // first ragged row is secondary.
    run: async ({ student, fx }) => {
      const [rows, width] = [fx.int(3, 6), fx.int(5, 10)];
      const inputIds = Array.from({ length: rows }, () => {
        const length = fx.int(3, width);
        return Array.from(
          { length: width },
          (
            _,
            j,
          ) => (j === 0 ? 101 : j < length - 1 ? fx.int(1000, 29000) : j === length - 1 ? 102 : 0),
        );
      });
      const attentionMask = inputIds.map((r) => r.map((v) => (v === 0 ? 0 : 1)));
      const got = value(
        await call(student, "toOrtFeeds", [{ inputIds, attentionMask }]),
        "toOrtFeeds(batch)",
      ) as Record<string, Record<string, Plain>>;
      // The first bad row of a larger batch (later rows are bad too): named 0-based (as the
      // array counts) or 1-based (as a person counts); both are accepted.
      const raggedRows = fx.int(6, 12);
      const short = fx.int(1, raggedRows - 2);
      const ragged = Array.from({ length: raggedRows }, (_, i) => {
        const row = inputIds[i % rows];
        return i === short || (i > short && fx.uniform() < 0.5) ? row.slice(0, width - 1) : row;
      });
      const [raggedOut] = await student.probe({
        steps: [{
          call: "toOrtFeeds",
          args: [{
            inputIds: ragged,
            attentionMask: ragged.map((r) => r.map((v) => (v === 0 ? 0 : 1))),
          }],
        }],
      });
      const describe = (feed: Record<string, Plain> | undefined) =>
        feed === undefined ? "missing" : show(feed);
      const matches = (feed: Record<string, Plain> | undefined, values: number[]) => {
        const data = feed?.data as { typed?: string; values?: number[] } | undefined;
        return feed?.type === "int64" && data?.typed === "BigInt64Array" &&
          sameValue(feed.dims, [rows, width]) && sameValue(data.values, values);
      };
      return partial([
        {
          ok: matches(got?.input_ids, inputIds.flat()),
          weight: 2,
          message: `input_ids: expected type "int64", BigInt64Array ${
            show(inputIds.flat())
          }, dims [${rows},${width}]; got ${describe(got?.input_ids)}`,
        },
        {
          ok: matches(got?.attention_mask, attentionMask.flat()),
          weight: 2,
          message: `attention_mask: expected type "int64", BigInt64Array ${
            show(attentionMask.flat())
          }, dims [${rows},${width}]; got ${describe(got?.attention_mask)}`,
        },
        {
          ok: new RegExp(`row (${short}|${short + 1})\\b`).test(raggedOut.threw ?? ""),
          secondary: true,
          message: `rows of different lengths (row ${short} counting from 0, ${
            short + 1
          } counting from 1, is the first shorter one) should throw an error naming that row; got ${
            show(raggedOut.threw ?? "no error")
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
    // Two runs with different warm-up counts (1-3) and repeats (12-20), timed durations of
    // 1-20 ms on a fake clock: a fixed answer, or one that ignores the options, fails one.
    run: async ({ student, fx }) => {
      const warmups = fx.sample(3, 2).map((k) => k + 1);
      const repeatCounts = fx.sample(9, 2).map((k) => k + 12);
      const parts = [];
      for (let c = 0; c < 2; c++) {
        // A fake clock: the warm-up calls are slow, the timed ones take 1..20 ms, and time
        // passes only when the returned promise settles.
        const [warmup, repeats] = [warmups[c], repeatCounts[c]];
        const timed = Array.from({ length: repeats }, () => fx.int(1, 20));
        const durations = [...Array.from({ length: warmup }, () => fx.int(300, 500)), ...timed];
        const [out, log] = await student.probe({
          objects: { clock: { recipe: "fakeClock", durations } },
          steps: [
            {
              call: "measureLatency",
              args: [{ ref: "clock", field: "run" }, { warmup, repeats }, {
                ref: "clock",
                field: "now",
              }],
            },
            { read: "clock", with: "log" },
          ],
        });
        const what = `measureLatency(run, { warmup: ${warmup}, repeats: ${repeats} }, now)`;
        const got = value(out, what, { async: true }) as Record<string, Plain>;
        const calls = (log.value as Plain[]).length;
        const close = (a: unknown, b: number) => typeof a === "number" && Math.abs(a - b) < 1e-9;
        const times = got?.times;
        parts.push(
          {
            ok: calls === warmup + repeats,
            message:
              `${what}: ${warmup} warm-up + ${repeats} timed calls expected; run was called ${calls} times`,
          },
          {
            ok: Array.isArray(times) && times.length === repeats &&
              times.every((t, i) => close(t, timed[i])),
            message:
              `${what}: times: the ${repeats} timed durations in call order (warm-up left out), got ${
                show(times)
              }`,
          },
          {
            ok: close(got?.p50, quantile(timed, 0.5)),
            message: `${what}: p50 = ${quantile(timed, 0.5)} expected, got ${show(got?.p50)}`,
          },
          {
            ok: close(got?.p95, quantile(timed, 0.95)),
            message: `${what}: p95 = ${
              quantile(timed, 0.95)
            } expected (linear interpolation, as quantile()), got ${show(got?.p95)}`,
          },
        );
      }
      return partial(parts);
    },
  },
]);
