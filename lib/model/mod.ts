// The model layer: DistilBERT (config, forward pass, weights in HF layout, parameter counts),
// loading the course's models, and the MLP of notebook 05.
export * from "./config.ts";
export * from "./distilbert.ts";
export * from "./io.ts";
export * from "./layout.ts";
export * from "./loading.ts";
export * from "./mlp.ts";
export * from "./model_card.ts";
export * from "./parameters.ts";
export * from "./ops.ts";
export * from "./inference_weights.ts";
