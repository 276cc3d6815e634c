// The course's data splits: what a notebook trains on, what it makes choices on, and what it
// reports on, kept disjoint. With SST-2: its train set gives a training part and a held-out
// selection part; its dev set is the test part. Without SST-2: the product reviews, split once
// into train / selection / test parts. The reviews' three parts exist in both cases, for the
// steps that use product reviews.
import type { LabelledSentence } from "./sst2.ts";
import { loadSst2 } from "./sst2.ts";
import { readLabelledFile } from "./labelled_file.ts";
import { shuffle } from "./batches.ts";
import { REVIEWS_CSV } from "../io/paths.ts";

/** Three disjoint parts of a data set. */
export interface DataParts<T extends LabelledSentence = LabelledSentence> {
  /** Training, calibration, vocabularies: anything that fits numbers to data. */
  train: T[];
  /** Every choice (method, rate, recipe, which model to keep) is made on this part. */
  selection: T[];
  /** Only reported on: never trained, calibrated or selected on. */
  test: T[];
}

/** A product review with its tags (`category`, `phenomenon`). */
export type Review = LabelledSentence & { category: string; phenomenon: string };

/** The parts every notebook uses, and where they come from. */
export interface CourseSplits extends DataParts {
  /** `"SST-2"` when SST-2 loaded, else `"reviews"` (the product reviews stand in). */
  source: "SST-2" | "reviews";
  /** What each part is, for the notebooks' prose ("SST-2 dev", "reviews: test part", …). */
  names: { train: string; selection: string; test: string };
  /** The product reviews' own three parts (the same in both cases). */
  reviews: DataParts<Review>;
  /** Why SST-2 was not used, when it was not. */
  fallbackReason?: string;
}

/** Options of the split functions. */
export interface SplitOptions {
  /** Seed of the draws (default 0): the same seed gives the same parts. */
  seed?: number;
  /** Sentences drawn from SST-2 train for the selection part (default 872, dev's size). */
  selectionSize?: number;
  /** Fewest words of a selection sentence (default 8): long phrases, closer to dev's whole sentences than SST-2 train's short ones. */
  minSelectionWords?: number;
}

/** Shares of each (category, label) group of reviews: train, selection, test. */
export const REVIEW_SHARES = { train: 0.5, selection: 0.2, test: 0.3 } as const;

/**
 * Splits SST-2 into training, selection and test parts. The selection part is a seeded draw of
 * whole sentences (at least `minSelectionWords` words) from SST-2 train; the training part is
 * the rest of train. SST-2 train holds every phrase of its sentences too, so a training phrase
 * that occurs inside a selection or dev sentence (at word boundaries) is dropped, and so is a
 * selection sentence inside a dev sentence: no part sees text of a later part.
 *
 * @example
 * ```ts
 * const parts = splitSst2(await loadSst2("train"), await loadSst2("validation"));
 * parts.selection.length; // 872
 * ```
 */
export function splitSst2(
  train: LabelledSentence[],
  dev: LabelledSentence[],
  options: SplitOptions = {},
): DataParts {
  const size = options.selectionSize ?? 872;
  const minWords = options.minSelectionWords ?? 8;
  const inDev = phrasesOf(dev);
  const candidates = train
    .map((_, i) => i)
    .filter((i) =>
      words(train[i].sentence).length >= minWords && !inDev.has(key(train[i].sentence))
    );
  if (candidates.length < size) {
    throw new Error(
      `splitSst2: ${candidates.length} training sentences of ${minWords}+ words, fewer than the ${size} the selection part needs`,
    );
  }
  const chosen = new Set(shuffle(candidates, mulberry(options.seed ?? 0)).slice(0, size));
  const selection = train.filter((_, i) => chosen.has(i));
  const held = phrasesOf([...selection, ...dev]);
  return {
    train: train.filter((s, i) => !chosen.has(i) && !held.has(key(s.sentence))),
    selection,
    test: dev,
  };
}

/**
 * Splits the product reviews once into train / selection / test parts (`REVIEW_SHARES` of each
 * category and label, seeded), so that every part has both labels of every category.
 *
 * @example
 * ```ts
 * const parts = splitReviews(await readLabelledFile(REVIEWS_CSV, ["category", "phenomenon"]));
 * [parts.train.length, parts.selection.length, parts.test.length]; // [128, 48, 64]
 * ```
 */
