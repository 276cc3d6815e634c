// `deno task prune`: prunes a sentiment model without the notebooks and saves it as a complete
// model folder (config.json, model.safetensors, tokenizer files, README.md model card, and
// onnx/ for onnxruntime and transformers.js). The folder appears only when everything worked.
//
//   deno task prune --model <name|repo|folder|full> --out <folder>
//     [--heads '<json plan>' | --heads-rate R [--importance ablation|entropy|gradient]]
//     [--ffn-rate R [--ffn-importance taylor|weight-norm] [--ffn-scope layer|global]]
//     [--calibration <tsv/csv>] [--vocab <text/tsv/csv file>] [--int8]
//     [--layout compact|dense] [--dtype F32|F16] [--eval <tsv/csv>]
import { parseArgs } from "node:util";
import { basename, dirname, join, resolve } from "node:path";
import { initTf } from "lib/engine/tf.ts";
import { defaultModelName, FULL_SIZE_MODEL, loadModel } from "lib/model/loading.ts";
import { ffnDims, headCounts, remainingHeads } from "lib/model/config.ts";
import type { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { saveDistilBert } from "lib/model/io.ts";
import { type Layout, LAYOUTS } from "lib/model/layout.ts";
import type { ModelCardFacts } from "lib/model/model_card.ts";
import { type LabelledSentence, loadSst2 } from "lib/data/sst2.ts";
import { readLabelledFile } from "lib/data/labelled_file.ts";
import { evenSample } from "lib/data/splits.ts";
import type { TextTokenizer } from "lib/data/tokenizer.ts";
import { accuracyOf, predictor } from "lib/evaluation/predict.ts";
import { calibrationBatches, disposeBatches } from "lib/importance/calibration.ts";
import { ablationImportance } from "lib/importance/ablation.ts";
import { entropyImportance } from "lib/importance/entropy.ts";
import { gradientImportance } from "lib/importance/gradient.ts";
import { taylorFfnImportance } from "lib/importance/taylor.ts";
import { ffnWeightNormImportance } from "lib/importance/weight_norm.ts";
import { pruneHeads, type PruningPlan } from "lib/prune/heads.ts";
import { pruneFfnNeurons } from "lib/prune/ffn.ts";
import { lowestPerLayer, planFromMask } from "lib/prune/plan.ts";
import { lowestHeadsMask } from "lib/prune/movement.ts";
import { pruneVocabulary, usedTokenIds } from "lib/prune/vocabulary.ts";
import { exportOnnx } from "lib/deploy/onnx_export.ts";
import { exportOnnxInt8 } from "lib/deploy/quantize.ts";

const HEAD_IMPORTANCE = {
  ablation: ablationImportance,
  entropy: entropyImportance,
  gradient: gradientImportance,
} as const;
const FFN_IMPORTANCE = ["taylor", "weight-norm"] as const;
const FFN_SCOPES = ["layer", "global"] as const;
/** Calibration sentences drawn from SST-2 train (every k-th) or the --calibration file. */
const CALIBRATION_SIZE = 256;

/** A bad command line: printed as one line, nothing written. */
class ArgumentError extends Error {}

try {
  await main();
} catch (e) {
  console.error(`prune: ${(e as Error).message.split("\n")[0]}`);
  Deno.exit(e instanceof ArgumentError ? 2 : 1);
}

async function main(): Promise<void> {
  const args = parseCommandLine();
  await initTf();
  const { model, tokenizer, dir } = await loadModel(args.model);
  const base = {
    config: structuredClone(model.config),
    parameters: model.numParameters(),
  };
  const evalData = args.eval ? await readLabelledFile(args.eval) : undefined;
  const accuracy = async (tok: TextTokenizer) => {
    const predict = await predictor(model, tok, "tfjs");
    try {
      const data = evalData!;
      return accuracyOf(await predict(data.map((d) => d.sentence)), data.map((d) => d.label));
    } finally {
      await predict.release();
    }
  };
  const before = evalData ? await accuracy(tokenizer) : undefined;
  const steps: string[] = [];

  const needsCalibration = (args.headsRate !== undefined && !args.heads) ||
    (args.ffnRate !== undefined && args.ffnImportance === "taylor");
  const calibration = needsCalibration ? await calibrationData(args.calibration) : undefined;
  const batches = calibration
    ? calibrationBatches(tokenizer, calibration.data, 32, model.config.max_position_embeddings)
    : [];
  try {
    if (args.heads || args.headsRate !== undefined) {
      const plan = args.heads ?? headPlan(model, args.importance, args.headsRate!, batches);
      const before = headCounts(model.config).reduce((a, b) => a + b, 0);
      pruneHeads(model, plan);
      const after = headCounts(model.config).reduce((a, b) => a + b, 0);
      steps.push(
        args.heads
          ? `heads: ${before - after} of ${before} removed by the plan ${JSON.stringify(plan)}`
          : `heads: ${before - after} of ${before} (${args.headsRate! * 100}%) removed, lowest ` +
            `${args.importance} importance over the model, on ${calibration!.source}`,
      );
      const empty = headCounts(model.config).flatMap((n, l) => (n === 0 ? [l] : []));
      if (empty.length > 0) {
        console.error(
          `prune: layer${empty.length > 1 ? "s" : ""} ${empty.join(", ")} lost every head; ` +
            (args.layout === "compact"
              ? "the compact layout keeps one zero-filled head there (same logits)"
              : "the dense layout stores them as zeros"),
        );
      }
    }
    if (args.ffnRate !== undefined) {
      const scores = args.ffnImportance === "taylor"
        ? taylorFfnImportance(model, batches)
        : ffnDims(model.config).map((_, l) => ffnWeightNormImportance(model, l));
      const before = ffnDims(model.config).reduce((a, b) => a + b, 0);
      pruneFfnNeurons(
        model,
        args.ffnScope === "layer" ? lowestPerLayer(scores, args.ffnRate) : planFromMask(
          lowestHeadsMask(scores, Math.round(args.ffnRate * count(scores)), {
            keepOneHeadPerLayer: true,
          }),
        ),
      );
      const after = ffnDims(model.config).reduce((a, b) => a + b, 0);
      steps.push(
        `FFN neurons: ${before - after} of ${before} (${args.ffnRate * 100}%) removed, lowest ` +
          `${args.ffnImportance === "taylor" ? "Taylor" : "weight-norm"} importance ${
            args.ffnScope === "layer" ? "in each layer" : "over the model"
          }${args.ffnImportance === "taylor" ? `, on ${calibration!.source}` : ""}`,
      );
    }
  } finally {
    disposeBatches(batches);
  }

  let tokenizerFiles: Record<string, string> | undefined;
  let finalTokenizer = tokenizer;
  if (args.vocab) {
    const texts = await corpusTexts(args.vocab);
    const keep = usedTokenIds(tokenizer, texts);
    const pruned = await pruneVocabulary(model, dir, keep);
    tokenizerFiles = pruned.files;
    finalTokenizer = pruned.tokenizer;
    steps.push(
      `vocabulary: ${keep.length} of ${base.config.vocab_size} tokens kept, those that ` +
        `${texts.length} texts of ${args.vocab} use plus the special tokens`,
    );
  }
  const after = evalData ? await accuracy(finalTokenizer) : undefined;
  if (args.int8) steps.push("int8: onnx/model_quantized.onnx, per-channel int8 weights");
  if (steps.length === 0) steps.push("nothing pruned: the model as it was");

  const facts: ModelCardFacts = {
    baseModel: args.model,
    baseConfig: base.config,
    baseParameters: base.parameters,
    steps,
    accuracy: evalData && {
      data: basename(args.eval!),
      examples: evalData.length,
      before: before!,
      after: after!,
    },
  };
  await writeAtomically(args.out, async (tmp) => {
    await Deno.mkdir(join(tmp, "onnx"), { recursive: true });
    await Deno.writeFile(join(tmp, "onnx", "model.onnx"), exportOnnx(model));
    if (args.int8) {
      await Deno.writeFile(join(tmp, "onnx", "model_quantized.onnx"), exportOnnxInt8(model));
    }
    await saveDistilBert(model, tmp, {
      dtype: args.dtype,
      layout: args.layout,
      tokenizer: tokenizerFiles ?? dir,
      card: facts,
    });
  });
  const line = (k: string, v: string) => console.log(`${k.padEnd(22)} ${v}`);
  line("heads per layer", headCounts(model.config).join(" "));
  line("FFN width per layer", ffnDims(model.config).join(" "));
  line("vocabulary", String(model.config.vocab_size));
  line("parameters", `${base.parameters} -> ${model.numParameters()}`);
  if (evalData) {
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    line(`accuracy (${basename(args.eval!)})`, `${pct(before!)} -> ${pct(after!)}`);
  }
  line("layout", args.layout);
  line("wrote", args.out);
  model.dispose();
}

interface Args {
  model: string;
  out: string;
  heads?: PruningPlan;
  headsRate?: number;
  importance: keyof typeof HEAD_IMPORTANCE;
  ffnRate?: number;
  ffnImportance: (typeof FFN_IMPORTANCE)[number];
  ffnScope: (typeof FFN_SCOPES)[number];
  calibration?: string;
  vocab?: string;
  int8: boolean;
  layout: Layout;
  dtype: "F32" | "F16";
  eval?: string;
}

/** The command line, checked before anything is loaded; a problem is one ArgumentError. */
function parseCommandLine(): Args {
  const options = {
    model: { type: "string" },
    out: { type: "string" },
    heads: { type: "string" },
    "heads-rate": { type: "string" },
    importance: { type: "string" },
    "ffn-rate": { type: "string" },
    "ffn-importance": { type: "string" },
    "ffn-scope": { type: "string" },
    calibration: { type: "string" },
    vocab: { type: "string" },
    int8: { type: "boolean", default: false },
    layout: { type: "string", default: "compact" },
    dtype: { type: "string", default: "F32" },
    eval: { type: "string" },
  } as const;
  let values;
  try {
    ({ values } = parseArgs({ args: Deno.args, strict: true, allowPositionals: false, options }));
  } catch (e) {
    const message = (e as Error).message;
    const unknown = message.match(/^Unknown option '([^']+)'/);
    throw new ArgumentError(
      unknown
        ? `${unknown[1]}: unknown option; expected one of ${
          Object.keys(options).map((o) => `--${o}`).join(", ")
        }`
        : message.split(". ")[0],
    );
  }
  const oneOf = <T extends string>(name: string, value: string, allowed: readonly T[]): T => {
    if (!allowed.includes(value as T)) {
      throw new ArgumentError(`--${name} ${value}: expected ${allowed.join(", ")}`);
    }
    return value as T;
  };
  const rate = (name: string, value?: string) => {
    if (value === undefined) return undefined;
    const r = Number(value);
    if (value.trim() === "" || !(r >= 0 && r < 1)) {
      throw new ArgumentError(`--${name} ${value}: expected a fraction in [0, 1), e.g. 0.3`);
    }
    return r;
  };
  if (!values.out) throw new ArgumentError("--out: missing; expected the folder to write");
  if (values.heads !== undefined && values["heads-rate"] !== undefined) {
    throw new ArgumentError("--heads and --heads-rate: give one of them, not both");
  }
  if (values.importance !== undefined && values["heads-rate"] === undefined) {
    throw new ArgumentError("--importance: only used with --heads-rate");
  }
  for (const name of ["ffn-importance", "ffn-scope"] as const) {
    if (values[name] !== undefined && values["ffn-rate"] === undefined) {
      throw new ArgumentError(`--${name}: only used with --ffn-rate`);
    }
  }
  const args: Args = {
    model: values.model === "full" ? FULL_SIZE_MODEL : values.model ?? defaultModelName(),
    out: values.out,
    heads: values.heads === undefined ? undefined : parsePlan(values.heads),
    headsRate: rate("heads-rate", values["heads-rate"]),
    importance: oneOf(
      "importance",
      values.importance ?? "gradient",
      Object.keys(HEAD_IMPORTANCE) as (keyof typeof HEAD_IMPORTANCE)[],
    ),
    ffnRate: rate("ffn-rate", values["ffn-rate"]),
    ffnImportance: oneOf("ffn-importance", values["ffn-importance"] ?? "taylor", FFN_IMPORTANCE),
    ffnScope: oneOf("ffn-scope", values["ffn-scope"] ?? "layer", FFN_SCOPES),
    calibration: values.calibration,
    vocab: values.vocab,
    int8: values.int8,
    layout: oneOf("layout", values.layout, LAYOUTS),
    dtype: oneOf("dtype", values.dtype, ["F32", "F16"] as const),
    eval: values.eval,
  };
  for (const name of ["calibration", "vocab", "eval"] as const) {
    const file = args[name];
    if (file === undefined) continue;
    try {
      if (!Deno.statSync(file).isFile) throw new Error("not a file");
    } catch (e) {
      throw new ArgumentError(`--${name} ${file}: cannot read (${(e as Error).message})`);
    }
  }
  const parent = dirname(resolve(args.out));
  try {
    if (!Deno.statSync(parent).isDirectory) throw new Error("not a folder");
  } catch (e) {
    throw new ArgumentError(
      `--out ${args.out}: ${parent} is not a folder (${(e as Error).message})`,
    );
  }
  try {
    if ([...Deno.readDirSync(args.out)].length > 0) {
      throw new ArgumentError(`--out ${args.out}: exists and is not empty; choose a new folder`);
    }
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) {
      throw new ArgumentError(`--out ${args.out}: ${(e as Error).message}`);
    }
  }
  return args;
}

