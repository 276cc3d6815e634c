// Engine tests: the wasm fixes (gather gradient, transposed matmuls) agree with the cpu backend.
import { assert, assertClose } from "./helpers/assert.ts";
import { initTf, tf } from "lib/tf.ts";

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

Deno.test("PRUNING_LAB_BACKEND=tensorflow without tfjs-node says so in one line and falls back", async () => {
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["eval", 'import { initTf } from "lib/tf.ts"; console.log(await initTf());'],
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
