// Grading outputs: the gradebook CSV (papaparse), a Gradescope-format results.json and a
// feedback.md per student, and the self-grade table printed in a terminal.
import { join } from "node:path";
// @ts-types="@types/papaparse"
import Papa from "papaparse";
import type { SubmissionResult } from "./grade.ts";

/**
 * The gradebook: one row per submission, one column per check, total and max.
 *
 * @example
 * ```ts
 * await Deno.writeTextFile("out/gradebook.csv", gradebookCsv(results));
 * ```
 */
export function gradebookCsv(results: SubmissionResult[]): string {
  const ids = [...new Set(results.flatMap((r) => r.outcomes.map((o) => o.id)))];
  const rows = results.map((r) => {
    const row: Record<string, string | number> = { student: r.student, file: r.file };
    for (const id of ids) row[id] = r.outcomes.find((o) => o.id === id)?.score ?? "";
    row.total = r.total;
    row.max = r.max;
    return row;
  });
  return Papa.unparse({
    fields: ["student", "file", ...ids, "total", "max"],
    data: rows.map((r) => Object.values(r)),
  }) + "\n";
}

/**
 * A Gradescope autograder results object (`tests[]` with name, score, max_score, status,
 * output, visibility); hidden checks get visibility "hidden".
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
    tests: result.outcomes.map((o) => ({
      name: `${o.id}: ${o.title}`,
      score: o.score,
      max_score: o.points,
      status: o.passed ? "passed" : "failed",
      output: o.message,
      visibility: o.hidden ? "hidden" : "visible",
    })),
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
    `# Feedback for ${result.student}`,
    "",
    `Notebook: \`${result.file}\``,
    "",
    `**Score: ${round(total)} / ${max}**`,
    "",
    "| TODO | points | result |",
    "|---|---:|---|",
    ...shown.map((o) =>
      `| ${o.id}${o.hidden ? " (hidden)" : ""}: ${o.title} | ${o.score} / ${o.points} | ${
        o.passed ? "✅" : "❌"
      } ${o.message.replaceAll("|", "\\|")} |`
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
  ) => [`${o.passed ? "✅" : "❌"} ${o.id}`, `${o.score}/${o.points}`, o.message]);
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
 * Writes gradebook.csv, and results.json + feedback.md per student, under `out`.
 *
 * @example
 * ```ts
 * await writeGradingOutputs("grades", results);
 * ```
 */
export async function writeGradingOutputs(
  out: string,
  results: SubmissionResult[],
  showHidden = false,
): Promise<void> {
  await Deno.mkdir(out, { recursive: true });
  await Deno.writeTextFile(join(out, "gradebook.csv"), gradebookCsv(results));
  const count = new Map<string, number>();
  for (const r of results) count.set(r.student, (count.get(r.student) ?? 0) + 1);
  for (const r of results) {
    // One folder per student; a student with several notebooks gets one per notebook.
    const stem = r.file.split("/").at(-1)!.replace(/\.ipynb$/, "");
    const dir = join(out, safeName(count.get(r.student)! > 1 ? `${r.student}-${stem}` : r.student));
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      join(dir, "results.json"),
      JSON.stringify(gradescopeResults(r), null, 2) + "\n",
    );
    await Deno.writeTextFile(join(dir, "feedback.md"), feedbackMarkdown(r, showHidden));
  }
}

/** A student name usable as a folder name. */
export function safeName(name: string): string {
  return name.replace(/[^\w.-]+/g, "_").replace(/^\.+/, "_") || "_";
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
