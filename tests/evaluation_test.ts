// The evaluation pipeline and the main job's command line (`deno task evaluate`).
import { join } from "node:path";
import { runTool } from "./helpers/tool.ts";
import { assert } from "./helpers/assert.ts";
import { TINY } from "./helpers/paths.ts";
import { bertVocab } from "./helpers/bert_vocab.ts";
import { initTf } from "lib/engine/tf.ts";
import { loadDistilBert } from "lib/model/io.ts";
import { loadTokenizer } from "lib/data/tokenizer.ts";
import { evaluateClassifier, quantile } from "lib/evaluation/evaluation.ts";
import { accuracyOf, predictProbabilities } from "lib/evaluation/predict.ts";

await initTf();

Deno.test("quantile interpolates like numpy", () => {
  assert.strictEqual(quantile([4, 1, 3, 2], 0.5), 2.5);
  assert.strictEqual(quantile([1, 2, 3, 4, 5], 0.95), 4.8);
});

Deno.test("batched predictions equal one-at-a-time predictions, in input order", async () => {
  const model = await loadDistilBert(join(TINY, "model"));
  const tok = await tinyTokenizer();
  const texts = [
    "great fun",
    "not good , very dull",
    "the movie",
    "i love it , it is a great film",
  ];
  const batched = predictProbabilities(model, tok, texts, { batchSize: 3 });
  texts.forEach((t, i) => {
    const [single] = predictProbabilities(model, tok, [t]);
    single.forEach((p, j) => assert.ok(Math.abs(p - batched[i][j]) < 1e-5, `text ${i}`));
  });
  assert.strictEqual(accuracyOf([[0.2, 0.8], [0.9, 0.1]], [1, 1]), 0.5);
  const report = await evaluateClassifier(
    model,
    tok,
    texts.map((sentence) => ({ sentence, label: 1 })),
    {
      latencySamples: 3,
      warmup: 1,
      modelDir: join(TINY, "model"),
    },
  );
  assert.strictEqual(report.examples, 4);
  assert.strictEqual(report.parameters, 62450);
  assert.strictEqual(report.inMemoryMB, 62450 * 4 / 1e6);
  assert.strictEqual(
    report.onDiskMB,
    (await Deno.stat(join(TINY, "model", "model.safetensors"))).size / 1e6,
  );
  assert.ok(report.latencyP50Ms > 0 && report.latencyP95Ms >= report.latencyP50Ms);
  assert.strictEqual(report.latencyTimesMs.length, 3);
  assert.strictEqual(report.latencyP50Ms, quantile(report.latencyTimesMs, 0.5));
  model.dispose();
});

/** A BERT tokenizer whose vocab fits the tiny model's 120 ids: BERT's first 104 + 16 words. */
async function tinyTokenizer() {
  const bert = await bertVocab();
  const words = "great bad movie fun not good dull film the a it is very love i ,".split(" ");
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    join(dir, "vocab.txt"),
    [...bert.slice(0, 104), ...words].join("\n"),
  );
  const tok = await loadTokenizer(dir);
  await Deno.remove(dir, { recursive: true });
  return tok;
}

const evaluate = (...args: string[]) => runTool("evaluate", ...args);

Deno.test("the main job prints a table, and --json one object, for a user's file", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "mine.csv");
  await Deno.writeTextFile(file, "sentence,label\nI love it,1\nbroke in a day,0\n");
  const table = await evaluate("--data", file, "--latency-samples", "2");
  assert.strictEqual(table.code, 0, table.err);
  for (
    const row of [
      "accuracy",
      "latency p50 / example",
      "latency p95 / example",
      "throughput",
      "parameters",
      "in memory",
      "on disk",
    ]
  ) {
    assert.match(table.out, new RegExp(`\\| ${row}`), `table row ${row}`);
  }
  const json = await evaluate("--data", file, "--json", "--latency-samples", "2");
  assert.strictEqual(json.code, 0, json.err);
  const figures = JSON.parse(json.out);
  assert.strictEqual(figures.examples, 2);
  assert.ok(!("latencyTimesMs" in figures), "the JSON leaves the timed runs out");
  for (
    const key of [
      "accuracy",
      "latencyP50Ms",
      "latencyP95Ms",
      "throughputPerSecond",
      "parameters",
      "inMemoryMB",
      "onDiskMB",
    ]
  ) {
    assert.strictEqual(typeof figures[key], "number", key);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a bad data file stops the main job with one line naming file and line", async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "bad.tsv");
  await Deno.writeTextFile(file, "sentence\tlabel\nfine\t1\nnope\t3\n");
  const run = await evaluate("--data", file);
  assert.strictEqual(run.code, 1);
  assert.strictEqual(run.err.trim(), `evaluate: ${file}: line 3: label "3" is not 0 or 1`);
  await Deno.remove(dir, { recursive: true });
});
