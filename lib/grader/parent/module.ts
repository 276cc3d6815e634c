// Notebook -> module: the notebook's cells, in order, become one TypeScript module that exports
// their top-level declarations, as Jupyter would have them after running every cell:
// - setup cells run whole (the course's imports and helpers);
// - TODO cells and untagged cells contribute their declarations (imports, functions, classes,
//   types, constants); their other top-level statements (demos, prints, timers) are left out,
//   and an untagged cell's constants only when the cell does nothing but declare (its relative
//   imports are left out: they point beside the student's notebook);
// - a name declared in several cells takes its last declaration, as in Jupyter;
// - a TODO cell with a syntax error (or one excluded after it crashed) is left out, so only
//   that TODO fails.
import ts from "typescript";
import { type Notebook, sourceOf } from "../../notebook/ipynb.ts";
import { PROJECT_ROOT, toFileUrl } from "../../io/paths.ts";
import { join } from "node:path";

/** The module made from a notebook. */
export interface NotebookModule {
  code: string;
  /** Names exported (values only). */
  exports: string[];
  /** TODO ids whose cells were left out, with the reason. */
  left: Map<string, string>;
  /** Indices of cells whose top-level code runs in the module (for blame). */
  cells: number[];
  /** Cells (not setup) with top-level declarations that run code: what `quiet` silences. */
  runsCode: Set<number>;
}

/** Options: cells to leave out (index -> reason) and cells to keep only declarations of. */
export interface ModuleOptions {
  exclude?: Map<number, string>;
  /** Cells whose declarations stay but whose variable initialisers that call code are dropped. */
  quiet?: Set<number>;
}

const PROGRESS_URL = toFileUrl(join(PROJECT_ROOT, "lib", "grader", "child", "cell_progress.ts"));
const MAX_NESTING = 500;
/** Longest cell the grader reads (an honest TODO cell is a few KB). */
const MAX_CELL_CHARS = 64_000;
/** Most code the grader reads from one notebook. */
const MAX_CODE_CHARS = 1_000_000;

interface Piece {
  cell: number;
  statement: ts.Statement;
  file: ts.SourceFile;
  names: string[];
  imports: string[];
  /** An untagged cell's piece: kept only when code that is kept uses one of its names. */
  free: boolean;
  /** Identifiers the statement mentions. */
  refs: Set<string>;
}

/**
 * Builds the module.
 *
 * @example
 * ```ts
 * const { code, left } = notebookToModule(nb);
 * await Deno.writeTextFile("submission.ts", code);
 * ```
 */
