// safetensors read (F32, F16, BF16 -> float32; I32; U8) and write (F32, F16; I32, U8), with
// header validation whose errors name the file and the tensor. Format: u64 LE header length,
// JSON header, data.

/** A tensor read from or written to a safetensors file: row-major values. */
export interface NamedTensor {
  shape: number[];
  /** Float tensors are float32 in memory; I32 and U8 keep their integer types. */
  data: Float32Array | Int32Array | Uint8Array;
}

/** dtypes this reader accepts, with their byte widths. */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, U8: 1 };

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Parses safetensors bytes into float32 tensors; `file` names the source in errors.
 *
 * @example
 * ```ts
 * const tensors = parseSafetensors(await Deno.readFile("model.safetensors"), "model.safetensors");
 * tensors.get("classifier.weight")?.shape; // [2, 768]
 * ```
 */
export function parseSafetensors(
  bytes: Uint8Array,
  file = "<bytes>",
): Map<string, NamedTensor> {
  if (bytes.length < 8) {
    throw new Error(`${file}: truncated safetensors file (${bytes.length} bytes, header needs 8)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) {
    throw new Error(
      `${file}: header length ${headerLength} goes beyond the file (${bytes.length} bytes)`,
    );
  }
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new Error(`${file}: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const entries = Object.entries(header).filter(([name]) => name !== "__metadata__") as [
    string,
    HeaderEntry,
  ][];
  const spans: [number, number, string][] = [];
  const out = new Map<string, NamedTensor>();
  for (const [name, entry] of entries) {
    const width = DTYPE_BYTES[entry.dtype];
    if (!width) {
      throw new Error(
        `${file}: tensor ${name} has dtype ${entry.dtype}; expected one of F32, F16, BF16, I32, U8`,
      );
    }
    const [begin, end] = entry.data_offsets ?? [];
    if (
      !Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin ||
      end > dataLength
    ) {
      throw new Error(
        `${file}: tensor ${name} has data_offsets [${begin}, ${end}] outside the data ` +
          `(0..${dataLength})`,
      );
    }
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (count * width !== end - begin) {
      throw new Error(
        `${file}: tensor ${name} has shape [${entry.shape}] (${count * width} bytes as ` +
          `${entry.dtype}) but its offsets span ${end - begin} bytes`,
      );
    }
    spans.push([begin, end, name]);
    out.set(name, {
      shape: entry.shape,
      data: decode(bytes.subarray(dataStart + begin, dataStart + end), entry.dtype),
    });
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) {
      throw new Error(
        `${file}: tensor ${spans[i][2]} overlaps tensor ${spans[i - 1][2]} ` +
          `(offset ${spans[i][0]} < ${spans[i - 1][1]})`,
      );
    }
  }
  return out;
}

/**
 * Reads a safetensors file into float32 tensors.
 *
 * @example
 * ```ts
 * const tensors = await readSafetensors("data/models/distilbert-sst2-tiny/model.safetensors");
 * ```
 */
export async function readSafetensors(path: string): Promise<Map<string, NamedTensor>> {
  return parseSafetensors(await Deno.readFile(path), path);
}

/**
 * Serialises tensors (sorted by name, as the Python writer does) to safetensors bytes.
 * Float tensors are written as `dtype`; Int32Array data as I32 and Uint8Array data as U8.
 *
 * @example
 * ```ts
 * const bytes = serializeSafetensors(new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]), "F16");
 * ```
 */
export function serializeSafetensors(
  tensors: Map<string, NamedTensor>,
  dtype: "F32" | "F16" = "F32",
  metadata: Record<string, string> = { format: "pt" },
): Uint8Array {
  const dtypeOf = (data: NamedTensor["data"]) =>
    data instanceof Int32Array ? "I32" : data instanceof Uint8Array ? "U8" : dtype;
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new Error(
        `tensor ${name}: shape [${t.shape}] needs ${count} values, got ${t.data.length}`,
      );
    }
    const width = DTYPE_BYTES[dtypeOf(t.data)];
    header[name] = {
      dtype: dtypeOf(t.data),
      shape: t.shape,
      data_offsets: [offset, offset + count * width],
    };
    offset += count * width;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // keeps the data 8-byte aligned
  const headerBytes = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  bytes.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const data = tensors.get(name)!.data;
    const encoded = dtypeOf(data) === "F16"
      ? new Uint8Array(toFloat16Bits(data as Float32Array).buffer)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    bytes.set(encoded, at);
    at += encoded.length;
  }
  return bytes;
}

/**
 * Writes tensors to a safetensors file (through a temporary file, so a crash leaves no
 * half-written model).
 *
 * @example
 * ```ts
 * await writeSafetensors("out/model.safetensors", tensors, "F16");
 * ```
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, NamedTensor>,
  dtype: "F32" | "F16" = "F32",
): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, serializeSafetensors(tensors, dtype));
  await Deno.rename(tmp, path);
}

function decode(raw: Uint8Array, dtype: string): NamedTensor["data"] {
  const copy = raw.slice(); // aligned copy
  if (dtype === "F32") return new Float32Array(copy.buffer);
  if (dtype === "I32") return new Int32Array(copy.buffer);
  if (dtype === "U8") return copy;
  const halves = new Uint16Array(copy.buffer);
  const out = new Float32Array(halves.length);
  if (dtype === "BF16") {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
    return out;
  }
  for (let i = 0; i < halves.length; i++) out[i] = float16ToFloat32(halves[i]);
  return out;
}

function float16ToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function toFloat16Bits(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  const f = new Float32Array(1);
  const bits = new Uint32Array(f.buffer);
  for (let i = 0; i < data.length; i++) {
    f[0] = data[i];
    const x = bits[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = ((x >>> 23) & 0xff) - 127 + 15;
    let mantissa = x & 0x7fffff;
    if (((x >>> 23) & 0xff) === 0xff) {
      out[i] = sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
    } else if (exponent >= 31) {
      out[i] = sign | 0x7c00; // overflow -> Inf
    } else if (exponent <= 0) {
      if (exponent < -10) {
        out[i] = sign; // underflow -> signed zero
      } else {
        mantissa |= 0x800000;
        const shift = 14 - exponent;
        let half = mantissa >> shift;
        const rest = mantissa & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (rest > halfway || (rest === halfway && (half & 1))) half++;
        out[i] = sign | half;
      }
    } else {
      let half = sign | (exponent << 10) | (mantissa >> 13);
      const rest = mantissa & 0x1fff;
      if (rest > 0x1000 || (rest === 0x1000 && (half & 1))) half++; // round to nearest even
      out[i] = half;
    }
  }
  return out;
}
