// DistilBertForSequenceClassification in tfjs, following Hugging Face's modeling_distilbert.py:
// embeddings -> n_layers x (self-attention, FFN) -> pre_classifier -> ReLU -> classifier.
// Parameters keep HF's names and layouts (linear weights are [out, in], as in PyTorch).
import { courseReference } from "../course/reference.ts";
import { tf } from "../engine/tf.ts";
import { attentionKernel, fusedAttention, gelu, layerNorm } from "./ops.ts";
import { InferenceWeights } from "./inference_weights.ts";
import { type DistilBertConfig, ffnDims, headCounts, headDim, numLabels } from "./config.ts";

const LAYER_NORM_EPS = 1e-12;

/** Options of `forward`; all outputs are `[batch, …]` tensors in HF's order. */
export interface ForwardOptions {
  /**
   * 1 keeps a head, 0 removes it: `[n_layers, n_heads]`, per example `[batch, n_layers,
   * n_heads]` (several ablations in one batch), or one entry per layer, `[heads]` or
   * `[batch, heads]` (layers of a pruned model may differ in heads).
   */
  headMask?: tf.Tensor | (tf.Tensor | number[])[];
  outputAttentions?: boolean;
  outputHiddenStates?: boolean;
  /** Dropout is applied only when true. */
  training?: boolean;
  /** Seed for the dropout masks (training only); unseeded when absent. */
  seed?: number;
}

/** What `forward` returns: logits `[batch, labels]`, and the optional HF outputs. */
export interface ForwardOutput {
  logits: tf.Tensor2D;
  /** One `[batch, heads, seq, seq]` map per layer (after the head mask, as in HF). */
  attentions?: tf.Tensor4D[];
  /** Embedding output then each layer's output: n_layers + 1 tensors `[batch, seq, dim]`. */
  hiddenStates?: tf.Tensor3D[];
}

/**
 * Shapes of every parameter, by HF name, for a config (pruned heads and FFN widths included).
 *
 * @example
 * ```ts
 * parameterShapes(config).get("distilbert.transformer.layer.0.attention.q_lin.weight"); // [768, 768]
 * ```
 */
export function parameterShapes(config: DistilBertConfig): Map<string, number[]> {
  const { dim, vocab_size, max_position_embeddings } = config;
  const shapes = new Map<string, number[]>();
  const add = (name: string, shape: number[]) => shapes.set(name, shape);
  const linear = (name: string, out: number, inp: number) => {
    add(`${name}.weight`, [out, inp]);
    add(`${name}.bias`, [out]);
  };
  const norm = (name: string) => {
    add(`${name}.weight`, [dim]);
    add(`${name}.bias`, [dim]);
  };
  add("distilbert.embeddings.word_embeddings.weight", [vocab_size, dim]);
  add("distilbert.embeddings.position_embeddings.weight", [max_position_embeddings, dim]);
  norm("distilbert.embeddings.LayerNorm");
  const heads = headCounts(config);
  const ffn = ffnDims(config);
  for (let i = 0; i < config.n_layers; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    const inner = heads[i] * headDim(config);
    for (const name of ["q_lin", "k_lin", "v_lin"]) linear(`${p}.attention.${name}`, inner, dim);
    linear(`${p}.attention.out_lin`, dim, inner);
    norm(`${p}.sa_layer_norm`);
    linear(`${p}.ffn.lin1`, ffn[i], dim);
    linear(`${p}.ffn.lin2`, dim, ffn[i]);
    norm(`${p}.output_layer_norm`);
  }
  linear("pre_classifier", dim, dim);
  linear("classifier", numLabels(config), dim);
  return shapes;
}

/**
 * DistilBERT with a sequence-classification head. Build one with `loadDistilBert(dir)` or
 * `DistilBertForSequenceClassification.random(config)`.
 *
 * @example
 * ```ts
 * const model = await loadDistilBert("data/models/distilbert-sst2-tiny");
 * const { logits } = model.forward(inputIds, attentionMask);
 * ```
 */
export class DistilBertForSequenceClassification {
  /** HF config; `pruned_heads` and `pruning_lab_ffn_dims` describe the current shapes. */
  config: DistilBertConfig;
  /** Parameters by HF name (`distilbert.transformer.layer.3.attention.q_lin.weight`, …). */
  readonly params: Map<string, tf.Variable>;
  /** Weights prepared for inference (`W^T`, fused q/k/v), until their parameter changes. */
  private readonly inference = new InferenceWeights();

  constructor(config: DistilBertConfig, params: Map<string, tf.Variable>) {
    this.config = config;
    this.params = params;
  }

