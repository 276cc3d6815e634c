// Where tests find their data: everything inside the repository (tests/fixtures/, the embedded
// model's tokenizer), plus the optional SST-2 mirror the environment may name.
import { join } from "node:path";

import { PROJECT_ROOT } from "lib/io/paths.ts";

/** The repository root. */
export const ROOT = PROJECT_ROOT;
/** Test fixtures kept in the repository. */
export const FIXTURES = join(ROOT, "tests", "fixtures");
/** The tiny random DistilBERT with golden outputs (tests/fixtures/distilbert-tiny). */
export const TINY = join(FIXTURES, "distilbert-tiny");
/** The embedded model's folder: its tokenizer files are bert-base-uncased's. */
export const EMBEDDED = join(ROOT, "data", "models", "distilbert-sst2-tiny");

/**
 * The SST-2 mirror named by `PRUNING_LAB_DATA_MIRROR`, when it holds `sst2/dev.tsv`;
 * otherwise undefined (tests that need it skip and say why).
 *
 * @example
 * ```ts
 * const mirror = sst2Mirror();
 * Deno.test({ name: "…", ignore: !mirror, fn: () => {} });
 * ```
 */
export function sst2Mirror(): string | undefined {
  const dir = Deno.env.get("PRUNING_LAB_DATA_MIRROR");
  if (!dir) return undefined;
  try {
    return Deno.statSync(join(dir, "sst2", "dev.tsv")).isFile ? dir : undefined;
  } catch {
    return undefined;
  }
}
