// Which student and which notebook a submission file is, and the written answers it holds.
import { basename, dirname } from "node:path";
import { type Notebook, sourceOf } from "../../notebook/ipynb.ts";
import { ANSWER_PLACEHOLDER, type WrittenQuestion } from "../api/written.ts";

/** A written answer collected for the instructor (graded by hand). */
export interface WrittenAnswer {
  id: string;
  points: number;
  question: string;
  /** What earns the points (the course's rubric), when the question has one. */
  rubric?: string;
  /** The student's markdown, "" when the cell is missing or still the placeholder. */
  answer: string;
}

/** The notebook number ("01") of a submission: from its file name, else its TODO ids. */
export function notebookNumber(file: string, nb?: Notebook): string | undefined {
  const fromName = basename(file).match(/^(\d\d)_/)?.[1];
  if (fromName) return fromName;
  const ids = nb?.cells.map((c) => c.metadata?.pruning_lab?.todo).filter((t) =>
    typeof t === "string"
  ) as string[];
  return ids?.[0]?.match(/^(\d\d)\./)?.[1];
}

/** The student's name: the folder of the submission, or the file name when it is flat. */
export function studentOf(file: string, root: string): string {
  const parent = dirname(file);
  return parent !== root && basename(parent) ? basename(parent) : basename(file, ".ipynb");
}

/**
 * The written questions of notebook `number` with the student's answers (the last answer
 * cell of each question counts; the placeholder counts as no answer).
 *
 * @example
 * ```ts
 * writtenAnswers(nb, "02", WRITTEN_QUESTIONS).map((w) => w.answer);
 * ```
 */
export function writtenAnswers(
  nb: Notebook | undefined,
  number: string,
  questions: WrittenQuestion[],
): WrittenAnswer[] {
  return questions.filter((q) => q.id.startsWith(`${number}.`)).map((q) => {
    const cells = (nb?.cells ?? []).filter((c) => c.metadata?.pruning_lab?.written === q.id);
    const text = cells.length > 0 ? sourceOf(cells[cells.length - 1]).trim() : "";
    return { ...q, answer: text === ANSWER_PLACEHOLDER ? "" : text };
  });
}
