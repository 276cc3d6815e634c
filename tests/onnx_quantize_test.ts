// int8 ONNX export: per-channel quantization of one matrix; the int8 graph (dynamic, fused and
// weight-only) runs on onnxruntime-node with logits close to float (tolerance measured: worst
// |diff| 0.021 on the embedded model over data/reviews.csv) and the same labels; a layer with
// all heads pruned exports, an FFN of width 0 is one error naming its tensor; transformers.js,
// offline, with `dtype: "q8"` loads onnx/model_quantized.onnx and gives our tfjs labels.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { env, pipeline } from "@huggingface/transformers";
import { assert, assertClose } from "./helpers/assert.ts";
import { EMBEDDED, sst2Mirror, TINY } from "./helpers/paths.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { loadModel } from "lib/model/loading.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import {
  dequantizePerChannel,
  exportInt8ForTransformersJs,
  exportOnnxInt8,
  type Int8Mode,
  quantizePerChannel,
} from "lib/deploy/quantize.ts";
import { pruneHeads, replace } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { pruneVocabulary, usedTokenIds } from "lib/prune/vocabulary.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";
import { tokenFeeds } from "lib/deploy/ort_tensors.ts";

await initTf();
const reviews = (await readLabelledFile(REVIEWS_CSV)).map((r) => r.sentence);
const golden = JSON.parse(await Deno.readTextFile(join(TINY, "golden.json")));

/** Logits `[batch * labels]` of an ONNX model on padded rows. */
async function ortLogits(
  bytes: Uint8Array,
  inputIds: number[][],
  attentionMask: number[][],
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run(tokenFeeds({ inputIds: inputIds, attentionMask: attentionMask }));
  await session.release();
  return out.logits.data as Float32Array;
}

function tfjsLogits(
  model: DistilBertForSequenceClassification,
  tokenizer: TextTokenizer,
  texts: string[],
): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < texts.length; i += 64) {
    rows.push(...tf.tidy(() => {
      const { inputIds, attentionMask } = tokenizer.encodeTensors(texts.slice(i, i + 64));
      return model.forward(inputIds, attentionMask).logits.arraySync() as number[][];
    }));
  }
  return rows;
}

const argmax = (l: ArrayLike<number>, b: number) => (l[2 * b + 1] > l[2 * b] ? 1 : 0);

Deno.test("quantizePerChannel: symmetric int8 per row, zero rows get scale 1, bad sizes are one error", () => {
  const { values, scales } = quantizePerChannel(Float32Array.from([0.5, -1, 0.25, 0]), 2, 2);
  assert.deepStrictEqual([...values], [64, -127, 127, 0]);
  assertClose(scales, [1 / 127, 0.25 / 127], 1e-9, "scales");
  const zero = quantizePerChannel(new Float32Array(6), 2, 3);
  assert.deepStrictEqual([...zero.scales], [1, 1]);
  assert.deepStrictEqual([...zero.values], [0, 0, 0, 0, 0, 0]);
  assert.strictEqual(quantizePerChannel(new Float32Array(0), 0, 5).scales.length, 0);
  assert.throws(() => quantizePerChannel(new Float32Array(5), 2, 3), /5 values .* \[2, 3\]/);
  const w = Float32Array.from({ length: 64 * 32 }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 5)));
  const q = quantizePerChannel(w, 64, 32);
  const back = dequantizePerChannel(q, 64, 32);
  for (let r = 0; r < 64; r++) {
    for (let c = 0; c < 32; c++) {
      assert.ok(Math.abs(back[r * 32 + c] - w[r * 32 + c]) <= q.scales[r] / 2 + 1e-7);
    }
  }
});

Deno.test("the int8 export runs on onnxruntime-node with logits close to float and the same labels", async () => {
  const { model, tokenizer } = await loadModel(EMBEDDED);
  try {
    const { inputIds, attentionMask } = tokenizer.encodeBatch(reviews);
    const float = await ortLogits(exportOnnx(model), inputIds, attentionMask);
    const dense = exportOnnx(model).length;
    for (const mode of ["dynamic", "dynamic-fused", "weights"] as Int8Mode[]) {
      const bytes = exportOnnxInt8(model, { mode });
      assert.ok(bytes.length < dense / 3.5, `${mode}: ${bytes.length} bytes vs ${dense}`);
      const int8 = await ortLogits(bytes, inputIds, attentionMask);
      assertClose(int8, float, 0.1, `${mode} logits`);
      let agree = 0;
      for (let b = 0; b < reviews.length; b++) {
        agree += Number(argmax(int8, b) === argmax(float, b));
      }
      assert.ok(
        agree >= 0.99 * reviews.length,
        `${mode}: labels agree on ${agree}/${reviews.length}`,
      );
    }
  } finally {
    model.dispose();
  }
});

