// Vocabulary pruning: the pruned model gives the same logits on sentences the corpus covers,
// words outside the kept pieces become [UNK] (or are segmented again from kept pieces), a kept
// set without a special token is one error naming it, and the pruned folder reloads with our
// loadModel and with transformers.js offline (same labels and logits).
import { join } from "node:path";
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  pipeline,
} from "@huggingface/transformers";
import { assert, assertClose } from "./helpers/assert.ts";
import { EMBEDDED } from "./helpers/paths.ts";
import { initTf, tf } from "lib/engine/tf.ts";
import { loadModel } from "lib/model/loading.ts";
import { loadTokenizer, type TextTokenizer } from "lib/data/tokenizer.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { exportForTransformersJs } from "lib/deploy/onnx_export.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { REVIEWS_CSV } from "lib/io/paths.ts";
import {
  pruneVocabulary,
  specialTokenIds,
  tokenCounts,
  tokensToKeep,
  usedTokenIds,
  vocabularyCoverage,
  WORD_EMBEDDINGS,
} from "lib/prune/vocabulary.ts";

await initTf();
const reviews = (await readLabelledFile(REVIEWS_CSV)).map((r) => r.sentence);
const corpus = reviews.slice(0, 160);
const heldOut = reviews.slice(160);

function logitsOf(
  model: DistilBertForSequenceClassification,
  tokenizer: TextTokenizer,
  rows: number[][],
): number[][] {
  return tf.tidy(() => {
    const { inputIds, attentionMask } = tokenizer.padTensors(rows);
    return model.forward(inputIds, attentionMask).logits.arraySync() as number[][];
  });
}

Deno.test("tokensToKeep keeps the ids seen at least minCount times and the special ids, sorted", () => {
  assert.deepStrictEqual(tokensToKeep([0, 5, 1, 0, 2], [0, 3]), [0, 1, 2, 3, 4]);
  assert.deepStrictEqual(tokensToKeep([0, 5, 1, 0, 2], [0], 2), [0, 1, 4]);
  assert.deepStrictEqual(tokensToKeep(new Uint32Array(4), [2]), [2]);
});

Deno.test("tokenCounts and usedTokenIds count the ids a corpus produces, special tokens included", async () => {
  const tokenizer = await loadTokenizer(EMBEDDED);
  const id = (t: string) => tokenizer.tokenizer.token_to_id(t)!;
  const counts = tokenCounts(tokenizer, ["a great movie", "a dull movie"]);
  assert.strictEqual(counts[id("movie")], 2);
  assert.strictEqual(counts[id("[CLS]")], 2);
  assert.strictEqual(counts[id("[MASK]")], 0);
  assert.deepStrictEqual(specialTokenIds(tokenizer), [0, 100, 101, 102, 103]);
  const used = usedTokenIds(tokenizer, ["a great movie"]);
  assert.deepStrictEqual(
    used,
    [0, 100, 101, 102, 103, id("a"), id("great"), id("movie")].sort((
      a,
      b,
    ) => a - b),
  );
});

