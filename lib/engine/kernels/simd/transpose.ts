// The transpose kernel's text.
import { ptr, set, v } from "./wat.ts";

/**
 * The `transpose` function's text: dst[c, r] = src[r, c].
 *
 * @example
 * ```ts
 * const text = transpose();
 * ```
 */
export function transpose(): string {
  return `
  ;; dst[c, r] = src[r, c] for src [rows, cols] (byte pointers; src rows srcStride bytes apart).
  (func $transpose (export "transpose") (param $src i32) (param $dst i32) (param $rows i32)
      (param $cols i32) (param $srcStride i32)
    (local $r i32) (local $c i32) (local $ps i32) (local $pd i32) (local $rb i32)
    ${set("rb", `(i32.shl ${v("rows")} (i32.const 2))`)}
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.ge_u ${v("r")} ${v("rows")}))
      ${set("pd", `(i32.add ${v("dst")} (i32.shl ${v("r")} (i32.const 2)))`)}
      ${set("ps", `(i32.add ${v("src")} (i32.mul ${v("r")} ${v("srcStride")}))`)}
      ${set("c", "(i32.const 0)")}
      (block $cols_done (loop $cols
        (br_if $cols_done (i32.ge_u ${v("c")} ${v("cols")}))
        (f32.store ${v("pd")} (f32.load ${v("ps")}))
        ${set("ps", "(i32.add (local.get $ps) (i32.const 4))")}
        ${set("pd", ptr("pd", v("rb")))}
        ${set("c", "(i32.add (local.get $c) (i32.const 1))")}
        (br $cols)))
      ${set("r", "(i32.add (local.get $r) (i32.const 1))")}
      (br $rows)))
  )`;
}

/** The locals `exp` uses; declare them in a function that calls it. */
