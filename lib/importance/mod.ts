// The importance layer: head and FFN-neuron importance scores (ablation, entropy, gradient,
// Taylor, weight norm) and calibration batches.
export * from "./ablation.ts";
export * from "./calibration.ts";
export * from "./entropy.ts";
export * from "./gradient.ts";
export * from "./taylor.ts";
export * from "./weight_norm.ts";
