// `deno task gradescope-bundle --out autograder.zip [--hidden-checks <dir>]`: the Gradescope
// autograder bundle. Gradescope unpacks it into /autograder/source, runs setup.sh once (Deno
// and the project's packages) and run_autograder per submission (tools/gradescope/run.ts).
import { parseArgs } from "node:util";
import { join, relative, resolve } from "node:path";
import { type Zippable, zipSync } from "fflate";
import { PROJECT_ROOT } from "lib/io/paths.ts";

/** Repository paths the bundle leaves out: CI, benchmarks, and tests except the tiny model. */
const LEFT_OUT = [/^\.ci\//, /^bench\//, /^tests\/(?!fixtures\/distilbert-tiny\/)/];

/** Executable files (Unix mode 0755 in the zip). */
const EXECUTABLE = new Set(["setup.sh", "run_autograder"]);

/** The Deno version tools/setup.sh pins (one source of truth). */
export async function pinnedDenoVersion(): Promise<string> {
  const setup = await Deno.readTextFile(join(PROJECT_ROOT, "tools", "setup.sh"));
  const version = setup.match(/^DENO_VERSION=([\d.]+)$/m)?.[1];
  if (!version) throw new Error("tools/setup.sh: no DENO_VERSION=… line");
  return version;
}

/** The project's files as git tracks them (their working-tree content), minus `LEFT_OUT`. */
async function projectFiles(): Promise<string[]> {
  const git = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output().catch((e) => {
    throw new Error(`gradescope-bundle needs git to list the project's files: ${e.message}`);
  });
  if (!git.success) throw new Error(`git ls-files: ${new TextDecoder().decode(git.stderr)}`);
  const files = new TextDecoder().decode(git.stdout).split("\0").filter(Boolean);
  const present = await Promise.all(
    files.map((f) => Deno.stat(join(PROJECT_ROOT, f)).then((s) => s.isFile, () => false)),
  );
  return files.filter((f, i) => present[i] && !LEFT_OUT.some((re) => re.test(f))).sort();
}

/**
 * The bundle's files: path in the zip -> bytes and mode. `hiddenChecks` (a folder of `*.ts`)
 * lands in `hidden_checks/`, which run_autograder passes to the grader.
 *
 * @example
 * ```ts
 * const files = await bundleFiles({ hiddenChecks: "instructor/hidden" });
 * files.has("run_autograder"); // true
 * ```
 */
export async function bundleFiles(
  { hiddenChecks }: { hiddenChecks?: string } = {},
): Promise<Map<string, { data: Uint8Array; mode: number }>> {
  const files = new Map<string, { data: Uint8Array; mode: number }>();
  const add = async (path: string, from: string) =>
    files.set(path, {
      data: await Deno.readFile(from),
      mode: EXECUTABLE.has(path) ? 0o755 : 0o644,
    });
  for (const file of await projectFiles()) await add(file, join(PROJECT_ROOT, file));
  await add("setup.sh", join(PROJECT_ROOT, "tools", "gradescope", "setup.sh"));
  await add("run_autograder", join(PROJECT_ROOT, "tools", "gradescope", "run_autograder"));
  files.set("DENO_VERSION", {
    data: new TextEncoder().encode(`${await pinnedDenoVersion()}\n`),
    mode: 0o644,
  });
  if (hiddenChecks) {
    const dir = resolve(hiddenChecks);
    let n = 0;
    for (const entry of Deno.readDirSync(dir)) {
      if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
      await add(`hidden_checks/${entry.name}`, join(dir, entry.name));
      n++;
    }
    if (n === 0) throw new Error(`--hidden-checks ${dir}: no *.ts files`);
  }
  return files;
}

/**
 * Writes the bundle as a zip (Unix modes kept, so setup.sh and run_autograder stay executable).
 *
 * @example
 * ```ts
 * await writeBundle("autograder.zip");
 * ```
 */
export async function writeBundle(
  out: string,
  options: { hiddenChecks?: string } = {},
): Promise<{ files: number; bytes: number }> {
  const tree: Zippable = {};
  const files = await bundleFiles(options);
  for (const [path, { data, mode }] of files) {
    tree[path] = [data, {
      os: 3,
      attrs: (0o100000 | mode) << 16,
      level: 6,
      mtime: new Date("2000-01-01T00:00:00Z"),
    }];
  }
  const zip = zipSync(tree);
  await Deno.writeFile(out, zip);
  return { files: files.size, bytes: zip.length };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { out: { type: "string" }, "hidden-checks": { type: "string" } },
  });
  if (!values.out) {
    console.error(
      "usage: deno task gradescope-bundle --out autograder.zip [--hidden-checks <dir>]",
    );
    Deno.exit(2);
  }
  const out = resolve(values.out);
  try {
    const { files, bytes } = await writeBundle(out, { hiddenChecks: values["hidden-checks"] });
    console.log(
      `wrote ${relative(Deno.cwd(), out) || out}: ${files} files, ${(bytes / 1e6).toFixed(1)} MB` +
        (values["hidden-checks"] ? " (with hidden checks)" : ""),
    );
  } catch (e) {
    console.error(`gradescope-bundle: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
