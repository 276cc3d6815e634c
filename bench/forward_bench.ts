// Benchmark report (not a test). One run prints (0) this machine's sgemm peak (one large MatMul
// on onnxruntime) and the tfjs engine's own large-matmul speed, the yardsticks of every GFLOP/s
// row's "% of peak"; then, DistilBERT-base shapes with random weights:
// (1) tfjs-wasm on one thread (a child process) and on all threads (also on the reference
// engine path, PRUNING_LAB_ENGINE=reference, for the dense model), the ONNX export on
// onnxruntime-node, and PyTorch (bench/torch_reference.py, when Debian's python3-torch is
// installed, with libopenblas0-pthread: on Debian's reference BLAS it is ~100x slower) for
// dense / 30% heads / 30% heads + 50% FFN, B = 1 and 16, S = 64 and 128: ms, GFLOP/s, speedup
// against dense and the FLOP ratio; (2) what the wasm fixes gain: threads, batched matmuls
// through XNNPACK, transpose-first matmuls in a backward pass; (3) the embedded model where
// students wait (bench/embedded_speed.ts): training steps on the fast and the reference path,
// per-kernel profiles of one training step and one evaluation batch on each, the dev-set
// evaluation on tfjs and onnxruntime; (4) notebook 06's compression pipeline; and ends with
// `training step speedup: <N.NN>x`, `embedded eval tfjs/onnxruntime: <N.NN>x` and the
// `compressed embedded model: …` line of (4).
import * as ort from "onnxruntime-node";
import { backendThreads, initTf, tf } from "lib/engine/tf.ts";
import { distilbertBaseConfig, ffnDims, headCounts } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { useTransposeFirst } from "lib/engine/fixes.ts";
import { useBatchedXnnpack } from "lib/engine/fast_paths.ts";
import { setEngineMode } from "lib/engine/mode.ts";
import { medianMs, onnxruntimeMatMulGflops, tfjsMatMulGflops } from "./matmul_peak.ts";
import { measureEmbedded } from "./embedded_speed.ts";
import { profileTable } from "./kernel_profile.ts";
import { forwardFlops } from "lib/evaluation/flops.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import { pruneHeads } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { tokenFeeds } from "lib/deploy/ort_tensors.ts";

/** Child mode: only the tfjs rows, as JSON (the parent runs it with one wasm thread). */
const TFJS_ONLY = Deno.args.includes("--tfjs-only");
const config = distilbertBaseConfig();
const backend = await initTf();
const threads = await backendThreads();
/** This process's tfjs engine, as the report names it. */
const TFJS_ENGINE = `tfjs-${backend} ${threads} thread${threads === 1 ? "" : "s"}`;
const SHAPES = [[1, 64], [1, 128], [16, 64], [16, 128]];

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

interface Row {
  variant: string;
  batch: number;
  seq: number;
  engine: string;
  ms: number;
  flops: number;
}

/** A variant's per-layer head counts and FFN widths (what the PyTorch reference builds). */
type VariantShape = { variant: string; heads: number[]; ffn: number[] };

