// FFN-neuron pruning: removing neurons equals zeroing them (GELU(0) = 0), widths are recorded
// in the config, and the model saves and reloads.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { goldenLogits } from "./helpers/golden.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert, saveDistilBert } from "lib/model/io.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { replace } from "lib/prune/heads.ts";

await initTf();

Deno.test("removing FFN neurons equals zeroing their lin1 rows and biases", async () => {
  const plan = { "0": [0, 7, 79], "2": [40] };
  const zeroed = await loadDistilBert(join(TINY, "model"));
  for (const [layer, neurons] of Object.entries(plan)) {
    const p = `distilbert.transformer.layer.${layer}.ffn.lin1`;
    const keep = tf.tensor1d(Array.from({ length: 80 }, (_, n) => (neurons.includes(n) ? 0 : 1)));
    replace(zeroed, `${p}.weight`, (w) => w.mul(keep.reshape([80, 1])));
    replace(zeroed, `${p}.bias`, (b) => b.mul(keep));
    keep.dispose();
  }
  const pruned = await loadDistilBert(join(TINY, "model"));
  const before = pruned.numParameters();
  pruneFfnNeurons(pruned, plan);
  assert.deepStrictEqual(pruned.config.pruning_lab_ffn_dims, [77, 80, 79]);
  assert.strictEqual(before - pruned.numParameters(), 4 * (2 * 48 + 1));
  assertClose(goldenLogits(pruned), goldenLogits(zeroed), 1e-5, "pruned vs zeroed");
  const dir = await Deno.makeTempDir();
  await saveDistilBert(pruned, dir);
  const again = await loadDistilBert(dir);
  assert.deepStrictEqual(goldenLogits(again), goldenLogits(pruned));
  await Deno.remove(dir, { recursive: true });
  for (const m of [zeroed, pruned, again]) m.dispose();
});

Deno.test("a bad FFN plan is one clear error", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  assert.throws(() => pruneFfnNeurons(model, { "1": [80] }), {
    message: "FFN pruning plan: neuron 80 of layer 1 is not in 0..79",
  });
  model.dispose();
});

Deno.test("a clone can be pruned and trained while the original stays as it was", async () => {
  const original = await loadDistilBert(join(TINY, "model"));
  const before = goldenLogits(original);
  const trial = original.clone();
  assert.deepStrictEqual(goldenLogits(trial), before);
  pruneFfnNeurons(trial, { "0": [1, 2, 3] });
  const name = "distilbert.transformer.layer.1.attention.q_lin.weight";
  trial.param(name).assign(tf.zerosLike(trial.param(name)));
  assert.deepStrictEqual(trial.config.pruning_lab_ffn_dims, [77, 80, 80]);
  assert.strictEqual(original.config.pruning_lab_ffn_dims, undefined);
  assert.deepStrictEqual(goldenLogits(original), before);
  trial.dispose();
  assert.deepStrictEqual(
    goldenLogits(original),
    before,
    "disposing the clone frees nothing of the original",
  );
  original.dispose();
});
