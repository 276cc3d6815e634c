// The prune layer: structured pruning (heads, FFN neurons, vocabulary), magnitude pruning,
// movement pruning, schedules and sensitivity scans.
export * from "./ffn.ts";
export * from "./gradual.ts";
export * from "./heads.ts";
export * from "./magnitude.ts";
export * from "./movement.ts";
export * from "./plan.ts";
export * from "./sensitivity.ts";
export * from "./vocabulary.ts";
