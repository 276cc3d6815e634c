// The data layer: the WordPiece tokenizer and its files, SST-2, labelled CSV/TSV files, the
// course's train / selection / test splits, MNIST and batching.
export * from "./batches.ts";
export * from "./labelled_file.ts";
export * from "./mnist.ts";
export * from "./splits.ts";
export * from "./sst2.ts";
export * from "./tokenizer.ts";
export * from "./tokenizer_files.ts";
