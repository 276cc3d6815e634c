// A notebook's headline figures as JSON (`out/NN_summary.json`), so that runs can be compared:
// the same numbers its summary cell prints.
import { join } from "node:path";
import { OUT_DIR } from "../io/paths.ts";

/**
 * Writes `out/<notebook>_summary.json` (pretty-printed, numbers as given) and returns its path.
 *
 * @example
 * ```ts
 * await writeSummary("04", { model: "distilbert-sst2-tiny", cost_at_30_points: 1.2 });
 * // "…/out/04_summary.json"
 * ```
 */
export async function writeSummary(
  notebook: string,
  figures: Record<string, unknown>,
  outDir = OUT_DIR,
): Promise<string> {
  await Deno.mkdir(outDir, { recursive: true });
  const path = join(outDir, `${notebook}_summary.json`);
  await Deno.writeTextFile(path, JSON.stringify(figures, null, 2) + "\n");
  return path;
}
