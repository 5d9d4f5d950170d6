/**
 * Adam (Kingma & Ba 2015) over named tfjs variables, with its whole state (step count and
 * moments, keyed by parameter name) readable and restorable, so training resumes bit for bit
 * from a checkpoint. tfjs's own optimiser keys its moments by variable position and hides the
 * learning rate, which a schedule changes.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StoredTensor } from './params.js';

/** Adam's decay rates and ε. */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam {
  /** Updates applied so far. */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  /** @param params the variables to optimise, by name. */
  constructor(readonly params: Readonly<Record<string, tf.Variable>>, opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    for (const [name, p] of Object.entries(params)) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
    }
  }

  /**
   * One update p ← p − lr · m̂ / (√v̂ + ε) with bias-corrected moments.
   * @param grads gradient of the loss per parameter name (names absent from it are left alone).
   * @param lr learning rate, in parameter units per unit of normalised gradient.
   */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    this.step++;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    tf.tidy(() => {
      for (const [name, g] of Object.entries(grads)) {
        const p = this.params[name];
        if (!p) throw new Error(`Adam: gradient for '${name}', which is not among the optimised parameters`);
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        p.assign(tf.sub(p, tf.mul(tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.epsilon)), lr)));
      }
    });
  }

  /** The moments as named tensors ('m/<param>', 'v/<param>'), for a checkpoint. */
  moments(): Map<string, StoredTensor> {
    const out = new Map<string, StoredTensor>();
    for (const [kind, store] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of store) out.set(`${kind}/${name}`, { shape: [...t.shape], data: t.dataSync() as Float32Array });
    }
    return out;
  }

  /**
   * Restore the step count and moments saved with `moments()`.
   * @throws Error when a parameter's moment is missing or has another shape.
   */
  restore(step: number, moments: ReadonlyMap<string, StoredTensor>): void {
    for (const [kind, store] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of store) {
        const saved = moments.get(`${kind}/${name}`);
        if (!saved || saved.shape.join() !== t.shape.join()) {
          throw new Error(`Adam.restore: moment ${kind}/${name} is ${saved ? `of shape [${saved.shape}]` : 'missing'}, expected shape [${t.shape}]`);
        }
        tf.tidy(() => t.assign(tf.tensor(saved.data, saved.shape)));
      }
    }
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
