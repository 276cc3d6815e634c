// The WebAssembly text of the engine's SIMD kernels (128-bit `f32x4`, as XNNPACK's wasm build):
// a matmul with strided operands (attention's per-head products, weight gradients), transpose,
// softmax rows and their gradient, GELU and its gradient, LayerNorm and its gradient, column
// sums and the AdamW update. They run on the wasm backend's own memory (imported), so a kernel
// reads and writes tensors where they lie. The text is generated: the matmul's register blocks
// (4 rows x 8, 4 or 1 columns, then 1 row), exp inlined where it is used, constants hoisted.

/** Float32 constants of the kernels: exp's range reduction and erf's rational approximation. */
const LOG2E = 1.4426950408889634;
const LN2_HI = 0.693145751953125; // ln 2 split in two, as Cephes does
const LN2_LO = 1.428606765330187e-6;
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

const v = (name: string) => `(local.get $${name})`;
const set = (name: string, value: string) => `(local.set $${name} ${value})`;
/** Constant vectors of the function being generated, when hoisted (see `hoisted`). */
let constants: Map<string, string> | undefined;
const splat = (x: number) => {
  const text = `(f32x4.splat (f32.const ${x}))`;
  if (!constants) return text;
  if (!constants.has(text)) constants.set(text, `k${constants.size}`);
  return v(constants.get(text)!);
};

/**
 * `generate()`'s text with its constant vectors in locals set once, in place of `@constants`
 * (after the function's last local): a splat inside a loop is rebuilt on every pass.
 */
function hoisted(generate: () => string): string {
  constants = new Map();
  try {
    const text = generate();
    const locals = [...constants.values()].map((n) => `(local $${n} v128)`).join(" ");
    const inits = [...constants].map(([t, n]) => set(n, t)).join("\n    ");
    return text.replace("@constants", `${locals}\n    ${inits}`);
  } finally {
    constants = undefined;
  }
}
const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
const mul = (a: string, b: string) => `(f32x4.mul ${a} ${b})`;
const ptr = (base: string, bytes: string) => `(i32.add ${v(base)} ${bytes})`;

/**
 * One register block of `C = A @ B` (row-major, byte pointers): `rows` rows of A against
 * `cols` columns of B (8 = two vectors, 4 = one, 1 = scalar), summed over `k`.
 */
function block(rows: number, cols: 8 | 4 | 1): string {
  const vectors = cols === 1 ? 1 : cols / 4;
  const scalar = cols === 1;
  const zero = scalar ? "(f32.const 0)" : splat(0);
  const acc = (r: number, q: number) => scalar ? `acc${r}_f` : `acc${r}_${q}`;
  const rowOffset = (r: number, unit: "rs" | "rsC") =>
    r === 0 ? "" : r === 1 ? v(unit) : v(`${unit}${r}`);
  const at = (base: string, r: number, unit: "rs" | "rsC") =>
    r === 0 ? v(base) : ptr(base, rowOffset(r, unit));
  const lines: string[] = [];
  lines.push(set("pc", ptr("crow", `(i32.shl ${v("j")} (i32.const 2))`)));
  // Sums start at 0, or at C's values when accumulating (C += A @ B).
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < vectors; q++) {
      const load = scalar
        ? `(f32.load ${at("pc", r, "rsC")})`
        : `(v128.load offset=${16 * q} ${at("pc", r, "rsC")})`;
      lines.push(
        set(
          acc(r, q),
          `(select (result ${scalar ? "f32" : "v128"}) ${load} ${zero} ${v("accumulate")})`,
        ),
      );
    }
  }
  lines.push(set("pa", v("arow")), set("pb", ptr("b", `(i32.shl ${v("j")} (i32.const 2))`)));
  lines.push(set("pe", ptr("arow", v("kc"))));
  const body: string[] = [];
  const bv = (q: number) => scalar ? "bf" : `b${q}`;
  for (let q = 0; q < vectors; q++) {
    body.push(
      set(
        bv(q),
        scalar ? `(f32.load ${v("pb")})` : `(v128.load offset=${16 * q} ${v("pb")})`,
      ),
    );
  }
  for (let r = 0; r < rows; r++) {
    const a = `(f32.load ${at("pa", r, "rs")})`;
    body.push(set(scalar ? "sa" : "s", scalar ? a : `(f32x4.splat ${a})`));
    for (let q = 0; q < vectors; q++) {
      body.push(
        set(
          acc(r, q),
          scalar
            ? `(f32.add ${v(acc(r, q))} (f32.mul ${v("sa")} ${v(bv(q))}))`
            : add(v(acc(r, q)), mul(v("s"), v(bv(q)))),
        ),
      );
    }
  }
  body.push(set("pa", ptr("pa", v("cs"))), set("pb", ptr("pb", v("rsB"))));
  lines.push(
    `(if (i32.lt_u ${v("pa")} ${v("pe")}) (then (loop $k_${rows}_${cols}`,
    ...body.map((l) => `  ${l}`),
    `  (br_if $k_${rows}_${cols} (i32.lt_u ${v("pa")} ${v("pe")})))))`,
  );
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < vectors; q++) {
      const store = scalar ? "f32.store" : `v128.store offset=${16 * q}`;
      lines.push(`(${store} ${at("pc", r, "rsC")} ${v(acc(r, q))})`);
    }
  }
  lines.push(set("j", `(i32.add ${v("j")} (i32.const ${cols}))`));
  return lines.join("\n");
}

