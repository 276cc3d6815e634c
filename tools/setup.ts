// `deno task setup` (run by tools/setup.sh after Deno is installed): registers the Jupyter
// kernel, prepares SST-2 (mirror or download) and runs the main job on the course's model.
import { join } from "node:path";
import { registerForUser } from "./register_kernel.ts";
import { loadSst2 } from "lib/data/sst2.ts";
import { PROJECT_ROOT } from "lib/io/paths.ts";

console.log("== Jupyter kernel");
console.log(await registerForUser());

console.log("== Data");
const mirror = Deno.env.get("PRUNING_LAB_DATA_MIRROR");
try {
  const train = await loadSst2("train");
  const dev = await loadSst2("validation");
  console.log(
    `SST-2 train ${train.length}, dev ${dev.length} (${mirror ? `mirror ${mirror}` : "hub cache"})`,
  );
} catch (e) {
  console.log(`${(e as Error).message}\nthe main job will use data/reviews.csv instead`);
}

console.log("== Main job: deno task evaluate");
const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", join(PROJECT_ROOT, "tools", "evaluate.ts")],
  cwd: PROJECT_ROOT,
  stdout: "inherit",
  stderr: "inherit",
}).output();
Deno.exit(code);
