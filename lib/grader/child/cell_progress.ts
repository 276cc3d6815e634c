// Which notebook cell the graded module is running: the module calls `cellStarted` before
// each cell's code, and the grader's worker forwards it, so that a crash or a hang on import
// is blamed on its cell. A submission can only report progress about itself.

let listener: ((cell: string) => void) | undefined;

/**
 * Reports that the module starts the code of `cell` (its index in the notebook).
 *
 * @example
 * ```ts
 * cellStarted("7");
 * ```
 */
export function cellStarted(cell: string): void {
  listener?.(String(cell));
}

/**
 * Sets the one listener (the grader's worker, before the submission loads).
 *
 * @example
 * ```ts
 * onCellStarted((cell) => console.log(`cell ${cell}`));
 * ```
 */
export function onCellStarted(f: (cell: string) => void): void {
  if (listener) throw new Error("a cell listener is already set");
  listener = f;
}
