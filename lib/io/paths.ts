// Project locations every part shares: the repository root, the outputs folder (git-ignored)
// and the shipped product reviews; plus file URLs for dynamic imports.
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** Where notebooks write results (CSV files, figures); git-ignored. */
export const OUT_DIR = fileURLToPath(new URL("../../out/", import.meta.url));
/** The product reviews written for the course (`sentence,label,category,phenomenon`). */
export const REVIEWS_CSV = fileURLToPath(new URL("../../data/reviews.csv", import.meta.url));

/**
 * A `file://` URL string for a path.
 *
 * @example
 * ```ts
 * await import(toFileUrl("/abs/path/checks.ts"));
 * ```
 */
export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
