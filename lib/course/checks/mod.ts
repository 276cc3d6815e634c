// The course's checks, one module per notebook; `check()` and the grader look TODO ids up here.
import type { CheckDefinition } from "../../grader/api/check.ts";
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
