// Where tests find ../shared (fixtures and data mirror) beside the checkout.
import { join } from "node:path";

import { PROJECT_ROOT } from "lib/paths.ts";

/** The repository root. */
export const ROOT = PROJECT_ROOT;
/** `../shared` beside the checkout (fixtures, SST-2 mirror, tokenizer). */
export const SHARED = join(ROOT, "..", "shared");
/** The tiny random DistilBERT with golden outputs. */
export const TINY = join(SHARED, "fixtures", "distilbert-tiny");
