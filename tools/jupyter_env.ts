// Where the course's Jupyter and browser live: JupyterLab in the virtual environment that
// tools/setup.sh makes under .tools/jupyter (Debian's /usr/bin Jupyter when there is none),
// and Debian's Chromium. One line per missing piece says how to install it.
import { join } from "node:path";
import { PROJECT_ROOT } from "lib/io/paths.ts";

/** The virtual environment set-up installs JupyterLab into. */
export const JUPYTER_VENV = join(PROJECT_ROOT, ".tools", "jupyter");
/** Debian's Chromium, driven by playwright-core in the UI tests (no browser download). */
export const CHROMIUM = "/usr/bin/chromium";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * A Jupyter command (`python`, `jupyter-lab`, `jupyter-nbconvert`, …): the set-up venv's, else
 * Debian's `/usr/bin` one (`python` becomes `/usr/bin/python3`); undefined when neither exists.
 *
 * @example
 * ```ts
 * const lab = jupyterCommand("jupyter-lab"); // ".../.tools/jupyter/bin/jupyter-lab"
 * ```
 */
export function jupyterCommand(name: string): string | undefined {
  const venv = join(JUPYTER_VENV, "bin", name);
  if (isFile(venv)) return venv;
  if (name === "python") {
    // Debian's python3 counts only with Debian's jupyter_client package beside it.
    const debian = "/usr/lib/python3/dist-packages/jupyter_client/__init__.py";
    return isFile(debian) ? "/usr/bin/python3" : undefined;
  }
  return isFile(join("/usr/bin", name)) ? join("/usr/bin", name) : undefined;
}

/** What each piece is and the command that installs it (what set-up runs). */
const INSTALL: Record<string, string> = {
  "jupyter-lab": "JupyterLab (bash tools/setup.sh installs it into .tools/jupyter from PyPI)",
  "jupyter-nbconvert": "nbconvert (bash tools/setup.sh installs it into .tools/jupyter)",
  python: "Python 3 with jupyter_client (bash tools/setup.sh installs it into .tools/jupyter)",
  chromium: "Chromium (as root: apt-get install -y chromium)",
};

/**
 * The path of a required piece, or an error whose message is one line naming it and how to
 * install it. Pieces: `python` (with jupyter_client), `jupyter-lab`, `jupyter-nbconvert`,
 * `chromium`.
 *
 * @example
 * ```ts
 * const chromium = requireTool("chromium"); // throws "missing: Chromium (as root: …)"
 * ```
 */
export function requireTool(name: "python" | "jupyter-lab" | "jupyter-nbconvert" | "chromium") {
  const path = name === "chromium"
    ? (isFile(CHROMIUM) ? CHROMIUM : undefined)
    : jupyterCommand(name);
  if (!path) throw new Error(`missing: ${INSTALL[name]}`);
  return path;
}