  /**
   * A randomly initialised model, as HF's `_init_weights` does: linear and embedding weights
   * from N(0, initializer_range), zero biases, LayerNorm 1/0, zero padding embedding.
   *
   * @example
   * ```ts
   * const base = DistilBertForSequenceClassification.random(baseConfig, 0);
   * base.numParameters(); // 66,955,010
   * ```
   */
  static random(config: DistilBertConfig, seed = 0): DistilBertForSequenceClassification {
    const params = new Map<string, tf.Variable>();
    let k = seed * 1000;
    for (const [name, shape] of parameterShapes(config)) {
      const value = tf.tidy(() => {
        if (name.endsWith(".bias")) return tf.zeros(shape);
        if (/LayerNorm|layer_norm/.test(name)) return tf.ones(shape);
        const w = tf.randomNormal(shape, 0, config.initializer_range, "float32", k++);
        if (name.endsWith("word_embeddings.weight")) {
          const pad = config.pad_token_id ?? 0;
          const keep = tf.oneHot(pad, shape[0]).reshape([shape[0], 1]);
          return w.mul(tf.scalar(1).sub(keep));
        }
        return w;
      });
      params.set(name, tf.variable(value));
      value.dispose();
    }
    return new DistilBertForSequenceClassification(structuredClone(config), params);
  }