/** tfjs (and, unless child mode, onnxruntime) rows for every variant and shape. */
async function measure(withOrt: boolean): Promise<{ rows: Row[]; shapes: VariantShape[] }> {
  const rows: Row[] = [];
  const shapes: VariantShape[] = [];
  for (const [name, model] of variants()) {
    shapes.push({ variant: name, heads: headCounts(model.config), ffn: ffnDims(model.config) });
    const session = withOrt ? await ort.InferenceSession.create(exportOnnx(model)) : undefined;
    for (const [batch, seq] of SHAPES) {
      const ids = tf.randomUniform([batch, seq], 1000, 20000, "int32") as tf.Tensor2D;
      const mask = tf.onesLike(ids) as tf.Tensor2D;
      const flops = forwardFlops(model.config, batch, seq);
      const tfjsMs = await medianMs(
        () => tf.tidy(() => void model.forward(ids, mask).logits.dataSync()),
        batch === 1 ? 5 : 3,
      );
      rows.push({ variant: name, batch, seq, engine: TFJS_ENGINE, ms: tfjsMs, flops });
      if (withOrt && name === "dense") {
        // The same forward on the reference engine path: no regression at this scale?
        setEngineMode("reference");
        const referenceMs = await medianMs(
          () => tf.tidy(() => void model.forward(ids, mask).logits.dataSync()),
          batch === 1 ? 5 : 3,
        );
        setEngineMode("fast");
        rows.push({
          variant: name,
          batch,
          seq,
          engine: `${TFJS_ENGINE} (reference path)`,
          ms: referenceMs,
          flops,
        });
      }
      if (session) {
        const feeds = tokenFeeds({
          inputIds: ids.arraySync() as number[][],
          attentionMask: mask.arraySync() as number[][],
        });
        const ortMs = await medianMs(() => session.run(feeds), 10);
        rows.push({ variant: name, batch, seq, engine: "onnxruntime", ms: ortMs, flops });
      }
      tf.dispose([ids, mask]);
    }
    await session?.release();
    model.dispose();
  }
  return { rows, shapes };
}

if (TFJS_ONLY) {
  console.log(JSON.stringify((await measure(false)).rows));
  Deno.exit(0);
}

console.log(
  `backend ${backend} (${threads} threads); DistilBERT-base shapes (${config.n_layers} layers, dim ${config.dim}, FFN ${config.hidden_dim}); onnxruntime-node ${
    ort.env.versions?.common ?? ""
  }`,
);
console.error("sgemm peak (onnxruntime) and tfjs' large matmul...");
const peak = await onnxruntimeMatMulGflops();
const largeMatmul = await tfjsMatMulGflops();
console.log(
  `sgemm peak: onnxruntime MatMul [2048, 2048] x [2048, 2048] ${peak.toFixed(1)} GFLOP/s; ` +
    `${TFJS_ENGINE} matMul [1024, 1024] x [1024, 1024] ${largeMatmul.toFixed(1)} GFLOP/s (${
      (100 * largeMatmul / peak).toFixed(0)
    }% of peak)`,
);
const ofPeak = (gflops: number) => `${(100 * gflops / peak).toFixed(1)}%`;
console.error("tfjs on one wasm thread (child process)...");
const child = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL(import.meta.url).pathname, "--tfjs-only"],
  env: { PRUNING_LAB_WASM_THREADS: "1" },
  stderr: "inherit",
}).output();
if (!child.success) throw new Error("bench: the one-thread child run failed");
const singleThread: Row[] = JSON.parse(new TextDecoder().decode(child.stdout));
console.error(`tfjs on ${threads} wasm threads and onnxruntime...`);
const measured = await measure(true);
const rows = [...singleThread, ...measured.rows];

// PyTorch on the same shapes, when Debian's python3-torch is installed.
console.error("PyTorch reference...");
const torch = await torchReference(measured.shapes).catch((e: Error) => e.message.split("\n")[0]);
let torchNote: string;
if (typeof torch === "string") {
  torchNote =
    `no PyTorch reference (${torch}; Debian: apt-get install python3-torch libopenblas0-pthread)`;
} else {
  torchNote = `pytorch ${torch.version} ${torch.threads} threads`;
  for (const r of torch.rows) {
    const same = rows.find((x) =>
      x.variant === r.variant && x.batch === r.batch && x.seq === r.seq
    );
    rows.push({ ...r, engine: torchNote, flops: same!.flops });
  }
}

/** Runs bench/torch_reference.py on the variants' shapes; a string says why it could not. */
async function torchReference(shapes: VariantShape[]): Promise<
  {
    version: string;
    threads: number;
    rows: { variant: string; batch: number; seq: number; ms: number }[];
  } | string
