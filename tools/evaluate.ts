// `deno task evaluate`: the course's main job. Evaluates a sentiment model (the course's model
// by default) on SST-2 dev, reviews.csv, or a user's file, and prints the figures as a table.
//
//   deno task evaluate [--model <name|repo|folder|full>] [--data <file.tsv|file.csv>] [--json]
//                      [--engine tfjs|onnxruntime] [--predictions <file.csv>]
//
// --predictions writes `sentence,label,prediction,p_positive` for every input row, in order.
import { parseArgs } from "node:util";
import { initTf } from "lib/engine/tf.ts";
import { defaultModelName, FULL_SIZE_MODEL, loadModel } from "lib/model/loading.ts";
import { type LabelledSentence, loadSst2 } from "lib/data/sst2.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";
import { evaluateClassifier } from "lib/evaluation/evaluation.ts";
import { progressLine } from "lib/io/progress.ts";
import { predictor } from "lib/evaluation/predict.ts";
import { predictionRows } from "lib/evaluation/predictions.ts";
// @ts-types="@types/papaparse"
import Papa from "papaparse";

const { values: args } = parseArgs({
  options: {
    model: { type: "string" },
    data: { type: "string" },
    json: { type: "boolean", default: false },
    "latency-samples": { type: "string", default: "100" },
    engine: { type: "string", default: "tfjs" },
    predictions: { type: "string" },
  },
});

try {
  if (args.engine !== "tfjs" && args.engine !== "onnxruntime") {
    throw new Error(`--engine ${args.engine}: expected tfjs or onnxruntime`);
  }
  const engine = args.engine;
  const tfBackend = await initTf();
  const backend = engine === "tfjs" ? tfBackend : "onnxruntime (cpu)";
  const name = args.model === "full" ? FULL_SIZE_MODEL : args.model ?? defaultModelName();
  const { data, source } = await pickData(args.data);
  const { model, tokenizer, dir } = await loadModel(name);
  const line = progressLine();
  const report = await evaluateClassifier(model, tokenizer, data, {
    modelDir: dir,
    latencySamples: Number(args["latency-samples"]),
    engine,
    onProgress: (phase, done, total) => line.update(`${phase} ${done}/${total}`, done === total),
  });
  line.clear();
  if (args.predictions) {
    const predict = await predictor(model, tokenizer, engine);
    try {
      const probabilities = await predict(data.map((d) => d.sentence), { batchSize: 32 });
      const rows = predictionRows(data, probabilities, model.config.id2label);
      await Deno.writeTextFile(args.predictions, Papa.unparse(rows, { newline: "\n" }) + "\n");
    } finally {
      await predict.release();
    }
  }
  // The figures, without the list of timed runs (their percentiles are in the report).
  const { latencyTimesMs: _, ...summary } = report;
  const figures = {
    model: name,
    data: source,
    backend,
    ...summary,
    ...(args.predictions ? { predictions: args.predictions } : {}),
  };
  if (args.json) {
    console.log(JSON.stringify(figures));
  } else {
    const rows: [string, string][] = [
      ["model", name],
      ["data", `${source} (${report.examples} examples)`],
      ["backend", backend],
      ["accuracy", `${(100 * report.accuracy).toFixed(2)}%`],
      ["latency p50 / example", `${report.latencyP50Ms.toFixed(2)} ms`],
      ["latency p95 / example", `${report.latencyP95Ms.toFixed(2)} ms`],
      ["throughput (batch 32)", `${report.throughputPerSecond.toFixed(1)} examples/s`],
      ["parameters", report.parameters.toLocaleString("en-US")],
      ["in memory", `${report.inMemoryMB.toFixed(2)} MB`],
      ["on disk", report.onDiskMB === null ? "n/a" : `${report.onDiskMB.toFixed(2)} MB`],
      ...(args.predictions ? [["predictions", args.predictions] as [string, string]] : []),
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    const valueWidth = Math.max(...rows.map(([, v]) => v.length));
    console.log(`| ${"metric".padEnd(width)} | ${"value".padEnd(valueWidth)} |`);
    console.log(`|${"-".repeat(width + 2)}|${"-".repeat(valueWidth + 2)}|`);
    for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v.padEnd(valueWidth)} |`);
  }
} catch (e) {
  console.error(`evaluate: ${(e as Error).message}`);
  Deno.exit(1);
}

/** The user's file, else SST-2 dev, else the project's reviews when no SST-2 source exists. */
async function pickData(file?: string): Promise<{ data: LabelledSentence[]; source: string }> {
  if (file) return { data: await readLabelledFile(file), source: file };
  try {
    return { data: await loadSst2("validation"), source: "SST-2 dev" };
  } catch (e) {
    console.error(`${(e as Error).message}\nfalling back to data/reviews.csv`);
    return { data: await readLabelledFile(REVIEWS_CSV), source: "data/reviews.csv" };
  }
}
