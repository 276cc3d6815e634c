// `deno task release`: regenerates notebooks/ (student versions) from solutions/ (the single
// source). `--check` exits 1 when notebooks/ differs from what release would write.
import { basename, join } from "node:path";
import { formatNotebook, readNotebook } from "lib/notebook/ipynb.ts";
import { releaseNotebook } from "lib/grader/assign/release.ts";
import { PROJECT_ROOT } from "lib/io/paths.ts";

/**
 * Student notebook text for every solution notebook in a folder: file name -> content.
 *
 * @example
 * ```ts
 * const released = await releaseAll("solutions");
 * ```
 */
export async function releaseAll(solutions: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const files = [...Deno.readDirSync(solutions)].filter((e) =>
    e.isFile && e.name.endsWith(".ipynb")
  )
    .map((e) => e.name).sort();
  for (const name of files) {
    const path = join(solutions, name);
    out.set(name, formatNotebook(releaseNotebook(await readNotebook(path), path)));
  }
  return out;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const solutions = join(PROJECT_ROOT, "solutions");
  const notebooks = join(PROJECT_ROOT, "notebooks");
  const released = await releaseAll(solutions);
  let drift = 0;
  for (const [name, text] of released) {
    const target = join(notebooks, name);
    const current = await Deno.readTextFile(target).catch(() => undefined);
    if (current === text) continue;
    drift++;
    if (check) console.error(`notebooks/${name} differs from the release of solutions/${name}`);
    else await Deno.writeTextFile(target, text);
  }
  for (const e of Deno.readDirSync(notebooks)) {
    if (e.name.endsWith(".ipynb") && !released.has(e.name)) {
      drift++;
      console.error(`notebooks/${e.name} has no solutions/${basename(e.name)}`);
    }
  }
  if (check && drift > 0) Deno.exit(1);
  console.log(
    check
      ? `notebooks/ is up to date (${released.size})`
      : `released ${released.size} notebook(s), ${drift} changed`,
  );
}
