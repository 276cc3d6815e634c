// The GELU kernel's text (exact GELU through a rational erf, and its gradient), with erf's
// float32 coefficients.

// erf(z) ≈ z P(z²) / Q(z²) on z clamped to [-4, 4] (beyond, erf is ±1 in float32): the
// rational approximation Eigen and XLA use for float32 erf, |error| < 7e-8.
/**
 * Coefficients of P (z^1, z^3, …, z^13); `ERF_Q` holds Q's (z^0, z^2, …, z^8).
 *
 * @example
 * ```ts
 * const horner = (c: number[], z2: number) => c.reduceRight((acc, k) => acc * z2 + k, 0);
 * const erf = (z: number) => z * horner(ERF_P, z * z) / horner(ERF_Q, z * z); // |z| ≤ 4
 * ```
 */
export const ERF_P = [
  -1.60960333262415e-02,
  -2.95459980854025e-03,
  -7.34990630326855e-04,
  -5.69250639462346e-05,
  -2.10102402082508e-06,
  2.77068142495902e-08,
  -2.72614225801306e-10,
];
/** Coefficients of Q (z^0, z^2, …, z^8), the denominator of erf's approximation (see ERF_P). */
export const ERF_Q = [
  -1.42647390514189e-02,
  -7.37332916720468e-03,
  -1.68282697438203e-03,
  -2.13374055278905e-04,
  -1.45660718464996e-05,
];

import { add, exp, EXP_LOCALS, hoisted, mul, set, splat, v } from "./wat.ts";

/**
 * The `gelu` function's text: GELU (exact, erf) over `count` values (a multiple of 4):
 * `y = x Φ(x)`; with `dy` given (non-zero pointer) it writes the gradient
 * `dy (Φ(x) + x φ(x))` instead.
 *
 * @example
 * ```ts
 * const text = gelu();
 * ```
 */
export function gelu(): string {
  return hoisted(geluText);
}

function geluText(): string {
  const horner = (coefficients: number[], x: string) => {
    let p = splat(coefficients.at(-1)!);
    for (const c of coefficients.slice(0, -1).reverse()) p = add(mul(p, x), splat(c));
    return p;
  };
  return `
  (func $gelu (export "gelu") (param $x i32) (param $dy i32) (param $out i32) (param $count i32)
    (local $end i32) (local $xv v128) (local $z v128) (local $z2 v128) (local $cdf v128) (local $e v128)
    ${EXP_LOCALS} @constants
    ${set("end", `(i32.add ${v("x")} (i32.shl ${v("count")} (i32.const 2)))`)}
    (if (i32.lt_u ${v("x")} ${v("end")}) (then (loop $values
      ${set("xv", `(v128.load ${v("x")})`)}
      ${
    set(
      "z",
      `(f32x4.pmax (f32x4.pmin ${mul(v("xv"), splat(Math.SQRT1_2))} ${splat(4)}) ${splat(-4)})`,
    )
  }
      ${set("z2", mul(v("z"), v("z")))}
      ${
    set(
      "cdf",
      mul(
        splat(0.5),
        add(
          splat(1),
          `(f32x4.div ${mul(v("z"), horner(ERF_P, v("z2")))} ${horner(ERF_Q, v("z2"))})`,
        ),
      ),
    )
  }
      (if (i32.eqz ${v("dy")})
        (then (v128.store ${v("out")} ${mul(v("xv"), v("cdf"))}))
        (else
          ${exp(mul(mul(v("xv"), v("xv")), splat(-0.5)), "e")}
          (v128.store ${v("out")} ${
    mul(
      `(v128.load ${v("dy")})`,
      add(
        v("cdf"),
        mul(
          mul(v("xv"), v("e")),
          splat(1 / Math.sqrt(2 * Math.PI)),
        ),
      ),
    )
  })
          ${set("dy", "(i32.add (local.get $dy) (i32.const 16))")}))
      ${set("x", "(i32.add (local.get $x) (i32.const 16))")}
      ${set("out", "(i32.add (local.get $out) (i32.const 16))")}
      (br_if $values (i32.lt_u ${v("x")} ${v("end")})))))
  )`;
}
