// Tokenizer (the embedded model's files, bert-base-uncased's): ids, truncation that keeps
// [SEP], dynamic padding, and a vocab.txt-only folder.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { EMBEDDED } from "./helpers/paths.ts";
import { bertVocabTxt } from "./helpers/bert_vocab.ts";
import { loadTokenizer } from "lib/data/tokenizer.ts";

const tok = await loadTokenizer(EMBEDDED);

Deno.test('"Hello World" encodes to [101, 7592, 2088, 102]', () => {
  assert.deepStrictEqual(tok.encode("Hello World"), [101, 7592, 2088, 102]);
});

Deno.test("a 600-word text truncated to 128 ends with [SEP]", () => {
  const ids = tok.encode(Array.from({ length: 600 }, (_, i) => `word${i % 7}`).join(" "), 128);
  assert.strictEqual(ids.length, 128);
  assert.strictEqual(ids[0], 101);
  assert.strictEqual(ids.at(-1), 102);
});

Deno.test("batches pad to the longest text with attention masks", () => {
  const { inputIds, attentionMask, lengths } = tok.encodeBatch(["great", "not good at all"]);
  assert.deepStrictEqual(lengths, [3, 6]);
  assert.deepStrictEqual(inputIds[0], [101, 2307, 102, 0, 0, 0]);
  assert.deepStrictEqual(attentionMask[0], [1, 1, 1, 0, 0, 0]);
  assert.deepStrictEqual(attentionMask[1], [1, 1, 1, 1, 1, 1]);
  const fixed = tok.encodeBatch(["great"], { maxLength: 8, padToMaxLength: true });
  assert.strictEqual(fixed.inputIds[0].length, 8);
});

Deno.test("a folder with only vocab.txt gets the same ids as tokenizer.json", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "vocab.txt"), await bertVocabTxt());
  await Deno.copyFile(join(EMBEDDED, "tokenizer_config.json"), join(dir, "tokenizer_config.json"));
  const fromVocab = await loadTokenizer(dir);
  for (const text of ["Hello World", "It's unflinchingly bleak, isn't it?", "Ünïcode café 123"]) {
    assert.deepStrictEqual(fromVocab.encode(text), tok.encode(text), text);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a folder without tokenizer files is one clear error", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    loadTokenizer(dir),
    new RegExp(`${dir}: no usable tokenizer.json or vocab.txt`),
  );
  await Deno.remove(dir, { recursive: true });
});
