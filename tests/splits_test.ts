// The course's splits: train, selection and test parts are disjoint and cover what they should,
// with SST-2 (tiny TSV files written to a temporary folder as the mirror) and without it (the
// shipped product reviews); every notebook that reads sentences takes them from the splits.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import {
  type CourseSplits,
  evenSample,
  loadSplits,
  splitReviews,
  splitSst2,
} from "lib/data/splits.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { PROJECT_ROOT, REVIEWS_CSV } from "lib/io/paths.ts";
import { readNotebook, sourceOf } from "lib/notebook/ipynb.ts";

/** SST-2-like data: whole sentences and phrases cut from them, as GLUE's train set has. */
const TRAIN = [
  ["a charming and often affecting journey through the past", 1],
  ["charming and often affecting", 1],
  ["the plot is thin and the jokes fall flat every single time", 0],
  ["the jokes fall flat", 0],
  ["an utterly predictable film that wastes its fine cast completely", 0],
  ["wastes its fine cast", 0],
  ["a warm , funny and wise film about growing up in a small town", 1],
  ["funny and wise", 1],
  ["slow , dull and far too long for what it has to say", 0],
  ["far too long", 0],
  ["the best thing about this movie is its wonderful lead performance", 1],
  ["wonderful lead performance", 1],
  ["bleak and desperate", 0],
] as const;
const DEV = [
  ["it 's a charming and often affecting journey . ", 1],
  ["unflinchingly bleak and desperate", 0],
] as const;

const tsv = (rows: readonly (readonly [string, number])[]) =>
  `sentence\tlabel\n${rows.map(([s, l]) => `${s}\t${l}`).join("\n")}\n`;

/** Phrases of whole words of a sentence. */
function phrases(sentence: string): Set<string> {
  const w = sentence.toLowerCase().split(/\s+/).filter(Boolean);
  const out = new Set<string>();
  for (let i = 0; i < w.length; i++) {
    for (let j = i + 1; j <= w.length; j++) out.add(w.slice(i, j).join(" "));
  }
  return out;
}

function assertDisjoint(splits: { train: unknown[]; selection: unknown[]; test: unknown[] }) {
  const [train, selection, test] = [splits.train, splits.selection, splits.test].map((p) =>
    new Set(p)
  );
  for (const item of selection) assert.ok(!train.has(item), "selection ∩ train");
  for (const item of test) assert.ok(!train.has(item) && !selection.has(item), "test ∩ others");
}

