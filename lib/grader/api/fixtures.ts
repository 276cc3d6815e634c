// Fresh fixtures: every check draws its configs, seeds and inputs from a random source seeded
// per run (and per check), so answers hard-coded from an earlier run do not carry over, while
// `--seed` reproduces a grade exactly.
import seedrandom from "seedrandom";

/** A seeded source of random check inputs. */
export interface Fixtures {
  /** The seed this source was made from. */
  seed: number;
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  /** Uniform in [lo, hi), rounded to `digits` decimals (default 3). */
  real(lo: number, hi: number, digits?: number): number;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy of `items`. */
  shuffled<T>(items: readonly T[]): T[];
  /** `k` distinct integers from [0, n), sorted. */
  sample(n: number, k: number): number[];
}

/**
 * A fixture source for one check of one run: the same (run seed, check id) always gives the
 * same inputs.
 *
 * @example
 * ```ts
 * const fx = fixtures(1234, "01.count_parameters");
 * fx.int(2, 4); // the same number for every grading run with seed 1234
 * ```
 */
export function fixtures(runSeed: number, checkId = ""): Fixtures {
  const rng = seedrandom(`${runSeed}|${checkId}`);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const shuffled = <T>(items: readonly T[]) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(0, i);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };
  return {
    seed: runSeed,
    uniform: () => rng(),
    int,
    real: (lo, hi, digits = 3) => Number((lo + rng() * (hi - lo)).toFixed(digits)),
    pick: (items) => items[int(0, items.length - 1)],
    shuffled,
    sample: (n, k) =>
      shuffled(Array.from({ length: n }, (_, i) => i)).slice(0, k).sort((a, b) => a - b),
  };
}

/**
 * A fresh run seed (a positive 31-bit integer).
 *
 * @example
 * ```ts
 * const seed = freshSeed();
 * ```
 */
export function freshSeed(): number {
  return 1 + (crypto.getRandomValues(new Uint32Array(1))[0] % 2_000_000_000);
}
