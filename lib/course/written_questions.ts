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
      "Where do the course model's parameters live, and what does that imply for how much head pruning alone can shrink it?",
    rubric:
      "1 point: reads the component table: most of the course model's parameters are the word embeddings (vocabulary x width: about half of distilbert-sst2-minilm's, four fifths of distilbert-sst2-tiny's), the encoder's heads and FFNs a smaller share (about a third of DistilBERT-base is embeddings). 1 point: concludes that head (and FFN) pruning touches only the encoder's share, so the file cannot shrink below the embeddings; shrinking the vocabulary or the width is what reaches them.",
  },
  {
    id: "02.other_metrics",
    points: 2,
    question:
      "Besides accuracy, latency and size, which metrics would you track before putting a pruned model on the stores' edge servers, and why?",
    rubric:
      "1 point: at least two further metrics (per-class recall or precision, calibration, accuracy on the stores' own reviews, tail latency under load such as p99, peak memory, energy per request, robustness to typos or long reviews, drift over time). 1 point: each tied to a reason from the edge-server scenario (e.g. a missed negative review costs more than a false alarm; 2-core servers under load).",
  },
  {
    id: "03.which_importance",
    points: 2,
    question:
      "Do the three importance scores agree? Which one would you trust to choose the heads to prune, and why?",
    rubric:
      "1 point: says how far the rankings agree, quoting the Spearman table (ablation and gradient usually agree more with each other than with entropy). 1 point: picks one with a reason: ablation measures what pruning does (at one pass per layer), gradient is a cheap first-order estimate of it, entropy needs no labels but can call a focused, useless head important.",
  },
  {
    id: "04.tradeoff",
    points: 3,
    question:
      "Does the trade-off make sense for the retail scenario? Argue from your trade-off table and pruning curve: which rate would you ship, and what would change your mind?",
    rubric:
      "1 point: argues from the measured rows: accuracy lost at each rate against the latency and size gained, and whether distillation recovered it. 1 point: picks a rate below the curve's cliff and says what the stores gain (latency, servers, memory). 1 point: names what would change the decision (a stricter accuracy floor, another sentence mix, other hardware).",
  },
  {
    id: "05.trends",
    points: 3,
    question:
      "Describe the trends in the three plots. Why does latency not follow sparsity here, and what hardware or kernels would change that? What was the hardest part of this study?",
    rubric:
      "1 point: describes the three plots: IMP holds accuracy longer than repeated pruning, which collapses past a sparsity; the bitmap file shrinks with density and beats dense early, COO only past about 50% sparsity. 1 point: latency stays flat because dense kernels multiply the zeros anyway. 1 point: names what turns sparsity into speed (sparse kernels, structured sparsity of whole heads or neurons, 2:4 sparse tensor cores) and says what was hardest (any honest account).",
  },
  {
    id: "06.pipeline_choice",
    points: 3,
    question:
      "A store chain wants the model on an edge server with 2 cores and asks you which stages to ship. Argue from your pipeline table: which stage buys what (size, speed, accuracy), which one you would drop if accuracy on the product reviews mattered most, and what the DistilBERT-base rows change.",
    rubric:
      "1 point: reads the table stage by stage with this run's numbers: what each stage bought in size and latency (B=1 and B=32 may differ) and where accuracy moved, on dev and on the reviews separately. 1 point: names a stage to drop when accuracy on the product reviews matters most, with a measured reason. 1 point: says what the DistilBERT-base rows add (whether the same stages gain more or less there, and why).",
  },
];
