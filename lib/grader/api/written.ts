// Written questions (reflection, graded by hand): what a course declares for each, and the
// placeholder that release leaves in a student's answer cell.

/** One written question. */
export interface WrittenQuestion {
  id: string;
  points: number;
  question: string;
  /**
   * What earns the points: the grader prints it under each student's answer in written.md
   * (for the instructor only; never in a student's feedback or results.json).
   */
  rubric?: string;
}

/** The placeholder a released answer cell holds. */
export const ANSWER_PLACEHOLDER = "**Your answer** (written, graded by hand): _write here_";
