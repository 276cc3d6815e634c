// Benchmark (not a test): every solution notebook in full mode in the real Deno kernel, one at a
// time, timed per cell. Prints each notebook's heaviest cells and, last, one line per notebook:
// `NN_name: <seconds> s` (the sum of its cells, from each execute request to idle; kernel
// start-up not counted). Errors and failed in-notebook checks are reported, not hidden.
//
//   deno task bench-notebooks [--model <name>] [--only 04,05] [--top 3] [--fast] [--outputs <dir>]
//     [--cell-seconds 600]
import { parseArgs } from "node:util";
import { join } from "node:path";
import { PROJECT_ROOT } from "lib/io/paths.ts";
import { readNotebook } from "lib/notebook/ipynb.ts";
import { codeCells, runTimed } from "../tools/kernel_run.ts";

const { values: args } = parseArgs({
  options: {
    /** The course model (PRUNING_LAB_MODEL); the default model when absent. */
    model: { type: "string" },
    /** Notebook number prefixes to run, comma-separated (all when absent). */
    only: { type: "string" },
    top: { type: "string", default: "3" },
    /** Per-cell limit in seconds (a cell over it is reported as an error). */
    "cell-seconds": { type: "string", default: "600" },
    /** Fast mode instead (PRUNING_LAB_FAST=1, what CI runs): for trying the script itself. */
    fast: { type: "boolean", default: false },
    /** A folder to write each run's outputs to as `<name>.md` (tables and texts, per cell). */
    outputs: { type: "string" },
  },
});
const only = args.only?.split(",").map((s) => s.padStart(2, "0"));
const names = [...Deno.readDirSync(join(PROJECT_ROOT, "solutions"))]
  .map((e) => e.name).filter((n) => n.endsWith(".ipynb"))
  .filter((n) => !only || only.some((p) => n.startsWith(p))).sort();
const env: Record<string, string> = { PRUNING_LAB_FAST: args.fast ? "1" : "" };
if (args.model) env.PRUNING_LAB_MODEL = args.model;

const totals: [string, number][] = [];
for (const name of names) {
  const cells = codeCells(await readNotebook(join(PROJECT_ROOT, "solutions", name)));
  console.error(
    `${name}: ${cells.length} code cells, ${args.fast ? "fast" : "full"} mode${
      args.model ? `, ${args.model}` : ""
    }`,
  );
  const transcript: string[] = [];
  const transcriptPath = args.outputs && join(args.outputs, name.replace(/\.ipynb$/, ".md"));
  if (args.outputs) await Deno.mkdir(args.outputs, { recursive: true });
  const { outputs, seconds } = await runTimed(
    cells,
    join(PROJECT_ROOT, "notebooks"),
    env,
    Number(args["cell-seconds"]),
    (r) => {
      console.error(`  cell ${r.cell}/${r.of}: ${r.seconds.toFixed(1)} s`);
      if (!transcriptPath) return;
      // Written as the notebook goes, so that a long or stuck run still shows what it did.
      transcript.push(
        `## cell ${r.cell} (${r.seconds.toFixed(1)} s)\n\n` + r.outputs.map((x) =>
          String(
            x.data?.["text/markdown"] ?? x.data?.["text/plain"] ?? x.text ??
              `${x.ename}: ${x.evalue}`,
          )
        ).join("\n\n"),
      );
      Deno.writeTextFileSync(transcriptPath, transcript.join("\n\n") + "\n");
    },
  );
  const errors = outputs.flatMap((o, i) =>
    o.filter((x) => x.type === "error").map((x) => `cell ${i + 1}: ${x.ename}: ${x.evalue}`)
  );
  const failed = outputs.flatMap((o, i) =>
    o.map((x) => String(x.data?.["text/plain"] ?? x.text ?? ""))
      .filter((t) => t.startsWith("❌")).map((t) => `cell ${i + 1}: ${t.split("\n")[0]}`)
  );
  const total = seconds.reduce((a, b) => a + b, 0);
  console.log(`\n${name} (${total.toFixed(1)} s), heaviest cells:`);
  for (
    const i of seconds.map((_, i) => i).sort((a, b) => seconds[b] - seconds[a]).slice(
      0,
      Number(args.top),
    )
  ) {
    const first = cells[i].split("\n").find((l) => l.trim() && !l.startsWith("//")) ?? "";
    console.log(`  cell ${i + 1}: ${seconds[i].toFixed(1)} s  ${first.slice(0, 70)}`);
  }
  for (const line of [...errors, ...failed]) console.log(`  PROBLEM ${line}`);
  totals.push([name.replace(/\.ipynb$/, ""), total]);
}
console.log("");
for (const [name, total] of totals) console.log(`${name}: ${total.toFixed(1)} s`);
