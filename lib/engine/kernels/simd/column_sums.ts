// The column-sums kernel's text (a bias's gradient: sums over every row).
import { add, next, overRow, rows } from "./wat.ts";

/**
 * The `columnSums` function's text: out += the sum of x's rows.
 *
 * @example
 * ```ts
 * const text = columnSums();
 * ```
 */
export function columnSums(): string {
  return `

  (func $columnSums (export "columnSums") (param $x i32) (param $out i32) (param $rows i32)
      (param $cols i32)
    (local $rowBytes i32) (local $o i32)
    ${
    rows(`${overRow("add", (load, store) => store("out", add(load("out"), load("x"))))}
      ${next("x")}`)
  }
  )`;
}
