// Where tests find ../shared (fixtures and data mirror) beside the checkout.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** `../shared` beside the checkout (fixtures, SST-2 mirror, tokenizer). */
export const SHARED = join(ROOT, "..", "shared");
/** The tiny random DistilBERT with golden outputs. */
export const TINY = join(SHARED, "fixtures", "distilbert-tiny");
