// The tfjs DistilBERT against golden outputs of an independent PyTorch implementation.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { golden, goldenIds, goldenMask } from "./helpers/golden.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert, saveDistilBert } from "lib/model/io.ts";
import { headCounts } from "lib/model/config.ts";

await initTf();

interface Stored {
  shape: number[];
  values: number[];
}
const [ids, mask] = [goldenIds, goldenMask];

Deno.test("logits, hidden states and attentions match the golden outputs within 1e-4", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const out = model.forward(ids(), mask(), { outputAttentions: true, outputHiddenStates: true });
  assertClose(out.logits.dataSync(), golden.logits.flat(), 1e-4, "logits");
  assert.strictEqual(out.hiddenStates!.length, golden.hidden_states.length);
  golden.hidden_states.forEach((h: Stored, i: number) => {
    assert.deepStrictEqual(out.hiddenStates![i].shape, h.shape, `hidden state ${i} shape`);
    assertClose(out.hiddenStates![i].dataSync(), h.values, 1e-4, `hidden state ${i}`);
  });
  assert.strictEqual(out.attentions!.length, golden.attentions.length);
  golden.attentions.forEach((a: Stored, i: number) => {
    assert.deepStrictEqual(out.attentions![i].shape, a.shape, `attention ${i} shape`);
    assertClose(out.attentions![i].dataSync(), a.values, 1e-4, `attention ${i}`);
  });
  tf.dispose([out.logits, ...out.attentions!, ...out.hiddenStates!]);
  model.dispose();
});

Deno.test("head-masked logits match the golden outputs", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const { logits } = model.forward(ids(), mask(), { headMask: tf.tensor2d(golden.head_mask) });
  assertClose(logits.dataSync(), golden.logits_with_head_mask.flat(), 1e-4, "masked logits");
  model.dispose();
});

Deno.test("the pruned fixture loads with per-layer head counts and matches", async () => {
  const model = await loadDistilBert(join(TINY, "model-pruned"));
  assert.deepStrictEqual(headCounts(model.config), [4, 6, 3]);
  const { logits } = model.forward(ids(), mask());
  assertClose(logits.dataSync(), golden.logits_after_pruning.flat(), 1e-4, "pruned logits");
  model.dispose();
});

Deno.test("parameter counts equal the golden counts", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const pruned = await loadDistilBert(join(TINY, "model-pruned"));
  assert.strictEqual(model.numParameters(), golden.parameter_count);
  assert.strictEqual(pruned.numParameters(), golden.parameter_count_after_pruning);
  model.dispose();
  pruned.dispose();
});

Deno.test("save then reload gives identical logits (F32) and close ones (F16)", async () => {
  const model = await loadDistilBert(join(TINY, "model-pruned"));
  const dir = await Deno.makeTempDir();
  try {
    const before = model.forward(ids(), mask()).logits.dataSync();
    await saveDistilBert(model, join(dir, "f32"));
    const again = await loadDistilBert(join(dir, "f32"));
    assert.deepStrictEqual(again.config.pruned_heads, model.config.pruned_heads);
    assert.deepStrictEqual(
      Array.from(again.forward(ids(), mask()).logits.dataSync()),
      Array.from(before),
    );
    await saveDistilBert(model, join(dir, "f16"), { dtype: "F16" });
    const half = await loadDistilBert(join(dir, "f16"));
    assertClose(half.forward(ids(), mask()).logits.dataSync(), before, 1e-2, "F16 logits");
    again.dispose();
    half.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("wasm and cpu backends agree on every output (covers every linear layer)", async () => {
  const run = async () => {
    const model = await loadDistilBert(join(TINY, "model"));
    const out = model.forward(ids(), mask(), { outputHiddenStates: true });
    const values = [
      ...out.logits.dataSync(),
      ...out.hiddenStates!.flatMap((h) => [...h.dataSync()]),
    ];
    model.dispose();
    return values;
  };
  const wasm = await run();
  await tf.setBackend("cpu");
  const cpu = await run();
  await tf.setBackend("wasm");
  assertClose(wasm, cpu, 1e-5, "wasm vs cpu");
});

Deno.test("dropout is applied only when training", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const a = model.forward(ids(), mask()).logits.dataSync();
  const b = model.forward(ids(), mask()).logits.dataSync();
  const c = model.forward(ids(), mask(), { training: true, seed: 1 }).logits.dataSync();
  assert.deepStrictEqual(Array.from(a), Array.from(b));
  assert.notDeepStrictEqual(Array.from(a), Array.from(c));
  model.dispose();
});
