// The AdamW kernel's text.
import { add, mul, set, v } from "./wat.ts";

/**
 * One AdamW step over `count` values (a multiple of 4): new moments `m2`, `v2` and weights `p2`
 * from `p`, `m`, `v` and gradient `g` (bias corrections folded into `step` and `vScale`; 1 - β
 * comes in computed in float64: in float32, 1 - f32(0.999) is off by 1e-5 relative).
 *
 * @example
 * ```ts
 * const text = adamw();
 * ```
 */
export function adamw(): string {
  const load = (name: string) => `(v128.load (i32.add ${v(name)} ${v("o")}))`;
  return `
  (func $adamw (export "adamw") (param $p i32) (param $m i32) (param $v i32) (param $g i32)
      (param $p2 i32) (param $m2 i32) (param $v2 i32) (param $count i32)
      (param $keep f32) (param $step f32) (param $beta1 f32) (param $beta2 f32)
      (param $oneMinusBeta1 f32) (param $oneMinusBeta2 f32) (param $vScale f32) (param $eps f32)
    (local $o i32) (local $end i32) (local $gv v128) (local $mv v128) (local $vv v128)
    ${set("end", `(i32.shl ${v("count")} (i32.const 2))`)}
    (if (i32.lt_u ${v("o")} ${v("end")}) (then (loop $values
      ${set("gv", load("g"))}
      ${
    set(
      "mv",
      add(
        mul(`(f32x4.splat ${v("beta1")})`, load("m")),
        mul(`(f32x4.splat ${v("oneMinusBeta1")})`, v("gv")),
      ),
    )
  }
      ${
    set(
      "vv",
      add(
        mul(`(f32x4.splat ${v("beta2")})`, load("v")),
        mul(mul(`(f32x4.splat ${v("oneMinusBeta2")})`, v("gv")), v("gv")),
      ),
    )
  }
      (v128.store (i32.add ${v("m2")} ${v("o")}) ${v("mv")})
      (v128.store (i32.add ${v("v2")} ${v("o")}) ${v("vv")})
      (v128.store (i32.add ${v("p2")} ${v("o")}) (f32x4.sub
        ${mul(load("p"), `(f32x4.splat ${v("keep")})`)}
        (f32x4.div ${mul(`(f32x4.splat ${v("step")})`, v("mv"))}
          ${
    add(mul(`(f32x4.sqrt ${v("vv")})`, `(f32x4.splat ${v("vScale")})`), `(f32x4.splat ${v("eps")})`)
  })))
      ${set("o", "(i32.add (local.get $o) (i32.const 16))")}
      (br_if $values (i32.lt_u ${v("o")} ${v("end")})))))
  )`;
}

/**
 * Row-wise kernels of attention (float32, byte pointers, rows of `cols` contiguous values; the
 * last `cols % 4` values of a row go through the same code one lane at a time):
 * - `softmaxRows`: `out[r] = softmax(scale * x[r] + bias)` (`bias` 0: none);
 * - `softmaxGradRows`: `out[r] = scale * p[r] ∘ (dp[r] - Σ p[r] ∘ dp[r])` (softmax's gradient);
 * - `mulScale`: `out = x ∘ y * s` over `count` values (`y` 0: `x * s`);
 * - `dot`: `Σ x ∘ y` over `count` values.
 * - `columnSums`: `out[j] += Σ_r x[r, j]` (`out` zeroed by the caller).
 * - `layerNormRows`: LayerNorm of each row (`y`, and each row's `mean` and `rstd`);
 * - `layerNormGradRows`: its gradient: `dx`, and `dgamma`, `dbeta` summed over rows (zeroed by
 *   the caller).
 */
