// Saving pruned models in the compact and dense layouts: both reload with the pruned model's
// logits; dense keeps the original shapes with zeros; uniform FFN widths become `hidden_dim`;
// an empty layer is saved as one zero head; the config says float32; a folder saved with
// tokenizer and card is complete.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { EMBEDDED, TINY } from "./helpers/paths.ts";
import { goldenLogits } from "./helpers/golden.ts";
import { initTf } from "lib/engine/tf.ts";
import { loadDistilBert, saveDistilBert } from "lib/model/io.ts";
import { headCounts } from "lib/model/config.ts";
import { layOut, savedConfig } from "lib/model/layout.ts";
import { loadTokenizer } from "lib/data/tokenizer.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";

await initTf();

/** The tiny golden model with heads (layer 1 emptied) and FFN neurons pruned. */
async function prunedTiny(ffnPlan: Record<string, number[]>) {
  const model = await loadDistilBert(join(TINY, "model"));
  pruneHeads(model, { "0": [1, 4], "1": [0, 1, 2, 3, 4, 5] });
  pruneFfnNeurons(model, ffnPlan);
  return model;
}

const uniform = { "0": [0, 5, 9], "1": [1, 2, 3], "2": [79, 40, 7] };

Deno.test("dense: original shapes, pruned rows zero, no pruned_heads, the pruned model's logits", async () => {
  const original = await loadDistilBert(join(TINY, "model"));
  const model = await prunedTiny({ "0": [0, 5, 9], "2": [3] });
  const dir = await Deno.makeTempDir();
  await saveDistilBert(model, dir, { layout: "dense" });
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.strictEqual(config.pruned_heads, undefined);
  assert.strictEqual(config.pruning_lab_ffn_dims, undefined);
  assert.strictEqual(config.hidden_dim, 80);
  const again = await loadDistilBert(dir);
  for (const [name, p] of original.params) assert.deepStrictEqual(again.param(name).shape, p.shape);
  const q0 = again.param("distilbert.transformer.layer.0.attention.q_lin.weight")
    .arraySync() as number[][];
  const zero = (rows: number[][]) => rows.every((r) => r.every((v) => v === 0));
  assert.ok(zero(q0.slice(8, 16)) && zero(q0.slice(32, 40)), "heads 1 and 4 of layer 0 are zero");
  assert.ok(!zero(q0.slice(0, 8)), "head 0 of layer 0 is kept");
  const lin1 = again.param("distilbert.transformer.layer.0.ffn.lin1.weight").arraySync();
  assert.strictEqual((lin1 as number[][]).filter((r) => r.every((v) => v === 0)).length, 3);
  assertClose(goldenLogits(again), goldenLogits(model), 1e-5, "dense vs pruned");
  await Deno.remove(dir, { recursive: true });
  for (const m of [original, model, again]) m.dispose();
});

Deno.test("compact: an emptied layer keeps one zero head, uniform widths become hidden_dim", async () => {
  const model = await prunedTiny(uniform);
  const dir = await Deno.makeTempDir();
  await saveDistilBert(model, dir);
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.deepStrictEqual(config.pruned_heads, { "0": [1, 4], "1": [1, 2, 3, 4, 5] });
  assert.strictEqual(config.hidden_dim, 77);
  assert.strictEqual(config.pruning_lab_ffn_dims, undefined);
  const again = await loadDistilBert(dir);
  assert.deepStrictEqual(headCounts(again.config), [4, 1, 6]);
  assertClose(goldenLogits(again), goldenLogits(model), 1e-5, "compact vs pruned");
  // The model itself is unchanged by saving.
  assert.deepStrictEqual(headCounts(model.config), [4, 0, 6]);
  await Deno.remove(dir, { recursive: true });
  model.dispose();
  again.dispose();
});

Deno.test("compact: mixed FFN widths stay in pruning_lab_ffn_dims", async () => {
  const model = await prunedTiny({ "0": [0, 5, 9], "2": [3] });
  const config = savedConfig(model.config, "compact");
  assert.deepStrictEqual(config.pruning_lab_ffn_dims, [77, 80, 79]);
  assert.strictEqual(config.hidden_dim, 80);
  const { tensors } = layOut(model, "compact");
  assert.deepStrictEqual(
    tensors.get("distilbert.transformer.layer.0.ffn.lin1.weight")!.shape,
    [77, 48],
  );
  model.dispose();
});

Deno.test("F16 weights: config.json says float32 (torch_dtype and dtype)", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const dir = await Deno.makeTempDir();
  await saveDistilBert(model, dir, { dtype: "F16" });
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  assert.strictEqual(config.torch_dtype, "float32");
  assert.strictEqual(config.dtype, "float32");
  const header = new TextDecoder().decode(
    (await Deno.readFile(join(dir, "model.safetensors"))).slice(8, 200),
  );
  assert.ok(header.includes('"F16"'), "weights stored as F16");
  await Deno.remove(dir, { recursive: true });
  model.dispose();
});

Deno.test("with tokenizer and card the folder is a complete model folder", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const base = structuredClone(model.config);
  const parameters = model.numParameters();
  pruneHeads(model, { "2": [0, 5] });
  const dir = await Deno.makeTempDir();
  await saveDistilBert(model, dir, {
    tokenizer: EMBEDDED,
    card: {
      baseModel: "distilbert-tiny",
      baseConfig: base,
      baseParameters: parameters,
      steps: ["heads: 2 of 18 removed by a plan"],
      accuracy: { data: "reviews.csv", examples: 240, before: 0.9, after: 0.875 },
    },
  });
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepStrictEqual(names, [
    "README.md",
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
  ]);
  const tokenizerConfig = JSON.parse(await Deno.readTextFile(join(dir, "tokenizer_config.json")));
  assert.strictEqual(tokenizerConfig.tokenizer_class, "DistilBertTokenizer");
  assert.deepStrictEqual(tokenizerConfig.model_input_names, ["input_ids", "attention_mask"]);
  assert.strictEqual(tokenizerConfig.model_max_length, model.config.max_position_embeddings);
  assert.strictEqual((await loadTokenizer(dir)).modelMaxLength, 40);
  const card = await Deno.readTextFile(join(dir, "README.md"));
  for (
    const line of [
      "- heads: 2 of 18 removed by a plan",
      "| heads per layer | 6 6 6 | 6 6 4 |",
      "| accuracy on reviews.csv (240 sentences) | 90.00% | 87.50% |",
      "- transformers 4.x (applies `pruned_heads`; checked with 4.57.6), pipeline included",
    ]
  ) {
    assert.ok(card.includes(line), `card lacks: ${line}\n${card}`);
  }
  await Deno.remove(dir, { recursive: true });
  model.dispose();
});

Deno.test("an unknown layout is one clear error", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  // deno-lint-ignore no-explicit-any
  assert.throws(() => layOut(model, "sparse" as any), {
    message: 'layout "sparse": expected compact or dense',
  });
  model.dispose();
});
