// safetensors: round trips in F32 and F16, BF16 reading, and every malformed-file error.
import { assert } from "./helpers/assert.ts";
import {
  type NamedTensor,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from "lib/io/safetensors.ts";

const sample = new Map<string, NamedTensor>([
  ["b.weight", { shape: [2, 3], data: new Float32Array([1, -2, 0.5, 3.25, 1e-3, -65504]) }],
  ["a.bias", { shape: [2], data: new Float32Array([0, 7]) }],
]);

/** A file made of a given header object and data bytes. */
function fileOf(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

Deno.test("F32 round trip is exact, through a file", async () => {
  const dir = await Deno.makeTempDir();
  await writeSafetensors(`${dir}/m.safetensors`, sample);
  const back = await readSafetensors(`${dir}/m.safetensors`);
  assert.deepStrictEqual([...back.keys()].sort(), ["a.bias", "b.weight"]);
  for (const [name, t] of sample) {
    assert.deepStrictEqual(back.get(name)!.shape, t.shape);
    assert.deepStrictEqual(Array.from(back.get(name)!.data), Array.from(t.data));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("F16 round trip keeps values within half precision", () => {
  const back = parseSafetensors(serializeSafetensors(sample, "F16"), "half");
  const got = Array.from(back.get("b.weight")!.data);
  const want = [1, -2, 0.5, 3.25, 1e-3, -65504];
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) <= Math.abs(want[i]) * 1e-3, `${v} vs ${want[i]}`)
  );
});

Deno.test("header is 8-byte aligned and sorted like the Python writer", () => {
  const bytes = serializeSafetensors(sample);
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.strictEqual(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepStrictEqual(Object.keys(header), ["__metadata__", "a.bias", "b.weight"]);
});

Deno.test("I32 and U8 tensors round trip with their integer types", () => {
  const ints = new Map<string, NamedTensor>([
    ["idx", { shape: [3], data: new Int32Array([0, -7, 2 ** 30]) }],
    ["bits", { shape: [2], data: new Uint8Array([255, 5]) }],
  ]);
  const back = parseSafetensors(serializeSafetensors(ints), "ints");
  assert.ok(back.get("idx")!.data instanceof Int32Array);
  assert.deepStrictEqual(Array.from(back.get("idx")!.data), [0, -7, 2 ** 30]);
  assert.ok(back.get("bits")!.data instanceof Uint8Array);
  assert.deepStrictEqual(Array.from(back.get("bits")!.data), [255, 5]);
});

Deno.test("BF16 reads as float32", () => {
  // 1.0 = 0x3f80, -2.5 = 0xc020 in bfloat16 (little endian)
  const data = new Uint8Array([0x80, 0x3f, 0x20, 0xc0]);
  const t = parseSafetensors(
    fileOf({ x: { dtype: "BF16", shape: [2], data_offsets: [0, 4] } }, data),
    "bf",
  );
  assert.deepStrictEqual(Array.from(t.get("x")!.data), [1, -2.5]);
});

const bad: [string, Uint8Array, RegExp][] = [
  ["truncated file", new Uint8Array(5), /bad\.safetensors: truncated/],
  [
    "header length beyond the file",
    (() => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setBigUint64(0, 1000n, true);
      return b;
    })(),
    /header length 1000 goes beyond the file/,
  ],
  [
    "out-of-range offsets",
    fileOf({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)),
    /tensor w has data_offsets \[0, 16\] outside the data/,
  ],
  [
    "overlapping offsets",
    fileOf({
      w: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      v: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    }, new Uint8Array(12)),
    /tensor v overlaps tensor w/,
  ],
  [
    "unknown dtype",
    fileOf({ w: { dtype: "I64", shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /tensor w has dtype I64; expected one of F32, F16, BF16, I32, U8/,
  ],
  [
    "shape/bytes mismatch",
    fileOf({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
    /tensor w has shape \[3\] \(12 bytes as F32\) but its offsets span 8 bytes/,
  ],
  [
    "invalid JSON header",
    fileOf("x", new Uint8Array(0)).map((b, i) => (i === 8 ? 0x7b : b)),
    /not valid JSON/,
  ],
];
for (const [what, bytes, message] of bad) {
  Deno.test(`rejects a file with ${what}, naming file and tensor`, () => {
    assert.throws(() => parseSafetensors(bytes, "bad.safetensors"), (e: Error) => {
      assert.match(e.message, /^bad\.safetensors: /);
      assert.match(e.message, message);
      return true;
    });
  });
}
