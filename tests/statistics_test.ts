// The statistics notebooks compare models with: paired bootstrap and McNemar for accuracies on
// the same sentences, the Wilson interval of one accuracy, bootstrap intervals of latency ratios
// and differences. Reference values were computed once in plain Python 3 (math.comb and the
// textbook formulas, which scipy.stats.binomtest and statsmodels' mcnemar(exact=True) and
// proportion_confint(method="wilson") implement) and are hard-coded here.
import { assert } from "./helpers/assert.ts";
import { excludes, percentileInterval } from "lib/evaluation/interval.ts";
import { pairedBootstrapDifference } from "lib/evaluation/paired_bootstrap.ts";
import { mcnemarExact } from "lib/evaluation/mcnemar.ts";
import { accuracyInterval } from "lib/evaluation/accuracy_interval.ts";
import {
  compareAccuracies,
  correctAnswers,
  inPoints,
  pointsRange,
  verdict,
} from "lib/evaluation/comparison.ts";
import { spearmanInterval } from "lib/evaluation/rank_interval.ts";
import {
  latencyDifferenceInterval,
  latencyRatioInterval,
} from "lib/evaluation/latency_interval.ts";

/** Two models' right/wrong answers with the given counts of each agreement pattern. */
function pairs(both: number, onlyA: number, onlyB: number, neither: number) {
  const a: boolean[] = [];
  const b: boolean[] = [];
  const push = (count: number, x: boolean, y: boolean) => {
    for (let i = 0; i < count; i++) a.push(x), b.push(y);
  };
  push(both, true, true);
  push(onlyA, true, false);
  push(onlyB, false, true);
  push(neither, false, false);
  return { a, b };
}

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );

Deno.test("McNemar's exact test matches the binomial tail (Python: min(1, 2·Σ C(n,j)/2^n))", () => {
  // (onlyA, onlyB) → two-sided p-value.
  const known: [number, number, number][] = [
    [1, 9, 0.021484375],
    [5, 5, 1],
    [0, 0, 1],
    [3, 12, 0.03515625],
    [40, 62, 0.037066767438560536],
    [0, 7, 0.015625],
  ];
  for (const [onlyA, onlyB, p] of known) {
    const { a, b } = pairs(50, onlyA, onlyB, 10);
    const result = mcnemarExact(a, b);
    assert.strictEqual(result.onlyA, onlyA);
    assert.strictEqual(result.onlyB, onlyB);
    close(result.pValue, p, 1e-12, `p for (${onlyA}, ${onlyB})`);
    close(mcnemarExact(b, a).pValue, p, 1e-12, "symmetric");
  }
  assert.throws(() => mcnemarExact([true], [true, false]), /same ones/);
});

Deno.test("the Wilson interval matches statsmodels' proportion_confint(method='wilson')", () => {
  const known: [number, number, number, number][] = [
    [80, 100, 0.7111708344068411, 0.8666330666689676],
    [711, 872, 0.788250501289443, 0.8397170314881968],
    [0, 20, 0, 0.16112515805281938],
    [20, 20, 0.8388748419471806, 1],
  ];
  for (const [correct, n, low, high] of known) {
    const interval = accuracyInterval(correct, n);
    close(interval.estimate, correct / n, 1e-15, "estimate");
    close(interval.low, low, 1e-12, `low of ${correct}/${n}`);
    close(interval.high, high, 1e-12, `high of ${correct}/${n}`);
    assert.strictEqual(interval.confidence, 0.95);
  }
  assert.throws(() => accuracyInterval(5, 4), /correct ≤ n/);
});

Deno.test("the paired bootstrap agrees with the normal interval of the paired difference", () => {
  // 1,000 sentences: 60 only A gets right, 30 only B. Paired differences d ∈ {−1, 0, 1}:
  // mean 0.03, 1.96 · sd(d)/√n gives [0.011499, 0.048501] (Python, population sd).
  const { a, b } = pairs(790, 60, 30, 120);
  const interval = pairedBootstrapDifference(a, b, { seed: 7 });
  close(interval.estimate, 0.03, 1e-15, "estimate");
  close(interval.low, 0.011499351878275946, 0.002, "low");
  close(interval.high, 0.048500648121724055, 0.002, "high");
  assert.ok(excludes(interval));
  // Deterministic under a seed; the other order gives the negated difference.
  assert.deepStrictEqual(pairedBootstrapDifference(a, b, { seed: 7 }), interval);
  const swapped = pairedBootstrapDifference(b, a, { seed: 7 });
  close(swapped.estimate, -0.03, 1e-15, "swapped estimate");
  close(swapped.low, -interval.high, 0.003, "swapped low");
});

Deno.test("the paired bootstrap: identical models give [0, 0]; a small gap is not excluded", () => {
  const same = pairs(40, 0, 0, 10);
  assert.deepStrictEqual(
    pairedBootstrapDifference(same.a, same.b, { resamples: 200 }),
    { estimate: 0, low: 0, high: 0, confidence: 0.95 },
  );
  // One sentence apart out of 872 (the size of SST-2 dev): far inside the interval.
  const near = pairs(700, 3, 2, 167);
  const interval = pairedBootstrapDifference(near.a, near.b);
  assert.ok(interval.low < 0 && interval.high > 0, JSON.stringify(interval));
  assert.ok(!excludes(interval));
  assert.throws(() => pairedBootstrapDifference([1], [1, 0]), /same ones/);
});

