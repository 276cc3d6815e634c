// Grading outputs: the gradebook CSV (papaparse), written row by row as submissions finish,
// a Gradescope-format results.json and a feedback.md per student (in a folder of its own:
// names that collide get a suffix, nothing is overwritten), and the self-grade table printed
// in a terminal. Messages are one line and escaped in markdown.
import { basename, join } from "node:path";
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import type { SubmissionResult } from "./grade.ts";
import { oneLine } from "../api/check.ts";

/**
 * The gradebook: one row per submission, one column per check, total and max.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out/gradebook.csv", gradebookCsv(results));
 * ```
 */
export function gradebookCsv(results: SubmissionResult[], folders: string[] = []): string {
  const ids = [...new Set(results.flatMap((r) => r.outcomes.map((o) => o.id)))];
  return [
    Papa.unparse({ fields: gradebookFields(ids), data: [] }).trim(),
    ...results.map((r, i) => gradebookRow(r, ids, folders[i] ?? "")),
  ].join("\n") + "\n";
}

/** The gradebook's columns for these check ids. */
export function gradebookFields(ids: string[]): string[] {
  return [
    "student",
    "folder",
    "file",
    "seed",
    ...ids,
    "total",
    "max",
    "manual points",
    "manual max",
  ];
}

/**
 * One gradebook line (no newline) for a result, in the columns of `gradebookFields(ids)`;
 * "manual points" stays empty for the instructor ("manual max": the written questions' points).
 *
 * @example
 * ```ts
 * await file.write(encoder.encode(gradebookRow(result, ids, "alice") + "\n"));
 * ```
 */
export function gradebookRow(r: SubmissionResult, ids: string[], folder: string): string {
  const row: (string | number)[] = [r.student, folder, r.file, r.seed];
  for (const id of ids) row.push(r.outcomes.find((o) => o.id === id)?.score ?? "");
  row.push(r.total, r.max, "", r.written.reduce((s, w) => s + w.points, 0) || "");
  return Papa.unparse([row], { header: false }).trim();
}

/**
 * A Gradescope autograder results object (`tests[]` with name, score, max_score, status,
 * output, visibility); hidden checks get visibility "hidden". Each written question is one
 * more test, named "… NEEDS MANUAL GRADING", with score 0 and no status until a grader sets its
 * points on Gradescope; the top-level score and max_score are the autograded ones
 * (`extra_data.manual_max`: the written questions' points).
 *
 * @example
 * ```ts
 * JSON.stringify(gradescopeResults(result), null, 2);
 * ```
 */
export function gradescopeResults(result: SubmissionResult) {
  return {
    score: result.total,
    max_score: result.max,
    visibility: "visible",
    extra_data: {
      seed: result.seed,
      file: result.file,
      manual_max: result.written.reduce((s, w) => s + w.points, 0),
    },
    tests: [
      ...result.outcomes.map((o) => ({
        name: `${o.id}: ${o.title}`,
        score: o.score,
        max_score: o.points,
        status: o.passed ? "passed" : "failed",
        output: o.message,
        visibility: o.hidden ? "hidden" : "visible",
      })),
      ...result.written.map((w) => ({
        name: `${w.id}: written answer — NEEDS MANUAL GRADING (0 until graded)`,
        score: 0,
        max_score: w.points,
        output: `Graded by hand: ${w.question} ${
          w.answer
            ? `Your answer was collected (${w.answer.length} characters).`
            : "No answer was found in the answer cell."
        }`,
        visibility: "visible",
      })),
    ],
  };
}

/**
 * Feedback a student can read; hidden checks are left out unless `showHidden`.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out/alice/feedback.md", feedbackMarkdown(result));
 * ```
 */
export function feedbackMarkdown(result: SubmissionResult, showHidden = false): string {
  const shown = result.outcomes.filter((o) => showHidden || !o.hidden);
  const total = shown.reduce((s, o) => s + o.score, 0);
  const max = shown.reduce((s, o) => s + o.points, 0);
  const lines = [
    `# Feedback for ${escapeMarkdown(result.student)}`,
    "",
    `Notebook: ${escapeMarkdown(basename(result.file))} (inputs drawn with seed ${result.seed})`,
    "",
    `**Score: ${round(total)} / ${max}**`,
    "",
    "| TODO | points | result |",
    "|---|---:|---|",
    ...shown.map((o) =>
      `| ${escapeMarkdown(o.id)}${o.hidden ? " (hidden)" : ""}: ${
        escapeMarkdown(o.title)
      } | ${o.score} / ${o.points} | ${o.passed ? "✅ PASS" : "❌ FAIL"} ${
        escapeMarkdown(o.message)
      } |`
    ),
    "",
  ];
  return lines.join("\n");
}

