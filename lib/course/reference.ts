// The course's own implementations of TODOs, marked so that a TODO answered by calling them
// scores 0 (course rule: write your own). Every marked function counts its calls in a slot of
// a counter array; while grading, that array lives in shared memory that the grader's
// supervisor reads from outside the student's realm, so student code cannot hide a call.

import { normalize } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** TODO id -> the course functions that implement it (names for messages). */
export const COURSE_REFERENCES: Record<string, string[]> = {
  "01.count_parameters": ["model.numParameters()"],
  "01.parameters_by_component": [
    "parameterBreakdown / componentOf (lib/model/parameters.ts)",
  ],
  "02.accuracy": ["accuracyOf (lib/evaluation/predict.ts)"],
  "02.pipeline": ["predictProbabilities (lib/evaluation/predict.ts)"],
  "02.evaluate_model": ["evaluateClassifier (lib/evaluation/evaluation.ts)"],
  "02.flops": ["forwardFlops (lib/evaluation/flops.ts)"],
  "03.ablation": ["ablationImportance (lib/importance/ablation.ts)"],
  "03.entropy": ["entropyImportance (lib/importance/entropy.ts)"],
  "03.gradient": ["gradientImportance (lib/importance/gradient.ts)"],
  "03.spearman": ["spearman / ranks (lib/evaluation/stats.ts)"],
  "04.prune_heads": ["pruneHeads (lib/prune/heads.ts)"],
  "04.ffn_importance": ["ffnWeightNormImportance (lib/importance/weight_norm.ts)"],
  "04.distillation_loss": ["distillationLoss (lib/training/distillation.ts)"],
  "05.global_prune": ["globalMagnitudePrune (lib/prune/magnitude.ts)"],
  "05.sparse_size": ["serializeSparse / sparseTensors (lib/deploy/sparse_storage.ts)"],
  "06.sensitivity_budgets": ["budgetsFromSensitivity (lib/prune/sensitivity.ts)"],
  "06.taylor_importance": ["taylorFfnImportance (lib/importance/taylor.ts)"],
  "06.cubic_sparsity": ["cubicSparsity (lib/prune/movement.ts)"],
  "06.movement_scores": ["headMovementScores (lib/prune/movement.ts)"],
  "06.vocab_keep": ["tokensToKeep (lib/prune/vocabulary.ts)"],
  "06.quantize_weights": ["quantizePerChannel (lib/deploy/quantize.ts)"],
};

// One instance only: a copy of this module loaded through another spelling of its path
// (percent-escapes, doubled slashes, a query) would keep counters of its own, so it refuses to
// load. Reference modules reach it by relative imports, so their copies fail with it.
{
  const url = new URL(import.meta.url);
  if (url.protocol === "file:") {
    const canonical = pathToFileURL(normalize(fileURLToPath(url))).href;
    if (url.search || url.hash || url.href !== canonical) {
      throw new Error(
        `the course's library must be imported by its plain path (${canonical}), not ${url.href}`,
      );
    }
  }
}

const SLOTS = Object.keys(COURSE_REFERENCES);
/** Length of the counter array (one Int32 per TODO with references). */
export const REFERENCE_SLOT_COUNT = SLOTS.length;

const atomicAdd = Atomics.add;
const atomicLoad = Atomics.load;
const apply = Reflect.apply;
let counters: Int32Array<ArrayBufferLike> = new Int32Array(REFERENCE_SLOT_COUNT);
let installed = false;

/** The counter slot of a TODO id, or -1 when the course has no reference for it. */
export function referenceSlot(todo: string): number {
  return SLOTS.indexOf(todo);
}

/**
 * Marks `f` as the course's implementation of `todo`: the returned function behaves the same
 * and counts each call.
 *
 * @example
 * ```ts
 * export const spearman = courseReference("03.spearman", function spearman(a: number[], b: number[]) { … });
 * ```
 */
// deno-lint-ignore no-explicit-any
export function courseReference<F extends (...args: any[]) => any>(todo: string, f: F): F {
  const slot = referenceSlot(todo);
  if (slot < 0) throw new Error(`courseReference: ${todo} is not listed in COURSE_REFERENCES`);
  const marked = function (this: unknown, ...args: unknown[]) {
    atomicAdd(counters, slot, 1);
    return apply(f, this, args);
  };
  Object.defineProperty(marked, "name", { value: f.name });
  return marked as unknown as F;
}

/**
 * Moves the counters into `buffer` (the grader's shared memory). Only the first call takes
 * effect, so code loaded later cannot swap the counters.
 *
 * @example
 * ```ts
 * installReferenceCounters(new SharedArrayBuffer(4 * REFERENCE_SLOT_COUNT));
 * ```
 */
export function installReferenceCounters(buffer: SharedArrayBuffer): void {
  if (installed) throw new Error("reference counters are already installed");
  installed = true;
  counters = new Int32Array(buffer, 0, REFERENCE_SLOT_COUNT);
}

/**
 * How many times the course's implementation of `todo` has been called in this realm.
 *
 * @example
 * ```ts
 * const before = referenceCalls("03.spearman");
 * ```
 */
export function referenceCalls(todo: string): number {
  const slot = referenceSlot(todo);
  return slot < 0 ? 0 : atomicLoad(counters, slot);
}