export function splitReviews<T extends LabelledSentence & { category?: string | number }>(
  reviews: T[],
  options: Pick<SplitOptions, "seed"> = {},
): DataParts<T> {
  const groups = new Map<string, number[]>();
  reviews.forEach((r, i) => {
    const group = `${r.category ?? ""}|${r.label}`;
    groups.set(group, [...(groups.get(group) ?? []), i]);
  });
  const random = mulberry(options.seed ?? 0);
  const part = new Array<keyof DataParts>(reviews.length);
  for (const group of [...groups.keys()].sort()) {
    const members = shuffle(groups.get(group)!, random);
    const nTrain = Math.round(REVIEW_SHARES.train * members.length);
    const nSelection = Math.round(REVIEW_SHARES.selection * members.length);
    members.forEach((i, k) => {
      part[i] = k < nTrain ? "train" : k < nTrain + nSelection ? "selection" : "test";
    });
  }
  const of = (name: keyof DataParts) => reviews.filter((_, i) => part[i] === name);
  return { train: of("train"), selection: of("selection"), test: of("test") };
}

/**
 * The course's splits: SST-2 (train part, selection part, dev as test) when it loads, else the
 * product reviews' parts; the reviews' parts in both cases. `sst2: false` skips SST-2.
 *
 * @example
 * ```ts
 * const splits = await loadSplits();
 * splits.names.test; // "SST-2 dev" (or "product reviews, test part")
 * ```
 */
export async function loadSplits(
  options: SplitOptions & { sst2?: boolean; reviewsFile?: string } = {},
): Promise<CourseSplits> {
  const file = options.reviewsFile ?? REVIEWS_CSV;
  const all: Review[] = (await readLabelledFile(file, ["category", "phenomenon"])).map((r) => ({
    sentence: r.sentence,
    label: r.label,
    category: String(r.category),
    phenomenon: String(r.phenomenon),
  }));
  const reviews = splitReviews(all, options);
  let fallbackReason = "SST-2 not asked for";
  if (options.sst2 !== false) {
    try {
      const [train, dev] = [await loadSst2("train"), await loadSst2("validation")];
      return {
        source: "SST-2",
        ...splitSst2(train, dev, options),
        names: {
          train: "SST-2 train (training part)",
          selection: "SST-2 train (held-out selection part)",
          test: "SST-2 dev",
        },
        reviews,
      };
    } catch (e) {
      fallbackReason = (e as Error).message;
    }
  }
  return {
    source: "reviews",
    ...reviews,
    names: {
      train: "product reviews, train part",
      selection: "product reviews, selection part",
      test: "product reviews, test part",
    },
    reviews,
    fallbackReason,
  };
}

/**
 * `count` items spread evenly over a list (every k-th, k = ⌊length / count⌋, from the first), in
 * order; the whole list when it is shorter. A fixed sample that needs no random numbers.
 *
 * @example
 * ```ts
 * evenSample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3); // [0, 3, 6]
 * ```
 */
export function evenSample<T>(items: T[], count: number): T[] {
  const step = Math.max(1, Math.floor(items.length / count));
  return items.filter((_, i) => i % step === 0).slice(0, count);
}

/** Words of a sentence, as SST-2 writes them (space-separated, lower-cased for matching). */
function words(sentence: string): string[] {
  return sentence.toLowerCase().split(/\s+/).filter(Boolean);
}

function key(sentence: string): string {
  return words(sentence).join(" ");
}

/** Every run of whole words of every sentence (what SST-2's phrases are cut from). */
function phrasesOf(sentences: LabelledSentence[]): Set<string> {
  const out = new Set<string>();
  for (const { sentence } of sentences) {
    const w = words(sentence);
    for (let i = 0; i < w.length; i++) {
      let phrase = "";
      for (let j = i; j < w.length; j++) {
        phrase = j === i ? w[i] : `${phrase} ${w[j]}`;
        out.add(phrase);
      }
    }
  }
  return out;
}

/** A small seeded generator in [0, 1) (mulberry32). */
function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