/**
 * The self-grade table for a terminal.
 *
 * @example
 * ```ts
 * console.log(selfGradeTable(result));
 * ```
 */
export function selfGradeTable(result: SubmissionResult, showHidden = false): string {
  const shown = result.outcomes.filter((o) => showHidden || !o.hidden);
  const rows = shown.map((
    o,
  ) => [`${o.passed ? "✅" : "❌"} ${o.id}`, `${o.score}/${o.points}`, oneLine(o.message)]);
  const w0 = Math.max(4, ...rows.map((r) => r[0].length));
  const w1 = Math.max(6, ...rows.map((r) => r[1].length));
  const total = shown.reduce((s, o) => s + o.score, 0);
  const max = shown.reduce((s, o) => s + o.points, 0);
  return [
    `${result.file}`,
    `${"TODO".padEnd(w0)}  ${"points".padEnd(w1)}  message`,
    ...rows.map((r) => `${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`),
    `${"total".padEnd(w0)}  ${`${round(total)}/${max}`.padEnd(w1)}`,
  ].join("\n");
}

/**
 * Writes a student's results.json and feedback.md into `out/<folder>`.
 *
 * @example
 * ```ts
 * await writeStudentOutputs("grades", "alice", result);
 * ```
 */
export async function writeStudentOutputs(
  out: string,
  folder: string,
  result: SubmissionResult,
  showHidden = false,
): Promise<void> {
  const dir = join(out, folder);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "results.json"),
    JSON.stringify(gradescopeResults(result), null, 2) + "\n",
  );
  await Deno.writeTextFile(join(dir, "feedback.md"), feedbackMarkdown(result, showHidden));
  if (result.written.length > 0) {
    await Deno.writeTextFile(join(dir, "written.md"), writtenMarkdown(result));
  }
}

/**
 * The written answers of one submission, for the instructor to grade by hand.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("grades/alice/written.md", writtenMarkdown(result));
 * ```
 */
export function writtenMarkdown(result: SubmissionResult): string {
  const lines = [
    `# Written answers of ${escapeMarkdown(result.student)}`,
    "",
    `Notebook: ${
      escapeMarkdown(basename(result.file))
    }. Put the points in the gradebook's "manual points" column (out of ${
      result.written.reduce((s, w) => s + w.points, 0)
    }).`,
    "",
  ];
  for (const w of result.written) {
    lines.push(`## ${escapeMarkdown(w.id)} (${w.points} points)`, "", `> ${w.question}`, "");
    lines.push(w.answer ? w.answer : "_(no answer)_", "");
    lines.push(
      `> **Rubric** (${w.points} points): ${w.rubric ?? "none given: grade on the question"}`,
      "",
      `Points: ____ / ${w.points}`,
      "",
    );
  }
  return lines.join("\n");
}

/**
 * Folder names for students: `safeName(name)`, with "-2", "-3", … when two students (or a
 * name already taken) would share one.
 *
 * @example
 * ```ts
 * const folders = new FolderNames(); folders.take("alice smith"); folders.take("alice_smith"); // "alice_smith", "alice_smith-2"
 * ```
 */
export class FolderNames {
  private taken = new Set<string>();
  constructor(taken: Iterable<string> = []) {
    for (const t of taken) this.taken.add(t.toLowerCase());
  }
  /** A fresh folder name for `name`. */
  take(name: string): string {
    const base = safeName(name);
    let folder = base;
    for (let k = 2; this.taken.has(folder.toLowerCase()); k++) folder = `${base}-${k}`;
    this.taken.add(folder.toLowerCase());
    return folder;
  }
}

/** Escapes markdown so that a message shows as the text it is, on one line. */
export function escapeMarkdown(text: string): string {
  return oneLine(text).replace(/[\\`*_{}\[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** A student name usable as a folder name. */
export function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, "_").replace(/^\.+/, "_").slice(0, 100) || "_";
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