/** A `--heads` plan: `{"layer": [head, …]}` with integer heads. */
function parsePlan(text: string): PruningPlan {
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch {
    throw new ArgumentError(`--heads ${text}: not JSON; expected e.g. '{"0": [1, 4], "2": [0]}'`);
  }
  const ok = typeof plan === "object" && plan !== null && !Array.isArray(plan) &&
    Object.values(plan).every((v) => Array.isArray(v) && v.every(Number.isInteger));
  if (!ok) {
    throw new ArgumentError(
      `--heads ${text}: expected an object of layer -> head indices, e.g. '{"0": [1, 4]}'`,
    );
  }
  return plan as PruningPlan;
}

/** The heads to prune: the `rate` fraction of all heads with the lowest scores. */
function headPlan(
  model: DistilBertForSequenceClassification,
  importance: keyof typeof HEAD_IMPORTANCE,
  rate: number,
  batches: ReturnType<typeof calibrationBatches>,
): PruningPlan {
  const scores = HEAD_IMPORTANCE[importance](model, batches);
  return planFromMask(
    lowestHeadsMask(scores, Math.round(rate * count(scores))),
    remainingHeads(model.config),
  );
}

/** How many units (heads, neurons) a score table covers. */
function count(scores: number[][]): number {
  return scores.reduce((n, row) => n + row.length, 0);
}

