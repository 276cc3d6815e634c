// The real Deno Jupyter kernel, registered as setup registers it, imports lib/ and shows
// tfjs tensors readably.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { kernelSpec, registerKernel } from "../tools/register_kernel.ts";

Deno.test("kernel.json sets NO_COLOR and DENO_DIR", () => {
  const spec = kernelSpec("/x/deno", "/cache/deno");
  assert.deepStrictEqual(spec.env, { NO_COLOR: "1", DENO_DIR: "/cache/deno" });
  assert.deepStrictEqual(spec.argv.slice(1), [
    "jupyter",
    "--kernel",
    "--conn",
    "{connection_file}",
  ]);
});

Deno.test("a tensor displays as dtype, shape and values in the Deno kernel", async () => {
  const dataDir = await Deno.makeTempDir();
  await registerKernel(dataDir);
  const cells = [
    'import { initTf, tf } from "lib/tf.ts";\nawait initTf();',
    "tf.tensor2d([[1, 2], [3, 4]])",
  ];
  const child = new Deno.Command("/usr/bin/python3", {
    args: [join(ROOT, "tools", "kernel_exec.py"), "deno", join(ROOT, "notebooks"), "300"],
    env: { JUPYTER_PATH: dataDir },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(cells)));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  await Deno.remove(dataDir, { recursive: true });
  assert.strictEqual(code, 0, new TextDecoder().decode(stderr));
  const outputs = JSON.parse(new TextDecoder().decode(stdout));
  assert.deepStrictEqual(outputs[0].filter((o: { type: string }) => o.type === "error"), []);
  const shown = outputs[1].find((o: { type: string }) => o.type === "execute_result");
  assert.ok(shown, `no result shown: ${JSON.stringify(outputs[1])}`);
  assert.match(shown.data["text/plain"], /^Tensor float32 \[2, 2\]/);
  assert.match(shown.data["text/plain"], /\[\[1, 2\],\s*\[3, 4\]\]/);
});
