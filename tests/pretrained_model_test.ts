// The pretrained model: the BERT -> DistilBERT conversion (tools/convert_bert.ts) against Hugging
// Face's own PyTorch BertModel (fixture by tools/bert_reference.py), and the shipped
// `distilbert-sst2-minilm` (all-MiniLM-L6-v2 fine-tuned on SST-2): HF layout, 6 x 12 heads,
// size, its card's dev accuracy, and the ONNX export path.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { assert, assertClose } from "./helpers/assert.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { PROJECT_ROOT } from "lib/io/paths.ts";
import { exists } from "lib/io/hub.ts";
import { loadModel, MODELS_DIR } from "lib/model/loading.ts";
import { loadDistilBert } from "lib/model/io.ts";
import { headCounts } from "lib/model/config.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { readSafetensors } from "lib/io/safetensors.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { accuracyOf, predictor } from "lib/evaluation/predict.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import { convertedModel, readFloatTensors } from "../tools/convert_bert.ts";
import { tokenFeeds } from "lib/deploy/ort_tensors.ts";

await initTf();
const FIXTURE = join(PROJECT_ROOT, "tests", "fixtures", "bert-conversion");
const CONVERTED = join(PROJECT_ROOT, "data", "cache", "converted", "all-minilm-l6-v2");
const NAME = "distilbert-sst2-minilm";
const SHIPPED = join(MODELS_DIR, NAME);

/** Compares the model's hidden states with a reference file's `hidden_states.<i>` tensors. */
async function assertHiddenStatesMatch(
  model: DistilBertForSequenceClassification,
  referenceFile: string,
): Promise<number> {
  const ref = await readSafetensors(referenceFile);
  const ids = ref.get("input_ids")!;
  const mask = ref.get("attention_mask")!;
  const out = model.forward(
    tf.tensor2d(ids.data as Int32Array, ids.shape as [number, number], "int32"),
    tf.tensor2d(mask.data as Int32Array, mask.shape as [number, number], "int32"),
    { outputHiddenStates: true },
  );
  let compared = 0;
  for (const [name, expected] of ref) {
    const layer = name.match(/^hidden_states\.(\d+)$/)?.[1];
    if (layer === undefined) continue;
    const actual = out.hiddenStates![Number(layer)];
    assert.deepStrictEqual(actual.shape, expected.shape, `${name} shape`);
    assertClose(actual.dataSync(), expected.data as Float32Array, 1e-4, name);
    compared++;
  }
  tf.dispose([out.logits, ...out.hiddenStates!]);
  return compared;
}

Deno.test("a random tiny BERT converts to a DistilBERT with HF BertModel's hidden states (1e-4)", async () => {
  const dir = join(FIXTURE, "tiny-bert");
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const model = convertedModel(config, await readFloatTensors(join(dir, "model.safetensors")), 0);
  assert.deepStrictEqual(headCounts(model.config), [4, 4]);
  const compared = await assertHiddenStatesMatch(model, join(dir, "reference.safetensors"));
  assert.strictEqual(compared, 3, "embeddings output and both layers compared");
  model.dispose();
});

const haveConverted = await exists(join(CONVERTED, "model.safetensors"));
Deno.test({
  name: haveConverted
    ? "the converted all-MiniLM-L6-v2 encoder equals the PyPI package's PyTorch outputs (1e-4)"
    : "the converted all-MiniLM-L6-v2 encoder equals its PyTorch outputs (skipped: no " +
      "data/cache/converted/all-minilm-l6-v2; make it with tools/convert_bert.ts, see docs/models.md)",
  ignore: !haveConverted,
  fn: async () => {
    const model = await loadDistilBert(CONVERTED);
    const compared = await assertHiddenStatesMatch(model, join(FIXTURE, "minilm.safetensors"));
    assert.ok(compared >= 2, "hidden states compared");
    model.dispose();
  },
});

// The shipped model (data/models): its tests never skip for want of it.
const card = JSON.parse(await Deno.readTextFile(join(SHIPPED, "eval.json")));

Deno.test({
  name: `loadModel("${NAME}") finds it: HF layout, F16, ≤ 50 MB, 6 layers x 12 heads`,
  fn: async () => {
    for (
      const file of [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "README.md",
        "conversion.json",
      ]
    ) {
      assert.ok((await Deno.stat(join(SHIPPED, file))).isFile, file);
    }
    const weights = join(SHIPPED, "model.safetensors");
    assert.ok((await Deno.stat(weights)).size <= 50e6, "weights file over 50 MB");
    const bytes = await Deno.readFile(weights);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    const dtypes = new Set(
      Object.entries(header).filter(([k]) => k !== "__metadata__").map(([, v]) =>
        (v as { dtype: string }).dtype
      ),
    );
    assert.deepStrictEqual([...dtypes], ["F16"]);
    const { model, tokenizer } = await loadModel(NAME);
    assert.deepStrictEqual(headCounts(model.config), [12, 12, 12, 12, 12, 12]);
    assert.strictEqual(model.config.dim, 384);
    assert.deepStrictEqual(model.config.id2label, { "0": "NEGATIVE", "1": "POSITIVE" });
    assert.deepStrictEqual(tokenizer.encode("Hello World"), [101, 7592, 2088, 102]);
    const readme = await Deno.readTextFile(join(SHIPPED, "README.md"));
    assert.ok(readme.includes(`${(100 * card.devAccuracy).toFixed(2)}%`), "card states dev");
    model.dispose();
  },
});

Deno.test({
  name: `${NAME} exports through the ONNX path: onnxruntime logits within 1e-4 of tfjs`,
  fn: async () => {
    const { model, tokenizer } = await loadModel(NAME);
    const sentences = ["a gripping, beautifully acted film.", "the jokes fall flat", "meh"];
    const { inputIds, attentionMask } = tokenizer.encodeBatch(sentences);
    const logits = tf.tidy(() =>
      model.forward(
        tf.tensor2d(inputIds, undefined, "int32"),
        tf.tensor2d(attentionMask, undefined, "int32"),
      ).logits.arraySync()
    );
    const session = await ort.InferenceSession.create(exportOnnx(model));
    const out = await session.run(tokenFeeds({ inputIds: inputIds, attentionMask: attentionMask }));
    assertClose(out.logits.data as Float32Array, logits.flat(), 1e-4, "onnxruntime logits");
    await session.release();
    model.dispose();
  },
});

const dev = await loadSst2("validation").catch((e: Error) => e);
Deno.test({
  name: dev instanceof Error
    ? `${NAME}: SST-2 dev accuracy reproduces the card (skipped: no SST-2 source — ${
      dev.message.split(":")[0]
    })`
    : `${NAME}: SST-2 dev accuracy reproduces the card's ${
      (100 * card.devAccuracy).toFixed(2)
    }% within 0.5 point (on onnxruntime, which gives tfjs' logits within 1e-5)`,
  ignore: dev instanceof Error,
  fn: async () => {
    const data = dev as { sentence: string; label: number }[];
    const { model, tokenizer } = await loadModel(NAME);
    const predict = await predictor(model, tokenizer, "onnxruntime");
    const accuracy = accuracyOf(
      await predict(data.map((d) => d.sentence), { batchSize: 64 }),
      data.map((d) => d.label),
    );
    await predict.release();
    assert.ok(
      accuracy >= card.devAccuracy - 0.005,
      `dev accuracy ${accuracy} < card ${card.devAccuracy} - 0.5 point`,
    );
    model.dispose();
  },
});
