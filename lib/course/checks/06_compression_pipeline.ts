// Checks of notebook 06 (the compression pipeline). Inputs (scans, matrices, counts, schedules,
// small random models) are drawn from the run's fixtures; the references are the course's own
// implementations in lib on the same inputs, run outside the student's code. Scoring: a check
// pays only when its core parts pass (lib/grader/api/check.ts `partial`); each check's comment
// says why a fixed answer passes with probability below 1e-3.
import { call, defineChecks, fail, numbers, partial, show, value } from "../../grader/api/check.ts";
import type { Fixtures } from "../../grader/api/fixtures.ts";
import type { Plain } from "../../grader/shared/probe.ts";
import type { Recipe } from "../recipes.ts";
import { taylorFfnImportance } from "../../importance/taylor.ts";
import { budgetsFromSensitivity } from "../../prune/sensitivity.ts";
import { quantizePerChannel } from "../../deploy/quantize.ts";
import { cubicSparsity, headMovementScores } from "../../prune/movement.ts";
import { tokensToKeep } from "../../prune/vocabulary.ts";
import { initTf, tf } from "../../engine/tf.ts";
import { reference, setting, worstDifference } from "./03_head_importance.ts";

/** A thrown message that names `name`, or a message saying what happened instead. */
function namesIt(out: { threw?: string; value?: Plain }, name: string, what: string) {
  const ok = typeof out.threw === "string" && out.threw.includes(name);
  return {
    ok,
    message: `${what} must throw an error naming ${name}, got ${
      out.threw !== undefined ? `"${out.threw}"` : `no error (${show(out.value)})`
    }`,
  };
}

/**
 * The notebook's rule, by the course's implementation: walk the rates, stop at the first
 * drop of more than maxDrop (1000 units a layer, so that each rate is a whole count).
 */
function budgetsReference(
  rates: number[],
  baseline: number,
  accuracy: number[][],
  maxDrop: number,
): number[] {
  const units = accuracy.map(() => 1000);
  return budgetsFromSensitivity({ rates, baseline, accuracy, units }, { maxDrop }).counts
    .map((c) => c / 1000);
}

/** A sensitivity scan whose layers cover the cases the rule distinguishes (no value near a boundary). */
function randomScan(fx: Fixtures, maxDrop: number) {
  const rates = fx.pick([[0.25, 0.5, 0.75], [0.2, 0.4, 0.6, 0.8]]);
  const baseline = fx.real(0.8, 0.9, 4);
  const within = () => baseline - maxDrop * fx.real(0, 0.6, 3); // tolerated
  const near = () => baseline - maxDrop * 0.95; // tolerated; a drop relative to the baseline is not
  const beyond = () => baseline - maxDrop * fx.real(1.3, 4, 3); // too much
  const justBeyond = () => baseline - maxDrop * fx.real(1.05, 1.2, 3); // too much, barely
  const layers = [
    rates.map(() => within()), // flat: the largest rate
    rates.map((_, r) => (r < 2 ? within() : beyond())), // falls at the third rate
    rates.map((_, r) => (r === 1 ? beyond() : within())), // dips, then climbs back: stop at the dip
    rates.map(() => beyond()), // falls at once: 0
    // 0.95 · maxDrop below: tolerated; then 1.05-1.2 · maxDrop: not. Any other maxDrop of the
    // checks' set (ratios 1.33 and more apart) judges one of the two differently.
    rates.map((_, r) => (r === 0 ? near() : r === 1 ? justBeyond() : beyond())),
  ];
  return { rates, baseline, accuracy: fx.shuffled(layers) };
}

/** `{ recipe: "typed" }` of numbers. */
function typed(type: "Float32Array" | "Uint32Array", values: number[]): Recipe {
  return { recipe: "typed", type, values };
}

/** The notebook's per-row symmetric int8 quantization, by the course's implementation. */
function quantizeReference(w: Float32Array, rows: number, cols: number) {
  const { values, scales } = quantizePerChannel(w, rows, cols);
  return { values: [...values], scales: [...scales] };
}

/** The value of a field of a returned object, as numbers. */
function field(got: Plain, name: string): number[] | undefined {
  return got && typeof got === "object" && !Array.isArray(got)
    ? numbers((got as Record<string, Plain>)[name])
    : undefined;
}

