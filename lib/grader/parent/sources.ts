// Check sources: the modules a grading run takes its checks from (the course's and folders of
// hidden checks), each with the recipe modules and written questions it declares. Loaded by
// the grader only, never by a submission's process.
import { basename, join } from "node:path";
import type { CheckDefinition } from "../api/check.ts";
import type { WrittenQuestion } from "../api/written.ts";
import { toFileUrl } from "../../io/paths.ts";

/** A check module, loaded by the grader only (never by a submission's process). */
export interface CheckSource {
  name: string;
  path: string;
  hidden: boolean;
  definitions: CheckDefinition[];
  /** Recipe modules the submission's worker loads before the submission (module `recipes`). */
  recipes: string[];
  /** Written questions the module declares (module `writtenQuestions`). */
  written: WrittenQuestion[];
}

/**
 * Loads check modules: the course's (`lib/course/checks/mod.ts`) and instructor folders of hidden
 * checks. A module default-exports its checks and may export `recipes` (recipe modules the
 * submission's worker loads first) and `writtenQuestions`.
 *
 * @example
 * ```ts
 * const sources = await loadCheckSources(["lib/course/checks/mod.ts"], ["hidden/"]);
 * ```
 */
export async function loadCheckSources(
  modules: string[],
  hiddenDirs: string[] = [],
): Promise<CheckSource[]> {
  const sources: CheckSource[] = [];
  // The same module named twice (e.g. lib/course/checks/mod.ts and one of its files) counts once.
  const seen = new Set<string>();
  for (const path of modules) {
    const module = await import(toFileUrl(path));
    const definitions = (module.default as CheckDefinition[]).filter((d) => !seen.has(d.id));
    definitions.forEach((d) => seen.add(d.id));
    sources.push({ name: basename(path), path, hidden: false, definitions, ...extras(module) });
  }
  for (const dir of hiddenDirs) {
    const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".ts"))
      .map((e) => join(dir, e.name)).sort();
    for (const path of files) {
      const module = await import(toFileUrl(path));
      const definitions = module.default;
      if (!Array.isArray(definitions)) {
        throw new Error(`${path}: a hidden-check file must default-export defineChecks([...])`);
      }
      sources.push({ name: basename(path), path, hidden: true, definitions, ...extras(module) });
    }
  }
  return sources;
}

/** A check module's optional exports: recipe modules and written questions. */
function extras(module: Record<string, unknown>): Pick<CheckSource, "recipes" | "written"> {
  return {
    recipes: Array.isArray(module.recipes) ? module.recipes.map(String) : [],
    written: Array.isArray(module.writtenQuestions)
      ? module.writtenQuestions as WrittenQuestion[]
      : [],
  };
}
