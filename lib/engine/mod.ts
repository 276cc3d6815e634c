// The engine layer: TensorFlow.js set-up (backend, threads), the wasm backend's fixes, fast paths
// and thread policy, and the engine's own SIMD kernels.
export * from "./fast_paths.ts";
export * from "./fixes.ts";
export * from "./kernels/adamw_kernel.ts";
export * from "./kernels/attention.ts";
export * from "./kernels/gelu.ts";
export * from "./kernels/js_kernel.ts";
export * from "./kernels/layer_norm.ts";
export * from "./kernels/simd_kernels.ts";
export * from "./kernels/simd_source.ts";
export * from "./kernels/small_matmul.ts";
export * from "./kernels/thread_pools.ts";
export * from "./mode.ts";
export * from "./tf.ts";
export * from "./thread_policy.ts";
export * from "./wasm_backend.ts";
export * from "./wasm_threads.ts";