export function notebookToModule(nb: Notebook, options: ModuleOptions = {}): NotebookModule {
  const exclude = options.exclude ?? new Map<number, string>();
  const left = new Map<string, string>();
  const pieces: Piece[] = [];
  const problems: string[] = [];
  const runsCode = new Set<number>();
  let budget = MAX_CODE_CHARS;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const marks = cell.metadata?.pruning_lab ?? {};
    const todo = typeof marks.todo === "string" ? marks.todo : undefined;
    if (exclude.has(i)) {
      if (todo) left.set(todo, exclude.get(i)!);
      return;
    }
    const source = sourceOf(cell);
    budget -= source.length;
    const tooLarge = source.length > MAX_CELL_CHARS
      ? `is too large to grade (${source.length} characters; at most ${MAX_CELL_CHARS})`
      : budget < 0
      ? `is past the notebook's ${MAX_CODE_CHARS} characters of code the grader reads`
      : undefined;
    const syntax = tooLarge ? undefined : syntaxError(source);
    if (tooLarge || syntax) {
      const why = tooLarge ?? `has a syntax error: ${syntax}`;
      if (todo) left.set(todo, `cell ${i + 1} ${why}`);
      else if (marks.setup) problems.push(`setup cell ${i + 1} ${why}`);
      return;
    }
    try {
      const file = ts.createSourceFile(`cell${i + 1}.ts`, source, ts.ScriptTarget.Latest, true);
      const whole = marks.setup === true;
      const onlyDeclares = file.statements.every((s) => isDeclaration(s)) &&
        !hasTopLevelAwait(file);
      const found: Piece[] = [];
      for (const statement of file.statements) {
        if (!whole && !isDeclaration(statement)) continue;
        // Relative imports of an untagged cell point beside the student's notebook, which the
        // grader does not have.
        if (!whole && !todo && ts.isImportDeclaration(statement) && isRelative(statement)) continue;
        // An untagged cell that also does work keeps only its constants that run no code.
        const runs = ts.isVariableStatement(statement) && callsCode(statement);
        if (!whole && !todo && !onlyDeclares && runs) continue;
        if (runs && !whole) runsCode.add(i);
        if (options.quiet?.has(i) && runs) continue;
        found.push({
          cell: i,
          statement,
          file,
          names: ts.isImportDeclaration(statement) ? [] : declaredNames(statement),
          imports: ts.isImportDeclaration(statement) ? importKeys(statement) : [],
          free: !whole && !todo,
          refs: identifiers(statement),
        });
      }
      pieces.push(...found);
    } catch (e) {
      // A pathological cell (e.g. a stack overflow while reading it) fails alone.
      const why = `cell ${i + 1} cannot be graded: reading it failed (${
        e instanceof Error ? e.name : "error"
      }; nested too deeply?)`;
      if (todo) left.set(todo, why);
      else if (marks.setup) problems.push(`setup ${why}`);
    }
  });

  // Untagged cells contribute only what the setup and TODO cells (transitively) use.
  const used = new Set<string>();
  const kept0 = new Set(pieces.filter((p) => !p.free));
  for (const p of kept0) p.refs.forEach((r) => used.add(r));
  for (let grew = true; grew;) {
    grew = false;
    for (const p of pieces) {
      if (kept0.has(p)) continue;
      const binds = [...p.names, ...p.imports.map((k) => k.split("|")[2]).filter(Boolean)];
      if (binds.some((n) => used.has(n))) {
        kept0.add(p);
        p.refs.forEach((r) => used.add(r));
        grew = true;
      }
    }
  }
  for (const p of pieces) {
    if (p.free && p.imports.length > 0) {
      p.imports = p.imports.filter((k) => used.has(k.split("|")[2]));
    }
  }
  pieces.splice(0, pieces.length, ...pieces.filter((p) => kept0.has(p)));

  // Last declaration wins: drop earlier statements (and import bindings) that declare a
  // name declared again later; the same import twice is kept once.
  const lastCell = new Map<string, number>();
  for (const p of pieces) {
    for (const n of [...p.names, ...p.imports.map((k) => k.split("|")[2]).filter(Boolean)]) {
      lastCell.set(n, p.cell);
    }
  }
  const kept: { piece: Piece; text: string }[] = [];
  const seenImports = new Set<string>();
  const imported = new Set<string>();
  for (const p of pieces) {
    if (p.names.some((n) => lastCell.get(n) !== p.cell)) continue;
    if (p.imports.length === 0) {
      kept.push({ piece: p, text: p.statement.getFullText(p.file) });
      continue;
    }
    const fresh = p.imports.filter((k) => {
      const local = k.split("|")[2];
      return !seenImports.has(k) &&
        (!local || (lastCell.get(local) === p.cell && !imported.has(local)));
    });
    fresh.forEach((k) => {
      seenImports.add(k);
      if (k.split("|")[2]) imported.add(k.split("|")[2]);
    });
    if (fresh.length === 0) continue;
    const text = fresh.length === p.imports.length && !p.free
      ? p.statement.getFullText(p.file)
      : `\n${importText(fresh)}`;
    kept.push({ piece: p, text });
  }
  // Names a cell already exports itself (`export function f`) are not listed again.
  const selfExported = new Set(
    kept.filter((k) => hasExportModifier(k.piece.statement)).flatMap((k) => k.piece.names),
  );
  const exports = [...new Set(kept.flatMap((k) => k.piece.names))].filter((n) =>
    !selfExported.has(n)
  );

  const parts = [
    `import { cellStarted as __pruningLabCell } from ${JSON.stringify(PROGRESS_URL)};`,
  ];
  for (const problem of problems) parts.push(`throw new Error(${JSON.stringify(problem)});`);
  let current = -1;
  const cells: number[] = [];
  for (const { piece, text } of kept) {
    if (piece.cell !== current) {
      current = piece.cell;
      cells.push(piece.cell);
      parts.push(
        `\n// ---- cell ${piece.cell + 1}\n__pruningLabCell(${
          JSON.stringify(String(piece.cell))
        });`,
      );
    }
    parts.push(text);
  }
  parts.push(`\n__pruningLabCell("end");\nexport { ${exports.join(", ")} };\n`);
  return { code: parts.join("\n"), exports, left, cells, runsCode };
}