Deno.test("int8 export of the golden tiny models (dense, pruned, a layer with every head pruned): weight-only equals float on dequantized weights, dynamic is close", async () => {
  for (const folder of ["model", "model-pruned", "model-empty-layer"]) {
    const load = async () => {
      const model = await loadDistilBert(join(TINY, folder === "model-pruned" ? folder : "model"));
      if (folder === "model-empty-layer") pruneHeads(model, { "1": [0, 1, 2, 3, 4, 5] });
      return model;
    };
    const model = await load();
    // The same model with every quantized matrix replaced by what its int8 version stands for.
    const rounded = await load();
    for (const [name, p] of rounded.params) {
      if (p.rank !== 2 || name.includes("position_embeddings") || name.startsWith("classifier")) {
        continue;
      }
      const [rows, cols] = p.shape;
      const q = quantizePerChannel(p.dataSync() as Float32Array, rows, cols);
      replace(rounded, name, () => tf.tensor2d(dequantizePerChannel(q, rows, cols), [rows, cols]));
    }
    const run = (bytes: Uint8Array) => ortLogits(bytes, golden.input_ids, golden.attention_mask);
    const weightsOnly = await run(exportOnnxInt8(model, { mode: "weights" }));
    assertClose(weightsOnly, await run(exportOnnx(rounded)), 1e-4, `${folder} weight-only`);
    // Dynamic activations add their own rounding: on these random weights (logits up to 2.8)
    // the worst difference measured from float is 0.20.
    const dynamic = await run(exportOnnxInt8(model));
    assertClose(dynamic, await run(exportOnnx(model)), 0.3, `${folder} dynamic`);
    model.dispose();
    rounded.dispose();
  }
});

Deno.test("int8 export of an FFN pruned to width 0 is one error naming the tensor", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  try {
    pruneFfnNeurons(model, { "2": Array.from({ length: 80 }, (_, i) => i) });
    assert.throws(
      () => exportOnnxInt8(model),
      /distilbert\.transformer\.layer\.2\.ffn\.lin1\.weight has 0 rows/,
    );
    assert.throws(() => exportOnnxInt8(model, { mode: "fast" as Int8Mode }), /mode "fast"/);
  } finally {
    model.dispose();
  }
});

Deno.test("transformers.js, offline, with dtype q8 loads onnx/model_quantized.onnx and gives our labels (reviews; SST-2 dev when available)", async () => {
  const mirror = sst2Mirror();
  const dev = mirror ? (await loadSst2("validation")).map((r) => r.sentence) : [];
  const train = mirror ? (await loadSst2("train")).map((r) => r.sentence) : [];
  if (!mirror) console.log("SST-2 dev part skipped: PRUNING_LAB_DATA_MIRROR has no sst2/dev.tsv");
  const root = await Deno.makeTempDir();
  env.allowRemoteModels = false;
  env.localModelPath = `${root}/`;
  const { model, tokenizer, dir } = await loadModel(EMBEDDED);
  try {
    // The notebook's pipeline in small: heads, FFN neurons, vocabulary, then int8.
    pruneHeads(model, { "0": [0, 5], "2": [1, 2, 3], "5": [4, 7, 11] });
    pruneFfnNeurons(model, { "1": Array.from({ length: 96 }, (_, i) => 4 * i) });
    const pruned = await pruneVocabulary(
      model,
      dir,
      usedTokenIds(tokenizer, [...train, ...reviews]),
      { outDir: join(root, "vocab") },
    );
    await exportInt8ForTransformersJs(model, join(root, "vocab"), join(root, "final"));
    // Without the float file, only the quantized one can be what q8 loads.
    await Deno.remove(join(root, "final", "onnx", "model.onnx"));
    const classify = await pipeline("sentiment-analysis", "final", { dtype: "q8" });
    for (const [name, texts] of [["reviews", reviews], ["SST-2 dev", dev]] as const) {
      if (texts.length === 0) continue;
      const ours = tfjsLogits(model, pruned.tokenizer, [...texts]).map((l) =>
        model.config.id2label![String(l[1] > l[0] ? 1 : 0)]
      );
      const theirs: string[] = [];
      for (let i = 0; i < texts.length; i += 64) {
        const out = await classify(texts.slice(i, i + 64)) as { label: string }[];
        theirs.push(...out.map((r) => r.label));
      }
      const agree = theirs.filter((l, i) => l === ours[i]).length;
      console.log(`transformers.js q8 vs our tfjs labels, ${name}: ${agree}/${texts.length}`);
      assert.ok(agree >= 0.99 * texts.length, `${name}: labels agree on ${agree}/${texts.length}`);
    }
    await classify.dispose();
  } finally {
    model.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
