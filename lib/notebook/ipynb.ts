// Course notebooks (nbformat 4, Deno kernel): reading with errors that name the file, and the
// cell metadata that marks TODO cells, setup cells and instructor-only cells.

/** One notebook cell (the nbformat 4 fields this project uses). */
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: { pruning_lab?: CellMarks; [key: string]: unknown };
  outputs?: unknown[];
  execution_count?: number | null;
  id?: string;
  attachments?: unknown;
}

/**
 * This project's marks on a cell, under `metadata.pruning_lab`:
 * - `todo`, `points`, `title`: a graded TODO cell (`"01.count_parameters"`, 2, "Count …");
 * - `setup`: a cell the TODOs need when graded alone (imports, helpers);
 * - `instructor`: a cell dropped from the student version;
 * - `written`: a markdown answer cell of a written question (`"02.other_metrics"`), graded by
 *   hand.
 */
export interface CellMarks {
  todo?: string;
  written?: string;
  points?: number;
  title?: string;
  setup?: boolean;
  instructor?: boolean;
}

/** An nbformat 4 notebook. */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** A TODO as declared in a solution notebook. */
export interface Todo {
  id: string;
  points: number;
  title: string;
  /** Index of its cell in the notebook. */
  cell: number;
}

/**
 * Parses notebook JSON; errors name the file and what is wrong.
 *
 * @example
 * ```ts
 * const nb = parseNotebook(await Deno.readTextFile("solutions/01_architecture.ipynb"), "01_architecture.ipynb");
 * ```
 */
export function parseNotebook(text: string, file: string): Notebook {
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not a notebook: invalid JSON (${(e as Error).message})`);
  }
  if (!nb || typeof nb !== "object" || !Array.isArray(nb.cells)) {
    throw new Error(`${file}: not a notebook: no "cells" list`);
  }
  if (nb.nbformat !== 4) throw new Error(`${file}: nbformat ${nb.nbformat}; expected 4`);
  nb.cells.forEach((cell, i) => {
    if (
      !cell || typeof cell !== "object" || !["code", "markdown", "raw"].includes(cell.cell_type)
    ) {
      throw new Error(`${file}: cell ${i + 1} has no valid cell_type`);
    }
    if (!cell.metadata || typeof cell.metadata !== "object") cell.metadata = {};
    const marks = cell.metadata.pruning_lab;
    if (marks !== undefined && (marks === null || typeof marks !== "object")) {
      delete cell.metadata.pruning_lab;
    }
  });
  return nb;
}

/** The largest notebook file the grader reads (outputs with embedded figures included). */
const MAX_NOTEBOOK_BYTES = 50_000_000;

/** Reads and parses a notebook file. */
export async function readNotebook(path: string): Promise<Notebook> {
  let text: string;
  try {
    const info = await Deno.lstat(path);
    if (info.isSymlink) throw new Error("a symbolic link; a submission must be a regular file");
    const size = info.size;
    if (size > MAX_NOTEBOOK_BYTES) {
      throw new Error(`${size} bytes; a notebook may have at most ${MAX_NOTEBOOK_BYTES}`);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
  return parseNotebook(text, path);
}

/**
 * Writes a notebook as Jupyter does (1-space indent, trailing newline), so diffs stay small.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out.ipynb", formatNotebook(nb));
 * ```
 */
export function formatNotebook(nb: Notebook): string {
  return JSON.stringify(nb, null, 1) + "\n";
}

/** A cell's source as one string ("" when it has none or an invalid one). */
export function sourceOf(cell: Cell): string {
  const source = cell.source as unknown;
  if (Array.isArray(source)) return source.map((l) => (typeof l === "string" ? l : "")).join("");
  return typeof source === "string" ? source : "";
}

/** Splits source into nbformat's list of lines (each but the last ends with "\n"). */
export function toSourceLines(text: string): string[] {
  const lines = text.split("\n").map((l) => l + "\n");
  lines[lines.length - 1] = lines[lines.length - 1].slice(0, -1);
  return lines.at(-1) === "" ? lines.slice(0, -1) : lines;
}

/**
 * The TODOs a notebook declares, in order; duplicate ids and missing points are errors.
 *
 * @example
 * ```ts
 * todosOf(nb, "01.ipynb").map((t) => t.id); // ["01.count_parameters", …]
 * ```
 */
export function todosOf(nb: Notebook, file: string): Todo[] {
  const todos: Todo[] = [];
  nb.cells.forEach((cell, i) => {
    const marks = cell.metadata.pruning_lab;
    if (!marks?.todo) return;
    if (cell.cell_type !== "code") {
      throw new Error(`${file}: cell ${i + 1}: a TODO must be a code cell`);
    }
    if (todos.some((t) => t.id === marks.todo)) {
      throw new Error(`${file}: cell ${i + 1}: TODO ${marks.todo} is declared twice`);
    }
    if (typeof marks.points !== "number" || marks.points <= 0) {
      throw new Error(`${file}: cell ${i + 1}: TODO ${marks.todo} needs positive "points"`);
    }
    todos.push({ id: marks.todo, points: marks.points, title: marks.title ?? marks.todo, cell: i });
  });
  return todos;
}
