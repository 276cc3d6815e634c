// A small multilayer perceptron in tfjs with PyTorch's names, layouts and default init
// (fc1.weight is [out, in]), plus torch.nn.utils.prune-style masks: a pruned parameter keeps
// its original values and a 0/1 mask, and the network uses their product.
import { tf } from "../engine/tf.ts";

/**
 * An MLP `sizes[0] → … → sizes.at(-1)` with ReLU between layers.
 *
 * @example
 * ```ts
 * const mlp = MLP.create([400, 1024, 1024, 10], 0);
 * const logits = mlp.forward(tf.zeros([1, 400]) as tf.Tensor2D);
 * ```
 */
export class MLP {
  /** Original parameter values by name (`fc1.weight`, `fc1.bias`, …). */
  readonly params = new Map<string, tf.Variable>();
  /** 0/1 masks of pruned parameters (absent: not pruned). */
  readonly masks = new Map<string, tf.Tensor>();

  constructor(readonly sizes: number[]) {}

  /** PyTorch's nn.Linear init: weights and biases from U(−1/√in, 1/√in), seeded. */
  static create(sizes: number[], seed: number): MLP {
    const mlp = new MLP(sizes);
    for (let i = 1; i < sizes.length; i++) {
      const bound = 1 / Math.sqrt(sizes[i - 1]);
      for (
        const [name, shape] of [[`fc${i}.weight`, [sizes[i], sizes[i - 1]]], [`fc${i}.bias`, [
          sizes[i],
        ]]] as const
      ) {
        const value = tf.randomUniform(
          [...shape],
          -bound,
          bound,
          "float32",
          seed * 100 + mlp.params.size,
        );
        mlp.params.set(name, tf.variable(value));
        value.dispose();
      }
    }
    return mlp;
  }

  /** The value the network uses: original ⊙ mask for a pruned parameter. Dispose it. */
  weight(name: string): tf.Tensor {
    const p = this.params.get(name);
    if (!p) {
      throw new Error(
        `the MLP has no parameter "${name}" (it has ${[...this.params.keys()].join(", ")})`,
      );
    }
    const mask = this.masks.get(name);
    return mask ? tf.mul(p, mask) : tf.clone(p);
  }

  /** Names of the weight matrices (what magnitude pruning prunes; never biases). */
  weightNames(): string[] {
    return [...this.params.keys()].filter((n) => n.endsWith(".weight"));
  }

  /** Logits `[batch, classes]` of a `[batch, inputs]` batch. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor = x;
      for (let i = 1; i < this.sizes.length; i++) {
        // (W · hᵀ)ᵀ: the weight is the untransposed operand, so wasm repacks only the small h.
        h = tf.matMul(this.weight(`fc${i}.weight`), h, false, true).transpose().add(
          this.weight(`fc${i}.bias`),
        );
        if (i < this.sizes.length - 1) h = tf.relu(h);
      }
      return h as tf.Tensor2D;
    });
  }

  /** Copies of every original parameter and mask (e.g. the initial weights, to rewind to). */
  snapshot(): Map<string, Float32Array> {
    return new Map([...this.params].map(([n, p]) => [n, (p.dataSync() as Float32Array).slice()]));
  }

  /** Sets the original parameters to a snapshot's values (masks unchanged). */
  restore(snapshot: Map<string, Float32Array>): void {
    for (const [name, p] of this.params) {
      const values = snapshot.get(name);
      if (!values) throw new Error(`snapshot has no "${name}"`);
      tf.tidy(() => p.assign(tf.tensor(values, p.shape)));
    }
  }

  /** Number of parameter values (masked entries included). */
  numParameters(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }

  /** Frees parameters and masks. */
  dispose(): void {
    for (const t of [...this.params.values(), ...this.masks.values()]) t.dispose();
  }
}

/** Options of `trainMlp` (Lab 4's defaults). */
export interface TrainOptions {
  learningRate?: number;
  batchSize?: number;
  epochs?: number;
  seed?: number;
  /** Called after each epoch with its mean loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

/**
 * Trains with Adam and cross-entropy on `x` `[n, inputs]` and labels `y`, in a seeded order.
 * Masks stay applied: the network uses original ⊙ mask, so pruned weights stay exactly 0.
 *
 * @example
 * ```ts
 * trainMlp(mlp, train.x, train.y, { epochs: 2 });
 * ```
 */
export function trainMlp(
  model: MLP,
  x: Float32Array,
  y: Int32Array,
  options: TrainOptions = {},
): void {
  const { learningRate = 0.001, batchSize = 64, epochs = 2, seed = 0 } = options;
  const inputs = model.sizes[0];
  const n = y.length;
  const optimizer = tf.train.adam(learningRate);
  const variables = [...model.params.values()];
  let state = seed * 2654435761 % 2 ** 32 || 1;
  const random = () => ((state = (state * 1664525 + 1013904223) % 2 ** 32) / 2 ** 32);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let total = 0;
    for (let start = 0; start < n; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const batchX = new Float32Array(idx.length * inputs);
      idx.forEach((k, r) => batchX.set(x.subarray(k * inputs, (k + 1) * inputs), r * inputs));
      const loss = tf.tidy(() => {
        const xs = tf.tensor2d(batchX, [idx.length, inputs]);
        const labels = tf.oneHot(
          tf.tensor1d(Array.from(idx, (k) => y[k]), "int32"),
          model.sizes.at(-1)!,
        );
        return optimizer.minimize(
          () => tf.losses.softmaxCrossEntropy(labels, model.forward(xs)) as tf.Scalar,
          true,
          variables,
        )!;
      });
      total += loss.dataSync()[0] * idx.length;
      loss.dispose();
    }
    options.onEpoch?.(epoch + 1, total / n);
  }
  optimizer.dispose();
}

/**
 * Which examples of `x`, `y` the model gets right (batches of 500): one boolean per example, for
 * paired comparisons of two models on the same examples.
 *
 * @example
 * ```ts
 * mlpCorrect(mlp, test.x, test.y).filter(Boolean).length; // how many digits it reads right
 * ```
 */
export function mlpCorrect(model: MLP, x: Float32Array, y: Int32Array): boolean[] {
  const inputs = model.sizes[0];
  const right = new Array<boolean>(y.length);
  for (let start = 0; start < y.length; start += 500) {
    const end = Math.min(start + 500, y.length);
    const predicted = tf.tidy(() =>
      model.forward(tf.tensor2d(x.subarray(start * inputs, end * inputs), [end - start, inputs]))
        .argMax(1).dataSync()
    );
    for (let i = start; i < end; i++) right[i] = predicted[i - start] === y[i];
  }
  return right;
}

/**
 * Accuracy of the model on `x`, `y` (batches of 500).
 *
 * @example
 * ```ts
 * mlpAccuracy(mlp, test.x, test.y); // 0.95…
 * ```
 */
export function mlpAccuracy(model: MLP, x: Float32Array, y: Int32Array): number {
  return mlpCorrect(model, x, y).filter(Boolean).length / y.length;
}
