// Head pruning with HF semantics: the golden pruned logits and parameter count, pruned ==
// masked, pruning twice with original indices, emptying a layer, save and reload.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { golden, goldenLogits } from "./helpers/golden.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert, saveDistilBert } from "lib/model/io.ts";
import { headCounts } from "lib/model/config.ts";
import { pruneHeads } from "lib/prune/heads.ts";

await initTf();

/** A [layers, heads] mask with zeros at the plan's heads. */
function maskFor(plan: Record<string, number[]>, layers: number, heads: number): tf.Tensor2D {
  return tf.tensor2d(
    Array.from(
      { length: layers },
      (_, l) =>
        Array.from({ length: heads }, (_, h) => ((plan[String(l)] ?? []).includes(h) ? 0 : 1)),
    ),
  );
}

Deno.test("pruning the golden heads matches the golden pruned logits and parameter count", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  pruneHeads(model, golden.heads_to_prune);
  assert.deepStrictEqual(headCounts(model.config), [4, 6, 3]);
  assert.strictEqual(model.numParameters(), golden.parameter_count_after_pruning);
  assertClose(goldenLogits(model), golden.logits_after_pruning.flat(), 1e-4, "pruned logits");
  const fixture = await loadDistilBert(join(TINY, "model-pruned"));
  assert.deepStrictEqual(model.config.pruned_heads, fixture.config.pruned_heads);
  model.dispose();
  fixture.dispose();
});

Deno.test("pruned logits equal head-masked logits within 1e-5", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const plan = { "0": [0, 5], "1": [2], "2": [1, 3, 4] };
  const masked = goldenLogits(model, maskFor(plan, 3, 6));
  pruneHeads(model, plan);
  assertClose(goldenLogits(model), masked, 1e-5, "pruned vs masked");
  model.dispose();
});

Deno.test("pruning twice uses original indices and ignores heads already gone", async () => {
  const once = await loadDistilBert(join(TINY, "model"));
  pruneHeads(once, { "0": [1, 4], "1": [0] });
  const twice = await loadDistilBert(join(TINY, "model"));
  pruneHeads(twice, { "0": [4] });
  pruneHeads(twice, { "0": [1, 4], "1": [0] }); // 4 is already pruned: ignored
  assert.deepStrictEqual(twice.config.pruned_heads, { "0": [1, 4], "1": [0] });
  assert.deepStrictEqual(goldenLogits(twice), goldenLogits(once));
  once.dispose();
  twice.dispose();
});

Deno.test("a layer can lose every head; the result still equals masking", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const plan = { "1": [0, 1, 2, 3, 4, 5] };
  const masked = goldenLogits(model, maskFor(plan, 3, 6));
  pruneHeads(model, plan);
  assert.deepStrictEqual(headCounts(model.config), [6, 0, 6]);
  assertClose(goldenLogits(model), masked, 1e-5, "empty layer vs masked");
  model.dispose();
});

Deno.test("a pruned model saves with pruned_heads and reloads identically", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  pruneHeads(model, { "2": [5, 0] });
  const dir = await Deno.makeTempDir();
  await saveDistilBert(model, dir);
  const again = await loadDistilBert(dir);
  assert.deepStrictEqual(again.config.pruned_heads, { "2": [0, 5] });
  assert.deepStrictEqual(goldenLogits(again), goldenLogits(model));
  await Deno.remove(dir, { recursive: true });
  model.dispose();
  again.dispose();
});

Deno.test("a bad plan is one clear error and leaves the model unchanged", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const before = goldenLogits(model);
  assert.throws(
    () => pruneHeads(model, { "0": [1], "1": [0, 1, 2, 3, 4, 5] }, { allowEmptyLayers: false }),
    {
      message: "pruning plan: layer 1 would lose all its heads (allowEmptyLayers is false)",
    },
  );
  assert.throws(() => pruneHeads(model, { "0": [1], "9": [0] }), {
    message: 'pruning plan: layer "9" does not exist (the model has 3)',
  });
  assert.strictEqual(model.config.pruned_heads, undefined);
  assert.deepStrictEqual(goldenLogits(model), before);
  assert.throws(() => pruneHeads(model, { "7": [0] }), {
    message: 'pruning plan: layer "7" does not exist (the model has 3)',
  });
  assert.throws(() => pruneHeads(model, { "0": [6] }), {
    message: "pruning plan: head 6 of layer 0 is not in 0..5",
  });
  model.dispose();
});
