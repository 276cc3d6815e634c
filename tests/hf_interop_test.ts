// Pruned folders made by `deno task prune` against what Hugging Face transformers computed after
// loading them (tests/fixtures/hf-interop, written by tools/hf_reference.py): a compact
// head-pruned model (transformers 4), a dense head- and FFN-pruned one and a vocabulary-pruned
// one (transformers 4 and 5). Token ids must be equal, logits within 1e-5, and so must
// `deno task evaluate --predictions` and the folder's onnx/model.onnx.
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { assert, assertClose } from "./helpers/assert.ts";
import { FIXTURES } from "./helpers/paths.ts";
import { runTool } from "./helpers/tool.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadModel } from "lib/model/loading.ts";
import { headCounts } from "lib/model/config.ts";

await initTf();
const DIR = join(FIXTURES, "hf-interop");

interface HfLogits {
  transformers: string;
  tokenizer_class: string;
  model_input_names: string[];
  warnings: string[];
  sentences: string[];
  input_ids: number[][];
  attention_mask: number[][];
  logits: number[][];
}

/** Every `hf_logits.transformersN.json` of a case folder, by file name. */
function references(folder: string): [string, HfLogits][] {
  return [...Deno.readDirSync(join(DIR, folder))]
    .filter((e) => /^hf_logits\.transformers\d+\.json$/.test(e.name))
    .map((e) => [e.name, JSON.parse(Deno.readTextFileSync(join(DIR, folder, e.name)))]);
}

const softmaxPositive = ([neg, pos]: number[]) => 1 / (1 + Math.exp(neg - pos));

const CASES: [string, string[]][] = [
  ["compact-heads", ["4"]],
  ["dense-heads-ffn", ["4", "5"]],
  ["vocab", ["4", "5"]],
];

for (const [folder, majors] of CASES) {
  Deno.test(`${folder}: the engine gives transformers ${majors.join(" and ")}' ids and logits`, async () => {
    const found = references(folder);
    assert.deepStrictEqual(
      found.map(([name]) => name.match(/\d+/)![0]).sort(),
      majors,
      "reference files",
    );
    const { model, tokenizer } = await loadModel(join(DIR, folder));
    for (const [name, ref] of found) {
      assert.deepStrictEqual(ref.warnings, [], `${name}: transformers warned`);
      assert.deepStrictEqual(ref.model_input_names, ["input_ids", "attention_mask"], name);
      const rows = ref.sentences.map((s) => tokenizer.encode(s));
      const theirs = ref.input_ids.map((ids, i) => ids.filter((_, j) => ref.attention_mask[i][j]));
      assert.deepStrictEqual(rows, theirs, `${name}: token ids`);
      const logits = tf.tidy(() => {
        const { inputIds, attentionMask } = tokenizer.padTensors(rows);
        return model.forward(inputIds, attentionMask).logits.arraySync();
      });
      assertClose(logits.flat(), ref.logits.flat(), 1e-5, `${folder} vs ${name}`);
    }
    model.dispose();
  });
}

Deno.test("the layouts are what the folders claim: compact is smaller, dense keeps the shapes", async () => {
  const base = await loadModel(join(DIR, "base"));
  const compact = await loadModel(join(DIR, "compact-heads"));
  const dense = await loadModel(join(DIR, "dense-heads-ffn"));
  const vocab = await loadModel(join(DIR, "vocab"));
  // The compact folder keeps one zero-filled head for layer 1, which lost all four.
  assert.deepStrictEqual(compact.model.config.pruned_heads, { "0": [1, 3], "1": [1, 2, 3] });
  assert.deepStrictEqual(headCounts(compact.model.config), [2, 1]);
  const q1 = compact.model.param("distilbert.transformer.layer.1.attention.q_lin.weight");
  assert.deepStrictEqual(q1.shape, [4, 16]);
  assert.ok((q1.dataSync() as Float32Array).every((v) => v === 0), "layer 1's kept head is zeros");
  // Dense: the base model's shapes, whole heads and FFN neurons of zeros.
  assert.strictEqual(dense.model.config.pruned_heads, undefined);
  assert.strictEqual(dense.model.config.pruning_lab_ffn_dims, undefined);
  for (const [name, p] of base.model.params) {
    assert.deepStrictEqual(dense.model.param(name).shape, p.shape, name);
  }
  const zeroRows = (name: string, width: number) => {
    const w = dense.model.param(name).arraySync() as number[][];
    return w.filter((row) => row.every((v) => v === 0)).length / width;
  };
  const prunedHeads = [0, 1].reduce(
    (n, l) => n + zeroRows(`distilbert.transformer.layer.${l}.attention.q_lin.weight`, 4),
    0,
  );
  assert.strictEqual(prunedHeads, 2, "25% of 8 heads are zero rows in q_lin");
  for (const l of [0, 1]) {
    assert.strictEqual(zeroRows(`distilbert.transformer.layer.${l}.ffn.lin1.weight`, 1), 8);
  }
  assert.ok(vocab.model.config.vocab_size < base.model.config.vocab_size);
  for (const m of [base, compact, dense, vocab]) m.model.dispose();
});

Deno.test("deno task evaluate --predictions writes transformers' p_positive for every row", async () => {
  const out = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    for (const [folder] of CASES) {
      const { code, err } = await runTool(
        "evaluate",
        ...["--model", join(DIR, folder), "--data", join(DIR, "sentences.csv")],
        ...["--predictions", out, "--latency-samples", "2", "--json"],
      );
      assert.strictEqual(code, 0, err);
      const lines = (await Deno.readTextFile(out)).trimEnd().split("\n");
      assert.strictEqual(lines[0], "sentence,label,prediction,p_positive");
      const [[, ref]] = references(folder);
      assert.strictEqual(lines.length, ref.sentences.length + 1);
      const ours = lines.slice(1).map((line) => Number(line.split(",").at(-1)));
      assertClose(ours, ref.logits.map(softmaxPositive), 1e-5, `${folder}: p_positive`);
      const predicted = lines.slice(1).map((line) => Number(line.split(",").at(-2)));
      assert.deepStrictEqual(predicted, ref.logits.map(([a, b]) => (b > a ? 1 : 0)));
    }
  } finally {
    await Deno.remove(out);
  }
});

Deno.test("each folder's onnx/model.onnx gives transformers' logits in onnxruntime", async () => {
  for (const [folder] of CASES) {
    const [[name, ref]] = references(folder);
    const session = await ort.InferenceSession.create(join(DIR, folder, "onnx", "model.onnx"));
    const feed = (rows: number[][]) =>
      new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [
        rows.length,
        rows[0].length,
      ]);
    const out = await session.run({
      input_ids: feed(ref.input_ids),
      attention_mask: feed(ref.attention_mask),
    });
    assertClose(
      out.logits.data as Float32Array,
      ref.logits.flat(),
      1e-5,
      `${folder} onnx vs ${name}`,
    );
    await session.release();
  }
});
