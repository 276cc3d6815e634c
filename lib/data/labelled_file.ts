// A user's labelled sentences from a TSV or CSV file with `sentence` and `label` columns
// (parsed with papaparse), with one-line errors naming the file, line and problem.
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import type { LabelledSentence } from "./sst2.ts";

/**
 * Reads a `.tsv` or `.csv` file with a header that has `sentence` and `label` (0 or 1)
 * columns; other columns are dropped unless named in `keep`.
 *
 * @example
 * ```ts
 * const reviews = await readLabelledFile("data/reviews.csv");
 * reviews[0]; // { sentence: "…", label: 1 }
 * ```
 */
export async function readLabelledFile(
  path: string,
  keep: string[] = [],
): Promise<(LabelledSentence & Record<string, string | number>)[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
  return parseLabelledText(text, path, keep);
}

/**
 * Parses labelled text; `.tsv` names are tab-separated, others are detected (CSV usually).
 *
 * @example
 * ```ts
 * parseLabelledText("sentence,label\n\"Great, thanks\",1\n", "mine.csv");
 * ```
 */
export function parseLabelledText(
  text: string,
  file: string,
  keep: string[] = [],
): (LabelledSentence & Record<string, string | number>)[] {
  const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, "").trimEnd(), {
    header: true,
    delimiter: file.toLowerCase().endsWith(".tsv") ? "\t" : "",
    skipEmptyLines: true,
  });
  const columns = parsed.meta.fields ?? [];
  for (const column of ["sentence", "label"]) {
    if (!columns.includes(column)) {
      throw new Error(
        `${file}: line 1: missing column "${column}" (found: ${columns.join(", ") || "none"})`,
      );
    }
  }
  const bad = parsed.errors.find((e) => e.type !== "Delimiter");
  if (bad) throw new Error(`${file}: line ${(bad.row ?? 0) + 2}: ${bad.message}`);
  return parsed.data.map((row, i) => {
    const line = i + 2;
    const label = (row.label ?? "").trim();
    if (label !== "0" && label !== "1") {
      throw new Error(`${file}: line ${line}: label "${label}" is not 0 or 1`);
    }
    const sentence = (row.sentence ?? "").trim();
    if (!sentence) throw new Error(`${file}: line ${line}: empty sentence`);
    const extra = Object.fromEntries(keep.map((k) => [k, row[k] ?? ""]));
    return { ...extra, sentence, label: Number(label) };
  });
}
