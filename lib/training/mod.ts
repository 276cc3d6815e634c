// The training layer: AdamW, knowledge distillation and the recovery recipe.
export * from "./adamw.ts";
export * from "./distillation.ts";
export * from "./recipe.ts";
