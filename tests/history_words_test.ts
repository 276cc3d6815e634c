// Code, docs and notebooks describe what is, not how the project got there: no words that
// belong to the team's history (issue numbers, "the brief", sessions, "as before", editions,
// what was tried and dropped).
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { PROJECT_ROOT } from "lib/io/paths.ts";

const HISTORY = [
  /\bissue #?\d+/i,
  /\bthe brief\b/i,
  /\b(previous|last|this|earlier|next|a later) session\b/i,
  /\bas before\b/i,
  /\b(second|third|new) edition\b/i,
  /\btried and dropped\b/i,
];
const ROOTS = ["README.md", "docs", "lib", "tools", "bench", "tests", "solutions", "notebooks"];
/** Inputs written by others (hostile submissions, golden data), not the project's prose. */
const SKIP = ["tests/fixtures", "tests/history_words_test.ts"];
const TEXT = /\.(ts|md|ipynb|py|sh|cjs)$/;

function* files(path: string): Generator<string> {
  const rel = relative(PROJECT_ROOT, path);
  if (SKIP.some((s) => rel === s || rel.startsWith(`${s}/`))) return;
  const info = Deno.statSync(path);
  if (info.isDirectory) {
    for (const e of Deno.readDirSync(path)) yield* files(join(path, e.name));
  } else if (TEXT.test(path)) yield path;
}

/** Every "file:line: text" whose text has a history word. */
function historyLines(text: string, where: string): string[] {
  return text.split("\n").flatMap((line, i) =>
    HISTORY.some((re) => re.test(line)) ? [`${where}:${i + 1}: ${line.trim().slice(0, 120)}`] : []
  );
}

Deno.test("no history words in code, docs or notebooks", () => {
  const found = ROOTS.flatMap((r) => [...files(join(PROJECT_ROOT, r))]).flatMap((path) =>
    historyLines(Deno.readTextFileSync(path), relative(PROJECT_ROOT, path))
  );
  assert.deepEqual(found, []);
});

Deno.test("the history-word scan finds each kind of history word", () => {
  const samples = [
    "measured in issue 8",
    "as the brief says",
    "the previous session's run",
    "works as before",
    "this second edition",
    "Tried and dropped: a fused kernel",
  ];
  for (const s of samples) assert.equal(historyLines(s, "x").length, 1, s);
  assert.deepEqual(historyLines("an onnxruntime session runs the model", "x"), []);
});
