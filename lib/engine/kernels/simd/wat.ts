// Building blocks of the engine's WebAssembly text: locals, constant vectors (hoisted out of
// loops), lane-wise arithmetic, an inlined vector exp, and loops over the rows of a matrix.
// Each kernel's generator (`matmul.ts`, `softmax.ts`, …) writes its function with these.

/** The value of local `$name`. */
export const v = (name: string) => `(local.get $${name})`;
/** Sets local `$name`. */
export const set = (name: string, value: string) => `(local.set $${name} ${value})`;
/** Constant vectors of the function being generated, when hoisted (see `hoisted`). */
let constants: Map<string, string> | undefined;
/** A float constant in four lanes (hoisted into a local inside `hoisted`). */
export const splat = (x: number) => {
  const text = `(f32x4.splat (f32.const ${x}))`;
  if (!constants) return text;
  if (!constants.has(text)) constants.set(text, `k${constants.size}`);
  return v(constants.get(text)!);
};

/**
 * `generate()`'s text with its constant vectors in locals set once, in place of `@constants`
 * (after the function's last local): a splat inside a loop is rebuilt on every pass.
 */
export function hoisted(generate: () => string): string {
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
/** Lane-wise sum. */
export const add = (a: string, b: string) => `(f32x4.add ${a} ${b})`;
/** Lane-wise product. */
export const mul = (a: string, b: string) => `(f32x4.mul ${a} ${b})`;
/** A byte pointer: local `$base` plus `bytes`. */
export const ptr = (base: string, bytes: string) => `(i32.add ${v(base)} ${bytes})`;

/** Float32 constants of exp's range reduction. */
const LOG2E = 1.4426950408889634;
const LN2_HI = 0.693145751953125; // ln 2 split in two, as Cephes does
const LN2_LO = 1.428606765330187e-6;

/** The locals `exp` uses. */
export const EXP_LOCALS = "(local $ex v128) (local $et v128) (local $er v128) (local $ek v128)";
const MAGIC = 12582912; // 1.5 * 2^23: adding it rounds to an integer kept in the low bits

/**
 * Statements setting local `$out` to exp(x) for x ≤ 0, four lanes (0 below -87, where float32
 * exp underflows): x = n ln 2 + r with n = round(x log2 e), e^r by its Taylor polynomial to
 * degree 6 (|r| ≤ ln2 / 2: relative error < 1.3e-7), 2^n built in the exponent bits. Inlined
 * (a call per vector cost a third of softmax's time).
 */
export function exp(x: string, out: string): string {
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

/** One pass over a row: loads, stores and a lane mask for sums. */
export type Step = (
  load: (p: string) => string,
  store: (p: string, x: string) => string,
  masked: (x: string) => string,
) => string;
/**
 * A loop over one row's values: vectors while 4 remain, then one value at a time, splat to
 * four lanes (stores write lane 0; `masked` keeps lane 0 only, for sums).
 */
export const overRow = (name: string, body: Step) => {
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
/** `op` over the four lanes of `x` (a horizontal sum or max). */
export const lanes = (x: string, op: string) =>
  `(${op} (${op} (f32x4.extract_lane 0 ${x}) (f32x4.extract_lane 1 ${x})) (${op} (f32x4.extract_lane 2 ${x}) (f32x4.extract_lane 3 ${x})))`;
/** `body` once per row (locals `$rows`, `$cols`, `$rowBytes`). */
export const rows = (body: string) => `
  ${set("rowBytes", `(i32.shl ${v("cols")} (i32.const 2))`)}
  (block $rows_done (loop $rows
    (br_if $rows_done (i32.eqz ${v("rows")}))
    ${body}
    ${set("rows", "(i32.sub (local.get $rows) (i32.const 1))")}
    (br $rows)))`;
/** Moves the named row pointers one row on. */
export const next = (...names: string[]) =>
  names.map((n) => set(n, `(i32.add ${v(n)} ${v("rowBytes")})`)).join("\n");
/** A float local splat to four lanes. */
export const all = (name: string) => `(f32x4.splat ${v(name)})`;