  /** The parameter of that HF name; throws naming it when absent. */
  param(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`model has no parameter ${name}`);
    return p;
  }

  /** Total number of parameter values. */
  numParameters(): number {
    return countParameters(this.params);
  }

  /**
   * A copy with its own config and variables (over the same tensor data until either model's
   * weights change, which replaces that variable's data): for trying a change, such as a pruning
   * rate, without touching this model.
   *
   * @example
   * ```ts
   * const trial = model.clone();
   * pruneFfnNeurons(trial, plan);
   * trial.dispose(); // `model` is unchanged
   * ```
   */
  clone(): DistilBertForSequenceClassification {
    return new DistilBertForSequenceClassification(
      structuredClone(this.config),
      new Map([...this.params].map(([name, p]) => [name, tf.variable(p, p.trainable)])),
    );
  }

  /** Frees every parameter. */
  dispose(): void {
    for (const p of this.params.values()) p.dispose();
    this.inference.dispose();
  }

  /**
   * Runs the model. `inputIds` and `attentionMask` are `[batch, seq]` int32 (1 = real
   * token). Call inside `tf.tidy` or dispose the outputs.
   *
   * @example
   * ```ts
   * const { logits, attentions } = model.forward(ids, mask, { outputAttentions: true });
   * ```
   */
  forward(
    inputIds: tf.Tensor2D,
    attentionMask: tf.Tensor2D,
    options: ForwardOptions = {},
  ): ForwardOutput {
    return tf.tidy(() => {
      const dropout = this.dropout(options);
      const x = this.embed(inputIds, dropout);
      return this.runLayers(x, attentionMask, 0, options, dropout) as unknown as tf.TensorContainer;
    }) as unknown as ForwardOutput;
  }

  /**
   * Runs layers `start`… and the classifier on hidden states `[batch, seq, dim]` (e.g.
   * `hiddenStates[start]` of an earlier pass). Same options as `forward`; `hiddenStates` and
   * `attentions` then cover the layers run.
   *
   * @example
   * ```ts
   * const { hiddenStates } = model.forward(ids, mask, { outputHiddenStates: true });
   * const { logits } = model.forwardFrom(hiddenStates![3], mask, 3);
   * ```
   */
  forwardFrom(
    hidden: tf.Tensor3D,
    attentionMask: tf.Tensor2D,
    start: number,
    options: ForwardOptions = {},
  ): ForwardOutput {
    return tf.tidy(() =>
      this.runLayers(
        hidden,
        attentionMask,
        start,
        options,
        this.dropout(options),
      ) as unknown as tf.TensorContainer
    ) as unknown as ForwardOutput;
  }

  private embed(inputIds: tf.Tensor2D, dropout: Dropout): tf.Tensor3D {
    const seq = inputIds.shape[1];
    if (seq > this.config.max_position_embeddings) {
      throw new Error(
        `input has ${seq} tokens; this model takes at most ${this.config.max_position_embeddings}`,
      );
    }
    const positions = tf.range(0, seq, 1, "int32");
    const x = tf.gather(this.param("distilbert.embeddings.word_embeddings.weight"), inputIds)
      .add(tf.gather(this.param("distilbert.embeddings.position_embeddings.weight"), positions));
    return dropout(
      this.layerNorm(x, "distilbert.embeddings.LayerNorm"),
      this.config.dropout,
    ) as tf.Tensor3D;
  }

  private runLayers(
    hidden: tf.Tensor,
    attentionMask: tf.Tensor2D,
    start: number,
    options: ForwardOptions,
    dropout: Dropout,
  ): ForwardOutput {
    const [batch, seq] = hidden.shape;
    const headMask = this.layerHeadMasks(options.headMask, batch);
    // Padded keys get the most negative float, as HF's masked_fill(finfo.min) does.
    const keyBias = tf.scalar(1).sub(attentionMask.toFloat()).mul(-3.4e38)
      .reshape([attentionMask.shape[0], 1, 1, seq]);
    let x = hidden;
    const hiddenStates: tf.Tensor3D[] = [x as tf.Tensor3D];
    const attentions: tf.Tensor4D[] = [];
    for (let i = start; i < this.config.n_layers; i++) {
      const p = `distilbert.transformer.layer.${i}`;
      const { context, weights } = this.attention(
        x,
        keyBias,
        i,
        headMask[i],
        dropout,
        !!options.outputAttentions,
      );
      x = this.layerNorm(context.add(x), `${p}.sa_layer_norm`);
      const ffn = dropout(this.ffn(x, `${p}.ffn`), this.config.dropout);
      x = this.layerNorm(ffn.add(x), `${p}.output_layer_norm`);
      hiddenStates.push(x as tf.Tensor3D);
      if (weights) attentions.push(weights);
    }
    const first = x.slice([0, 0, 0], [batch, 1, this.config.dim]).reshape([batch, -1]);
    const pooled = dropout(
      this.linear(first, "pre_classifier").relu(),
      this.config.seq_classif_dropout,
    );
    const out: ForwardOutput = { logits: this.linear(pooled, "classifier") as tf.Tensor2D };
    if (options.outputAttentions) out.attentions = attentions;
    if (options.outputHiddenStates) out.hiddenStates = hiddenStates;
    return out;
  }

  /**
   * Multi-head self-attention of layer `i`; returns the `out_lin` output and the weights (always
   * when `withWeights`; the fused kernel of the fast path does not make them).
   */
  private attention(
    x: tf.Tensor,
    keyBias: tf.Tensor,
    i: number,
    headMask: tf.Tensor | undefined,
    dropout: Dropout,
    withWeights: boolean,
  ): { context: tf.Tensor; weights?: tf.Tensor4D } {
    const p = `distilbert.transformer.layer.${i}.attention`;
    const [batch, seq] = x.shape;
    const heads = headCounts(this.config)[i];
    const size = headDim(this.config);
    if (heads === 0) {
      // Every head pruned: the block adds only out_lin's bias (as HF with empty projections).
      const bias = this.param(`${p}.out_lin.bias`);
      return {
        context: tf.zeros([batch, seq, this.config.dim]).add(bias),
        weights: tf.zeros([batch, 0, seq, seq]),
      };
    }
    if (!withWeights && attentionKernel()) {
      // q, k, v as one product, then one kernel each way on its layout
      // (lib/engine/kernels/attention.ts); the dropout multipliers are drawn as the composed form
      // draws them (same seed, same shape).
      const rate = this.config.attention_dropout;
      const dropMask = dropout.active && rate > 0
        ? dropout(tf.ones([batch, heads, seq, seq]), rate)
        : undefined;
      const context = fusedAttention(this.qkvProjection(x, p), {
        heads,
        scale: 1 / Math.sqrt(size),
        keyBias: keyBias.reshape([batch, seq]),
        dropMask,
        headMask: headMask?.reshape([headMask.shape[0], heads]),
      });
      return { context: this.linear(context, `${p}.out_lin`) };
    }
    // [batch, seq, heads*size] -> [batch, heads, seq, size]
    const split = (t: tf.Tensor, perm: number[]) =>
      t.reshape([batch, seq, heads, size]).transpose(perm);
    const q = split(this.linear(x, `${p}.q_lin`), [0, 2, 1, 3]).mul(1 / Math.sqrt(size));
    const kT = split(this.linear(x, `${p}.k_lin`), [0, 2, 3, 1]); // [batch, heads, size, seq]
    const v = split(this.linear(x, `${p}.v_lin`), [0, 2, 1, 3]);
    let weights = tf.softmax(tf.matMul(q, kT).add(keyBias)) as tf.Tensor4D;
    weights = dropout(weights, this.config.attention_dropout) as tf.Tensor4D;
    if (headMask) weights = weights.mul(headMask);
    const context = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([
      batch,
      seq,
      heads * size,
    ]);
    return { context: this.linear(context, `${p}.out_lin`), weights };
  }

  /** Position-wise feed-forward network: lin1 -> GELU (exact, erf) -> lin2. */
  private ffn(x: tf.Tensor, p: string): tf.Tensor {
    const h = this.linear(x, `${p}.lin1`);
    const act = this.config.activation === "relu" ? h.relu() : gelu(h);
    return this.linear(act, `${p}.lin2`);
  }

  /**
   * `x @ W^T + b` over the last axis, W as `[out, in]`, with a separate bias add (never wasm's
   * fused transposeB + bias: wrong values; nor XNNPACK's bias without transpose: it starts the
   * sums at the bias, and the tiny pruned fixture's logits then moved 1e-5 from onnxruntime's,
   * against 5e-6 with the add apart). For inference it multiplies by a prepared `W^T`
   * (`InferenceWeights`); while gradients are recorded it uses `W` itself, so that they reach
   * the parameter.
   */
  private linear(x: tf.Tensor, name: string): tf.Tensor {
    const w = this.param(`${name}.weight`);
    const lead = x.shape.slice(0, -1);
    const flat = x.reshape([-1, x.shape[x.shape.length - 1]]);
    const product = tf.engine().state.gradientDepth > 0
      ? tf.matMul(flat, w, false, true)
      : tf.matMul(flat, this.inference.transposed(name, w));
    return product.add(this.param(`${name}.bias`)).reshape([...lead, w.shape[0]]);
  }

  /**
   * q_lin, k_lin and v_lin of attention block `p` as one product, `[..., 3 * inner]` (q, k, v
   * side by side): one larger matmul instead of three small ones. The weights are concatenated
   * per call while gradients are recorded (the gradient of the concatenation reaches each
   * parameter), else cached, transposed, until a parameter changes.
   */
  private qkvProjection(x: tf.Tensor, p: string): tf.Tensor {
    const names = ["q_lin", "k_lin", "v_lin"].map((n) => `${p}.${n}`);
    const weights = names.map((n) => this.param(`${n}.weight`));
    const biases = names.map((n) => this.param(`${n}.bias`));
    const lead = x.shape.slice(0, -1);
    const flat = x.reshape([-1, x.shape[x.shape.length - 1]]);
    const width = 3 * weights[0].shape[0];
    if (tf.engine().state.gradientDepth > 0) {
      return tf.matMul(flat, tf.concat(weights, 0), false, true).add(tf.concat(biases))
        .reshape([...lead, width]);
    }
    const { transposed, bias } = this.inference.concatenated(p, weights, biases);
    return tf.matMul(flat, transposed).add(bias).reshape([...lead, width]);
  }

  private layerNorm(x: tf.Tensor, name: string): tf.Tensor {
    return layerNorm(x, this.param(`${name}.weight`), this.param(`${name}.bias`), LAYER_NORM_EPS);
  }

  private dropout(options: ForwardOptions): Dropout {
    if (!options.training) return Object.assign((x: tf.Tensor) => x, { active: false });
    let k = (options.seed ?? Math.floor(Math.random() * 2 ** 31)) * 997;
    return Object.assign(
      (x: tf.Tensor, rate: number) => (rate > 0 ? tf.dropout(x, rate, undefined, k++) : x),
      { active: true },
    );
  }

  /**
   * Per layer, the head mask shaped to multiply `[batch, heads, seq, seq]` weights (or none).
   * Accepts `[n_layers, heads]`, per-example `[batch, n_layers, heads]`, or one `[heads]`
   * entry per layer; checked against the current head counts.
   */
  private layerHeadMasks(
    mask: ForwardOptions["headMask"],
    batch: number,
  ): (tf.Tensor | undefined)[] {
    const heads = headCounts(this.config);
    if (mask === undefined) return heads.map(() => undefined);
    const perExample = mask instanceof tf.Tensor && mask.rank === 3;
    const rows = mask instanceof tf.Tensor ? tf.unstack(mask, perExample ? 1 : 0) : mask;
    if (rows.length !== heads.length) {
      throw new Error(`headMask has ${rows.length} rows; expected ${heads.length} (one per layer)`);
    }
    return rows.map((row, i) => {
      // [heads] applies to every example; [batch, heads] gives each example its own mask.
      const t = row instanceof tf.Tensor ? row.toFloat() : tf.tensor1d(row);
      const rowsOfMasks = t.rank === 2 ? t.shape[0] : 1;
      if (t.shape[t.rank - 1] !== heads[i] || (rowsOfMasks !== 1 && rowsOfMasks !== batch)) {
        throw new Error(
          `headMask for layer ${i} has shape [${t.shape}]; expected [${heads[i]}] or [${batch}, ${
            heads[i]
          }]`,
        );
      }
      return t.reshape([rowsOfMasks, heads[i], 1, 1]);
    });
  }
}

/** Dropout at a rate (identity unless training); `active` says whether it is training. */
type Dropout = ((x: tf.Tensor, rate: number) => tf.Tensor) & { active: boolean };

// The course's answer to notebook 01's count_parameters TODO (students count on their own).
const countParameters = courseReference(
  "01.count_parameters",
  function numParameters(params: Map<string, tf.Variable>): number {
    let n = 0;
    for (const p of params.values()) n += p.size;
    return n;
  },
);
