// A JupyterLab server for the UI tests: the set-up venv's jupyter-lab on 127.0.0.1 with a random
// token, the project's Deno kernel registered in a temporary JUPYTER_PATH, and every Jupyter
// folder (config, data, runtime, settings, workspaces) temporary, so no user state leaks in.
import { join } from "node:path";
import { ROOT } from "./paths.ts";
import { registerKernel } from "../../tools/register_kernel.ts";
import { requireTool } from "../../tools/jupyter_env.ts";

/** A running JupyterLab; `close()` stops it and removes its folders. */
export interface JupyterLab {
  /** `http://127.0.0.1:<port>` */
  base: string;
  token: string;
  /**
   * The URL that opens a file (relative to the repository root) in JupyterLab, in a workspace
   * of its own (so no other notebook is restored beside it).
   */
  urlOf(path: string): string;
  /** What the server has logged so far (kernel messages included). */
  log(): string;
  close(): Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Starts JupyterLab serving the repository; `env` reaches the kernels (e.g. fast mode).
 *
 * @example
 * ```ts
 * const lab = await startJupyterLab({ PRUNING_LAB_FAST: "1" });
 * await page.goto(lab.urlOf("solutions/01_architecture.ipynb"));
 * await lab.close();
 * ```
 */
export async function startJupyterLab(env: Record<string, string> = {}): Promise<JupyterLab> {
  const lab = requireTool("jupyter-lab");
  const home = await Deno.makeTempDir({ prefix: "pruning-lab-ui-" });
  const dirs = Object.fromEntries(
    ["path", "config", "data", "runtime", "settings", "workspaces", "checkpoints"].map((
      d,
    ) => [d, join(home, d)]),
  );
  for (const dir of Object.values(dirs)) await Deno.mkdir(dir, { recursive: true });
  await registerKernel(dirs.path);
  // No news pop-up over the notebook in screenshots.
  const notification = join(dirs.settings, "@jupyterlab", "apputils-extension");
  await Deno.mkdir(notification, { recursive: true });
  await Deno.writeTextFile(
    join(notification, "notification.jupyterlab-settings"),
    JSON.stringify({ fetchNews: "false", checkForUpdates: false }),
  );
  // The tests never write notebooks: no autosave (checkpoints go to the temporary folder).
  const docmanager = join(dirs.settings, "@jupyterlab", "docmanager-extension");
  await Deno.mkdir(docmanager, { recursive: true });
  await Deno.writeTextFile(
    join(docmanager, "plugin.jupyterlab-settings"),
    JSON.stringify({ autosave: false }),
  );
  // Every cell stays in the page (no windowing), so each cell's outputs can be read.
  const tracker = join(dirs.settings, "@jupyterlab", "notebook-extension");
  await Deno.mkdir(tracker, { recursive: true });
  await Deno.writeTextFile(
    join(tracker, "tracker.jupyterlab-settings"),
    JSON.stringify({ windowingMode: "none" }),
  );
  const token = crypto.randomUUID().replaceAll("-", "");
  const port = freePort();
  const logPath = join(home, "server.log");
  await Deno.writeTextFile(logPath, "");
  const child = new Deno.Command(lab, {
    args: [
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${ROOT}`,
      "--LabApp.expose_app_in_browser=True",
      "--LabApp.news_url=None",
      `--FileCheckpoints.checkpoint_dir=${dirs.checkpoints}`,
      ...(Deno.uid?.() === 0 ? ["--allow-root"] : []),
    ],
    cwd: ROOT,
    env: {
      ...env,
      JUPYTER_PATH: dirs.path,
      JUPYTER_CONFIG_DIR: dirs.config,
      JUPYTER_DATA_DIR: dirs.data,
      JUPYTER_RUNTIME_DIR: dirs.runtime,
      JUPYTERLAB_SETTINGS_DIR: dirs.settings,
      JUPYTERLAB_WORKSPACES_DIR: dirs.workspaces,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // stdout and stderr both go to the log file.
  const append = async () => (await Deno.open(logPath, { write: true, append: true })).writable;
  const copied = Promise.all([
    child.stdout.pipeTo(await append()),
    child.stderr.pipeTo(await append()),
  ]);
  const base = `http://127.0.0.1:${port}`;
  const log = () => {
    try {
      return Deno.readTextFileSync(logPath);
    } catch {
      return "";
    }
  };
  const deadline = Date.now() + 90_000;
  while (true) {
    const up = await fetch(`${base}/api/status?token=${token}`).then((r) => {
      r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (up) break;
    const status = await Promise.race([child.status, new Promise((r) => setTimeout(r, 300))]);
    if (status || Date.now() > deadline) {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      throw new Error(`JupyterLab did not start:\n${log().slice(-3000)}`);
    }
  }
  return {
    base,
    token,
    urlOf: (path) =>
      `${base}/lab/workspaces/${path.replace(/[^A-Za-z0-9]+/g, "-")}/tree/${path}?token=${token}`,
    log,
    async close() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await copied.catch(() => {});
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}
