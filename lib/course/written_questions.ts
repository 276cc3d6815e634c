// The course's written questions (reflection, graded by hand): their ids, points and text. A
// solution notebook marks its answer cell (markdown) with `metadata.pruning_lab.written`; the
// release empties it for the student and the grader collects the answers for the instructor.
import type { WrittenQuestion } from "../grader/api/written.ts";

/**
 * Every written question, in notebook order.
 *
 * @example
 * ```ts
 * WRITTEN_QUESTIONS.find((q) => q.id === "02.other_metrics")!.points; // 2
 * ```
 */
export const WRITTEN_QUESTIONS: WrittenQuestion[] = [
  {
    id: "01.where_parameters_live",
    points: 2,
    question:
      "Where do the embedded model's parameters live, and what does that imply for how much head pruning alone can shrink it?",
  },
  {
    id: "02.other_metrics",
    points: 2,
    question:
      "Besides accuracy, latency and size, which metrics would you track before putting a pruned model on the stores' edge servers, and why?",
  },
  {
    id: "03.which_importance",
    points: 2,
    question:
      "Do the three importance scores agree? Which one would you trust to choose the heads to prune, and why?",
  },
  {
    id: "04.tradeoff",
    points: 3,
    question:
      "Does the trade-off make sense for the retail scenario? Argue from your trade-off table and pruning curve: which rate would you ship, and what would change your mind?",
  },
  {
    id: "05.trends",
    points: 3,
    question:
      "Describe the trends in the three plots. Why does latency not follow sparsity here, and what hardware or kernels would change that? What was the hardest part of this study?",
  },
  {
    id: "06.pipeline_choice",
    points: 3,
    question:
      "A store chain wants the model on an edge server with 2 cores and asks you which stages to ship. Argue from your pipeline table: which stage buys what (size, speed, accuracy), which one you would drop if accuracy on the product reviews mattered most, and what the DistilBERT-base rows change.",
  },
];
