// The deploy layer: ONNX export, int8 quantisation and sparse on-disk storage.
export * from "./onnx_export.ts";
export * from "./quantize.ts";
export * from "./sparse_storage.ts";
export * from "./ort_tensors.ts";
export * from "./onnx_folder_card.ts";
export * from "./ort_timing.ts";
