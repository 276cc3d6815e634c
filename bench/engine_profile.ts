// `deno run -A bench/engine_profile.ts [--reference]`: the per-kernel profile of one training
// step (forward, backward, AdamW) and one evaluation batch (B=32) of the embedded model on real
// SST-2 lengths, on the fast engine path (or the reference path), with median times over steps.
import { initTf } from "lib/engine/tf.ts";
import { setEngineMode } from "lib/engine/mode.ts";
import { predictProbabilities } from "lib/evaluation/predict.ts";
import { profileKernels, profileTable } from "./kernel_profile.ts";
import { embeddedWorkload, trainer } from "./embedded_workload.ts";

await initTf();
const w = await embeddedWorkload(12);
const step = trainer(w);
const sentences = w.dev.sentences.slice(0, 32);
const evalBatch = () => void predictProbabilities(w.model, w.tokenizer, sentences);
const median = (x: number[]) => x.sort((a, b) => a - b)[x.length >> 1];
for (const mode of ["reference", "fast"] as const) {
  if (Deno.args.includes("--fast-only") && mode === "reference") continue;
  setEngineMode(mode);
  for (const b of w.trainBatches.slice(0, 2)) step(b); // warm-up
  const times = w.trainBatches.slice(2).map((b) => {
    const t = performance.now();
    step(b);
    return performance.now() - t;
  });
  const batch = w.trainBatches[2];
  const train = profileKernels(() => void step(batch));
  console.log(
    `\n## ${mode}: training step, B=32, S=${Math.max(...batch.rows.map((r) => r.length))}: ${
      train.totalMs.toFixed(0)
    } ms profiled (median of ${times.length} steps unprofiled: ${
      median(times).toFixed(0)
    } ms), ${train.ops} ops\n`,
  );
  console.log(profileTable(train, 14));
  evalBatch();
  const evalP = profileKernels(evalBatch);
  console.log(
    `\n## ${mode}: evaluation batch, B=32: ${evalP.totalMs.toFixed(0)} ms, ${evalP.ops} ops\n`,
  );
  console.log(profileTable(evalP, 10));
}
step.dispose();
