// The evaluation layer: predictions (tfjs or onnxruntime), accuracy/latency/size evaluation, FLOPs
// and statistics.
export * from "./evaluation.ts";
export * from "./flops.ts";
export * from "./ort_classifier.ts";
export * from "./predict.ts";
export * from "./predictions.ts";
export * from "./stats.ts";
