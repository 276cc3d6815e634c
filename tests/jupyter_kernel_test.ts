// The real Deno Jupyter kernel, registered as setup registers it, imports lib/ and shows
// tfjs tensors readably.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { kernelSpec } from "../tools/register_kernel.ts";
import { runInKernel } from "./helpers/kernel.ts";

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
  const outputs = await runInKernel(
    [
      'import { initTf, tf } from "lib/tf.ts";\nawait initTf();',
      "tf.tensor2d([[1, 2], [3, 4]])",
    ],
    join(ROOT, "notebooks"),
    {},
    300,
  );
  assert.deepStrictEqual(outputs[0].filter((o) => o.type === "error"), []);
  const shown = outputs[1].find((o) => o.type === "execute_result");
  assert.ok(shown, `no result shown: ${JSON.stringify(outputs[1])}`);
  assert.match(String(shown.data!["text/plain"]), /^Tensor float32 \[2, 2\]/);
  assert.match(String(shown.data!["text/plain"]), /\[\[1, 2\],\s*\[3, 4\]\]/);
});
