// Paths the grader needs: the project root and its folders, and file URLs for imports.
import { fileURLToPath, pathToFileURL } from "node:url";

/** The repository root. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A `file://` URL string for an absolute or relative path. */
export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
