// The training layer: AdamW and knowledge distillation.
export * from "./adamw.ts";
export * from "./distillation.ts";