/** The rows of `C` from row `i`, `rows` at a time, every column block in turn. */
function rowBlock(rows: number): string {
  const columns = ([8, 4, 1] as const).map((cols) =>
    [
      `(block $done_${rows}_${cols} (loop $cols_${rows}_${cols}`,
      `  (br_if $done_${rows}_${cols} (i32.gt_u (i32.add ${v("j")} (i32.const ${cols})) ${
        v("n")
      }))`,
      block(rows, cols),
      `  (br $cols_${rows}_${cols})))`,
    ].join("\n")
  );
  return [
    `(block $rows_done_${rows} (loop $rows_${rows}`,
    `  (br_if $rows_done_${rows} (i32.gt_u (i32.add ${v("i")} (i32.const ${rows})) ${v("m")}))`,
    set("arow", `(i32.add ${v("a")} (i32.mul ${v("i")} ${v("rs")}))`),
    set("crow", `(i32.add ${v("c")} (i32.mul ${v("i")} ${v("rsC")}))`),
    set("j", "(i32.const 0)"),
    ...columns,
    set("i", `(i32.add ${v("i")} (i32.const ${rows}))`),
    `  (br $rows_${rows})))`,
  ].join("\n");
}

function matmul(): string {
  const accs: string[] = [];
  for (let r = 0; r < 4; r++) {
    for (let q = 0; q < 2; q++) accs.push(`(local $acc${r}_${q} v128)`);
  }
  const scalarAccs = [0, 1, 2, 3].map((r) => `(local $acc${r}_f f32)`);
  const text = [rowBlock(4), rowBlock(1)].join("\n");
  return `
  ;; C[m, n] = A[m, k] @ B[k, n], float32, byte pointers and strides: A[i, p] at a + i * rs +
  ;; p * cs (rs = 4k, cs = 4: row-major; rs = 4, cs = 4m: A stored transposed), B[p, j] at
  ;; b + p * rsB + 4j, C[i, j] at c + i * rsC + 4j (rsB = 4n, rsC = 4n: row-major); with
  ;; accumulate non-zero, C += A @ B.
  (func $matmul (export "matmul") (param $a i32) (param $b i32) (param $c i32)
      (param $m i32) (param $k i32) (param $n i32) (param $rs i32) (param $cs i32)
      (param $rsB i32) (param $rsC i32) (param $accumulate i32)
    (local $i i32) (local $j i32) (local $kc i32) (local $arow i32)
    (local $rs2 i32) (local $rs3 i32) (local $rsC2 i32) (local $rsC3 i32)
    (local $crow i32) (local $pa i32) (local $pb i32) (local $pc i32) (local $pe i32)
    (local $s v128) (local $b0 v128) (local $b1 v128) (local $sa f32) (local $bf f32)
    ${accs.join(" ")} ${scalarAccs.join(" ")}
    ${set("kc", `(i32.mul ${v("k")} ${v("cs")})`)}
    ${set("rs2", `(i32.shl ${v("rs")} (i32.const 1))`)}
    ${set("rs3", `(i32.add ${v("rs2")} ${v("rs")})`)}
    ${set("rsC2", `(i32.shl ${v("rsC")} (i32.const 1))`)}
    ${set("rsC3", `(i32.add ${v("rsC2")} ${v("rsC")})`)}
    ${text}
  )`;
}

