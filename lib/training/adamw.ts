// AdamW (Adam with decoupled weight decay) with linear warm-up and linear decay, whose
// moments can be saved and restored so that a killed training run resumes exactly.
import { tf } from "../engine/tf.ts";
import type { NamedTensor } from "../io/safetensors.ts";
import { engineMode } from "../engine/mode.ts";
import { adamWUpdate } from "../engine/kernels/adamw_kernel.ts";

/** Hyper-parameters of `AdamW`. */
export interface AdamWOptions {
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  /** Names that get no weight decay (biases, LayerNorm, as in BERT's recipe). */
  noDecay?: (name: string) => boolean;
}

/**
 * AdamW over named variables. `step(grads)` applies one update; `state()`/`restore()`
 * serialise the moments and the step counter.
 *
 * @example
 * ```ts
 * const opt = new AdamW(model.params, { learningRate: 5e-4, warmupSteps: 100, totalSteps: 1000 });
 * const { grads } = tf.variableGrads(() => loss(), [...model.params.values()]);
 * opt.step(grads);
 * ```
 */
export class AdamW {
  stepCount = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(readonly params: Map<string, tf.Variable>, readonly options: AdamWOptions) {
    // In a scope: the zero tensors the moments start from would otherwise stay registered (and
    // keep the moments' memory after `dispose()`); the variables keep their own reference.
    tf.tidy(() => {
      for (const [name, p] of params) {
        this.m.set(name, tf.variable(tf.zerosLike(p), false));
        this.v.set(name, tf.variable(tf.zerosLike(p), false));
      }
    });
  }

  /** Learning rate at a step: linear warm-up to `learningRate`, then linear decay to 0. */
  learningRateAt(step: number): number {
    const { learningRate, warmupSteps, totalSteps } = this.options;
    if (step < warmupSteps) return learningRate * (step + 1) / warmupSteps;
    return learningRate * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  }

  /** Applies one update from gradients keyed by variable name (`tf.variableGrads` output). */
  step(grads: tf.NamedTensorMap): void {
    const { beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8, weightDecay = 0.01 } = this.options;
    const lr = this.learningRateAt(this.stepCount);
    this.stepCount++;
    const c1 = 1 - beta1 ** this.stepCount;
    const c2 = 1 - beta2 ** this.stepCount;
    const fused = engineMode() === "fast" && ["wasm", "cpu"].includes(tf.getBackend());
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads[p.name];
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const decay = this.options.noDecay?.(name) ? 0 : weightDecay;
        if (fused && g.dtype === "float32") {
          // One kernel per parameter (lib/engine/kernels/adamw_kernel.ts), same arithmetic.
          const attrs = { lr, beta1, beta2, epsilon, weightDecay: decay, c1, c2 };
          const [nextP, nextM, nextV] = adamWUpdate(p, m, v, g, attrs);
          m.assign(nextM);
          v.assign(nextV);
          p.assign(nextP);
          continue;
        }
        m.assign(m.mul(beta1).add(g.mul(1 - beta1)));
        v.assign(v.mul(beta2).add(g.square().mul(1 - beta2)));
        const update = m.div(c1).div(v.div(c2).sqrt().add(epsilon));
        const next = decay > 0 ? p.mul(1 - lr * decay).sub(update.mul(lr)) : p.sub(update.mul(lr));
        p.assign(next);
      }
    });
  }

  /** Moments as plain arrays by `m.`/`v.` + parameter name, for a checkpoint. */
  state(): Map<string, NamedTensor> {
    const out = new Map<string, NamedTensor>();
    for (const [name, t] of this.m) {
      out.set(`m.${name}`, { shape: t.shape, data: t.dataSync() as Float32Array });
    }
    for (const [name, t] of this.v) {
      out.set(`v.${name}`, { shape: t.shape, data: t.dataSync() as Float32Array });
    }
    return out;
  }

  /** Restores moments saved by `state()` and the step counter. */
  restore(state: Map<string, NamedTensor>, stepCount: number): void {
    for (const [prefix, moments] of [["m", this.m], ["v", this.v]] as const) {
      for (const [name, t] of moments) {
        const saved = state.get(`${prefix}.${name}`);
        if (!saved) throw new Error(`optimizer checkpoint has no ${prefix}.${name}`);
        t.assign(tf.tensor(saved.data, saved.shape));
      }
    }
    this.stepCount = stepCount;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
