// The course's checks, one module per notebook; `check()` and the grader look TODO ids up here.
// The grader also reads the recipe modules the checks' probes need and the written questions.
import { fileURLToPath } from "node:url";
import type { CheckDefinition } from "../../grader/api/check.ts";
import "../recipes.ts";
import architecture from "./01_architecture.ts";
import evaluation from "./02_evaluation.ts";
import headImportance from "./03_head_importance.ts";
import headPruning from "./04_head_pruning.ts";
import impRewinding from "./05_imp_rewinding.ts";
import compressionPipeline from "./06_compression_pipeline.ts";

/** Every course check, in notebook order (notebook modules are added as notebooks arrive). */
const ALL: CheckDefinition[] = [
  ...architecture,
  ...evaluation,
  ...headImportance,
  ...headPruning,
  ...impRewinding,
  ...compressionPipeline,
];

/**
 * Every course check, in notebook order.
 *
 * @example
 * ```ts
 * courseChecks().map((c) => c.id);
 * ```
 */
export function courseChecks(): CheckDefinition[] {
  return ALL;
}

export default ALL;

/** Recipe modules the grader's worker loads before a submission (file paths). */
export const recipes: string[] = [fileURLToPath(new URL("../recipes.ts", import.meta.url))];

export { WRITTEN_QUESTIONS as writtenQuestions } from "../written_questions.ts";
