// The embedded model's speed where students wait, measured in one run: training steps (batch
// 32, SST-2 lengths, forward + backward + AdamW) on the fast engine path and on the reference
// path (tfjs' own ops, without lib/engine/kernels/), interleaved step by step so both see the same
// machine load; a per-kernel profile of one step and of one evaluation batch on each; and the
// evaluation of the 872 SST-2 dev sentences on tfjs and on onnxruntime.
import { type EngineMode, setEngineMode } from "lib/engine/mode.ts";
import { forwardFlops } from "lib/evaluation/flops.ts";
import { predictor, predictProbabilities } from "lib/evaluation/predict.ts";
import { type KernelProfile, profileKernels } from "./kernel_profile.ts";
import { embeddedWorkload, trainer } from "./embedded_workload.ts";

/** What `measureEmbedded` found; times in ms, speeds in GFLOP/s. */
export interface EmbeddedFigures {
  steps: number;
  /** Median step time per engine path, and FLOPs per second over all timed steps. */
  train: Record<EngineMode, { medianMs: number; gflops: number }>;
  profiles: Record<EngineMode, KernelProfile & { seq: number }>;
  /** One evaluation batch (the first 32 dev sentences, padded to their longest) per path. */
  evalProfiles: Record<EngineMode, KernelProfile & { seq: number }>;
  /** One evaluation of the dev set (872 sentences, batches of 32). */
  evaluation: {
    tfjs: number;
    tfjsReference: number;
    onnxruntime: number;
    onnxruntimeSetup: number;
  };
  evalGflops: number;
}

const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];

/**
 * Measures the embedded model (see the file header). `steps` training batches are timed on
 * each path.
 *
 * @example
 * ```ts
 * const f = await measureEmbedded(16);
 * f.train.reference.medianMs / f.train.fast.medianMs; // the training step speedup
 * ```
 */
export async function measureEmbedded(steps = 16): Promise<EmbeddedFigures> {
  const w = await embeddedWorkload(steps + 3);
  const { model, tokenizer } = w;
  const step = trainer(w);
  const modes: EngineMode[] = ["reference", "fast"];
  const flopsOf = (rows: number[][]) =>
    3 * forwardFlops(model.config, rows.length, Math.max(...rows.map((r) => r.length)));
  // Warm-up on both paths, then one profiled step each.
  const profiles = {} as EmbeddedFigures["profiles"];
  for (const mode of modes) {
    setEngineMode(mode);
    step(w.trainBatches[0]);
    step(w.trainBatches[1]);
    const batch = w.trainBatches[2];
    profiles[mode] = {
      ...profileKernels(() => void step(batch)),
      seq: Math.max(...batch.rows.map((r) => r.length)),
    };
  }
  // One evaluation batch per path (after a warm-up), profiled the same way.
  const evalProfiles = {} as EmbeddedFigures["evalProfiles"];
  const evalBatch = w.dev.sentences.slice(0, 32);
  const evalSeq = Math.max(
    ...evalBatch.map((s) => tokenizer.encode(s, model.config.max_position_embeddings).length),
  );
  for (const mode of modes) {
    setEngineMode(mode);
    predictProbabilities(model, tokenizer, evalBatch);
    evalProfiles[mode] = {
      ...profileKernels(() => void predictProbabilities(model, tokenizer, evalBatch)),
      seq: evalSeq,
    };
  }
  const times: Record<EngineMode, number[]> = { reference: [], fast: [] };
  let flops = 0;
  for (const batch of w.trainBatches.slice(3)) {
    flops += flopsOf(batch.rows);
    for (const mode of modes) {
      setEngineMode(mode);
      const t = performance.now();
      step(batch);
      times[mode].push(performance.now() - t);
    }
  }
  setEngineMode("fast");
  step.dispose();
  const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
  const train = Object.fromEntries(
    modes.map((mode) => [mode, {
      medianMs: median(times[mode]),
      gflops: flops / sum(times[mode]) / 1e6,
    }]),
  ) as EmbeddedFigures["train"];

  // Evaluation of the dev set: tfjs (both paths) and onnxruntime, batches of 32.
  const sentences = w.dev.sentences;
  const timed = async (fn: () => unknown, repeats: number) => {
    const ts: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const t = performance.now();
      await fn();
      ts.push(performance.now() - t);
    }
    return median(ts);
  };
  predictProbabilities(model, tokenizer, sentences.slice(0, 64));
  const tfjs = await timed(() => predictProbabilities(model, tokenizer, sentences), 3);
  setEngineMode("reference");
  const tfjsReference = await timed(() => predictProbabilities(model, tokenizer, sentences), 1);
  setEngineMode("fast");
  const setup = performance.now();
  const ort = await predictor(model, tokenizer, "onnxruntime");
  const onnxruntimeSetup = performance.now() - setup;
  await ort(sentences.slice(0, 64));
  const onnxruntime = await timed(() => ort(sentences), 3);
  await ort.release();
  const encoded = sentences.map((s) => tokenizer.encode(s, model.config.max_position_embeddings))
    .sort((a, b) => a.length - b.length);
  let evalFlops = 0;
  for (let i = 0; i < encoded.length; i += 32) {
    const rows = encoded.slice(i, i + 32);
    evalFlops += forwardFlops(model.config, rows.length, rows.at(-1)!.length);
  }
  model.dispose();
  return {
    steps,
    train,
    profiles,
    evalProfiles,
    evaluation: { tfjs, tfjsReference, onnxruntime, onnxruntimeSetup },
    evalGflops: evalFlops / tfjs / 1e6,
  };
}
