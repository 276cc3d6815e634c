// Benchmark (not a test): how fast saved model folders run in each JavaScript runtime the
// course deploys to: this project's engine (tfjs), onnxruntime on an ONNX export of the folder's
// weights (a dense folder exports its zero rows too), onnxruntime on the folder's own
// onnx/model.onnx (the compact graph `deno task prune` writes) and transformers.js on that
// folder. Throughput on the product reviews in batches of 32, and the median latency of one
// review; medians over rounds that take every runner in turn. tools/hf_reference.py `speed`
// measures the same for transformers (torch).
//
//   deno run -A bench/layouts.ts <folder>... [--data data/reviews.csv] [--repeats 30] [--rounds 3]
import { parseArgs } from "node:util";
import { basename, dirname, join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { env, pipeline } from "@huggingface/transformers";
import { initTf } from "lib/engine/tf.ts";
import { loadModel } from "lib/model/loading.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { predictor } from "lib/evaluation/predict.ts";
import { quantile } from "lib/evaluation/evaluation.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";

const { values: args, positionals: folders } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    data: { type: "string" },
    repeats: { type: "string", default: "30" },
    rounds: { type: "string", default: "3" },
  },
});
if (folders.length === 0) {
  console.error("layouts: give one or more model folders");
  Deno.exit(2);
}
const repeats = Number(args.repeats);
const rounds = Number(args.rounds);
const texts = (await readLabelledFile(args.data ?? REVIEWS_CSV)).map((d) => d.sentence);
await initTf();

/** Examples per second over every text in batches of 32, and the median ms of one text. */
async function measure(run: (batch: string[]) => Promise<unknown>) {
  await run(texts.slice(0, 32));
  const started = performance.now();
  for (let b = 0; b < texts.length; b += 32) await run(texts.slice(b, b + 32));
  const perSecond = texts.length / ((performance.now() - started) / 1000);
  const single: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await run([texts[(i * 7) % texts.length]]);
    single.push(performance.now() - t);
  }
  return { perSecond, p50: quantile(single, 0.5) };
}

/** An onnxruntime session on ONNX bytes or a file, as a batch runner with the folder's tokenizer. */
async function ortRunner(model: Uint8Array | string, tokenizer: TextTokenizer, positions: number) {
  const session = typeof model === "string"
    ? await ort.InferenceSession.create(model)
    : await ort.InferenceSession.create(model);
  const run = (batch: string[]) => {
    const { inputIds, attentionMask } = tokenizer.pad(
      batch.map((t) => tokenizer.encode(t, positions)),
    );
    const dims = [inputIds.length, inputIds[0].length];
    const int64 = (rows: number[][]) =>
      new ort.Tensor("int64", BigInt64Array.from(rows.flat(), (v) => BigInt(v)), dims);
    return session.run({ input_ids: int64(inputIds), attention_mask: int64(attentionMask) });
  };
  return { run, release: () => session.release() };
}

/** One runtime on one folder, ready to run batches. */
interface Runner {
  folder: string;
  runtime: string;
  run: (batch: string[]) => Promise<unknown>;
}
const runners: Runner[] = [];
const releases: (() => Promise<void>)[] = [];
for (const folder of folders) {
  const name = basename(resolve(folder));
  const { model, tokenizer } = await loadModel(folder);
  const positions = model.config.max_position_embeddings;
  const tfjs = await predictor(model, tokenizer, "tfjs");
  runners.push({
    folder: name,
    runtime: "this engine (tfjs-wasm)",
    run: (b) => tfjs(b, { batchSize: 32 }),
  });
  const exported = await ortRunner(exportOnnx(model), tokenizer, positions);
  runners.push({
    folder: name,
    runtime: "onnxruntime, export of the saved weights",
    run: exported.run,
  });
  releases.push(exported.release);
  const own = join(folder, "onnx", "model.onnx");
  if (await Deno.stat(own).then(() => true, () => false)) {
    const session = await ortRunner(own, tokenizer, positions);
    runners.push({
      folder: name,
      runtime: "onnxruntime, the folder's onnx/model.onnx",
      run: session.run,
    });
    releases.push(session.release);
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = dirname(resolve(folder)) + "/";
    const classify = await pipeline("sentiment-analysis", name, { dtype: "fp32" });
    runners.push({
      folder: name,
      runtime: "transformers.js (onnx/model.onnx)",
      run: (b) => classify(b),
    });
    releases.push(() => classify.dispose());
  }
}
// Rounds interleave every runner, so that a busy machine slows all of them alike; medians.
const results = runners.map(() => ({ perSecond: [] as number[], p50: [] as number[] }));
for (let round = 0; round < rounds; round++) {
  for (const [i, r] of runners.entries()) {
    const m = await measure(r.run);
    results[i].perSecond.push(m.perSecond);
    results[i].p50.push(m.p50);
    console.error(`round ${round + 1}: ${r.folder}, ${r.runtime}: ${m.perSecond.toFixed(1)}/s`);
  }
}
for (const release of releases) await release();
console.log(`| folder | runtime | examples/s (batch 32) | p50 ms (1 review) |`);
console.log("|---|---|---|---|");
for (const [i, r] of runners.entries()) {
  const { perSecond, p50 } = results[i];
  console.log(
    `| ${r.folder} | ${r.runtime} | ${quantile(perSecond, 0.5).toFixed(1)} | ${
      quantile(p50, 0.5).toFixed(2)
    } |`,
  );
}
