// The softmax kernels' text: rows of probabilities from scaled logits, and their gradient.
import {
  add,
  all,
  exp,
  EXP_LOCALS,
  hoisted,
  lanes,
  mul,
  next,
  overRow,
  rows,
  set,
  splat,
  v,
} from "./wat.ts";

/**
 * The `softmaxRows` function's text: scaled logits (plus an optional bias) to probabilities,
 * row by row.
 *
 * @example
 * ```ts
 * const text = softmaxRows();
 * ```
 */
export function softmaxRows(): string {
  return hoisted(() => `
  (func $softmaxRows (export "softmaxRows") (param $x i32) (param $bias i32) (param $out i32)
      (param $rows i32) (param $cols i32) (param $scale f32)
    (local $rowBytes i32) (local $o i32) (local $t v128) (local $mx v128) (local $sum v128)
    (local $m f32) (local $inv f32) ${EXP_LOCALS} @constants
    ${
    rows(`
      ${set("mx", "(f32x4.splat (f32.const -inf))")}
      ${
      overRow("logits", (load, store) => `
        ${set("t", mul(load("x"), all("scale")))}
        (if (i32.ne ${v("bias")} (i32.const 0)) (then ${set("t", add(v("t"), load("bias")))}))
        ${store("out", v("t"))}
        ${set("mx", `(f32x4.pmax ${v("mx")} ${v("t")})`)}`)
    }
      ${set("m", lanes(v("mx"), "f32.max"))}
      ${set("sum", splat(0))}
      ${
      overRow("exps", (load, store, masked) => `
        ${exp(`(f32x4.sub ${load("out")} ${all("m")})`, "t")}
        ${store("out", v("t"))}
        ${set("sum", add(v("sum"), masked(v("t"))))}`)
    }
      ${set("inv", `(f32.div (f32.const 1) ${lanes(v("sum"), "f32.add")})`)}
      ${overRow("normalise", (load, store) => store("out", mul(load("out"), all("inv"))))}
      ${next("x", "out")}`)
  }
  )`);
}

/**
 * The `softmaxGradRows` function's text: the gradient of softmax rows, scaled.
 *
 * @example
 * ```ts
 * const text = softmaxGradRows();
 * ```
 */
export function softmaxGradRows(): string {
  return `

  (func $softmaxGradRows (export "softmaxGradRows") (param $p i32) (param $dp i32)
      (param $out i32) (param $rows i32) (param $cols i32) (param $scale f32)
    (local $rowBytes i32) (local $o i32) (local $sum v128) (local $s f32)
    ${
    rows(`
      ${set("sum", splat(0))}
      ${
      overRow(
        "dots",
        (load, _store, masked) => set("sum", add(v("sum"), masked(mul(load("p"), load("dp"))))),
      )
    }
      ${set("s", lanes(v("sum"), "f32.add"))}
      ${
      overRow("grads", (load, store) =>
        store(
          "out",
          mul(mul(load("p"), `(f32x4.sub ${load("dp")} ${all("s")})`), all("scale")),
        ))
    }
      ${next("p", "dp", "out")}`)
  }
  )`;
}
