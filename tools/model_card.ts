// `deno task model-card data/models/<name>`: measures a trained model folder's shipped weights
// (tools/model_card/measure.ts) and writes its eval.json and model card (README.md: the
// from-scratch or the fine-tuned template).
import { join } from "node:path";
import { initTf } from "lib/engine/tf.ts";
import { loadModel } from "lib/model/loading.ts";
import { parameterBreakdown } from "lib/model/parameters.ts";
import { measureShipped, type ShippedEval } from "./model_card/measure.ts";
import { scratchCard } from "./model_card/scratch_card.ts";
import { fineTunedCard } from "./model_card/fine_tuned_card.ts";

export type { ShippedEval };

/**
 * Measures the shipped model and generates `README.md` + `eval.json` in its folder.
 *
 * @example
 * ```ts
 * await writeModelCard("data/models/distilbert-sst2-tiny");
 * ```
 */
export async function writeModelCard(dir: string): Promise<ShippedEval> {
  const backend = await initTf();
  const { model, tokenizer } = await loadModel(dir);
  const measured = await measureShipped(model, tokenizer);
  await Deno.writeTextFile(join(dir, "eval.json"), JSON.stringify(measured, null, 2) + "\n");
  const training = JSON.parse(await Deno.readTextFile(join(dir, "training.json")));
  const size = (await Deno.stat(join(dir, "model.safetensors"))).size;
  const total = model.numParameters();
  const parameterRows = Object.entries(parameterBreakdown(model)).map(([k, n]) =>
    `| ${k} | ${n.toLocaleString("en-US")} | ${(100 * n / total).toFixed(1)}% |`
  );
  // Hand-written notes on how the recipe was chosen (optional), kept beside the card.
  const notes = await Deno.readTextFile(join(dir, "recipe_notes.md")).then(
    (t) => `${t.trim()}\n\n`,
    () => "",
  );
  const inputs = { training, measured, model, backend, size, parameterRows, notes };
  const card = training.recipe.init ? await fineTunedCard(dir, inputs) : scratchCard(inputs);
  await Deno.writeTextFile(join(dir, "README.md"), card);
  model.dispose();
  return measured;
}

if (import.meta.main) {
  const dir = Deno.args[0] ?? "data/models/distilbert-sst2-tiny";
  const measured = await writeModelCard(dir);
  console.log(
    `${dir}/README.md: SST-2 dev ${(100 * measured.devAccuracy).toFixed(2)}%, reviews ${
      (100 * measured.reviewsAccuracy).toFixed(2)
    }%, dev evaluation ${measured.devSeconds.toFixed(1)} s`,
  );
}
