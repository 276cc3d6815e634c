// Per-kernel profile of a tfjs computation: wraps every kernel registered for the active backend
// with a timer, so one run says how many ops of each type ran, how long they took inside the
// kernels, how many tensors they allocated, and how much time went elsewhere (JavaScript: the
// engine's bookkeeping, the gradient tape, shape checks, our own code).
import { tf } from "lib/engine/tf.ts";

/** One kernel type's share of a profiled run. */
export interface KernelRow {
  kernel: string;
  count: number;
  ms: number;
  /** Output tensors the kernel made (each one an allocation in the backend). */
  tensors: number;
}

/** What `profileKernels` measured. */
export interface KernelProfile {
  /** Wall-clock milliseconds of the whole run. */
  totalMs: number;
  /** Milliseconds inside kernels (wasm calls and the kernels' own JavaScript). */
  kernelMs: number;
  ops: number;
  tensors: number;
  /** Kernel types, slowest first. */
  rows: KernelRow[];
}

type KernelFunc = tf.KernelConfig["kernelFunc"];

let stats: Map<string, KernelRow> | undefined;
let detail: ((name: string) => boolean) | undefined;
const wrapped = new Set<string>();

/** Wraps every kernel of the active backend once (idempotent); they time only while profiling. */
function wrapKernels(): void {
  const backendName = tf.getBackend();
  for (const config of tf.getKernelsForBackend(backendName)) {
    const key = `${backendName}/${config.kernelName}`;
    if (wrapped.has(key)) continue;
    wrapped.add(key);
    const inner: KernelFunc = config.kernelFunc;
    const kernelName = config.kernelName;
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: ((args: Parameters<KernelFunc>[0]) => {
        if (!stats) return inner(args);
        const t = performance.now();
        const out = inner(args);
        const ms = performance.now() - t;
        const key = detail?.(kernelName)
          ? `${kernelName} ${
            Object.values(args.inputs).map((t) => `[${(t as tf.TensorInfo).shape}]`).join(" x ")
          } ${JSON.stringify(args.attrs ?? {})}`
          : kernelName;
        const row = stats.get(key) ?? { kernel: key, count: 0, ms: 0, tensors: 0 };
        row.count++;
        row.ms += ms;
        row.tensors += Array.isArray(out) ? out.length : 1;
        stats.set(key, row);
        return out;
      }) as KernelFunc,
    });
  }
}

/**
 * Runs `fn` once with every kernel timed; returns the table by kernel type (by input shapes
 * too for the kernels `byShape` names). Nested kernels (a
 * kernel calling another) are counted under both names, so shares can exceed 100% slightly.
 *
 * @example
 * ```ts
 * const p = profileKernels(() => tf.tidy(() => void model.forward(ids, mask).logits.dataSync()));
 * console.log(p.rows[0]); // { kernel: "BatchMatMul", count: 42, ms: 18.1, tensors: 42 }
 * ```
 */
export function profileKernels(
  fn: () => void,
  byShape?: (kernel: string) => boolean,
): KernelProfile {
  wrapKernels();
  stats = new Map();
  detail = byShape;
  const t = performance.now();
  try {
    fn();
  } finally {
    // keep the numbers even when fn throws
  }
  const totalMs = performance.now() - t;
  const rows = [...stats.values()].sort((a, b) => b.ms - a.ms);
  stats = undefined;
  return {
    totalMs,
    kernelMs: rows.reduce((s, r) => s + r.ms, 0),
    ops: rows.reduce((s, r) => s + r.count, 0),
    tensors: rows.reduce((s, r) => s + r.tensors, 0),
    rows,
  };
}

/**
 * A markdown table of a profile: the `top` slowest kernel types, then the rest together, then
 * the time outside kernels.
 *
 * @example
 * ```ts
 * console.log(profileTable(profileKernels(step), 12));
 * ```
 */
export function profileTable(p: KernelProfile, top = 12): string {
  const lines = [
    "| kernel | ops | ms | % of step | tensors |",
    "|---|---:|---:|---:|---:|",
  ];
  const pct = (ms: number) => (100 * ms / p.totalMs).toFixed(1);
  const row = (name: string, count: number, ms: number, tensors: number) =>
    lines.push(`| ${name} | ${count} | ${ms.toFixed(1)} | ${pct(ms)} | ${tensors} |`);
  for (const r of p.rows.slice(0, top)) row(r.kernel, r.count, r.ms, r.tensors);
  const rest = p.rows.slice(top);
  if (rest.length) {
    row(
      `${rest.length} other kernel types`,
      rest.reduce((s, r) => s + r.count, 0),
      rest.reduce((s, r) => s + r.ms, 0),
      rest.reduce((s, r) => s + r.tensors, 0),
    );
  }
  row("**all kernels**", p.ops, p.kernelMs, p.tensors);
  lines.push(
    `| outside kernels (JS: engine, tape, our code) | | ${(p.totalMs - p.kernelMs).toFixed(1)} | ${
      pct(p.totalMs - p.kernelMs)
    } | |`,
  );
  lines.push(`| **total** | | ${p.totalMs.toFixed(1)} | 100 | |`);
  return lines.join("\n");
}
