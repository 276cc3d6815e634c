// Hugging Face hub downloads: files fetched once into the project's cache, with a progress
// line, `HF_ENDPOINT` honoured, and no partial file left for a later run to trust.
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "./paths.ts";
import { progressLine } from "./progress.ts";

/** The project's git-ignored cache folder (`data/cache`), or `PRUNING_LAB_CACHE`. */
export function cacheDir(): string {
  return Deno.env.get("PRUNING_LAB_CACHE") ??
    join(PROJECT_ROOT, "data", "cache");
}

/** The hub address: `HF_ENDPOINT` or https://huggingface.co. */
export function hubEndpoint(): string {
  return (Deno.env.get("HF_ENDPOINT") ?? "https://huggingface.co").replace(/\/+$/, "");
}

/** Thrown when the hub answers 404 for a file. */
export class HubFileNotFound extends Error {}

/** Options of `hubDownload`. */
export interface DownloadOptions {
  /** `model` (default) or `dataset`: datasets live under `/datasets/{repo}`. */
  kind?: "model" | "dataset";
  /** Git revision (default `main`). */
  revision?: string;
  /** Print a progress line on stderr (default true). */
  progress?: boolean;
}

/**
 * Path of a hub file in the cache, downloading it first if needed
 * (`{HF_ENDPOINT}/{repo}/resolve/{revision}/{file}`). A cached file makes no request.
 * The download goes to a `.part` file renamed only when complete; a 404 is remembered.
 *
 * @example
 * ```ts
 * const path = await hubDownload("distilbert-base-uncased-finetuned-sst-2-english", "config.json");
 * ```
 */
export async function hubDownload(
  repo: string,
  file: string,
  options: DownloadOptions = {},
): Promise<string> {
  const kind = options.kind ?? "model";
  const revision = options.revision ?? "main";
  const target = join(cacheDir(), "hub", `${kind}s`, repo, revision, file);
  if (await exists(target)) return target;
  const missing = `${target}.404`; // remembered 404, as huggingface_hub's .no_exist markers
  const prefix = kind === "dataset" ? "datasets/" : "";
  const url = `${hubEndpoint()}/${prefix}${repo}/resolve/${revision}/${file}`;
  const notFound = () =>
    new HubFileNotFound(`${repo}: file ${file} not found on the hub (404 at ${url})`);
  if (await exists(missing)) throw notFound();
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(
      `cannot download ${file} of ${repo} from ${hubEndpoint()}: ${(e as Error).message}`,
    );
  }
  if (response.status === 404) {
    await response.body?.cancel();
    await Deno.mkdir(dirname(target), { recursive: true });
    await Deno.writeTextFile(missing, url);
    throw notFound();
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`${repo}: downloading ${file} failed with HTTP ${response.status} (${url})`);
  }
  await Deno.mkdir(dirname(target), { recursive: true });
  const part = `${target}.part`;
  const total = Number(response.headers.get("content-length") ?? 0);
  const show = options.progress ?? true;
  const line = progressLine(show);
  let received = 0;
  const out = await Deno.open(part, { write: true, create: true, truncate: true });
  try {
    for await (const chunk of response.body) {
      await writeAll(out, chunk);
      received += chunk.length;
      const pct = total ? ` ${(100 * received / total).toFixed(0)}%` : "";
      line.update(`downloading ${repo}/${file}: ${mb(received)}${pct}`);
    }
  } catch (e) {
    out.close();
    line.clear();
    await Deno.remove(part).catch(() => {});
    throw new Error(
      `${repo}: download of ${file} broke off after ${mb(received)}: ${(e as Error).message}`,
    );
  }
  out.close();
  if (total && received !== total) {
    await Deno.remove(part).catch(() => {});
    throw new Error(`${repo}: download of ${file} incomplete (${received} of ${total} bytes)`);
  }
  await Deno.rename(part, target);
  line.clear();
  if (show) console.error(`downloaded ${repo}/${file}: ${mb(received)}`);
  return target;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await file.write(bytes.subarray(written));
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** True when a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
