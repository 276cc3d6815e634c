// The io layer: safetensors files, the Hugging Face hub client, project paths and progress lines.
export * from "./hub.ts";
export * from "./paths.ts";
export * from "./progress.ts";
export * from "./safetensors.ts";
