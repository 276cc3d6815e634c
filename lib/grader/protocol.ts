// What the grader and its child runner share: the plan sent on stdin and the name of the
// callback that the submission module calls before each cell.

/** Symbol name (Symbol.for) of the runner's cell-progress callback. */
export const CELL_MARK = "pruning_lab.grader.cell";

/** What the parent sends the runner on stdin. */
export interface RunnerPlan {
  /** Random tag on every line the runner reports, unknown to student code. */
  nonce: string;
  /** The submission module (a file path). */
  module: string;
  /** Check modules: file paths, or data: URLs for hidden checks. */
  checkModules: string[];
  /** Check ids to run, in order. */
  checks: string[];
}
