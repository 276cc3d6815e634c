// Notebook -> module: the setup cells and TODO cells of a notebook, in order, become one
// TypeScript module that exports their top-level declarations. A TODO cell with a syntax
// error (or one excluded after it crashed) is left out, so only that TODO fails.
import ts from "typescript";
import { type Notebook, sourceOf } from "./notebook.ts";
import { CELL_MARK } from "./protocol.ts";

/** The module made from a notebook. */
export interface NotebookModule {
  code: string;
  /** Names exported (values only). */
  exports: string[];
  /** TODO ids whose cells were left out, with the reason. */
  left: Map<string, string>;
}

/**
 * Builds the module. `exclude` maps TODO ids to leave out to the reason (e.g. their cell's
 * top-level code crashed in an earlier attempt).
 *
 * @example
 * ```ts
 * const { code, left } = notebookToModule(nb);
 * await Deno.writeTextFile("submission.ts", code);
 * ```
 */
export function notebookToModule(
  nb: Notebook,
  exclude: Map<string, string> = new Map(),
): NotebookModule {
  const left = new Map(exclude);
  const declared = new Map<string, string>(); // name -> where
  const imported = new Set<string>(); // "specifier|name|local"
  const exports: string[] = [];
  const parts = [
    `const __mark = (globalThis as Record<symbol, unknown>)[Symbol.for(${
      JSON.stringify(CELL_MARK)
    })] as ((cell: string) => void) | undefined;`,
  ];
  nb.cells.forEach((cell, i) => {
    const marks = cell.metadata.pruning_lab;
    if (cell.cell_type !== "code" || !(marks?.setup || marks?.todo)) return;
    const label = marks.todo ?? `setup cell ${i + 1}`;
    if (marks.todo && left.has(marks.todo)) return;
    const source = sourceOf(cell);
    const syntax = syntaxError(source);
    if (syntax) {
      if (marks.todo) left.set(marks.todo, `cell ${i + 1} has a syntax error: ${syntax}`);
      else {parts.push(
          `throw new Error(${
            JSON.stringify(`setup cell ${i + 1} has a syntax error: ${syntax}`)
          });`,
        );}
      return;
    }
    const file = ts.createSourceFile(`cell${i + 1}.ts`, source, ts.ScriptTarget.Latest, true);
    const kept: string[] = [];
    const names: string[] = [];
    let clash: string | undefined;
    for (const statement of file.statements) {
      if (ts.isImportDeclaration(statement)) {
        const keys = importKeys(statement);
        if (keys.length > 0 && keys.every((k) => imported.has(k))) continue; // same import again
        keys.forEach((k) => imported.add(k));
        names.push(...keys.map((k) => k.split("|")[2]).filter(Boolean));
      } else {
        names.push(...declaredNames(statement));
      }
      kept.push(statement.getFullText(file));
    }
    for (const name of names) {
      if (declared.has(name)) {
        clash ??= `redeclares "${name}" (already declared in ${declared.get(name)})`;
      }
    }
    if (clash) {
      if (marks.todo) left.set(marks.todo, `cell ${i + 1} ${clash}; rename it`);
      else parts.push(`throw new Error(${JSON.stringify(`setup cell ${i + 1} ${clash}`)});`);
      return;
    }
    names.forEach((n) => declared.set(n, `cell ${i + 1}`));
    exports.push(
      ...file.statements.filter((s) => !ts.isImportDeclaration(s)).flatMap(declaredNames),
    );
    parts.push(`\n// ---- cell ${i + 1} (${label})\n__mark?.(${JSON.stringify(label)});`);
    parts.push(kept.join(""));
  });
  parts.push(`\n__mark?.("end");\nexport { ${exports.join(", ")} };\n`);
  return { code: parts.join("\n"), exports, left };
}

/** The first syntax error of a TypeScript source, as "line N: message", or undefined. */
export function syntaxError(source: string): string | undefined {
  const { diagnostics } = ts.transpileModule(source, {
    reportDiagnostics: true,
    compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext },
  });
  const d = diagnostics?.find((x) => x.category === ts.DiagnosticCategory.Error);
  if (!d) return undefined;
  const line = d.file && d.start !== undefined
    ? d.file.getLineAndCharacterOfPosition(d.start).line + 1
    : 0;
  return `line ${line}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`;
}

/** Value names a top-level statement declares (types are not exported). */
function declaredNames(statement: ts.Statement): string[] {
  if (ts.isVariableStatement(statement)) {
    return statement.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  }
  if (
    (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) ||
      ts.isEnumDeclaration(statement)) && statement.name
  ) {
    return [statement.name.text];
  }
  return [];
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/** "specifier|imported|local" for each binding of an import (type-only ones skipped). */
function importKeys(statement: ts.ImportDeclaration): string[] {
  const spec = (statement.moduleSpecifier as ts.StringLiteral).text;
  const clause = statement.importClause;
  if (!clause || clause.isTypeOnly) return clause ? [] : [`${spec}|*side-effect*|`];
  const keys: string[] = [];
  if (clause.name) keys.push(`${spec}|default|${clause.name.text}`);
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) keys.push(`${spec}|*|${bindings.name.text}`);
  if (bindings && ts.isNamedImports(bindings)) {
    for (const e of bindings.elements) {
      if (!e.isTypeOnly) keys.push(`${spec}|${(e.propertyName ?? e.name).text}|${e.name.text}`);
    }
  }
  return keys;
}
