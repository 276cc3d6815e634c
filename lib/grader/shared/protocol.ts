// What the grader and its child share. The parent sends JSON lines on the child's stdin (the
// plan first, then requests); the child's supervisor answers with lines tagged by a nonce
// that only the two of them know (student code runs in a worker and never sees it).
import type { Probe, StepOutcome } from "./probe.ts";

/** The first line the parent sends. */
export interface RunnerPlan {
  /** Random tag on every line the supervisor reports, unknown to student code. */
  nonce: string;
  /** The submission module (a file path). */
  module: string;
  /** Recipe modules (file paths) the worker loads before the submission. */
  recipes: string[];
}

/** A request for one check's probe (or for which names are missing). */
export interface RunnerRequest {
  id: number;
  /** The TODO id whose course implementation must not be called meanwhile. */
  todo: string;
  probe?: Probe;
  missing?: string[];
}

/** The supervisor's answer to a request. */
export interface RunnerReply {
  id: number;
  outcomes?: StepOutcome[];
  missing?: string[];
  /** Whether the course's implementation of the request's TODO was called meanwhile. */
  delegated: boolean;
}

/** Messages between the supervisor and the worker that holds the student's code. */
export type WorkerMessage =
  | { kind: "cell"; cell: string }
  | { kind: "ready" }
  | { kind: "import-error"; message: string }
  | { kind: "reply"; id: number; outcomes?: StepOutcome[]; missing?: string[] }
  | { kind: "uncaught"; message: string };
