// The real Deno Jupyter kernel, registered as setup registers it: imports lib/, shows tfjs
// tensors readably, keeps each queued cell's outputs under that cell; notebooks name it.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { ROOT } from "./helpers/paths.ts";
import { KERNEL_DISPLAY_NAME, KERNEL_NAME, kernelSpec } from "../tools/register_kernel.ts";
import { runInKernel } from "../tools/kernel_run.ts";

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
      'import { initTf, tf } from "lib/engine/tf.ts";\nawait initTf();',
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

Deno.test("every notebook carries the kernelspec set-up registers", async () => {
  const expected = {
    name: KERNEL_NAME,
    display_name: KERNEL_DISPLAY_NAME,
    language: kernelSpec("deno", "").language,
  };
  for (const folder of ["solutions", "notebooks"]) {
    for (const entry of Deno.readDirSync(join(ROOT, folder))) {
      if (!entry.name.endsWith(".ipynb")) continue;
      const nb = JSON.parse(await Deno.readTextFile(join(ROOT, folder, entry.name)));
      assert.deepStrictEqual(nb.metadata.kernelspec, expected, `${folder}/${entry.name}`);
    }
  }
});

// Cells sent all at once (JupyterLab's Run All) with every kind of output the course makes:
// awaited and plain displayable values, console lines, and cells that show nothing.
const D = 'Symbol.for("Jupyter.display")';
const queuedCell = (i: number) =>
  [
    `const v${i} = ${i};`,
    `({ [${D}]: () => ({ "text/plain": "cell ${i}" }) })`,
    `await Promise.resolve({ [${D}]: () => ({ "text/plain": "cell ${i}" }) })`,
    `console.log("cell ${i}")`,
  ][i % 4];

Deno.test("outputs of cells queued as by Run All stay under their own cells", async () => {
  const cells = [
    'import { md } from "lib/notebook/display.ts";',
    ...Array.from({ length: 80 }, (_, i) => queuedCell(i + 1)),
  ];
  const outputs = await runInKernel(cells, join(ROOT, "notebooks"), {}, 300, { queued: true });
  const misplaced: string[] = [];
  let shown = 0;
  outputs.forEach((cellOutputs, i) => {
    for (const o of cellOutputs) {
      if (o.type === "error") misplaced.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
      const text = String(o.data?.["text/plain"] ?? o.text ?? "").trim();
      if (!text) continue;
      shown++;
      if (text !== `cell ${i}`) misplaced.push(`"${text}" under cell ${i}`);
    }
  });
  assert.deepStrictEqual(misplaced, []);
  assert.strictEqual(shown, 60, "every output arrived");
});
