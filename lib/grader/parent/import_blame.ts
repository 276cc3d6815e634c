// Blame for a broken import: which of a notebook's cells imports the module an error message
// names, so that only that cell's TODO fails.
import { type Notebook, sourceOf } from "../../notebook/ipynb.ts";

/**
 * A non-setup cell (not yet left out) that imports the specifier an error message names.
 *
 * @example
 * ```ts
 * importCulprit(nb, 'Module not found "file:///…/lib/not_there.ts"', new Map()); // 4
 * ```
 */
export function importCulprit(
  nb: Notebook,
  reason: string,
  exclude: Map<number, string>,
): number | undefined {
  for (let i = nb.cells.length - 1; i >= 0; i--) {
    const cell = nb.cells[i];
    if (cell.cell_type !== "code" || cell.metadata?.pruning_lab?.setup === true) continue;
    if (exclude.has(i)) continue;
    const specifiers = [...sourceOf(cell).matchAll(/^\s*import\b[^"'`]*["']([^"']+)["']/gm)]
      .map((m) => m[1]);
    if (specifiers.some((sp) => specifierTokens(sp).some((t) => reason.includes(t)))) return i;
  }
  return undefined;
}

/** How an error message may spell an import: the specifier, its package name, its file name. */
function specifierTokens(specifier: string): string[] {
  const registry = /^(npm|jsr):/.test(specifier);
  const bare = specifier.replace(/^(npm|jsr|node):/, "");
  const pkg = bare.startsWith("@") ? bare.split("/").slice(0, 2).join("/") : bare.split("/")[0];
  const tokens = [specifier, specifier.split("/").at(-1) ?? specifier];
  if (registry) tokens.push(`"${pkg.replace(/(.)@[^/]*$/, "$1")}"`);
  return tokens.filter((t) => t.length >= 4 && (t.includes(".") || t.startsWith('"')));
}
