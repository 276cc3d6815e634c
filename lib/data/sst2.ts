// SST-2 (GLUE): from a local mirror folder when `PRUNING_LAB_DATA_MIRROR` names one, else
// from the Hugging Face hub (parquet, read with hyparquet) into the cache.
import { join } from "node:path";
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import { parquetReadObjects } from "hyparquet";
import { exists, hubDownload } from "../io/hub.ts";

/** One labelled sentence: label 0 = negative, 1 = positive. */
export interface LabelledSentence {
  sentence: string;
  label: number;
}

/** The hub dataset SST-2 is downloaded from when there is no mirror. */
export const SST2_REPO = "stanfordnlp/sst2";
const MIRROR_FILES = { train: "train.tsv", validation: "dev.tsv" } as const;

/**
 * Loads an SST-2 split: `train` (67,349 sentences) or `validation` (the 872-sentence dev set).
 * Mirror: `$PRUNING_LAB_DATA_MIRROR/sst2/{train,dev}.tsv` (GLUE's TSV files); otherwise
 * `data/{split}-00000-of-00001.parquet` of the hub dataset `stanfordnlp/sst2`.
 *
 * @example
 * ```ts
 * const dev = await loadSst2("validation");
 * dev.length; // 872
 * ```
 */
export async function loadSst2(split: "train" | "validation"): Promise<LabelledSentence[]> {
  const mirror = Deno.env.get("PRUNING_LAB_DATA_MIRROR");
  if (mirror) {
    const path = join(mirror, "sst2", MIRROR_FILES[split]);
    if (await exists(path)) return parseGlueTsv(await Deno.readTextFile(path), path);
  }
  let file: string;
  try {
    file = await hubDownload(SST2_REPO, `data/${split}-00000-of-00001.parquet`, {
      kind: "dataset",
    });
  } catch (e) {
    throw new Error(
      `SST-2 ${split}: no mirror (set PRUNING_LAB_DATA_MIRROR to a folder with ` +
        `sst2/${MIRROR_FILES[split]}) and the hub download failed: ${(e as Error).message}`,
    );
  }
  const bytes = await Deno.readFile(file);
  const rows = await parquetReadObjects({
    file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    columns: ["sentence", "label"],
  });
  return rows.map((r, i) => checkRow(String(r.sentence), Number(r.label), file, i + 1));
}

/**
 * Parses GLUE's SST-2 TSV (`sentence<TAB>label`, unquoted, header line).
 *
 * @example
 * ```ts
 * parseGlueTsv("sentence\tlabel\ngreat fun \t1\n", "dev.tsv"); // [{ sentence: "great fun", label: 1 }]
 * ```
 */
export function parseGlueTsv(text: string, file: string): LabelledSentence[] {
  // GLUE writes these files without quoting, so quotes are ordinary characters here.
  const parsed = Papa.parse<string[]>(text.trimEnd(), { delimiter: "\t", quoteChar: "\u0000" });
  const [header, ...rows] = parsed.data;
  const s = header.indexOf("sentence");
  const l = header.indexOf("label");
  if (s < 0 || l < 0) {
    throw new Error(`${file}: line 1: header needs "sentence" and "label" columns`);
  }
  return rows.map((r, i) => checkRow(r[s], Number(r[l]), file, i + 2));
}

function checkRow(sentence: string, label: number, file: string, line: number): LabelledSentence {
  if (label !== 0 && label !== 1) throw new Error(`${file}: line ${line}: label must be 0 or 1`);
  const text = (sentence ?? "").trim();
  if (!text) throw new Error(`${file}: line ${line}: empty sentence`);
  return { sentence: text, label };
}