function transpose(): string {
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
const EXP_LOCALS = "(local $ex v128) (local $et v128) (local $er v128) (local $ek v128)";
const MAGIC = 12582912; // 1.5 * 2^23: adding it rounds to an integer kept in the low bits

/**
 * Statements setting local `$out` to exp(x) for x ≤ 0, four lanes (0 below -87, where float32
 * exp underflows): x = n ln 2 + r with n = round(x log2 e), e^r by its Taylor polynomial to
 * degree 6 (|r| ≤ ln2 / 2: relative error < 1.3e-7), 2^n built in the exponent bits. Inlined
 * (a call per vector cost a third of softmax's time).
 */
function exp(x: string, out: string): string {
  const poly = [1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1];
  let p = splat(poly[0]);
  for (const c of poly.slice(1)) p = add(mul(p, v("er")), splat(c));
  return [
    set("ex", x),
    set("ek", `(f32x4.ge ${v("ex")} ${splat(-87)})`),
    set("ex", `(f32x4.pmax ${v("ex")} ${splat(-87)})`),
    set("et", add(mul(v("ex"), splat(LOG2E)), splat(MAGIC))),
    set(
      "er",
      `(f32x4.sub ${v("ex")} ${mul(`(f32x4.sub ${v("et")} ${splat(MAGIC)})`, splat(LN2_HI))})`,
    ),
    set(
      "er",
      `(f32x4.sub ${v("er")} ${mul(`(f32x4.sub ${v("et")} ${splat(MAGIC)})`, splat(LN2_LO))})`,
    ),
    set(
      out,
      `(v128.and ${v("ek")} ${
        mul(
          p,
          `(i32x4.shl (i32x4.add ${v("et")} (i32x4.splat (i32.const ${
            127 - 0x4B400000
          }))) (i32.const 23))`,
        )
      })`,
    ),
  ].join("\n");
}

/**
 * GELU (exact, erf) over `count` values (a multiple of 4): `y = x Φ(x)`; with `dy` given
 * (non-zero pointer) it writes the gradient `dy (Φ(x) + x φ(x))` instead.
 */
function gelu(): string {
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

/**
 * One AdamW step over `count` values (a multiple of 4): new moments `m2`, `v2` and weights `p2`
 * from `p`, `m`, `v` and gradient `g` (bias corrections folded into `step` and `vScale`; 1 - β
 * comes in computed in float64: in float32, 1 - f32(0.999) is off by 1e-5 relative).
 */
function adamw(): string {
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
function rowKernels(): string {
  // A loop over one row's values: vectors while 4 remain, then one value at a time, splat to
  // four lanes (stores write lane 0; `masked` keeps lane 0 only, for sums).
  type Step = (
    load: (p: string) => string,
    store: (p: string, x: string) => string,
    masked: (x: string) => string,
  ) => string;
  const overRow = (name: string, body: Step) => {
    const at = (p: string) => `(i32.add ${v(p)} ${v("o")})`;
    const vector = body(
      (p) => `(v128.load ${at(p)})`,
      (p, x) => `(v128.store ${at(p)} ${x})`,
      (x) => x,
    );
    const lane = body(
      (p) => `(f32x4.splat (f32.load ${at(p)}))`,
      (p, x) => `(f32.store ${at(p)} (f32x4.extract_lane 0 ${x}))`,
      (x) => `(v128.and ${x} (v128.const i32x4 0xffffffff 0 0 0))`,
    );
    return `
      ${set("o", "(i32.const 0)")}
      (block $${name}_v_done (loop $${name}_v
        (br_if $${name}_v_done (i32.gt_u (i32.add ${v("o")} (i32.const 16)) ${v("rowBytes")}))
        ${vector}
        ${set("o", "(i32.add (local.get $o) (i32.const 16))")}
        (br $${name}_v)))
      (block $${name}_s_done (loop $${name}_s
        (br_if $${name}_s_done (i32.ge_u ${v("o")} ${v("rowBytes")}))
        ${lane}
        ${set("o", "(i32.add (local.get $o) (i32.const 4))")}
        (br $${name}_s)))`;
  };
  const lanes = (x: string, op: string) =>
    `(${op} (${op} (f32x4.extract_lane 0 ${x}) (f32x4.extract_lane 1 ${x})) (${op} (f32x4.extract_lane 2 ${x}) (f32x4.extract_lane 3 ${x})))`;
  const rows = (body: string) => `
    ${set("rowBytes", `(i32.shl ${v("cols")} (i32.const 2))`)}
    (block $rows_done (loop $rows
      (br_if $rows_done (i32.eqz ${v("rows")}))
      ${body}
      ${set("rows", "(i32.sub (local.get $rows) (i32.const 1))")}
      (br $rows)))`;
  const next = (...names: string[]) =>
    names.map((n) => set(n, `(i32.add ${v(n)} ${v("rowBytes")})`)).join("\n");
  const all = (name: string) => `(f32x4.splat ${v(name)})`;
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
  )`) + `

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
  )

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
  )

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
  )

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
  )

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
  )

  (func $columnSums (export "columnSums") (param $x i32) (param $out i32) (param $rows i32)
      (param $cols i32)
    (local $rowBytes i32) (local $o i32)
    ${
    rows(`${overRow("add", (load, store) => store("out", add(load("out"), load("x"))))}
      ${next("x")}`)
  }
  )`;
}

/**
 * The module's text: imports `env.memory` (the wasm backend's memory: shared when the backend
 * runs threads), exports `matmul`, `transpose`, `gelu` and `adamw`.
 *
 * @example
 * ```ts
 * const module = wabt.parseWat("simd.wat", simdKernelsText(true), { simd: true, threads: true });
 * ```
 */
export function simdKernelsText(sharedMemory: boolean): string {
  return `(module
  (import "env" "memory" (memory 1 ${sharedMemory ? "65536 shared" : ""}))
  ${matmul()}
  ${transpose()}
  ${gelu()}
  ${adamw()}
  ${rowKernels()}
)`;
}
