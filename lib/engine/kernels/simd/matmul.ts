// The matmul kernel's text: C = A @ B (or C += A @ B) with strided operands, in register
// blocks of 4 rows x 8, 4 or 1 columns, then 1 row.
import { add, mul, ptr, set, splat, v } from "./wat.ts";

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

/**
 * The `matmul` function's text.
 *
 * @example
 * ```ts
 * const text = matmul(); // "(func $matmul (export \"matmul\") …"
 * ```
 */
export function matmul(): string {
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