export default defineChecks([
  {
    id: "06.sensitivity_budgets",
    points: 2,
    title: "Per-layer budgets from a sensitivity scan",
    uses: ["budgetsFromScan"],
    // Two shuffled five-layer scans with different maxDrops (of five) and random baselines:
    // a fixed answer (or one that ignores maxDrop) matches both with probability below 1e-3.
    // The maxDrop-0 case and the error for a negative maxDrop are secondary.
    run: async ({ student, fx }) => {
      const parts = [];
      let scan = randomScan(fx, 0.01);
      for (const maxDrop of fx.sample(5, 2).map((k) => [0.005, 0.01, 0.015, 0.02, 0.03][k])) {
        scan = randomScan(fx, maxDrop);
        const want = budgetsReference(scan.rates, scan.baseline, scan.accuracy, maxDrop);
        const what = `budgetsFromScan(${show(scan)}, ${maxDrop})`;
        const got = numbers(value(await call(student, "budgetsFromScan", [scan, maxDrop]), what));
        parts.push({
          ok: got !== undefined && got.length === want.length && want.every((w, l) => got[l] === w),
          weight: 2,
          message: `${what}: expected ${
            show(want)
          } (per layer, the last rate before the first drop of more than ${maxDrop}), got ${
            show(got)
          }`,
        });
      }
      // maxDrop 0: a layer keeps a rate only while it loses nothing (a gain is no loss).
      const base = scan.baseline;
      const strict = {
        rates: scan.rates,
        baseline: base,
        accuracy: fx.shuffled([
          scan.rates.map(() => base),
          scan.rates.map((_, r) => (r === 0 ? base + 0.004 : base - 0.002)),
          scan.rates.map(() => base - 0.001),
        ]),
      };
      const wantStrict = budgetsReference(strict.rates, strict.baseline, strict.accuracy, 0);
      const gotStrict = numbers(
        value(await call(student, "budgetsFromScan", [strict, 0]), "budgetsFromScan(scan, 0)"),
      );
      const [bad] = await student.probe({
        steps: [{ call: "budgetsFromScan", args: [scan, -0.01] }],
      });
      parts.push(
        {
          ok: gotStrict !== undefined && wantStrict.every((w, l) => gotStrict[l] === w),
          secondary: true,
          message: `maxDrop 0 (only rates that lose nothing): expected ${show(wantStrict)} for ${
            show(strict)
          }, got ${show(gotStrict)}`,
        },
        { ...namesIt(bad, "maxDrop", "budgetsFromScan(scan, -0.01)"), secondary: true },
      );
      return partial(parts);
    },
  },
  {
    id: "06.taylor_importance",
    points: 3,
    title: "Taylor first-order FFN importance",
    uses: ["taylorFfnImportance"],
    // Float scores of a random model within 1e-4 of their scale: a fixed answer cannot match.
    run: async ({ student, fx }) => {
      // Two batches of 3: a loss summed over a batch (x3) is told apart from scores summed
      // over the batches instead of averaged (x2).
      const objects = setting(fx, 6);
      const want = await reference(objects, taylorFfnImportance);
      const what = "taylorFfnImportance(model, batches)";
      const got = value(
        await call(student, "taylorFfnImportance", [{ ref: "model" }, { ref: "batches" }], {
          objects,
        }),
        what,
      );
      const worst = worstDifference(want, got);
      if (worst === undefined) {
        return fail(
          `${what}: expected a [${want.length}][${want[0].length}] array, got ${show(got)}`,
        );
      }
      // A loss summed over the batch (notebook 03's convention) scales every score by the
      // batch size (the batches are the same size): the same ranking, accepted as well.
      const size = (objects.batches as { groups: number[][] }).groups[0].length;
      const summed = worstDifference(want.map((row) => row.map((v) => v * size)), got)!;
      const scale = Math.max(...want.flat().map(Math.abs));
      return worst <= 1e-4 * scale || summed <= 1e-4 * scale * size
        ? {
          fraction: 1,
          message: `${what} matches the reference (max difference ${worst.toExponential(1)})`,
        }
        : fail(
          `${what}: expected ${
            show(want)
          } (per batch |Σ_j W2[j,n]·∂L/∂W2[j,n]| of the mean cross-entropy, then the mean over batches; ${size} times that with the summed loss), got ${
            show(got)
          } (max difference ${worst.toPrecision(3)})`,
        );
    },
  },
  {
    id: "06.movement_scores",
    points: 2,
    title: "Movement scores of heads (Sanh et al. 2020)",
    uses: ["headMovementScores"],
    // Two random (W, grad) pairs with different head sizes: continuous scores a fixed answer
    // (or one that ignores the head size) cannot match. The two errors are secondary.
    run: async ({ student, fx }) => {
      await initTf();
      const parts = [];
      const sizes = fx.shuffled([2, 3, 4]).slice(0, 2);
      for (const size of sizes) {
        const [dim, heads] = [fx.int(3, 5), fx.int(2, 4)];
        const cols = heads * size;
        const draw = () =>
          Array.from({ length: dim }, () => Array.from({ length: cols }, () => fx.real(-1, 1, 3)));
        const [w, g] = [draw(), draw()];
        const want = tf.tidy(() => headMovementScores(tf.tensor2d(w), tf.tensor2d(g), size));
        const objects: Record<string, Recipe> = {
          w: { recipe: "tensor", values: w },
          g: { recipe: "tensor", values: g },
          other: { recipe: "tensor", values: draw().slice(1) },
        };
        const checkErrors = size === sizes[0];
        const [out, mismatched, indivisible] = await student.probe({
          objects,
          steps: [
            { call: "headMovementScores", args: [{ ref: "w" }, { ref: "g" }, size] },
            ...(checkErrors
              ? [
                { call: "headMovementScores", args: [{ ref: "w" }, { ref: "other" }, size] },
                { call: "headMovementScores", args: [{ ref: "w" }, { ref: "g" }, cols + 1] },
              ]
              : []),
          ],
        });
        const what = `headMovementScores(W [${dim}, ${cols}], grad, ${size})`;
        const got = numbers(value(out, what));
        parts.push({
          ok: got !== undefined && got.length === heads &&
            want.every((v, h) => Math.abs(v - got[h]) < 1e-4),
          weight: 3,
          message: `${what} with W = ${show(w)}, grad = ${show(g)}: expected ${
            show(want.map((v) => Number(v.toFixed(4))))
          } (−Σ W·∂L/∂W over each head's ${size} columns), got ${show(got)}`,
        });
        if (checkErrors) {
          parts.push(
            {
              ok: mismatched.threw !== undefined,
              secondary: true,
              message: `a gradient of another shape must throw, got ${show(mismatched.value)}`,
            },
            {
              ok: indivisible.threw !== undefined,
              secondary: true,
              message: `headSize ${cols + 1} does not divide ${cols} columns: it must throw, got ${
                show(indivisible.value)
              }`,
            },
          );
        }
      }
      return partial(parts);
    },
  },
  {
    id: "06.cubic_sparsity",
    points: 2,
    title: "The cubic sparsity schedule (Zhu & Gupta 2017)",
    uses: ["cubicSparsity"],
    // A random schedule at six steps: values a fixed answer cannot match. The defaults and
    // the three errors are secondary.
    run: async ({ student, fx }) => {
      const t0 = fx.int(1, 5);
      const t1 = t0 + fx.int(6, 20);
      const si = fx.real(0.05, 0.3, 2);
      const sf = fx.real(0.5, 0.9, 2);
      const schedule = { initialStep: t0, finalStep: t1, initialSparsity: si, finalSparsity: sf };
      const mid = fx.int(t0 + 1, t1 - 1);
      const steps = [0, t0, mid, Math.round((t0 + t1) / 2), t1, t1 + 3];
      const defaults = { finalStep: fx.int(8, 16), finalSparsity: fx.real(0.3, 0.8, 2) };
      const dmid = fx.int(1, defaults.finalStep - 1);
      const bad = [
        [{ finalStep: 10, finalSparsity: fx.pick([1, 1.2, 0, -0.1]) }, "finalSparsity"],
        [{ finalStep: 10, finalSparsity: 0.5, initialSparsity: 0.7 }, "initialSparsity"],
        [{ initialStep: 10, finalStep: fx.pick([10, 4]), finalSparsity: 0.5 }, "finalStep"],
      ] as const;
      const outs = await student.probe({
        steps: [
          ...steps.map((t) => ({ call: "cubicSparsity", args: [t, schedule] as Plain[] })),
          { call: "cubicSparsity", args: [dmid, defaults] },
          ...bad.map(([s]) => ({ call: "cubicSparsity", args: [5, s] as Plain[] })),
        ],
      });
      const got = steps.map((_, i) => numbers(outs[i].value)?.[0]);
      const want = steps.map((t) => cubicSparsity(t, schedule));
      const gotDefault = numbers(outs[steps.length].value)?.[0];
      const wantDefault = cubicSparsity(dmid, defaults);
      return partial([
        {
          ok: want.every((w, i) => got[i] !== undefined && Math.abs(w - got[i]!) < 1e-9),
          weight: 3,
          message: `schedule ${show(schedule)} at steps ${show(steps)}: expected ${
            show(want.map((v) => Number(v.toFixed(6))))
          }, got ${show(got)}`,
        },
        {
          ok: gotDefault !== undefined && Math.abs(gotDefault - wantDefault) < 1e-9,
          secondary: true,
          message: `defaults (initialStep 0, initialSparsity 0), ${
            show(defaults)
          } at step ${dmid}: expected ${wantDefault.toFixed(6)}, got ${show(gotDefault)}`,
        },
        ...bad.map(([s, name], i) => ({
          ...namesIt(outs[steps.length + 1 + i], name, `cubicSparsity(5, ${show(s)})`),
          secondary: true,
        })),
      ]);
    },
  },
  {
    id: "06.vocab_keep",
    points: 2,
    title: "Tokens to keep (special tokens always)",
    uses: ["tokensToKeep"],
    // Random counts of 20-40 tokens: id lists a fixed answer matches with probability ~0.
    run: async ({ student, fx }) => {
      const n = fx.int(20, 40);
      const counts = Array.from({ length: n }, () => (fx.int(0, 2) === 0 ? 0 : fx.int(1, 6)));
      const minCount = fx.int(2, 4);
      // Three special tokens the corpus never produced (kept all the same) and one it did
      // (kept once): ignoring the special ids fails unless another run drew the same three.
      const specials = fx.sample(n, 4);
      for (const id of specials.slice(0, 3)) counts[id] = 0;
      counts[specials[3]] = minCount + 1;
      // One ordinary token exactly at minCount (kept) and one just below (dropped): any other
      // minCount judges one of them differently.
      const ordinary = fx.shuffled(
        counts.map((_, id) => id).filter((id) => !specials.includes(id)),
      );
      counts[ordinary[0]] = minCount;
      counts[ordinary[1]] = minCount - 1;
      const keep = (min: number) => tokensToKeep(counts, specials, min);
      const objects: Record<string, Recipe> = { counts: typed("Uint32Array", counts) };
      const shuffledSpecials = fx.shuffled(specials);
      const [byDefault, withMin] = await student.probe({
        objects,
        steps: [
          { call: "tokensToKeep", args: [{ ref: "counts" }, shuffledSpecials] },
          { call: "tokensToKeep", args: [{ ref: "counts" }, shuffledSpecials, minCount] },
        ],
      });
      const [a, b] = [
        numbers(value(byDefault, "tokensToKeep(counts, specialIds)")),
        numbers(value(withMin, `tokensToKeep(counts, specialIds, ${minCount})`)),
      ];
      const same = (x: number[] | undefined, y: number[]) =>
        x !== undefined && x.length === y.length && y.every((v, i) => x[i] === v);
      return partial([
        {
          ok: same(a, keep(1)),
          message: `counts ${show(counts)}, special ids ${show(shuffledSpecials)}: expected ${
            show(keep(1))
          } (count ≥ 1, every special token, each once, increasing), got ${show(a)}`,
        },
        {
          ok: same(b, keep(minCount)),
          message: `minCount ${minCount} (a count of exactly ${minCount} is kept): expected ${
            show(keep(minCount))
          }, got ${show(b)}`,
        },
      ]);
    },
  },
  {
    id: "06.quantize_weights",
    points: 2,
    title: "Per-channel symmetric int8 weights",
    uses: ["quantizePerChannel"],
    // Two random matrices of different shapes: scales and values a fixed answer (or one that
    // ignores the shape) cannot match.
    run: async ({ student, fx }) => {
      const parts = [];
      const shapes = fx.sample(24, 2).map((k) => [3 + (k % 4), 4 + Math.floor(k / 4)]);
      for (const [rows, cols] of shapes) {
        const zero = fx.int(0, rows - 1);
        const w = Array.from(
          { length: rows * cols },
          (_, i) =>
            Math.floor(i / cols) === zero ? 0 : fx.real(-1, 1, 4) * (1 + Math.floor(i / cols)),
        );
        const w32 = new Float32Array(w);
        const want = quantizeReference(w32, rows, cols);
        const what = `quantizePerChannel(W [${rows}, ${cols}], ${rows}, ${cols})`;
        const got = value(
          await call(student, "quantizePerChannel", [{ ref: "w" }, rows, cols], {
            objects: { w: typed("Float32Array", w) },
          }),
          what,
        );
        const values = field(got, "values");
        const scales = field(got, "scales");
        // Round-half-even (as ONNX rounds) differs from Math.round only at exact halves: allowed.
        const valuesOk = values !== undefined && values.length === want.values.length &&
          want.values.every((v, i) => {
            if (values[i] === v) return true;
            const x = w32[i] / want.scales[Math.floor(i / cols)];
            return Math.abs(Math.abs(x - Math.trunc(x)) - 0.5) < 1e-4 &&
              Math.abs(values[i] - v) === 1;
          });
        const scalesOk = scales !== undefined && scales.length === rows &&
          want.scales.every((s, r) => Math.abs(scales[r] - s) <= 1e-6 * s);
        parts.push(
          {
            ok: scalesOk,
            message: `${what} with W = ${show(w)}: scales expected ${
              show(want.scales)
            } (a row's max |w| / 127; 1 for the row of zeros, row ${zero}), got ${show(scales)}`,
          },
          {
            ok: valuesOk,
            weight: 2,
            message: `values expected ${show(want.values)} (round(w / scale), in −127…127), got ${
              show(values)
            }`,
          },
        );
      }
      return partial(parts);
    },
  },
]);
