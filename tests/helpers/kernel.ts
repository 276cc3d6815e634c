// Runs code cells in the real Deno Jupyter kernel (registered as set-up registers it, in a
// temporary JUPYTER_PATH) through tools/kernel_exec.py, and returns every cell's outputs.
import { join } from "node:path";
import { ROOT } from "./paths.ts";
import { registerKernel } from "../../tools/register_kernel.ts";
import { type Notebook, sourceOf } from "lib/grader/notebook.ts";

/** One output of a cell, as kernel_exec.py reports it. */
export interface KernelOutput {
  type: "execute_result" | "display_data" | "stream" | "error";
  data?: Record<string, unknown>;
  name?: string;
  text?: string;
  ename?: string;
  evalue?: string;
}

/**
 * Executes cells in order in a fresh kernel started in `cwd`; `env` adds variables.
 *
 * @example
 * ```ts
 * const [[result]] = await runInKernel(["1 + 1"], "notebooks");
 * ```
 */
export async function runInKernel(
  cells: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutSeconds = 600,
): Promise<KernelOutput[][]> {
  const dataDir = await Deno.makeTempDir();
  try {
    await registerKernel(dataDir);
    const child = new Deno.Command("/usr/bin/python3", {
      args: [join(ROOT, "tools", "kernel_exec.py"), "deno", cwd, String(timeoutSeconds)],
      env: { ...env, JUPYTER_PATH: dataDir },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(cells)));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    if (code !== 0) throw new Error(`kernel_exec.py failed: ${new TextDecoder().decode(stderr)}`);
    return JSON.parse(new TextDecoder().decode(stdout));
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** The code cells of a notebook, in order. */
export function codeCells(nb: Notebook): string[] {
  return nb.cells.filter((c) => c.cell_type === "code").map(sourceOf);
}