/** The first syntax error of a TypeScript source, as "line N: message", or undefined. */
export function syntaxError(source: string): string | undefined {
  const depth = nestingDepth(source);
  if (depth > MAX_NESTING) return `line 1: nested ${depth} levels deep (at most ${MAX_NESTING})`;
  try {
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
  } catch (e) {
    return `line 1: cannot be parsed (${e instanceof Error ? e.name : "error"})`;
  }
}

/** The deepest nesting of (), [] and {} (a guard against parser stack overflows). */
function nestingDepth(source: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
  }
  return max;
}

function hasExportModifier(statement: ts.Statement): boolean {
  const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
  return modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) === true &&
    !modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword);
}

/** Every identifier a statement mentions (a superset of the names it uses). */
function identifiers(statement: ts.Statement): Set<string> {
  const out = new Set<string>();
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node)) out.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(statement);
  return out;
}

function isRelative(statement: ts.ImportDeclaration): boolean {
  return /^\.\.?\//.test((statement.moduleSpecifier as ts.StringLiteral).text);
}

/** Whether a statement only declares (imports, functions, classes, types, enums, variables). */
function isDeclaration(s: ts.Statement): boolean {
  return ts.isImportDeclaration(s) || ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s) ||
    ts.isInterfaceDeclaration(s) || ts.isTypeAliasDeclaration(s) || ts.isEnumDeclaration(s) ||
    ts.isVariableStatement(s) || ts.isModuleDeclaration(s) || ts.isEmptyStatement(s);
}

function hasTopLevelAwait(file: ts.SourceFile): boolean {
  let found = false;
  const visit = (node: ts.Node) => {
    if (found || ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(file, visit);
  return found;
}

/** Whether a variable statement runs code when it is declared (a call, `new`, `await`). */
function callsCode(s: ts.VariableStatement): boolean {
  let found = false;
  const visit = (node: ts.Node) => {
    if (found || ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (
      ts.isCallExpression(node) || ts.isNewExpression(node) || ts.isAwaitExpression(node) ||
      ts.isTaggedTemplateExpression(node)
    ) {
      found = true;
      return;
    }
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(s, visit);
  return found;
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
  if (!clause) return [`${spec}|*side-effect*|`];
  if (clause.isTypeOnly) return [`${spec}|*type*${clause.getText()}|`];
  const keys: string[] = [];
  if (clause.name) keys.push(`${spec}|default|${clause.name.text}`);
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) keys.push(`${spec}|*|${bindings.name.text}`);
  if (bindings && ts.isNamedImports(bindings)) {
    for (const e of bindings.elements) {
      keys.push(`${spec}|${(e.propertyName ?? e.name).text}|${e.isTypeOnly ? "" : e.name.text}`);
    }
  }
  return keys.length > 0 ? keys : [`${spec}|*empty*|`];
}

/** An import statement for the value bindings left of an import ("spec|imported|local" keys). */
function importText(keys: string[]): string {
  const spec = keys[0].split("|")[0];
  const named: string[] = [];
  const lines: string[] = [];
  for (const key of keys) {
    const [, imported, local] = key.split("|");
    if (!local) continue;
    if (imported === "default") lines.push(`import ${local} from ${JSON.stringify(spec)};`);
    else if (imported === "*") lines.push(`import * as ${local} from ${JSON.stringify(spec)};`);
    else named.push(imported === local ? local : `${imported} as ${local}`);
  }
  if (named.length > 0) lines.push(`import { ${named.join(", ")} } from ${JSON.stringify(spec)};`);
  return lines.join("\n");
}
