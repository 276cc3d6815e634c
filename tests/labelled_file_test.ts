// A user's labelled file and the shipped reviews: parsing, and one-line errors that name the
// file, the line and the problem.
import { REVIEWS_CSV } from "lib/io/paths.ts";
import { assert } from "./helpers/assert.ts";
import { parseLabelledText, readLabelledFile } from "lib/data/labelled_file.ts";

Deno.test("CSV with quotes and extra columns, and TSV, parse", () => {
  assert.deepStrictEqual(
    parseLabelledText('id,sentence,label\n7,"Great, really ""great""",1\n8,meh,0\n', "mine.csv"),
    [{ sentence: 'Great, really "great"', label: 1 }, { sentence: "meh", label: 0 }],
  );
  assert.deepStrictEqual(parseLabelledText("sentence\tlabel\nfine , fine\t1\n", "mine.tsv"), [
    { sentence: "fine , fine", label: 1 },
  ]);
});

for (
  const [what, text, message] of [
    ["a missing column", "text,label\nok,1\n", /^mine\.csv: line 1: missing column "sentence"/],
    [
      "a label other than 0/1",
      "sentence,label\nok,1\nbad,positive\n",
      /^mine\.csv: line 3: label "positive" is not 0 or 1$/,
    ],
    ["an empty sentence", "sentence,label\n  ,0\n", /^mine\.csv: line 2: empty sentence$/],
  ] as const
) {
  Deno.test(`${what} is one error naming file and line`, () => {
    assert.throws(() => parseLabelledText(text, "mine.csv"), { message });
  });
}

Deno.test("an unreadable file names the path", async () => {
  await assert.rejects(
    readLabelledFile("/no/such/file.csv"),
    /^Error: \/no\/such\/file\.csv: cannot read/,
  );
});

Deno.test("data/reviews.csv: 200+ reviews, balanced 0/1 labels, no duplicate sentences", async () => {
  const reviews = await readLabelledFile(REVIEWS_CSV);
  assert.ok(reviews.length >= 200, `${reviews.length} reviews`);
  const positives = reviews.filter((r) => r.label === 1).length;
  assert.strictEqual(positives, reviews.length - positives, "balanced labels");
  const seen = new Set(reviews.map((r) => r.sentence.toLowerCase().replace(/[^a-z0-9 ]/g, "")));
  assert.strictEqual(seen.size, reviews.length, "duplicate sentences");
});
