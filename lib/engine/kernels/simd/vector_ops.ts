// Small vector kernels' text: an element-wise product with a scale, and a dot product.
import { add, all, lanes, mul, overRow, rows, set, splat, v } from "./wat.ts";

/**
 * The `mulScale` function's text: out = x * s, or x * y * s when y is given.
 *
 * @example
 * ```ts
 * const text = mulScale();
 * ```
 */
export function mulScale(): string {
  return `

  (func $mulScale (export "mulScale") (param $x i32) (param $y i32) (param $out i32)
      (param $count i32) (param $s f32)
    (local $rows i32) (local $rowBytes i32) (local $o i32) (local $cols i32)
    ${set("rows", "(i32.const 1)")}
    ${set("cols", v("count"))}
    ${
    rows(overRow("values", (load, store) =>
      `(if (i32.eqz ${v("y")})
          (then ${store("out", mul(load("x"), all("s")))})
          (else ${store("out", mul(mul(load("x"), load("y")), all("s")))}))`))
  }
  )`;
}

/**
 * The `dot` function's text: the dot product of two vectors.
 *
 * @example
 * ```ts
 * const text = dot();
 * ```
 */
export function dot(): string {
  return `

  (func $dot (export "dot") (param $x i32) (param $y i32) (param $count i32) (result f32)
    (local $rows i32) (local $rowBytes i32) (local $o i32) (local $cols i32) (local $sum v128)
    ${set("rows", "(i32.const 1)")}
    ${set("cols", v("count"))}
    ${set("sum", splat(0))}
    ${
    rows(overRow("values", (load, _store, masked) =>
      set("sum", add(v("sum"), masked(mul(load("x"), load("y")))))))
  }
    ${lanes(v("sum"), "f32.add")}
  )`;
}
