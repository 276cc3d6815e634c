// Unstructured pruning on an MLP: compounding global L1 amounts, errors that name the bad
// argument, masks through training, removing the reparametrisation, sparse files that decode
// back to the weights, the deterministic MNIST split, and which examples a model gets right.
import { assert } from "./helpers/assert.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { MLP, mlpAccuracy, mlpCorrect, trainMlp } from "lib/model/mlp.ts";
import { globalMagnitudePrune, removePruning, setMask } from "lib/prune/magnitude.ts";
import { serializeSparse } from "lib/deploy/sparse_storage.ts";
import { parseSafetensors } from "lib/io/safetensors.ts";
import { loadMnist } from "lib/data/mnist.ts";

await initTf();
const zeros = (m: MLP) =>
  m.weightNames().reduce((s, n) => s + tf.tidy(() => m.weight(n).equal(0).sum().dataSync()[0]), 0);

Deno.test("global L1 pruning takes the smallest weights; amounts compound; biases stay", () => {
  const m = MLP.create([8, 6, 4], 1);
  const total = 8 * 6 + 6 * 4;
  globalMagnitudePrune(m, m.weightNames(), 0.5);
  assert.strictEqual(zeros(m), total / 2);
  const kept = m.weightNames().flatMap((n) =>
    Array.from(tf.tidy(() => m.weight(n).abs().dataSync())).filter((v) => v > 0)
  );
  const dropped = m.weightNames().flatMap((n) => {
    const w = m.params.get(n)!.dataSync();
    const mask = m.masks.get(n)!.dataSync();
    return Array.from(w).filter((_, i) => mask[i] === 0).map(Math.abs);
  });
  assert.ok(Math.max(...dropped) <= Math.min(...kept), "a pruned weight is larger than a kept one");
  globalMagnitudePrune(m, m.weightNames(), 0.5);
  assert.strictEqual(zeros(m), total / 2 + Math.round(0.5 * total / 2));
  assert.ok(!m.masks.has("fc1.bias"));
  m.dispose();
});

Deno.test("bad arguments are one clear error naming them", () => {
  const m = MLP.create([4, 3, 2], 2);
  assert.throws(() => globalMagnitudePrune(m, ["fc1.weight"], 1.2), {
    message: "pruning amount 1.2 must be in (0, 1)",
  });
  assert.throws(() => globalMagnitudePrune(m, ["fc9.weight"], 0.3), {
    message: 'the model has no parameter "fc9.weight"',
  });
  assert.throws(() => globalMagnitudePrune(m, ["fc1.bias"], 0.3), {
    message: '"fc1.bias" is not a weight: only weights are pruned',
  });
  assert.throws(() => setMask(m, "fc1.weight", tf.ones([4, 3])), {
    message: 'mask for "fc1.weight" has shape [4,3]; the parameter has [3,4]',
  });
  m.dispose();
});

Deno.test("masked weights stay exactly zero through training; rewinding is bit-exact", () => {
  const m = MLP.create([6, 5, 3], 3);
  const init = m.snapshot();
  globalMagnitudePrune(m, m.weightNames(), 0.4);
  const before = zeros(m);
  const x = Float32Array.from({ length: 20 * 6 }, (_, i) => Math.sin(i));
  const y = Int32Array.from({ length: 20 }, (_, i) => i % 3);
  trainMlp(m, x, y, { epochs: 3, batchSize: 4 });
  assert.strictEqual(zeros(m), before);
  m.restore(init);
  for (const [name, values] of init) {
    assert.deepStrictEqual(m.params.get(name)!.dataSync(), values, name);
  }
  m.dispose();
});

Deno.test("removePruning makes the zeros permanent and drops the mask", () => {
  const m = MLP.create([5, 4, 2], 4);
  globalMagnitudePrune(m, m.weightNames(), 0.3);
  const effective = tf.tidy(() => Array.from(m.weight("fc1.weight").dataSync()));
  removePruning(m, "fc1.weight");
  assert.ok(!m.masks.has("fc1.weight"));
  assert.deepStrictEqual(Array.from(m.params.get("fc1.weight")!.dataSync()), effective);
  m.dispose();
});

Deno.test("COO and bitmap files decode back to the effective weights; index bytes are counted", () => {
  const m = MLP.create([10, 8, 3], 5);
  globalMagnitudePrune(m, m.weightNames(), 0.7);
  const dense = parseSafetensors(serializeSparse(m, "dense"), "dense");
  const coo = parseSafetensors(serializeSparse(m, "coo"), "coo");
  const bitmap = parseSafetensors(serializeSparse(m, "bitmap"), "bitmap");
  for (const name of m.weightNames()) {
    const want = Array.from(dense.get(name)!.data, (v) => (v === 0 ? 0 : v)); // masked −w is −0
    const fromCoo = new Array(want.length).fill(0);
    const values = coo.get(`${name}.values`)!.data;
    coo.get(`${name}.indices`)!.data.forEach((idx, k) => (fromCoo[idx] = values[k]));
    assert.deepStrictEqual(fromCoo, want, `${name} COO`);
    const bits = bitmap.get(`${name}.bitmap`)!.data;
    const fromBitmap: number[] = [];
    let k = 0;
    for (let i = 0; i < want.length; i++) {
      fromBitmap.push(bits[i >> 3] & (1 << (i % 8)) ? bitmap.get(`${name}.values`)!.data[k++] : 0);
    }
    assert.deepStrictEqual(fromBitmap, want, `${name} bitmap`);
    assert.strictEqual(
      coo.get(`${name}.indices`)!.data.length,
      values.length,
      "one int32 index per non-zero",
    );
  }
  m.dispose();
});

Deno.test("MNIST: 10,000 digits, deterministic 80/20 split, 20x20 crops, balanced prefixes", () => {
  const { train, test } = loadMnist();
  assert.strictEqual(train.n + test.n, 10000);
  assert.strictEqual(train.x.length, train.n * 400);
  const again = loadMnist();
  assert.deepStrictEqual(again.test.y, test.y);
  const prefix = new Set(train.y.subarray(0, 100));
  assert.strictEqual(prefix.size, 10, "the first 100 training digits cover all classes");
});

Deno.test("mlpCorrect says which examples the model gets right; mlpAccuracy is their share", () => {
  const m = MLP.create([3, 4, 2], 6);
  const x = Float32Array.from({ length: 3 * 7 }, (_, i) => Math.sin(i));
  const predicted = tf.tidy(() =>
    Array.from(m.forward(tf.tensor2d(x, [7, 3])).argMax(1).dataSync())
  );
  // Labels equal to the prediction on even examples, the other class on odd ones.
  const y = Int32Array.from(predicted, (p, i) => (i % 2 === 0 ? p : 1 - p));
  const right = mlpCorrect(m, x, y);
  assert.deepStrictEqual(right, predicted.map((_, i) => i % 2 === 0));
  assert.strictEqual(mlpAccuracy(m, x, y), 4 / 7);
  m.dispose();
});
