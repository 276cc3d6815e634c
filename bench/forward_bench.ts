// Benchmark report (not a test): DistilBERT-base shapes with random weights. One run prints
// (1) tfjs (default backend) and the ONNX export on onnxruntime-node for dense / 30% heads /
// 30% heads + 50% FFN, B = 1 and 16, S = 64 and 128: ms, GFLOP/s, speedup against dense and
// the FLOP ratio; (2) the speedup of the wasm transpose-first matmul fix on a backward pass.
// Reference measured elsewhere on this kind of machine at B=16, S=64: PyTorch (2 threads)
// 253 ms, onnxruntime-node 242 ms, tfjs-wasm ~2650 ms.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { initTf, tf } from "lib/tf.ts";
import { parseConfig } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { useTransposeFirst } from "lib/wasm_fixes.ts";
import { forwardFlops } from "lib/flops.ts";
import { exportOnnx } from "lib/onnx_export.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";

const SHARED = Deno.env.get("PRUNING_LAB_DATA_MIRROR") ?? join("..", "shared", "data");
const configPath = join(SHARED, "distilbert-base-uncased-finetuned-sst-2-english", "config.json");
const config = parseConfig(JSON.parse(await Deno.readTextFile(configPath)), configPath);
const backend = await initTf();
const SHAPES = [[1, 64], [1, 128], [16, 64], [16, 128]];

/** Median milliseconds of `fn` over `repeats` runs after one warm-up. */
async function medianMs(fn: () => unknown, repeats: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[repeats >> 1];
}

/** The three variants: 22 of 72 heads (30%) spread over the layers, then half of each FFN. */
function variants(): [string, DistilBertForSequenceClassification][] {
  const heads30 = Object.fromEntries(
    Array.from(
      { length: 6 },
      (_, l) => [String(l), Array.from({ length: l < 4 ? 4 : 3 }, (_, k) => (3 * k + l) % 12)],
    ),
  );
  const dense = DistilBertForSequenceClassification.random(config, 0);
  const heads = DistilBertForSequenceClassification.random(config, 0);
  pruneHeads(heads, heads30);
  const both = DistilBertForSequenceClassification.random(config, 0);
  pruneHeads(both, heads30);
  pruneFfnNeurons(
    both,
    Object.fromEntries(
      Array.from({ length: 6 }, (_, l) => [
        String(l),
        Array.from({ length: 1536 }, (_, i) => 2 * i),
      ]),
    ),
  );
  return [["dense", dense], ["heads30", heads], ["heads30+ffn50", both]];
}

console.log(
  `backend ${backend}; DistilBERT-base shapes (${config.n_layers} layers, dim ${config.dim}, FFN ${config.hidden_dim}); onnxruntime-node ${
    ort.env.versions?.common ?? ""
  }\n`,
);
const rows: {
  variant: string;
  batch: number;
  seq: number;
  engine: string;
  ms: number;
  flops: number;
}[] = [];
for (const [name, model] of variants()) {
  const session = await ort.InferenceSession.create(exportOnnx(model));
  for (const [batch, seq] of SHAPES) {
    const ids = tf.randomUniform([batch, seq], 1000, 20000, "int32") as tf.Tensor2D;
    const mask = tf.onesLike(ids) as tf.Tensor2D;
    const flops = forwardFlops(model.config, batch, seq);
    const tfjsMs = await medianMs(
      () => tf.tidy(() => void model.forward(ids, mask).logits.dataSync()),
      batch === 1 ? 5 : 3,
    );
    const feed = (t: tf.Tensor) =>
      new ort.Tensor("int64", BigInt64Array.from(Array.from(t.dataSync(), BigInt)), [batch, seq]);
    const feeds = { input_ids: feed(ids), attention_mask: feed(mask) };
    const ortMs = await medianMs(() => session.run(feeds), 10);
    rows.push({ variant: name, batch, seq, engine: `tfjs-${backend}`, ms: tfjsMs, flops });
    rows.push({ variant: name, batch, seq, engine: "onnxruntime", ms: ortMs, flops });
    tf.dispose([ids, mask]);
  }
  await session.release();
  model.dispose();
}
console.log(
  "| engine | variant | B | S | ms | GFLOP/s | speedup vs dense | FLOP ratio | speedup / FLOP ratio |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const dense = rows.find((d) =>
    d.variant === "dense" && d.engine === r.engine && d.batch === r.batch && d.seq === r.seq
  )!;
  const speedup = dense.ms / r.ms;
  const flopRatio = dense.flops / r.flops;
  console.log(
    `| ${r.engine} | ${r.variant} | ${r.batch} | ${r.seq} | ${r.ms.toFixed(1)} | ${
      (r.flops / r.ms / 1e6).toFixed(1)
    } | ${speedup.toFixed(2)} | ${flopRatio.toFixed(2)} | ${(speedup / flopRatio).toFixed(2)} |`,
  );
}

// Backward pass of one full-width layer: every matmul gradient uses a transposed product.
const layer = DistilBertForSequenceClassification.random({ ...config, n_layers: 1 }, 1);
const ids = tf.randomUniform([4, 64], 1000, 20000, "int32") as tf.Tensor2D;
const mask = tf.onesLike(ids) as tf.Tensor2D;
const variables = [...layer.params.values()];
const backward = () =>
  tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => layer.forward(ids, mask).logits.sum() as tf.Scalar,
      variables,
    );
    Object.values(grads).forEach((g) => g.dataSync());
  });
const fixed = await medianMs(backward, 3);
useTransposeFirst(false);
const unfixed = await medianMs(backward, 1);
useTransposeFirst(true);
console.log(
  `\nbackward of one layer (B=4, S=64): transpose-first ${
    fixed.toFixed(0)
  } ms, wasm's transposed BatchMatMul ${unfixed.toFixed(0)} ms: ${
    (unfixed / fixed).toFixed(1)
  }x faster with the fix`,
);
