// Engine tests: the wasm fixes (gather gradient, transposed and batched matmuls) agree with
// the cpu backend; wasm runs multi-threaded under Deno, and one thread when asked.
import { fileURLToPath } from "node:url";
import { assert, assertClose } from "./helpers/assert.ts";
import { backendThreads, initTf, tf } from "lib/engine/tf.ts";
import { useBatchedXnnpack } from "lib/engine/fast_paths.ts";

await initTf("wasm");

/** Runs `f` on the cpu backend, then switches back to wasm. */
async function onCpu<T>(f: () => T): Promise<T> {
  await tf.setBackend("cpu");
  try {
    return f();
  } finally {
    await tf.setBackend("wasm");
  }
}

Deno.test("initTf selects the wasm backend by default", () => {
  assert.strictEqual(tf.getBackend(), "wasm");
});

Deno.test("gather gradient on wasm equals the cpu backend's", async () => {
  const table = Array.from({ length: 7 * 5 }, (_, i) => Math.sin(i));
  const ids = [3, 1, 3, 6, 0, 3];
  const upstream = Array.from({ length: 6 * 5 }, (_, i) => Math.cos(i));
  const gradOf = () =>
    tf.tidy(() => {
      const g = tf.grad((t: tf.Tensor) =>
        tf.gather(t, tf.tensor1d(ids, "int32")).mul(tf.tensor2d(upstream, [6, 5])).sum()
      );
      return Array.from(g(tf.tensor2d(table, [7, 5])).dataSync());
    });
  const wasm = gradOf();
  const cpu = await onCpu(gradOf);
  assertClose(wasm, cpu, 1e-6, "gather gradient");
});

Deno.test("transposed matmuls on wasm equal cpu within 1e-5", async () => {
  const a = Array.from({ length: 2 * 9 * 13 }, (_, i) => Math.sin(i * 0.37));
  const b = Array.from({ length: 2 * 13 * 11 }, (_, i) => Math.cos(i * 0.11));
  const bias = Array.from({ length: 11 }, (_, i) => i * 0.1 - 0.5);
  for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
    const run = () =>
      tf.tidy(() => {
        const A = tf.tensor3d(a, ta ? [2, 13, 9] : [2, 9, 13]);
        const B = tf.tensor3d(b, tb ? [2, 11, 13] : [2, 13, 11]);
        const plain = tf.matMul(A, B, ta, tb);
        const fused = tf.fused.matMul({
          a: A,
          b: B,
          transposeA: ta,
          transposeB: tb,
          bias: tf.tensor1d(bias),
          activation: "relu",
        });
        return [Array.from(plain.dataSync()), Array.from(fused.dataSync())];
      });
    const [wasmPlain, wasmFused] = run();
    const [cpuPlain, cpuFused] = await onCpu(run);
    assertClose(wasmPlain, cpuPlain, 1e-5, `matMul transposeA=${ta} transposeB=${tb}`);
    assertClose(wasmFused, cpuFused, 1e-5, `fused.matMul transposeA=${ta} transposeB=${tb}`);
  }
});

Deno.test("matmul gradients on wasm equal cpu within 1e-5", async () => {
  const a = Array.from({ length: 6 * 8 }, (_, i) => Math.sin(i));
  const b = Array.from({ length: 8 * 4 }, (_, i) => Math.cos(i));
  const run = () =>
    tf.tidy(() => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).square().sum());
      return g([tf.tensor2d(a, [6, 8]), tf.tensor2d(b, [8, 4])]).map((t) =>
        Array.from(t.dataSync())
      );
    });
  const wasm = run();
  const cpu = await onCpu(run);
  assertClose(wasm[0], cpu[0], 1e-5, "dA");
  assertClose(wasm[1], cpu[1], 1e-5, "dB");
});

