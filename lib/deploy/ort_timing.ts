// onnxruntime session options for timing sessions against each other. By default a session's
// intra-op threads keep spinning for a while after each run; with several sessions alive (the
// variants of a comparison, taking turns), the one that just ran keeps cores busy while the next
// is timed. Measured on a 2-core machine, 3 variants of distilbert-sst2-minilm at batch 1: their
// p50 rose from 2.56/2.30/1.42 ms (each timed alone) to 4.20/3.73/2.27 ms taking turns with
// spinning on, and were 3.02/2.72/1.85 ms taking turns with it off.

/**
 * Session options with the intra-op threads' spinning off: for latency comparisons between
 * sessions that take turns.
 *
 * @example
 * ```ts
 * const session = await ort.InferenceSession.create("model.onnx", TIMING_SESSION_OPTIONS);
 * ```
 */
export const TIMING_SESSION_OPTIONS = {
  extra: { session: { intra_op: { allow_spinning: "0" } } },
} as const;
