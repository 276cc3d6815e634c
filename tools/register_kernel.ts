// Registers the Deno Jupyter kernel for this course: kernel.json runs this project's pinned
// Deno with NO_COLOR=1 (plain error text in notebooks) and the shell's DENO_DIR.
import { join } from "node:path";
import { jupyterCommand } from "./jupyter_env.ts";

/** The kernel's name (its folder under `kernels/`) and the name Jupyter lists it under. */
export const KERNEL_NAME = "deno";
/** What Jupyter lists the kernel as; notebooks carry it in `metadata.kernelspec`. */
export const KERNEL_DISPLAY_NAME = "Deno (Pruning Lab)";

/**
 * The kernel.json content for a Deno binary and cache folder.
 *
 * @example
 * ```ts
 * kernelSpec("/repo/.tools/bin/deno", "/root/.cache/deno").env.NO_COLOR; // "1"
 * ```
 */
export function kernelSpec(deno: string, denoDir: string) {
  return {
    argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    env: { NO_COLOR: "1", DENO_DIR: denoDir },
  };
}

/** The cache folder Deno uses in this shell: `DENO_DIR`, else Deno's default. */
export function denoDir(): string {
  const set = Deno.env.get("DENO_DIR");
  if (set) return set;
  const xdg = Deno.env.get("XDG_CACHE_HOME") ?? join(Deno.env.get("HOME") ?? ".", ".cache");
  return join(xdg, "deno");
}

/**
 * Writes `kernels/deno/kernel.json` under a Jupyter data folder; returns its path.
 *
 * @example
 * ```ts
 * await registerKernel(join(Deno.env.get("HOME")!, ".local/share/jupyter"));
 * ```
 */
export async function registerKernel(dataDir: string, deno = Deno.execPath()): Promise<string> {
  const dir = join(dataDir, "kernels", KERNEL_NAME);
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "kernel.json");
  await Deno.writeTextFile(path, JSON.stringify(kernelSpec(deno, denoDir()), null, 2) + "\n");
  return path;
}

/** True when the Python Jupyter client that runs notebooks is installed (set-up's venv or Debian's). */
export async function jupyterPresent(): Promise<boolean> {
  const python = jupyterCommand("python");
  if (!python) return false;
  try {
    const { success } = await new Deno.Command(python, {
      args: ["-c", "import jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/**
 * Registers the kernel in the user's Jupyter data folder (`JUPYTER_DATA_DIR`, else
 * ~/.local/share/jupyter) when Jupyter is present; returns one line saying what happened.
 *
 * @example
 * ```ts
 * console.log(await registerForUser());
 * ```
 */
export async function registerForUser(): Promise<string> {
  if (!(await jupyterPresent())) {
    return "Jupyter not found (no .tools/jupyter, no Debian jupyter_client): kernel not registered; " +
      "rerun bash tools/setup.sh where pip reaches PyPI (or: apt-get install jupyter-notebook)";
  }
  const dataDir = Deno.env.get("JUPYTER_DATA_DIR") ??
    join(Deno.env.get("HOME") ?? ".", ".local", "share", "jupyter");
  return `Jupyter kernel "deno" registered: ${await registerKernel(dataDir)}`;
}

if (import.meta.main) console.log(await registerForUser());
