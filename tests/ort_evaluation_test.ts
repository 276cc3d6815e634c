// The evaluation pipeline on onnxruntime: the in-memory export with a head-mask input gives
// tfjs' logits (within 1e-5) with and without per-example head masks, on a model with pruned
// heads too, predictor's headMask option on either engine, and evaluateClassifier reports the same accuracy on either engine.
import { join } from "node:path";
import { assert, assertClose } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { golden } from "./helpers/golden.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import { headCounts } from "lib/model/config.ts";
import { OrtClassifier } from "lib/evaluation/ort_classifier.ts";
import { loadModel, TINY_MODEL } from "lib/model/loading.ts";
import { predictor, predictProbabilities } from "lib/evaluation/predict.ts";
import { evaluateClassifier } from "lib/evaluation/evaluation.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";

await initTf();

Deno.test("onnxruntime with a head-mask input equals tfjs within 1e-5 (no mask, one mask, a mask per example; pruned heads)", async () => {
  for (const folder of ["model", "model-pruned"]) {
    const model = await loadDistilBert(join(TINY, folder));
    const session = await OrtClassifier.create(model);
    const ids = golden.input_ids as number[][];
    const mask = golden.attention_mask as number[][];
    const heads = headCounts(model.config);
    const tfjs = (headMask?: tf.Tensor[]) =>
      tf.tidy(() =>
        model.forward(tf.tensor2d(ids, undefined, "int32"), tf.tensor2d(mask, undefined, "int32"), {
          headMask,
        }).logits.arraySync() as number[][]
      );
    assertClose((await session.logits(ids, mask)).flat(), tfjs().flat(), 1e-5, `${folder}: logits`);
    // One mask for all: the first head of every layer off.
    const shared = heads.map((n) => Array.from({ length: n }, (_, h) => (h === 0 ? 0 : 1)));
    const sharedTf = shared.map((row) => tf.tensor1d(row));
    assertClose(
      (await session.logits(ids, mask, shared)).flat(),
      tfjs(sharedTf).flat(),
      1e-5,
      `${folder}: one head mask`,
    );
    // A different head off in each example (the batched ablation layout).
    const perExample = ids.map((_, b) =>
      heads.map((n, l) =>
        Array.from({ length: n }, (_, h) => (l === b % heads.length && h === b % n ? 0 : 1))
      )
    );
    const perExampleTf = heads.map((_, l) => tf.tensor2d(perExample.map((rows) => rows[l])));
    const masked = await session.logits(ids, mask, perExample);
    assertClose(masked.flat(), tfjs(perExampleTf).flat(), 1e-5, `${folder}: per-example masks`);
    assert.ok(
      masked.flat().some((v, i) => Math.abs(v - tfjs().flat()[i]) > 1e-6),
      "the masks change the logits",
    );
    tf.dispose([...sharedTf, ...perExampleTf]);
    await assert.rejects(() => session.logits(ids, mask, [[1]]), /headMask has 1 layers/);
    await session.release();
    model.dispose();
  }
});

Deno.test("evaluateClassifier and predictor: onnxruntime gives tfjs' probabilities and accuracy on the product reviews", async () => {
  const { model, tokenizer } = await loadModel(TINY_MODEL);
  const data = (await readLabelledFile(REVIEWS_CSV)).slice(0, 96);
  const texts = data.map((d) => d.sentence);
  const predict = await predictor(model, tokenizer, "onnxruntime");
  const viaOrt = await predict(texts, { batchSize: 16 });
  await predict.release();
  assertClose(
    viaOrt.flat(),
    predictProbabilities(model, tokenizer, texts, { batchSize: 16 }).flat(),
    1e-5,
    "probabilities",
  );
  // A head mask (a pruning-curve point) reaches both engines: same numbers, and not the unmasked ones.
  const headMask = headCounts(model.config).map((n, l) =>
    Array.from({ length: n }, (_, h) => (h % 3 === l % 3 ? 0 : 1))
  );
  const masked = await predictor(model, tokenizer, "onnxruntime");
  const maskedOrt = await masked(texts, { batchSize: 16, headMask });
  await masked.release();
  const maskedTfjs = predictProbabilities(model, tokenizer, texts, { batchSize: 16, headMask });
  assertClose(maskedOrt.flat(), maskedTfjs.flat(), 1e-5, "probabilities under a head mask");
  assert.ok(
    maskedTfjs.flat().some((v, i) => Math.abs(v - viaOrt.flat()[i]) > 1e-4),
    "the head mask changes the probabilities",
  );
  const options = { latencySamples: 4, warmup: 1 };
  const [a, b] = [
    await evaluateClassifier(model, tokenizer, data, options),
    await evaluateClassifier(model, tokenizer, data, { ...options, engine: "onnxruntime" }),
  ];
  assert.strictEqual(b.accuracy, a.accuracy);
  assert.ok(b.latencyP50Ms > 0 && b.throughputPerSecond > 0);
  model.dispose();
});
