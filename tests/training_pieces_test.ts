// Training pieces: AdamW (against a hand-computed step, schedule, save/restore) and
// length-bucketed batches.
import seedrandom from "seedrandom";
import { assert, assertClose } from "./helpers/assert.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { AdamW } from "lib/training/adamw.ts";
import { lengthBucketedBatches, shuffle } from "lib/data/batches.ts";

await initTf();

Deno.test("AdamW's first step moves each weight by lr (sign of the gradient) plus decay", () => {
  const w = tf.variable(tf.tensor1d([1, -2]));
  const b = tf.variable(tf.tensor1d([0.5]));
  const opt = new AdamW(new Map([["w", w], ["b.bias", b]]), {
    learningRate: 0.1,
    warmupSteps: 1,
    totalSteps: 10,
    weightDecay: 0.5,
    noDecay: (n) => n.endsWith(".bias"),
  });
  opt.step({ [w.name]: tf.tensor1d([3, -4]), [b.name]: tf.tensor1d([2]) });
  // m̂ / sqrt(v̂) = sign(g) on the first step; decoupled decay multiplies w by (1 - lr·wd).
  assertClose(w.dataSync(), [1 * 0.95 - 0.1, -2 * 0.95 + 0.1], 1e-6, "w");
  assertClose(b.dataSync(), [0.4], 1e-6, "bias (no decay)");
  opt.dispose();
});

Deno.test("AdamW warms up linearly then decays linearly to zero", () => {
  const opt = new AdamW(new Map(), { learningRate: 1, warmupSteps: 4, totalSteps: 12 });
  assert.deepStrictEqual([0, 1, 3].map((s) => opt.learningRateAt(s)), [0.25, 0.5, 1]);
  assert.deepStrictEqual([4, 8, 12].map((s) => opt.learningRateAt(s)), [1, 0.5, 0]);
});

Deno.test("AdamW state restores so that a resumed run continues identically", () => {
  const run = (resumeAt?: number) => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    let opt = new AdamW(new Map([["w", w]]), { learningRate: 0.01, warmupSteps: 2, totalSteps: 6 });
    for (let s = 0; s < 6; s++) {
      if (s === resumeAt) {
        const saved = opt.state();
        opt.dispose();
        opt = new AdamW(new Map([["w", w]]), { learningRate: 0.01, warmupSteps: 2, totalSteps: 6 });
        opt.restore(saved, s);
      }
      opt.step({ [w.name]: tf.tensor1d([s + 1, -(s % 2), 0.5]) });
    }
    return Array.from(w.dataSync());
  };
  assert.deepStrictEqual(run(3), run());
});

Deno.test("AdamW leaves no tensors behind once disposed (its moments' zeros included)", () => {
  const w = tf.variable(tf.ones([3, 4]));
  const before = tf.memory().numTensors;
  const opt = new AdamW(new Map([["w", w]]), { learningRate: 0.1, warmupSteps: 0, totalSteps: 2 });
  tf.tidy(() => opt.step({ [w.name]: tf.onesLike(w) }));
  assert.strictEqual(tf.memory().numTensors, before + 2, "two moment variables while alive");
  opt.dispose();
  assert.strictEqual(tf.memory().numTensors, before);
  w.dispose();
});

Deno.test("length-bucketed batches cover every example once, with similar lengths", () => {
  const random = seedrandom("t");
  const lengths = Array.from({ length: 1000 }, () => 1 + Math.floor(random() * 60));
  const batches = lengthBucketedBatches(lengths, 32, seedrandom("order"));
  const all = batches.flat().sort((a, b) => a - b);
  assert.deepStrictEqual(all, lengths.map((_, i) => i));
  const spread = (b: number[]) =>
    Math.max(...b.map((i) => lengths[i])) - Math.min(...b.map((i) => lengths[i]));
  const meanSpread = batches.reduce((s, b) => s + spread(b), 0) / batches.length;
  assert.ok(meanSpread < 10, `mean length spread in a batch ${meanSpread}`);
  const again = lengthBucketedBatches(lengths, 32, seedrandom("order"));
  assert.deepStrictEqual(again, batches, "same seed, same order");
});

Deno.test("shuffle is a permutation", () => {
  assert.deepStrictEqual(shuffle([1, 2, 3, 4, 5], seedrandom("s")).sort(), [1, 2, 3, 4, 5]);
});
