// The recipe book: how each input of a probe is built, read back and freed. The grader knows
// a few generic recipes (`builtin_recipes.ts`); a course registers its own (models, batches,
// callbacks) before any student code loads, and the grader's worker then seals the book, so
// student code can neither add nor replace a recipe, a reader or a recorder's log.
import { captured, type Plain, plain, wm } from "./plain.ts";

/** An input to build: a recipe name with its parameters (all plain data). */
export type Recipe = { recipe: string } & { [key: string]: unknown };

/** What a recipe's builder may use besides its parameters. */
export interface RecipeTools {
  /** An object built earlier in the same probe. */
  get(name: string): unknown;
  /** Marks `target` as a recorder: the "log" reader returns `log` for it. */
  recorded<T extends object>(target: T, log: Plain[]): T;
  /** Keeps `o` across probes (a loaded model): no probe frees it. */
  keep(o: object): void;
}

/** Builds one recipe's object. */
export type Builder = (recipe: Recipe, tools: RecipeTools) => unknown;
/** Reads a value back as plain data. */
export type ReadFn = (value: unknown) => Plain;
/** Frees `o` when it knows its kind (returns true), else leaves it (false). */
export type Disposer = (o: unknown) => boolean;

/** What a course (or a folder of hidden checks) adds to the book. */
export interface RecipeBook {
  recipes?: Record<string, Builder>;
  readers?: Record<string, ReadFn>;
  dispose?: Disposer;
}

const builders = new Map<string, unknown>();
const readers = new Map<string, unknown>();
const disposers: Disposer[] = [];
const recorders = new WeakMap<object, { log: Plain[] }>();
const kept = new WeakSet<object>();
let sealed = false;

/**
 * Adds recipes, readers and a disposer to the book; an existing name or a sealed book is an
 * error.
 *
 * @example
 * ```ts
 * registerRecipes({ recipes: { zeros: (r) => new Float32Array(r.n as number) } });
 * ```
 */
export function registerRecipes(book: RecipeBook): void {
  if (sealed) throw new Error("recipes cannot be registered while grading");
  for (const [table, entries] of [[builders, book.recipes], [readers, book.readers]] as const) {
    for (const [name, f] of Object.entries(entries ?? {})) {
      if (wm.mhas(table, name)) throw new Error(`a recipe or reader "${name}" exists already`);
      wm.mset(table, name, f);
    }
  }
  if (book.dispose) disposers[disposers.length] = book.dispose;
}

/**
 * Closes the book: from now on `registerRecipes` throws. The grader's worker calls it after
 * loading the course's recipes and before loading the submission.
 *
 * @example
 * ```ts
 * sealRecipes();
 * ```
 */
export function sealRecipes(): void {
  sealed = true;
}

/**
 * Builds the objects of a probe, in order (later recipes may use earlier objects by name).
 *
 * @example
 * ```ts
 * const objects = await buildObjects({ x: { recipe: "tensor", values: [1, 2] } });
 * ```
 */
export async function buildObjects(
  recipes: Record<string, Recipe> = {},
): Promise<Map<string, unknown>> {
  const objects = new Map<string, unknown>();
  const tools: RecipeTools = {
    get: (name) => wm.mget(objects, name),
    recorded: (target, log) => {
      wm.set(recorders, target, { log });
      return target;
    },
    keep: (o) => wm.add(kept, o),
  };
  const names = Object.keys(recipes);
  for (let i = 0; i < names.length; i++) {
    const r = recipes[names[i]];
    const builder = wm.mget(builders, r.recipe) as Builder | undefined;
    if (!builder) throw new Error(`no recipe is named "${r.recipe}"`);
    wm.mset(objects, names[i], await captured.apply(builder, undefined, [r, tools]));
  }
  return objects;
}

/**
 * Reads a value back as plain data with a reader: "json" (any value), "log" (a recorder's
 * calls) or one a course registered.
 *
 * @example
 * ```ts
 * readWith(new Float32Array([1]), "json"); // { typed: "Float32Array", values: [1] }
 * ```
 */
export function readWith(value: unknown, reader: string): Plain {
  if (reader === "json") return plain(value);
  if (reader === "log") {
    const log = (value !== null && typeof value === "object") || typeof value === "function"
      ? wm.get(recorders, value as object)?.log
      : undefined;
    const copy: Plain[] = [];
    for (let i = 0; log && i < log.length; i++) copy[i] = log[i];
    return copy;
  }
  const read = wm.mget(readers, reader) as ReadFn | undefined;
  if (!read) return { unreadable: `no reader is named "${reader}"` };
  return captured.apply(read, undefined, [value]) as Plain;
}

/**
 * Frees an object a probe built or kept (tensors, and what registered disposers know);
 * objects marked with `keep` stay.
 *
 * @example
 * ```ts
 * disposeObject(tf.zeros([2]));
 * ```
 */
export function disposeObject(o: unknown): void {
  if (o !== null && typeof o === "object" && wm.has(kept, o)) return;
  try {
    if (o instanceof captured.TensorCtor) {
      o.dispose();
      return;
    }
    for (let i = 0; i < disposers.length; i++) {
      if (captured.apply(disposers[i], undefined, [o])) return;
    }
  } catch { /* already freed by the student's code */ }
}