async function withMirror<T>(run: () => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "pruning-lab-sst2-" });
  await Deno.mkdir(join(dir, "sst2"));
  await Deno.writeTextFile(join(dir, "sst2", "train.tsv"), tsv(TRAIN));
  await Deno.writeTextFile(join(dir, "sst2", "dev.tsv"), tsv(DEV));
  const before = Deno.env.get("PRUNING_LAB_DATA_MIRROR");
  Deno.env.set("PRUNING_LAB_DATA_MIRROR", dir);
  try {
    return await run();
  } finally {
    if (before === undefined) Deno.env.delete("PRUNING_LAB_DATA_MIRROR");
    else Deno.env.set("PRUNING_LAB_DATA_MIRROR", before);
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("with SST-2: training part, held-out selection part and dev are disjoint, with no shared text", async () => {
  const splits: CourseSplits = await withMirror(() => loadSplits({ selectionSize: 2 }));
  assert.strictEqual(splits.source, "SST-2");
  assert.strictEqual(splits.names.test, "SST-2 dev");
  assert.deepStrictEqual(splits.test.map((d) => d.sentence), DEV.map(([s]) => s.trim()));
  assert.strictEqual(splits.selection.length, 2);
  const key = (s: { sentence: string }) => s.sentence;
  assertDisjoint({
    train: splits.train.map(key),
    selection: splits.selection.map(key),
    test: splits.test.map(key),
  });
  // Selection sentences are long ones from train; nothing of train is inside a later part.
  const trainSentences = TRAIN.map(([s]) => s);
  for (const s of splits.selection) {
    assert.ok(trainSentences.includes(s.sentence as never), s.sentence);
    assert.ok(s.sentence.split(" ").length >= 8, s.sentence);
  }
  const later = new Set(
    [...splits.selection, ...splits.test].flatMap((s) => [...phrases(s.sentence)]),
  );
  for (const s of splits.train) assert.ok(!later.has(s.sentence.toLowerCase()), s.sentence);
  // Dev's sub-phrase "bleak and desperate" and the dev sentence's "charming and often affecting"
  // never train; every other train phrase is in exactly one part or inside a selection sentence.
  const kept = new Set([...splits.train, ...splits.selection].map(key));
  assert.ok(!kept.has("bleak and desperate") && !kept.has("charming and often affecting"));
  for (const [sentence] of TRAIN) {
    assert.ok(kept.has(sentence) || later.has(sentence), `${sentence} is lost`);
  }
  // The reviews' parts come along.
  assert.strictEqual(splits.reviews.test.length, 64);
});

Deno.test("with SST-2: the same seed gives the same parts, another seed other ones", () => {
  const train = TRAIN.map(([sentence, label]) => ({ sentence, label }));
  const dev = DEV.map(([sentence, label]) => ({ sentence: sentence.trim(), label }));
  const a = splitSst2(train, dev, { selectionSize: 2, seed: 1 });
  assert.deepStrictEqual(splitSst2(train, dev, { selectionSize: 2, seed: 1 }), a);
  const seeds = new Set(
    [0, 1, 2, 3, 4, 5].map((seed) =>
      JSON.stringify(splitSst2(train, dev, { selectionSize: 2, seed }).selection)
    ),
  );
  assert.ok(seeds.size > 1, "every seed drew the same selection part");
  assert.throws(() => splitSst2(train, dev, { selectionSize: 50 }), /fewer than the 50/);
});

Deno.test("without SST-2: the product reviews split into disjoint train / selection / test parts", async () => {
  const splits = await loadSplits({ sst2: false });
  const all = await readLabelledFile(REVIEWS_CSV, ["category"]);
  assert.strictEqual(splits.source, "reviews");
  assert.strictEqual(splits.names.test, "product reviews, test part");
  assert.deepStrictEqual(
    [splits.train.length, splits.selection.length, splits.test.length],
    [128, 48, 64],
  );
  assert.strictEqual(splits.test, splits.reviews.test);
  const key = (s: { sentence: string }) => s.sentence;
  assertDisjoint({
    train: splits.train.map(key),
    selection: splits.selection.map(key),
    test: splits.test.map(key),
  });
  // Together they are the whole file, each review once.
  assert.deepStrictEqual(
    [...splits.train, ...splits.selection, ...splits.test].map(key).sort(),
    all.map(key).sort(),
  );
  // Every part holds both labels of every category.
  for (const part of [splits.reviews.train, splits.reviews.selection, splits.reviews.test]) {
    const groups = new Set(part.map((r) => `${r.category}|${r.label}`));
    assert.strictEqual(groups.size, 16);
  }
  // Deterministic.
  const again = splitReviews(all as { sentence: string; label: number; category: string }[]);
  assert.deepStrictEqual(again.test.map(key), splits.test.map(key));
});

Deno.test("an even sample takes every k-th item", () => {
  assert.deepStrictEqual(evenSample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3), [0, 3, 6]);
  assert.deepStrictEqual(evenSample([1, 2], 5), [1, 2]);
});

Deno.test("every notebook that reads sentences takes them from loadSplits, never straight from a file", async () => {
  const dir = join(PROJECT_ROOT, "solutions");
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".ipynb"));
  const direct: string[] = [];
  const users: string[] = [];
  for (const name of names.sort()) {
    const nb = await readNotebook(join(dir, name));
    const code = nb.cells.filter((c) => c.cell_type === "code").map(sourceOf).join("\n");
    if (/\bloadSst2\(|readLabelledFile\(\s*REVIEWS_CSV/.test(code)) direct.push(name);
    if (/\bloadSplits\(/.test(code)) users.push(name);
  }
  assert.deepStrictEqual(direct, [], "notebooks that read SST-2 or the reviews without the splits");
  // 01 reads no sentences and 05 uses MNIST's own train/test split.
  assert.deepStrictEqual(
    users,
    names.filter((n) => !/^0[15]_/.test(n)).sort(),
    "notebooks on the course's splits",
  );
});