Deno.test("batched matmuls (shared, broadcast and attention-shaped batches) on wasm equal cpu within 1e-5", async () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 5, 7], [2, 3, 7, 4]], // attention: [batch, heads, seq, size] products
    [[4, 5, 7], [1, 7, 6]], // one b for every batch entry
    [[4, 5, 7], [7, 6]],
    [[1, 5, 7], [3, 7, 6]], // one a for every batch entry
  ];
  const values = (shape: number[], seed: number) =>
    tf.tensor(
      Array.from({ length: shape.reduce((x, y) => x * y, 1) }, (_, i) => Math.sin(seed + i * 0.7)),
      shape,
    );
  for (const [sa, sb] of cases) {
    const run = () =>
      tf.tidy(() => {
        const [a, b] = [values(sa, 1), values(sb, 2)];
        const product = Array.from(tf.matMul(a, b).dataSync());
        if (sa[0] === 1 && sb[0] > 1) return [product, []]; // tfjs cannot take this gradient
        const dA = tf.grad((x: tf.Tensor) => tf.matMul(x, b).square().sum())(a);
        return [product, Array.from(dA.dataSync())];
      });
    const before = tf.memory().numTensors;
    const [wasm, wasmGrad] = run();
    assert.strictEqual(tf.memory().numTensors, before, "no tensor left behind");
    useBatchedXnnpack(false);
    let loop: number[];
    try {
      [loop] = run();
    } finally {
      useBatchedXnnpack(true);
    }
    const [cpu, cpuGrad] = await onCpu(run);
    assertClose(wasm, cpu, 1e-5, `matMul ${sa} x ${sb}`);
    assertClose(loop, cpu, 1e-5, `wasm's own loop, ${sa} x ${sb}`);
    assertClose(wasmGrad, cpuGrad, 1e-5, `gradient of matMul ${sa} x ${sb}`);
  }
});

Deno.test("wasm runs on one thread per logical CPU by default", async () => {
  assert.strictEqual(await backendThreads(), Math.min(navigator.hardwareConcurrency, 8));
});

Deno.test("PRUNING_LAB_WASM_THREADS picks the thread count; a bad value or a worker that cannot start is one line and 1 thread; scripts exit by themselves", async () => {
  const script = 'import { backendThreads, initTf, tf } from "lib/engine/tf.ts"; await initTf(); ' +
    "console.log(await backendThreads(), tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).sum().dataSync()[0]);";
  const run = async (threads: string, permissions = ["-A"]) => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, "-"], // the script from stdin
      env: { PRUNING_LAB_WASM_THREADS: threads },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000), // a pool thread holding the process open fails here
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    return {
      code,
      out: new TextDecoder().decode(stdout).trim(),
      err: new TextDecoder().decode(stderr),
    };
  };
  const two = await run("2");
  assert.strictEqual(two.code, 0, two.err);
  assert.strictEqual(two.out, `2 ${64 ** 3}`);
  const one = await run("1");
  assert.strictEqual(one.out, `1 ${64 ** 3}`);
  const bad = await run("lots");
  assert.strictEqual(bad.out, `1 ${64 ** 3}`);
  assert.match(
    bad.err.trim(),
    /^PRUNING_LAB_WASM_THREADS=lots is not a whole number >= 1; using 1$/,
  );
  // A pthread worker that cannot start: one line, then one thread (not a crash).
  const worker = fileURLToPath(new URL("../lib/engine/wasm_thread_worker.cjs", import.meta.url));
  const denied = await run("2", ["-A", `--deny-read=${worker}`]);
  assert.strictEqual(denied.code, 0, denied.err);
  assert.strictEqual(denied.out, `1 ${64 ** 3}`);
  assert.match(
    denied.err.trim(),
    /^wasm threads unavailable \(Requires read access to .*wasm_thread_worker\.cjs.*\); using one thread$/,
  );
});

Deno.test("PRUNING_LAB_BACKEND=tensorflow without tfjs-node says so in one line and falls back", async () => {
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", 'import { initTf } from "lib/engine/tf.ts"; console.log(await initTf());'],
    env: { PRUNING_LAB_BACKEND: "tensorflow" },
  }).output();
  assert.strictEqual(new TextDecoder().decode(stdout).trim(), "wasm");
  const lines = new TextDecoder().decode(stderr).trim().split("\n").filter((l) =>
    l.includes("tfjs-node")
  );
  assert.strictEqual(lines.length, 1);
  assert.match(
    lines[0],
    /neither @tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed.*falling back to wasm/,
  );
});

Deno.test("tensors display readably in Jupyter", () => {
  const t = tf.tensor2d([[1, 2], [3, 4]]);
  const display = (t as unknown as Record<symbol, () => Record<string, string>>)[
    Symbol.for("Jupyter.display")
  ]();
  assert.match(display["text/plain"], /^Tensor float32 \[2, 2\]/);
  assert.match(display["text/plain"], /\[3, 4\]/);
  t.dispose();
});