/** Calibration sentences: the --calibration file, else every k-th SST-2 train sentence. */
async function calibrationData(
  file?: string,
): Promise<{ data: LabelledSentence[]; source: string }> {
  const sample = (all: LabelledSentence[]) => evenSample(all, CALIBRATION_SIZE);
  if (file) {
    const data = sample(await readLabelledFile(file));
    return { data, source: `${data.length} sentences of ${basename(file)}` };
  }
  let train: LabelledSentence[];
  try {
    train = await loadSst2("train");
  } catch (e) {
    throw new ArgumentError(
      `--calibration: not given, and SST-2 train is not available (${
        (e as Error).message.split("\n")[0]
      })`,
    );
  }
  const data = sample(train);
  return { data, source: `${data.length} SST-2 train sentences` };
}

/** The texts of a --vocab file: the `sentence` column of a .tsv/.csv, else one text per line. */
async function corpusTexts(file: string): Promise<string[]> {
  if (/\.(tsv|csv)$/i.test(file)) return (await readLabelledFile(file)).map((d) => d.sentence);
  return (await Deno.readTextFile(file)).split(/\r?\n/).filter((line) => line.trim() !== "");
}

/**
 * Runs `write` on a fresh folder beside `out` and renames it to `out` when it succeeds; on
 * failure the folder is removed, so `out` only ever holds a finished model.
 */
async function writeAtomically(out: string, write: (tmp: string) => Promise<void>) {
  const target = resolve(out);
  const tmp = await Deno.makeTempDir({ dir: dirname(target), prefix: `.${basename(target)}-` });
  try {
    await write(tmp);
    await Deno.chmod(tmp, 0o755); // made private by makeTempDir; a model folder is not
    await Deno.remove(target).catch(() => {}); // an empty folder left for us
    await Deno.rename(tmp, target);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
}
