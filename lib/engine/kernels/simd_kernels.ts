// The SIMD kernels of lib/engine/kernels/simd_source.ts, assembled with wabt (the WebAssembly
// Binary Toolkit) and instantiated on the wasm backend's own memory, so that they compute on
// tensors in place. Installed once when the wasm backend starts; absent on other backends, on
// the reference engine path, or if the module cannot start (the JavaScript kernels then run).
import wabtInit from "wabt";
import { engineMode } from "../mode.ts";
import { simdKernelsText } from "./simd_source.ts";

/** The kernels' exports; every pointer is a byte offset into the backend's memory. */
export interface SimdKernels {
  /**
   * `C[m, n] = A[m, k] @ B[k, n]`, strides in bytes: `A[i, p]` at `a + i * rowStride + p *
   * colStride` (`4k, 4`: row-major; `4, 4m`: A stored as `[k, m]`), `B[p, j]` at `b + p *
   * rowStrideB + 4j`, `C[i, j]` at `c + i * rowStrideC + 4j` (`4n`: row-major). With
   * `accumulate` 1, `C += A @ B`.
   */
  matmul(
    a: number,
    b: number,
    c: number,
    m: number,
    k: number,
    n: number,
    rowStride: number,
    colStride: number,
    rowStrideB: number,
    rowStrideC: number,
    accumulate: 0 | 1,
  ): void;
  /** `dst[c, r] = src[r, c]` for `src` `[rows, cols]`, its rows `srcStride` bytes apart. */
  transpose(src: number, dst: number, rows: number, cols: number, srcStride: number): void;
  /** GELU of `count` values (a multiple of 4); with `dy` non-zero, its gradient times `dy`. */
  gelu(x: number, dy: number, out: number, count: number): void;
  /** One AdamW step over `count` values (a multiple of 4). */
  adamw(
    p: number,
    m: number,
    v: number,
    g: number,
    p2: number,
    m2: number,
    v2: number,
    count: number,
    keep: number,
    step: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    vScale: number,
    eps: number,
  ): void;
  /** Row-wise `softmax(scale * x + bias)` over `rows` rows of `cols` (`bias` 0: none). */
  softmaxRows(
    x: number,
    bias: number,
    out: number,
    rows: number,
    cols: number,
    scale: number,
  ): void;
  /** Row-wise softmax gradient: `scale * p ∘ (dp - Σ p ∘ dp)`. */
  softmaxGradRows(
    p: number,
    dp: number,
    out: number,
    rows: number,
    cols: number,
    scale: number,
  ): void;
  /** `out = x ∘ y * s` over `count` values (`y` 0: `x * s`). */
  mulScale(x: number, y: number, out: number, count: number, s: number): void;
  /** `Σ x ∘ y` over `count` values. */
  dot(x: number, y: number, count: number): number;
  /** `out[j] += Σ_r x[r, j]` for `x` `[rows, cols]` (zero `out` first for the sums). */
  columnSums(x: number, out: number, rows: number, cols: number): void;
  /** LayerNorm of `rows` rows of `cols`: `y`, and per row `mean` and `rstd` (1 / std). */
  layerNormRows(
    x: number,
    gamma: number,
    beta: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    cols: number,
    eps: number,
  ): void;
  /** LayerNorm's gradient: `dx`; `dgamma`, `dbeta` summed into (zero them first). */
  layerNormGradRows(
    dy: number,
    x: number,
    gamma: number,
    mean: number,
    rstd: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    cols: number,
  ): void;
  /** A scratch area of at least `bytes` bytes in the backend's memory (reused; 16-aligned). */
  scratch(bytes: number): number;
  /** The backend's memory (its buffer grows: take views after any allocation). */
  memory: WebAssembly.Memory;
}

/** The parts of the wasm backend's Emscripten module the kernels need. */
export interface EmscriptenMemory {
  /** The memory in threaded builds (shared with the workers) … */
  wasmMemory?: WebAssembly.Memory;
  /** … and in single-threaded ones, as the module's export. */
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

let installed: SimdKernels | undefined;

/**
 * Assembles the kernels and instantiates them on `wasm`'s memory (idempotent). Returns whether
 * they are in place; on failure says why in one line and leaves the JavaScript kernels on.
 *
 * @example
 * ```ts
 * await installSimdKernels((tf.backend() as unknown as { wasm: EmscriptenMemory }).wasm);
 * ```
 */
export async function installSimdKernels(wasm: EmscriptenMemory): Promise<boolean> {
  if (installed) return true;
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  if (!memory) {
    console.error("SIMD kernels unavailable (the wasm backend's memory was not found)");
    return false;
  }
  try {
    const wabt = await wabtInit();
    const parsed = wabt.parseWat(
      "simd_kernels.wat",
      simdKernelsText(memory.buffer instanceof SharedArrayBuffer),
      {
        simd: true,
        threads: true,
      },
    );
    const { buffer } = parsed.toBinary({});
    parsed.destroy();
    const module = await WebAssembly.compile(new Uint8Array(buffer));
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const exports = instance.exports as unknown as Omit<SimdKernels, "scratch" | "memory">;
    let area = 0;
    let areaBytes = 0;
    installed = {
      ...exports,
      memory,
      scratch(bytes: number): number {
        if (bytes > areaBytes) {
          if (area) wasm._free(area);
          areaBytes = Math.max(bytes, 2 * areaBytes);
          area = wasm._malloc(areaBytes + 16);
        }
        return (area + 15) & ~15;
      },
    };
    return true;
  } catch (e) {
    console.error(
      `SIMD kernels unavailable (${e instanceof Error ? e.message : e}); using JavaScript kernels`,
    );
    return false;
  }
}

/**
 * The SIMD kernels when installed and the engine is on its fast path, else `undefined`.
 *
 * @example
 * ```ts
 * const simd = simdKernels();
 * if (simd) simd.matmul(a, b, c, m, k, n);
 * ```
 */
export function simdKernels(): SimdKernels | undefined {
  return engineMode() === "fast" ? installed : undefined;
}

/**
 * The SIMD kernels when `values` (a kernel's input, as `registerJsKernel` hands it) lies in the
 * backend's memory, so that its byte offset is a pointer they can use; else `undefined` (cpu
 * backend, reference path, kernels not installed).
 *
 * @example
 * ```ts
 * const simd = simdKernelsFor(x.values);
 * if (simd) simd.gelu(x.values.byteOffset, 0, y.byteOffset, x.values.length & ~3);
 * ```
 */
export function simdKernelsFor(values: Float32Array): SimdKernels | undefined {
  const simd = simdKernels();
  return simd && values.buffer === simd.memory.buffer ? simd : undefined;
}