Deno.test("the vocabulary-pruned model gives the original logits on covered sentences, [UNK] on uncovered words, and reloads", async () => {
  const original = await loadModel(EMBEDDED);
  const { model, tokenizer, dir } = await loadModel(EMBEDDED);
  const out = await Deno.makeTempDir();
  try {
    const keep = usedTokenIds(tokenizer, corpus);
    const pruned = await pruneVocabulary(model, dir, keep, { outDir: out });
    assert.strictEqual(model.config.vocab_size, keep.length);
    assert.deepStrictEqual(model.param(WORD_EMBEDDINGS).shape, [keep.length, 96]);
    assert.strictEqual(pruned.tokenizer.vocabSize, keep.length);
    assert.ok(keep.length < 3000, `kept ${keep.length} of 30522 tokens`);

    // Covered sentences: the same tokens, renumbered, and the same logits.
    const before = corpus.map((t) => tokenizer.encode(t));
    const after = corpus.map((t) => pruned.tokenizer.encode(t));
    assert.deepStrictEqual(after, before.map((row) => row.map((id) => pruned.newIds[id])));
    assertClose(
      logitsOf(model, pruned.tokenizer, after).flat(),
      logitsOf(original.model, tokenizer, before).flat(),
      1e-5,
      "covered logits",
    );

    // An uncovered word becomes one [UNK]; the model then sees what the original model sees
    // for [UNK] at that place.
    const unk = tokenizer.tokenizer.token_to_id("[UNK]")!;
    const text = "the battery zygote works";
    assert.deepStrictEqual(pruned.tokenizer.tokenize(text), ["the", "battery", "[UNK]", "works"]);
    const originalIds = tokenizer.encode(text);
    const mapped = [
      ...tokenizer.encode("the battery"),
    ].slice(0, -1).concat([unk], tokenizer.encode("works").slice(1));
    assert.notDeepStrictEqual(originalIds, mapped);
    assertClose(
      logitsOf(model, pruned.tokenizer, [pruned.tokenizer.encode(text)]).flat(),
      logitsOf(original.model, tokenizer, [mapped]).flat(),
      1e-5,
      "[UNK]-mapped logits",
    );

    // Coverage of reviews the corpus did not see: lower than the full vocabulary's 100%.
    const full = vocabularyCoverage(tokenizer, heldOut);
    const small = vocabularyCoverage(pruned.tokenizer, heldOut);
    assert.strictEqual(full.coverage, 1);
    assert.ok(small.coverage < 1 && small.coverage > 0.5, `coverage ${small.coverage}`);
    assert.ok(small.unknown > 0 && small.textsWithUnknown > 0);

    // The saved folder reloads with our loader (model, config and tokenizer).
    const reloaded = await loadModel(out);
    assert.strictEqual(reloaded.model.config.vocab_size, keep.length);
    assert.deepStrictEqual(corpus.map((t) => reloaded.tokenizer.encode(t)), after);
    assertClose(
      logitsOf(reloaded.model, reloaded.tokenizer, after).flat(),
      logitsOf(model, pruned.tokenizer, after).flat(),
      1e-6,
      "reloaded logits",
    );
    const files = JSON.parse(await Deno.readTextFile(join(out, "tokenizer.json")));
    assert.deepStrictEqual(files.post_processor.cls, ["[CLS]", pruned.newIds[101]]);
    assert.deepStrictEqual(
      files.added_tokens.map((t: { id: number }) => t.id),
      [0, 100, 101, 102, 103].map((id) => pruned.newIds[id]),
    );
    reloaded.model.dispose();
  } finally {
    model.dispose();
    original.model.dispose();
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a word with a dropped piece is segmented again from kept pieces, else it is one [UNK]", async () => {
  const { model, tokenizer, dir } = await loadModel(EMBEDDED);
  try {
    const id = (t: string) => tokenizer.tokenizer.token_to_id(t)!;
    assert.deepStrictEqual(tokenizer.tokenize("playing played"), ["playing", "played"]);
    const keep = [...specialTokenIds(tokenizer), id("play"), id("##ing")];
    const pruned = await pruneVocabulary(model, dir, keep);
    assert.deepStrictEqual(pruned.tokenizer.tokenize("playing played"), [
      "play",
      "##ing",
      "[UNK]",
    ]);
  } finally {
    model.dispose();
  }
});

Deno.test("vocabulary pruning without a special token, or with an unknown id, is one error naming it", async () => {
  const { model, tokenizer, dir } = await loadModel(EMBEDDED);
  try {
    const keep = usedTokenIds(tokenizer, ["a great movie"]);
    const mask = tokenizer.tokenizer.token_to_id("[MASK]")!;
    await assert.rejects(
      () => pruneVocabulary(model, dir, keep.filter((i) => i !== mask)),
      /leave out the special token \[MASK\] \(id 103\)/,
    );
    await assert.rejects(() => pruneVocabulary(model, dir, [...keep, 30522]), /kept id 30522/);
    assert.strictEqual(model.config.vocab_size, 30522, "a refused pruning leaves the model as is");
  } finally {
    model.dispose();
  }
});

Deno.test("vocab.txt is rewritten with the kept tokens when the folder has one", async () => {
  const { model, tokenizer } = await loadModel(EMBEDDED);
  const dir = await Deno.makeTempDir();
  try {
    for (const f of ["tokenizer.json", "tokenizer_config.json"]) {
      await Deno.copyFile(join(EMBEDDED, f), join(dir, f));
    }
    const vocab = JSON.parse(await Deno.readTextFile(join(dir, "tokenizer.json"))).model.vocab;
    const tokens = Object.entries(vocab).sort((a, b) => Number(a[1]) - Number(b[1]))
      .map(([t]) => t);
    await Deno.writeTextFile(join(dir, "vocab.txt"), tokens.join("\n") + "\n");
    const keep = usedTokenIds(tokenizer, corpus.slice(0, 10));
    const pruned = await pruneVocabulary(model, dir, keep, { outDir: join(dir, "out") });
    const lines = (await Deno.readTextFile(join(dir, "out", "vocab.txt"))).trimEnd().split("\n");
    assert.deepStrictEqual(lines, keep.map((i) => tokens[i]));
    await Deno.remove(join(dir, "out", "tokenizer.json"));
    const fromVocabTxt = await loadTokenizer(join(dir, "out"));
    assert.deepStrictEqual(
      corpus.slice(0, 10).map((t) => fromVocabTxt.encode(t)),
      corpus.slice(0, 10).map((t) => pruned.tokenizer.encode(t)),
    );
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transformers.js, offline, loads the vocabulary-pruned folder and classifies like our model", async () => {
  const root = await Deno.makeTempDir();
  env.allowRemoteModels = false;
  env.localModelPath = `${root}/`;
  const { model, tokenizer, dir } = await loadModel(EMBEDDED);
  try {
    const pruned = await pruneVocabulary(model, dir, usedTokenIds(tokenizer, corpus), {
      outDir: join(root, "vocab"),
    });
    await exportForTransformersJs(model, join(root, "vocab"), join(root, "tjs"));
    const texts = reviews; // held-out reviews included: their [UNK]s must agree too
    const ours = logitsOf(model, pruned.tokenizer, texts.map((t) => pruned.tokenizer.encode(t)));
    const theirTokenizer = await AutoTokenizer.from_pretrained("tjs");
    const encoded = await theirTokenizer(texts, { padding: true, truncation: true });
    const theirModel = await AutoModelForSequenceClassification.from_pretrained("tjs", {
      dtype: "fp32",
    });
    const { logits } = await theirModel(encoded);
    assertClose((logits.tolist() as number[][]).flat(), ours.flat(), 1e-4, "logits");
    const classify = await pipeline("sentiment-analysis", "tjs", { dtype: "fp32" });
    const labels = (await classify(texts) as { label: string }[]).map((r) => r.label);
    assert.deepStrictEqual(
      labels,
      ours.map((l) => model.config.id2label![String(l[1] > l[0] ? 1 : 0)]),
    );
    await classify.dispose();
    await theirModel.dispose();
  } finally {
    model.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
