// ONNX export: onnxruntime-node reproduces the golden logits (dense and pruned fixtures), and
// transformers.js, offline, loads the exported folder of the embedded model (dense and pruned)
// and returns our labels and logits (within 1e-4) on 100 product reviews.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  pipeline,
} from "@huggingface/transformers";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import { loadModel, TINY_MODEL } from "lib/model/loading.ts";
import { exportForTransformersJs, exportOnnx } from "lib/deploy/onnx_export.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";
import { tokenFeeds } from "lib/deploy/ort_tensors.ts";
import { TIMING_SESSION_OPTIONS } from "lib/deploy/ort_timing.ts";

await initTf();
const golden = JSON.parse(await Deno.readTextFile(join(TINY, "golden.json")));

Deno.test("onnxruntime runs the exported tiny model and its pruned copy like the golden logits (timing options too)", async () => {
  for (
    const [folder, expected] of [["model", golden.logits], [
      "model-pruned",
      golden.logits_after_pruning,
    ]]
  ) {
    const model = await loadDistilBert(join(TINY, folder));
    // With the default options and with the timing options (intra-op threads not spinning).
    for (const options of [{}, TIMING_SESSION_OPTIONS]) {
      const session = await ort.InferenceSession.create(exportOnnx(model), options);
      const out = await session.run(
        tokenFeeds({ inputIds: golden.input_ids, attentionMask: golden.attention_mask }),
      );
      assertClose(out.logits.data as Float32Array, expected.flat(), 1e-4, `${folder} logits`);
      await session.release();
    }
    model.dispose();
  }
});

Deno.test("transformers.js, offline, classifies like our model from the exported folder (dense and pruned)", async () => {
  const texts = (await readLabelledFile(REVIEWS_CSV)).slice(0, 100).map((r) => r.sentence);
  const root = await Deno.makeTempDir();
  env.allowRemoteModels = false;
  env.localModelPath = `${root}/`;
  try {
    for (const variant of ["dense", "pruned"]) {
      const { model, tokenizer, dir } = await loadModel(TINY_MODEL);
      if (variant === "pruned") {
        pruneHeads(model, { "0": [0, 5], "2": [1, 2, 3], "5": [4, 7, 11] });
        pruneFfnNeurons(model, { "1": Array.from({ length: 192 }, (_, i) => 2 * i) });
      }
      await exportForTransformersJs(model, dir, join(root, variant));
      // A complete folder: its card names the shapes it holds.
      const card = await Deno.readTextFile(join(root, variant, "README.md"));
      assert.match(card, new RegExp(`^# ${variant} \\(ONNX export\\)`));
      const heads = variant === "pruned" ? "10 12 9 12 12 9" : "12 12 12 12 12 12";
      assert.ok(card.includes(`| heads per layer | ${heads} (of 12) |`), card);
      const ours = tf.tidy(() => {
        const { inputIds, attentionMask } = tokenizer.encodeTensors(texts);
        return model.forward(inputIds, attentionMask).logits.arraySync() as number[][];
      });
      const theirTokenizer = await AutoTokenizer.from_pretrained(variant);
      const theirModel = await AutoModelForSequenceClassification.from_pretrained(variant, {
        dtype: "fp32",
      });
      const { logits } = await theirModel(
        await theirTokenizer(texts, { padding: true, truncation: true }),
      );
      assertClose((logits.tolist() as number[][]).flat(), ours.flat(), 1e-4, `${variant} logits`);
      const classify = await pipeline("sentiment-analysis", variant, { dtype: "fp32" });
      const labels = (await classify(texts) as { label: string }[]).map((r) => r.label);
      const ourLabels = ours.map((l) => model.config.id2label![String(l[1] > l[0] ? 1 : 0)]);
      assert.deepStrictEqual(labels, ourLabels, `${variant} labels`);
      await classify.dispose();
      await theirModel.dispose();
      model.dispose();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
