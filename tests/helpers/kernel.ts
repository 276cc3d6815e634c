// Runs code cells in the real Deno Jupyter kernel (registered as set-up registers it, in a
// temporary JUPYTER_PATH) through tools/kernel_exec.py, and returns every cell's outputs.
import { join } from "node:path";
import { ROOT } from "./paths.ts";
import { registerKernel } from "../../tools/register_kernel.ts";
import { requireTool } from "../../tools/jupyter_env.ts";
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
 * Executes cells in order in a fresh kernel started in `cwd`; `env` adds variables. With
 * `queued`, every cell is sent at once (as JupyterLab's Run All does) and each output is filed
 * under the cell the kernel says it belongs to.
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
  { queued = false }: { queued?: boolean } = {},
): Promise<KernelOutput[][]> {
  const python = requireTool("python");
  const dataDir = await Deno.makeTempDir();
  try {
    await registerKernel(dataDir);
    const child = new Deno.Command(python, {
      args: [
        join(ROOT, "tools", "kernel_exec.py"),
        "deno",
        cwd,
        String(timeoutSeconds),
        ...(queued ? ["--queued"] : []),
      ],
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
