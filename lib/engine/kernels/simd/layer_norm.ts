// The LayerNorm kernels' text: normalisation row by row (saving mean and 1/std), and its
// gradient (dx, and dgamma/dbeta accumulated).
import { add, all, lanes, mul, next, overRow, rows, set, splat, v } from "./wat.ts";

/**
 * The `layerNormRows` function's text: y = (x - mean) / std * gamma + beta per row.
 *
 * @example
 * ```ts
 * const text = layerNormRows();
 * ```
 */
export function layerNormRows(): string {
  return `

  (func $layerNormRows (export "layerNormRows") (param $x i32) (param $gamma i32)
      (param $beta i32) (param $y i32) (param $mean i32) (param $rstd i32) (param $rows i32)
      (param $cols i32) (param $eps f32)
    (local $rowBytes i32) (local $o i32) (local $sum v128) (local $mu f32) (local $r f32)
    ${
    rows(`
      ${set("sum", splat(0))}
      ${overRow("sums", (load, _store, masked) => set("sum", add(v("sum"), masked(load("x")))))}
      ${set("mu", `(f32.div ${lanes(v("sum"), "f32.add")} (f32.convert_i32_u ${v("cols")}))`)}
      ${set("sum", splat(0))}
      ${
      overRow("squares", (load, _store, masked) =>
        set(
          "sum",
          add(
            v("sum"),
            masked(
              mul(`(f32x4.sub ${load("x")} ${all("mu")})`, `(f32x4.sub ${load("x")} ${all("mu")})`),
            ),
          ),
        ))
    }
      ${
      set(
        "r",
        `(f32.div (f32.const 1) (f32.sqrt (f32.add (f32.div ${
          lanes(v("sum"), "f32.add")
        } (f32.convert_i32_u ${v("cols")})) ${v("eps")})))`,
      )
    }
      (f32.store ${v("mean")} ${v("mu")})
      (f32.store ${v("rstd")} ${v("r")})
      ${
      overRow("normalise", (load, store) =>
        store(
          "y",
          add(
            mul(mul(`(f32x4.sub ${load("x")} ${all("mu")})`, all("r")), load("gamma")),
            load("beta"),
          ),
        ))
    }
      ${next("x", "y")}
      ${set("mean", "(i32.add (local.get $mean) (i32.const 4))")}
      ${set("rstd", "(i32.add (local.get $rstd) (i32.const 4))")}`)
  }
  )`;
}

/**
 * The `layerNormGradRows` function's text: dx per row, dgamma and dbeta summed over rows.
 *
 * @example
 * ```ts
 * const text = layerNormGradRows();
 * ```
 */
export function layerNormGradRows(): string {
  return `

  (func $layerNormGradRows (export "layerNormGradRows") (param $dy i32) (param $x i32)
      (param $gamma i32) (param $mean i32) (param $rstd i32) (param $dx i32) (param $dgamma i32)
      (param $dbeta i32) (param $rows i32) (param $cols i32)
    (local $rowBytes i32) (local $o i32) (local $g v128) (local $gx v128) (local $xh v128)
    (local $gy v128) (local $mu f32) (local $r f32) (local $mg f32) (local $mgx f32)
    ${
    rows(`
      ${set("mu", `(f32.load ${v("mean")})`)}
      ${set("r", `(f32.load ${v("rstd")})`)}
      ${set("g", splat(0))}
      ${set("gx", splat(0))}
      ${
      overRow("sums", (load, store, masked) => `
        ${set("xh", mul(`(f32x4.sub ${load("x")} ${all("mu")})`, all("r")))}
        ${set("gy", mul(load("dy"), load("gamma")))}
        ${set("g", add(v("g"), masked(v("gy"))))}
        ${set("gx", add(v("gx"), masked(mul(v("gy"), v("xh")))))}
        ${store("dgamma", add(load("dgamma"), mul(load("dy"), v("xh"))))}
        ${store("dbeta", add(load("dbeta"), load("dy")))}`)
    }
      ${set("mg", `(f32.div ${lanes(v("g"), "f32.add")} (f32.convert_i32_u ${v("cols")}))`)}
      ${set("mgx", `(f32.div ${lanes(v("gx"), "f32.add")} (f32.convert_i32_u ${v("cols")}))`)}
      ${
      overRow("grads", (load, store) => `
        ${set("xh", mul(`(f32x4.sub ${load("x")} ${all("mu")})`, all("r")))}
        ${
        store(
          "dx",
          mul(
            all("r"),
            `(f32x4.sub (f32x4.sub ${mul(load("dy"), load("gamma"))} ${all("mg")}) ${
              mul(v("xh"), all("mgx"))
            })`,
          ),
        )
      }`)
    }
      ${next("dy", "x", "dx")}
      ${set("mean", "(i32.add (local.get $mean) (i32.const 4))")}
      ${set("rstd", "(i32.add (local.get $rstd) (i32.const 4))")}`)
  }
  )`;
}
