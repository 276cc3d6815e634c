// Release: a solution notebook becomes the student notebook. Each `// BEGIN SOLUTION` …
// `// END SOLUTION` region becomes a stub that throws "<id> is not implemented yet" (hint
// comments kept), outputs are cleared, instructor-only cells dropped and written-answer cells
// emptied to a placeholder (their question stays in the cell above).
import { ANSWER_PLACEHOLDER } from "../api/written.ts";
import { type Cell, type Notebook, sourceOf, toSourceLines } from "../../notebook/ipynb.ts";

const BEGIN = "// BEGIN SOLUTION";
const END = "// END SOLUTION";
/** Comment lines inside a region that stay in the student version. */
const HINT = /^\s*\/\/\s*(HINT|Hint|hint)\b/;

/**
 * Replaces the solution regions of one cell's source with stubs; `id` names the TODO in the
 * thrown error; `where` names the cell in errors about unbalanced markers.
 *
 * @example
 * ```ts
 * stubRegions("function f() {\n  // BEGIN SOLUTION\n  return 1;\n  // END SOLUTION\n}", "00.f", "cell 3");
 * // "function f() {\n  throw new Error(\"00.f is not implemented yet\");\n}"
 * ```
 */
export function stubRegions(source: string, id: string, where: string): string {
  const out: string[] = [];
  let region: { indent: string; hints: string[] } | undefined;
  source.split("\n").forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === BEGIN) {
      if (region) throw new Error(`${where}: line ${i + 1}: ${BEGIN} inside another region`);
      region = { indent: line.slice(0, line.indexOf("//")), hints: [] };
    } else if (trimmed === END) {
      if (!region) throw new Error(`${where}: line ${i + 1}: ${END} without ${BEGIN}`);
      out.push(...region.hints);
      out.push(
        `${region.indent}throw new Error(${JSON.stringify(`${id} is not implemented yet`)});`,
      );
      region = undefined;
    } else if (region) {
      if (HINT.test(line)) region.hints.push(line);
    } else {
      out.push(line);
    }
  });
  if (region) throw new Error(`${where}: ${BEGIN} without ${END}`);
  return out.join("\n");
}

/** True when a source has at least one solution region. */
export function hasRegions(source: string): boolean {
  return source.split("\n").some((l) => l.trim() === BEGIN);
}

/**
 * The student version of a solution notebook (a new object; the input is unchanged).
 *
 * @example
 * ```ts
 * const student = releaseNotebook(await readNotebook("solutions/01_architecture.ipynb"), "01_architecture.ipynb");
 * ```
 */
export function releaseNotebook(nb: Notebook, file: string): Notebook {
  const cells: Cell[] = [];
  nb.cells.forEach((cell, i) => {
    const marks = cell.metadata.pruning_lab;
    if (marks?.instructor) return;
    const copy: Cell = structuredClone(cell);
    const source = sourceOf(cell);
    if (cell.cell_type === "code") {
      if (hasRegions(source)) {
        if (!marks?.todo) {
          throw new Error(`${file}: cell ${i + 1} has a solution region but no TODO id`);
        }
        copy.source = toSourceLines(stubRegions(source, marks.todo, `${file}: cell ${i + 1}`));
      } else {
        copy.source = toSourceLines(source);
      }
      copy.outputs = [];
      copy.execution_count = null;
    } else if (marks?.written) {
      copy.source = toSourceLines(ANSWER_PLACEHOLDER);
    } else {
      copy.source = toSourceLines(source);
    }
    for (const key of ["execution", "collapsed", "scrolled", "ExecuteTime"]) {
      delete copy.metadata[key];
    }
    cells.push(copy);
  });
  return { ...structuredClone(nb), cells };
}
