// The library's layering: every module under lib/<layer>/ imports only its own layer or lower
// ones (the course-reference marker, which imports nothing, is the one exception); lib/'s top
// level holds only layer folders and the entry files; every layer has a mod.ts.
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { PROJECT_ROOT } from "lib/io/paths.ts";

/** Lowest first. */
const LAYERS = [
  "engine",
  "io",
  "data",
  "model",
  "deploy",
  "evaluation",
  "training",
  "importance",
  "prune",
  "notebook",
  "grader",
  "course",
];
const ENTRY_FILES = ["check.ts"];
const MARKER = "lib/course/reference.ts";
const LIB = join(PROJECT_ROOT, "lib");

function* files(dir: string): Generator<string> {
  for (const e of Deno.readDirSync(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* files(path);
    else if (/\.(ts|cjs)$/.test(e.name)) yield path;
  }
}

/** Relative specifiers a module imports (static, dynamic, re-exports, `new URL`). */
function specifiers(path: string): string[] {
  const source = ts.createSourceFile(path, Deno.readTextFileSync(path), ts.ScriptTarget.ESNext);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) out.push(node.moduleSpecifier.text);
    if (
      (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) ||
      (ts.isNewExpression(node) && node.expression.getText(source) === "URL")
    ) {
      const first = node.arguments?.[0];
      if (first && ts.isStringLiteral(first)) out.push(first.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out.filter((s) => s.startsWith("./") || s.startsWith("../") || s.startsWith("lib/"));
}

/** The layer of a lib path ("lib/model/io.ts" -> "model"), "" for a top-level entry file. */
function layerOf(rel: string): string {
  const parts = rel.split("/");
  return parts.length > 2 ? parts[1] : "";
}

/** Every import of a lower layer's module from a higher one, as "from -> to" lines. */
function violations(root = PROJECT_ROOT): string[] {
  const found: string[] = [];
  for (const path of files(join(root, "lib"))) {
    const from = relative(root, path);
    const fromLayer = layerOf(from);
    for (const spec of specifiers(path)) {
      const target = spec.startsWith("lib/") ? spec : relative(root, resolve(dirname(path), spec));
      if (!target.startsWith("lib/") || target === MARKER) continue;
      const toLayer = layerOf(target);
      if (fromLayer === "") continue; // entry files sit above every layer
      if (toLayer === "" || LAYERS.indexOf(toLayer) > LAYERS.indexOf(fromLayer)) {
        found.push(`${from} -> ${target}`);
      }
    }
  }
  return found;
}

Deno.test("no lib module imports from a higher layer", () => {
  assert.deepEqual(violations(), []);
});

Deno.test("the course-reference marker imports no library module", () => {
  const path = join(PROJECT_ROOT, MARKER);
  assert.deepEqual(specifiers(path).filter((s) => !s.startsWith("node:")), []);
});

Deno.test("lib/ holds only the layer folders (each with a mod.ts) and the entry files", () => {
  const entries = [...Deno.readDirSync(LIB)];
  const folders = entries.filter((e) => e.isDirectory).map((e) => e.name).sort();
  const top = entries.filter((e) => e.isFile).map((e) => e.name).sort();
  assert.deepEqual(folders, [...LAYERS].sort());
  assert.deepEqual(top, ENTRY_FILES);
  for (const layer of LAYERS) {
    assert.ok(
      Deno.statSync(join(LIB, layer, "mod.ts")).isFile,
      `lib/${layer}/mod.ts is missing`,
    );
  }
});

Deno.test("the layer walk sees upward imports (the test can fail)", () => {
  const root = Deno.makeTempDirSync({ prefix: "layers-" });
  try {
    for (const layer of ["model", "prune", "grader", "course"]) {
      Deno.mkdirSync(join(root, "lib", layer), { recursive: true });
    }
    const write = (path: string, text: string) => Deno.writeTextFileSync(join(root, path), text);
    write("lib/prune/heads.ts", 'import "../model/config.ts";\n');
    write("lib/model/config.ts", 'export { f } from "../prune/heads.ts";\n');
    write("lib/grader/grade.ts", 'await import("lib/course/checks.ts");\n');
    write("lib/course/reference.ts", "export const x = 1;\n");
    write("lib/model/io.ts", 'import "../course/reference.ts";\n');
    assert.deepEqual(violations(root).sort(), [
      "lib/grader/grade.ts -> lib/course/checks.ts",
      "lib/model/config.ts -> lib/prune/heads.ts",
    ]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
