// The evaluation layer: predictions (tfjs or onnxruntime), accuracy/latency/size evaluation, FLOPs
// and statistics (rank correlations, confidence intervals, McNemar's test).
export * from "./accuracy_interval.ts";
export * from "./comparison.ts";
export * from "./evaluation.ts";
export * from "./flops.ts";
export * from "./interval.ts";
export * from "./latency_interval.ts";
export * from "./mcnemar.ts";
export * from "./ort_classifier.ts";
export * from "./paired_bootstrap.ts";
export * from "./predict.ts";
export * from "./predictions.ts";
export * from "./rank_interval.ts";
export * from "./stats.ts";
