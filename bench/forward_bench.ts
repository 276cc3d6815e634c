// Benchmark (not a test): DistilBERT-base shapes with random weights on the default backend.
// Prints forward ms and GFLOP/s at B=1 and B=16 (S=64), and the speedup of the wasm
// transpose-first matmul fix on a backward pass. Reference measured elsewhere on this kind
// of machine: PyTorch (2 threads) 253 ms and tfjs-wasm ~2650 ms at B=16, S=64.
import { join } from "node:path";
import { initTf, tf } from "lib/tf.ts";
import { parseConfig } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { useTransposeFirst } from "lib/wasm_fixes.ts";
import { forwardFlops } from "lib/flops.ts";

const SHARED = Deno.env.get("PRUNING_LAB_DATA_MIRROR") ?? join("..", "shared", "data");
const configPath = join(SHARED, "distilbert-base-uncased-finetuned-sst-2-english", "config.json");
const config = parseConfig(JSON.parse(await Deno.readTextFile(configPath)), configPath);
const backend = await initTf();
const SEQ = 64;

function inputs(batch: number): [tf.Tensor2D, tf.Tensor2D] {
  const ids = tf.randomUniform([batch, SEQ], 1000, 20000, "int32") as tf.Tensor2D;
  return [ids, tf.onesLike(ids) as tf.Tensor2D];
}

/** Median milliseconds of `fn` over `repeats` runs after one warm-up. */
function medianMs(fn: () => void, repeats: number): number {
  fn();
  const times = Array.from({ length: repeats }, () => {
    const t = performance.now();
    fn();
    return performance.now() - t;
  }).sort((a, b) => a - b);
  return times[repeats >> 1];
}

console.log(
  `backend ${backend}; DistilBERT-base shapes (${config.n_layers} layers, dim ${config.dim}, FFN ${config.hidden_dim}), S=${SEQ}`,
);
const model = DistilBertForSequenceClassification.random(config, 0);
console.log("| batch | forward ms | GFLOP/s |");
console.log("|---:|---:|---:|");
for (const batch of [1, 16]) {
  const [ids, mask] = inputs(batch);
  const ms = medianMs(
    () => tf.tidy(() => void model.forward(ids, mask).logits.dataSync()),
    batch === 1 ? 5 : 3,
  );
  console.log(
    `| ${batch} | ${ms.toFixed(0)} | ${(forwardFlops(config, batch, SEQ) / ms / 1e6).toFixed(1)} |`,
  );
  tf.dispose([ids, mask]);
}
model.dispose();

// Backward pass of one full-width layer: every matmul gradient uses a transposed product.
const layer = DistilBertForSequenceClassification.random({ ...config, n_layers: 1 }, 1);
const [ids, mask] = inputs(4);
const variables = [...layer.params.values()];
const backward = () =>
  tf.tidy(() => {
    const { grads } = tf.variableGrads(
      () => layer.forward(ids, mask).logits.sum() as tf.Scalar,
      variables,
    );
    Object.values(grads).forEach((g) => g.dataSync());
  });
const fixed = medianMs(backward, 3);
useTransposeFirst(false);
const unfixed = medianMs(backward, 1);
useTransposeFirst(true);
console.log(
  `\nbackward of one layer (B=4, S=${SEQ}): transpose-first ${
    fixed.toFixed(0)
  } ms, wasm's transposed BatchMatMul ${unfixed.toFixed(0)} ms: ${
    (unfixed / fixed).toFixed(1)
  }x faster with the fix`,
);