> {
  const run = new Deno.Command("/usr/bin/python3", {
    args: [new URL("./torch_reference.py", import.meta.url).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = run.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(JSON.stringify({
      variants: shapes,
      shapes: SHAPES,
      dim: config.dim,
      vocab: config.vocab_size,
      positions: config.max_position_embeddings,
      threads: navigator.hardwareConcurrency,
    })),
  );
  await writer.close();
  const out = await run.output();
  if (!out.success) return new TextDecoder().decode(out.stderr).trim().split("\n").at(-1) ?? "";
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

console.log(
  "\n| engine | variant | B | S | ms | GFLOP/s | % of peak | speedup vs dense | FLOP ratio | speedup / FLOP ratio |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const dense = rows.find((d) =>
    d.variant === "dense" && d.engine === r.engine && d.batch === r.batch && d.seq === r.seq
  )!;
  const speedup = dense.ms / r.ms;
  const flopRatio = dense.flops / r.flops;
  console.log(
    `| ${r.engine} | ${r.variant} | ${r.batch} | ${r.seq} | ${r.ms.toFixed(1)} | ${
      (r.flops / r.ms / 1e6).toFixed(1)
    } | ${ofPeak(r.flops / r.ms / 1e6)} | ${speedup.toFixed(2)} | ${flopRatio.toFixed(2)} | ${
      (speedup / flopRatio).toFixed(2)
    } |`,
  );
}

const denseAt = (engine: string, batch: number, seq: number) =>
  rows.find((r) =>
    r.variant === "dense" && r.engine.startsWith(engine) && r.batch === batch && r.seq === seq
  )!.ms;
const one = denseAt("tfjs-wasm 1 thread", 16, 64);
const all = denseAt(TFJS_ENGINE, 16, 64);
const onnx = denseAt("onnxruntime", 16, 64);
console.log(
  `\ndense B=16 S=64: tfjs-wasm 1 thread ${one.toFixed(0)} ms, ${threads} threads ${
    all.toFixed(0)
  } ms (${(one / all).toFixed(2)}x); onnxruntime ${onnx.toFixed(0)} ms (${
    (all / onnx).toFixed(1)
  }x faster than tfjs)`,
);
if (typeof torch !== "string") {
  for (const [batch, seq] of SHAPES) {
    const torchMs = denseAt("pytorch", batch, seq);
    const ortMs = denseAt("onnxruntime", batch, seq);
    console.log(
      `dense B=${batch} S=${seq}: onnxruntime ${ortMs.toFixed(1)} ms / ${torchNote} ${
        torchMs.toFixed(1)
      } ms = ${(ortMs / torchMs).toFixed(2)}x PyTorch's time`,
    );
  }
} else {
  console.log(torchNote);
}

// Attention's batched products: XNNPACK per batch entry against wasm's own loop.
const q = tf.randomNormal([16, 12, 64, 64]);
const kT = tf.randomNormal([16, 12, 64, 64]);
const product = () => tf.tidy(() => void tf.matMul(q, kT).dataSync());
const batchedFix = await medianMs(product, 5);
useBatchedXnnpack(false);
const batchedLoop = await medianMs(product, 3);
useBatchedXnnpack(true);
console.log(
  `attention product [16,12,64,64] x [16,12,64,64]: XNNPACK per batch entry ${
    batchedFix.toFixed(1)
  } ms, wasm's batched loop ${batchedLoop.toFixed(1)} ms: ${
    (batchedLoop / batchedFix).toFixed(1)
  }x faster with the fix`,
);

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
  `backward of one layer (B=4, S=64): transpose-first ${
    fixed.toFixed(0)
  } ms, wasm's transposed BatchMatMul ${unfixed.toFixed(0)} ms: ${
    (unfixed / fixed).toFixed(1)
  }x faster with the fix`,
);

// The embedded model, where students wait.
console.error("embedded model: training steps (both engine paths), profiles, dev evaluation...");
const peakNow = await onnxruntimeMatMulGflops();
const largeNow = await tfjsMatMulGflops();
const embedded = await measureEmbedded(16);
const { train, evaluation } = embedded;
console.log(
  `\n## Embedded model (6 x 12 heads, dim 96): training step, batch 32, SST-2 train lengths ` +
    `(forward + backward + AdamW, ${embedded.steps} steps per path, interleaved)\n`,
);
console.log(
  `yardsticks measured now: sgemm peak ${peakNow.toFixed(1)} GFLOP/s (onnxruntime), ` +
    `${TFJS_ENGINE} large matmul ${largeNow.toFixed(1)} GFLOP/s\n`,
);
console.log("| engine path | median ms | GFLOP/s | % of tfjs large matmul | % of peak |");
console.log("|---|---:|---:|---:|---:|");
for (const mode of ["reference", "fast"] as const) {
  const t = train[mode];
  console.log(
    `| ${mode} | ${t.medianMs.toFixed(1)} | ${t.gflops.toFixed(2)} | ${
      (100 * t.gflops / largeNow).toFixed(1)
    }% | ${(100 * t.gflops / peakNow).toFixed(1)}% |`,
  );
}
for (const mode of ["fast", "reference"] as const) {
  const p = embedded.profiles[mode];
  console.log(
    `\n### Profile of one training step, ${mode} path (B=32, S=${p.seq}): ${
      p.totalMs.toFixed(0)
    } ms, ${p.ops} ops, ${p.tensors} tensors allocated by kernels\n`,
  );
  console.log(profileTable(p, 12));
}
for (const mode of ["fast", "reference"] as const) {
  const p = embedded.evalProfiles[mode];
  console.log(
    `\n### Profile of one evaluation batch, ${mode} path (B=32, S=${p.seq}, first 32 dev ` +
      `sentences): ${p.totalMs.toFixed(0)} ms, ${p.ops} ops, ${p.tensors} tensors\n`,
  );
  console.log(profileTable(p, 10));
}
console.log(
  `\n## Embedded model: evaluation of the 872 SST-2 dev sentences (batches of 32)\n\n` +
    `| engine | ms | GFLOP/s | % of peak |\n|---|---:|---:|---:|\n` +
    `| tfjs-wasm, fast path | ${evaluation.tfjs.toFixed(0)} | ${embedded.evalGflops.toFixed(2)} | ${
      (100 * embedded.evalGflops / peakNow).toFixed(1)
    }% |\n` +
    `| tfjs-wasm, reference path | ${evaluation.tfjsReference.toFixed(0)} | ${
      (embedded.evalGflops * evaluation.tfjs / evaluation.tfjsReference).toFixed(2)
    } | ${
      (100 * embedded.evalGflops * evaluation.tfjs / evaluation.tfjsReference / peakNow).toFixed(1)
    }% |\n` +
    `| onnxruntime-node (in-memory export; set-up ${
      evaluation.onnxruntimeSetup.toFixed(0)
    } ms not counted) | ${evaluation.onnxruntime.toFixed(0)} | ${
      (embedded.evalGflops * evaluation.tfjs / evaluation.onnxruntime).toFixed(2)
    } | ${
      (100 * embedded.evalGflops * evaluation.tfjs / evaluation.onnxruntime / peakNow).toFixed(1)
    }% |`,
);
// Notebook 06's compression pipeline (its tables print here; its line closes the report).
setEngineMode("fast");
const { compressedLine } = await import("./compression_pipeline.ts");
console.log(
  `\ntraining step speedup: ${(train.reference.medianMs / train.fast.medianMs).toFixed(2)}x`,
);
console.log(
  `embedded eval tfjs/onnxruntime: ${(evaluation.tfjs / evaluation.onnxruntime).toFixed(2)}x`,
);
console.log(compressedLine);
