/**
 * A conditional diagonal Gaussian N(y; μ(c), diag σ²(c)) whose mean and log standard deviation
 * an MLP reads off a condition c: the decoder p_θ(x | z) and the encoder q_φ(z | x) of latent
 * variable models, and any variational decoder with a learned variance. Samples are
 * reparameterised, y = μ(c) + σ(c) ⊙ ε with ε ~ N(0, I) drawn outside, so gradients of anything
 * computed from y reach the network pathwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../util/random.js';
import type { ConditionalDensity } from './conditionalDensity.js';
import { MLP, type Activation } from './mlp.js';

/** ln √(2π): the normalisation of a standard normal per dimension. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Options of {@link GaussianMlp}. */
export interface GaussianMlpOptions {
  /** Hidden layer sizes; default [64, 64]. */
  hidden?: readonly number[];
  /** Hidden activation; default 'tanh'. */
  activation?: Activation;
  rng?: Random;
  /** [nOut] mean at the start, where the output layer's weights are small; default 0. */
  meanInit?: ArrayLike<number>;
  /** ln σ at the start (one value, or [nOut]); default 0. */
  logStdInit?: number | ArrayLike<number>;
  /** Factor on the output layer's initial weights, so that the start is near `meanInit` and `logStdInit`; default 0.1. */
  outputScale?: number;
}

/** Mean and log standard deviation of each row, [rows, nOut] each. */
export interface GaussianMoments {
  mean: tf.Tensor2D;
  logStd: tf.Tensor2D;
}

export class GaussianMlp implements ConditionalDensity {
  /** One network for both heads: outputs [μ (nOut), ln σ (nOut)]. */
  readonly net: MLP;
  readonly hidden: readonly number[];

  constructor(readonly nIn: number, readonly nOut: number, opts: GaussianMlpOptions = {}) {
    this.hidden = opts.hidden ?? [64, 64];
    this.net = new MLP([nIn, ...this.hidden, 2 * nOut], { activation: opts.activation ?? 'tanh', rng: opts.rng ?? new Random(1) });
    const last = this.net.layers[this.net.layers.length - 1];
    const scale = opts.outputScale ?? 0.1;
    const bias = new Float32Array(2 * nOut);
    const logStd = opts.logStdInit ?? 0;
    for (let k = 0; k < nOut; k++) {
      bias[k] = opts.meanInit ? opts.meanInit[k] : 0;
      bias[nOut + k] = typeof logStd === 'number' ? logStd : logStd[k];
    }
    if (opts.meanInit && opts.meanInit.length !== nOut) throw new Error(`GaussianMlp: meanInit has ${opts.meanInit.length} values, expected ${nOut}`);
    if (typeof logStd !== 'number' && logStd.length !== nOut) throw new Error(`GaussianMlp: logStdInit has ${logStd.length} values, expected ${nOut}`);
    tf.tidy(() => {
      last.weight.assign(tf.mul(last.weight, scale));
      (last.bias as tf.Variable).assign(tf.tensor1d(bias));
    });
  }

  /** μ(c) and ln σ(c) of conditions c [rows, nIn]. */
  moments(c: tf.Tensor2D): GaussianMoments {
    return tf.tidy(() => {
      const out = this.net.apply(c);
      const [mean, logStd] = tf.split(out, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mean, logStd };
    });
  }

  /**
   * Reparameterised samples y = μ(c) + σ(c) ⊙ ε.
   * @param eps [rows, nOut] standard normal draws.
   * @returns y with the moments it was drawn from.
   */
  sample(c: tf.Tensor2D, eps: tf.Tensor2D): GaussianMoments & { y: tf.Tensor2D } {
    const m = this.moments(c);
    const y = tf.tidy(() => tf.add(m.mean, tf.mul(tf.exp(m.logStd), eps)) as tf.Tensor2D);
    return { ...m, y };
  }

  get dim(): number {
    return this.nOut;
  }

  get contextDim(): number {
    return this.nIn;
  }

  /** A reparameterised sample with its ln q: −Σ (ln σ + ε²/2 + ½ ln 2π), exact for y = μ + σε. */
  sampleWithLogProb(c: tf.Tensor2D, eps: tf.Tensor2D): { y: tf.Tensor2D; logProb: tf.Tensor1D } {
    const { y, logStd } = this.sample(c, eps);
    const logProb = tf.tidy(() => tf.neg(tf.sum(tf.add(tf.add(logStd, tf.mul(0.5, tf.square(eps))), HALF_LOG_2PI), 1)) as tf.Tensor1D);
    return { y, logProb };
  }

  /** ln N(y; μ(c), diag σ²(c)) of each row, [rows]. */
  logProb(y: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const { mean, logStd } = this.moments(c);
      const u = tf.mul(tf.sub(y, mean), tf.exp(tf.neg(logStd)));
      const perDim = tf.add(tf.add(logStd, tf.mul(0.5, tf.square(u))), HALF_LOG_2PI);
      return tf.neg(tf.sum(perDim, 1)) as tf.Tensor1D;
    });
  }

  /** Named variables of the network (`layer<k>/weight`, `layer<k>/bias`). */
  parameters(): Record<string, tf.Variable> {
    return this.net.parameters();
  }

  dispose(): void {
    for (const v of Object.values(this.parameters())) v.dispose();
  }
}
