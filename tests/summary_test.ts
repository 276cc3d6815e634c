// A notebook's summary JSON: written where asked, readable back, numbers as given.
import { join } from "node:path";
import { assert } from "./helpers/assert.ts";
import { writeSummary } from "lib/notebook/summary.ts";

Deno.test("writeSummary writes out/NN_summary.json with the figures given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pruning-lab-summary-" });
  try {
    const figures = { model: "m", recovered_points_ci95: [0.41, 3.62], sizes: { train: 3 } };
    const path = await writeSummary("04", figures, join(dir, "out"));
    assert.strictEqual(path, join(dir, "out", "04_summary.json"));
    assert.deepStrictEqual(JSON.parse(await Deno.readTextFile(path)), figures);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
