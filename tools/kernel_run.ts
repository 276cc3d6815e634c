// Runs code cells in the real Deno Jupyter kernel (registered as set-up registers it, in a
// temporary JUPYTER_PATH) through tools/kernel_exec.py, and returns every cell's outputs (and,
// timed, each cell's seconds). Used by the notebook tests and `deno task bench-notebooks`.
import { join } from "node:path";
import { PROJECT_ROOT as ROOT } from "lib/io/paths.ts";
import { registerKernel } from "./register_kernel.ts";
import { requireTool } from "./jupyter_env.ts";
import { type Notebook, sourceOf } from "lib/notebook/ipynb.ts";

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
  return await kernelExec(cells, cwd, env, timeoutSeconds, queued ? ["--queued"] : []);
}

/** One finished cell, as {@link runTimed} reports it while the notebook goes on. */
export interface CellReport {
  cell: number;
  of: number;
  seconds: number;
  outputs: KernelOutput[];
}

/**
 * Like {@link runInKernel}, one cell at a time, also returning each cell's seconds (request to
 * idle); `onCell` hears of each finished cell as it goes (kernel_exec.py reports on stderr).
 *
 * @example
 * ```ts
 * const { seconds } = await runTimed(["await new Promise((r) => setTimeout(r, 100))"], "notebooks");
 * seconds[0]; // ≈ 0.1
 * ```
 */
export async function runTimed(
  cells: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeoutSeconds = 600,
  onCell: (report: CellReport) => void = () => {},
): Promise<{ outputs: KernelOutput[][]; seconds: number[] }> {
  return await kernelExec(cells, cwd, env, timeoutSeconds, ["--timed"], (line) => {
    if (line.startsWith("{")) onCell(JSON.parse(line));
  });
}

async function kernelExec<T>(
  cells: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutSeconds: number,
  flags: string[],
  onStderrLine?: (line: string) => void,
): Promise<T> {
  const python = requireTool("python");
  const dataDir = await Deno.makeTempDir();
  try {
    await registerKernel(dataDir);
    const child = new Deno.Command(python, {
      args: [join(ROOT, "tools", "kernel_exec.py"), "deno", cwd, String(timeoutSeconds), ...flags],
      env: { ...env, JUPYTER_PATH: dataDir },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(cells)));
    await writer.close();
    const stdout = new Response(child.stdout).text();
    let stderr = "";
    let pending = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      if (onStderrLine) lines.forEach(onStderrLine);
    }
    const { code } = await child.status;
    if (code !== 0) throw new Error(`kernel_exec.py failed: ${stderr}`);
    return JSON.parse(await stdout);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** The code cells of a notebook, in order. */
export function codeCells(nb: Notebook): string[] {
  return nb.cells.filter((c) => c.cell_type === "code").map(sourceOf);
}