Deno.test("percentile intervals use numpy's linear quantiles", () => {
  assert.deepStrictEqual(percentileInterval(0.5, [0, 0.25, 0.5, 0.75, 1], 0.5), {
    estimate: 0.5,
    low: 0.25,
    high: 0.75,
    confidence: 0.5,
  });
  assert.ok(excludes({ estimate: 1.3, low: 1.1, high: 1.5, confidence: 0.95 }, 1));
  assert.ok(!excludes({ estimate: 1.1, low: 0.97, high: 1.2, confidence: 0.95 }, 1));
});

Deno.test("latency intervals: exact for constant runs, and tell overlap from a real speedup", () => {
  assert.deepStrictEqual(latencyRatioInterval([10, 10, 10], [5, 5, 5, 5]), {
    estimate: 2,
    low: 2,
    high: 2,
    confidence: 0.95,
  });
  assert.deepStrictEqual(latencyDifferenceInterval([10, 10, 10], [4, 4, 4]), {
    estimate: 6,
    low: 6,
    high: 6,
    confidence: 0.95,
  });
  // Medians 10.1 and 5.1 (hand-computed): ratio 1.980…, every resample's ratio lies between
  // min/max = 9.8/5.3 and max/min = 10.4/4.9.
  const dense = [10.2, 9.8, 10.1, 10.4, 9.9];
  const pruned = [5.1, 4.9, 5.2, 5.0, 5.3];
  const ratio = latencyRatioInterval(dense, pruned, { seed: 3 });
  close(ratio.estimate, 10.1 / 5.1, 1e-12, "ratio");
  assert.ok(ratio.low >= 9.8 / 5.3 && ratio.high <= 10.4 / 4.9 && excludes(ratio, 1));
  assert.deepStrictEqual(latencyRatioInterval(dense, pruned, { seed: 3 }), ratio);
  // Overlapping runs: the interval of the ratio contains 1.
  const noisy = latencyRatioInterval([5, 9, 6, 8, 7, 10, 4], [6, 8, 5, 9, 7, 4, 10]);
  assert.ok(!excludes(noisy, 1), JSON.stringify(noisy));
  assert.throws(() => latencyRatioInterval([], [1]), /timed runs/);
});

Deno.test("comparisons on the same sentences: right answers, difference in points, verdicts", () => {
  assert.deepStrictEqual(correctAnswers([[0.2, 0.8], [0.9, 0.1], [0.4, 0.6]], [1, 1, 1]), [
    true,
    false,
    true,
  ]);
  const { a, b } = pairs(790, 60, 30, 120);
  const c = compareAccuracies(a, b, { seed: 7 });
  assert.strictEqual(c.a, 0.85);
  assert.strictEqual(c.b, 0.82);
  assert.deepStrictEqual(c.difference, pairedBootstrapDifference(a, b, { seed: 7 }));
  assert.strictEqual(c.mcnemar.onlyA, 60);
  const shown = { estimate: -0.0138, low: -0.029, high: 0.001, confidence: 0.95 };
  assert.strictEqual(inPoints(shown), "−1.38 points (95% CI −2.90 to +0.10)");
  assert.deepStrictEqual(pointsRange(shown), [-2.9, 0.1]);
  assert.strictEqual(verdict(shown, "beats", "trails", "ties"), "ties");
  assert.strictEqual(verdict(c.difference, "beats", "trails", "ties"), "beats");
  assert.strictEqual(verdict({ ...shown, high: -0.001 }, "beats", "trails", "ties"), "trails");
});

Deno.test("Spearman intervals: exact for monotone rankings, wide for unrelated ones, deterministic", () => {
  const a = [0.1, 0.5, 0.3, 0.9, 0.7, 0.2];
  // Any resample of a monotone pair is monotone (repeated units tie in both): ρ = 1 always.
  assert.deepStrictEqual(spearmanInterval(a, a.map((v) => 3 * v + 1)), {
    estimate: 1,
    low: 1,
    high: 1,
    confidence: 0.95,
  });
  const reversed = spearmanInterval(a, a.map((v) => -v));
  assert.deepStrictEqual([reversed.estimate, reversed.low, reversed.high], [-1, -1, -1]);
  // 40 units with unrelated scores: the interval contains 0 and is wide.
  const u = Array.from({ length: 40 }, (_, i) => Math.sin(1.7 * i));
  const v = Array.from({ length: 40 }, (_, i) => Math.cos(2.3 * i + 0.5));
  const unrelated = spearmanInterval(u, v, { seed: 2 });
  assert.ok(unrelated.low < 0 && unrelated.high > 0 && unrelated.high - unrelated.low > 0.3);
  assert.ok(unrelated.low <= unrelated.estimate && unrelated.estimate <= unrelated.high);
  assert.deepStrictEqual(spearmanInterval(u, v, { seed: 2 }), unrelated);
  assert.throws(() => spearmanInterval([1, 2], [1, 2]), /≥ 3 units/);
});
