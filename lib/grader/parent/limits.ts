// The grader's limits in one place: what each grading run allows a submission (time per check,
// per import and in all; memory) and the defaults that the library, the command line and
// Gradescope share.

/** Limits and readable paths of a grading run. */
export interface GradeLimits {
  /** Seconds each check may run . */
  checkSeconds?: number;
  /** Seconds the notebook's setup and TODO cells may take to import . */
  importSeconds?: number;
  /** Memory a submission's process may commit, in MB (OS limit; the V8 heap gets 2/3). */
  memoryMB?: number;
  /** Extra folders the submission may read (e.g. the tiny model fixtures). */
  readable?: string[];
  /** Where the grader writes each submission's module (default: the system temp folder). */
  workDir?: string;
  /** Seconds one submission may take in all, retries and blame runs included . */
  submissionSeconds?: number;
}

/**
 * The defaults of every limit.
 *
 * @example
 * ```ts
 * GRADE_DEFAULTS.checkSeconds; // 60
 * ```
 */
export const GRADE_DEFAULTS = Object.freeze({
  checkSeconds: 60,
  importSeconds: 120,
  memoryMB: 3072,
  submissionSeconds: 900,
});

/**
 * `limits` with every unset time and memory limit at its default.
 *
 * @example
 * ```ts
 * withDefaults({ checkSeconds: 5 }).importSeconds; // 120
 * ```
 */
export function withDefaults(
  limits: GradeLimits,
): GradeLimits & typeof GRADE_DEFAULTS {
  return { ...GRADE_DEFAULTS, ...limits } as GradeLimits & typeof GRADE_DEFAULTS;
}
