// The shipped small model: HF layout, 6 x 12 heads, size target, and its card's SST-2 dev
// accuracy reproduced (within 0.5 point) whenever an SST-2 source exists; which model is the default.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { initTf } from "lib/engine/tf.ts";
import {
  DEFAULT_MODEL,
  defaultModelName,
  FULL_SIZE_MODEL,
  loadModel,
  MODELS_DIR,
  TINY_MODEL,
} from "lib/model/loading.ts";
import { headCounts } from "lib/model/config.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";

await initTf();
const dir = join(MODELS_DIR, TINY_MODEL);
const shipped = JSON.parse(await Deno.readTextFile(join(dir, "eval.json")));
const cardAccuracy: number = shipped.devAccuracy;

Deno.test("the embedded model loads by name in HF layout with 6 layers x 12 heads", async () => {
  for (
    const file of [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "README.md",
    ]
  ) {
    assert.ok((await Deno.stat(join(dir, file))).isFile, file);
  }
  const { model, tokenizer } = await loadModel(TINY_MODEL);
  assert.deepStrictEqual(headCounts(model.config), [12, 12, 12, 12, 12, 12]);
  assert.deepStrictEqual(model.config.id2label, { "0": "NEGATIVE", "1": "POSITIVE" });
  assert.ok(
    (await Deno.stat(join(dir, "model.safetensors"))).size <= 25e6,
    "weights file over 25 MB",
  );
  assert.deepStrictEqual(tokenizer.encode("Hello World"), [101, 7592, 2088, 102]);
  const card = await Deno.readTextFile(join(dir, "README.md"));
  assert.ok(
    card.includes(`${(100 * cardAccuracy).toFixed(2)}%`),
    "the card states the dev accuracy",
  );
  model.dispose();
});

const dev = await loadSst2("validation").catch((e: Error) => e);
Deno.test({
  name: dev instanceof Error
    ? `SST-2 dev accuracy reproduces the card (skipped: no SST-2 source — ${
      dev.message.split(":")[0]
    })`
    : `SST-2 dev accuracy reproduces the card's ${
      (100 * cardAccuracy).toFixed(2)
    }% within 0.5 point`,
  ignore: dev instanceof Error,
  fn: async () => {
    const data = dev as { sentence: string; label: number }[];
    const { model, tokenizer } = await loadModel(TINY_MODEL);
    const accuracy = accuracyOf(
      predictProbabilities(model, tokenizer, data.map((d) => d.sentence), { batchSize: 64 }),
      data.map((d) => d.label),
    );
    assert.ok(
      accuracy >= cardAccuracy - 0.005,
      `dev accuracy ${accuracy} < card ${cardAccuracy} - 0.5 point`,
    );
    model.dispose();
  },
});

Deno.test("the course's model is distilbert-sst2-minilm unless PRUNING_LAB_MODEL names another", () => {
  const before = Deno.env.get("PRUNING_LAB_MODEL");
  try {
    Deno.env.delete("PRUNING_LAB_MODEL");
    assert.strictEqual(defaultModelName(), DEFAULT_MODEL);
    assert.strictEqual(DEFAULT_MODEL, "distilbert-sst2-minilm");
    Deno.env.set("PRUNING_LAB_MODEL", TINY_MODEL);
    assert.strictEqual(defaultModelName(), "distilbert-sst2-tiny");
    Deno.env.set("PRUNING_LAB_MODEL", "full");
    assert.strictEqual(defaultModelName(), FULL_SIZE_MODEL);
  } finally {
    if (before === undefined) Deno.env.delete("PRUNING_LAB_MODEL");
    else Deno.env.set("PRUNING_LAB_MODEL", before);
  }
});
