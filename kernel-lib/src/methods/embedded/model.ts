/**
 * The latent generative model of embedded-physics CG (Schöberl, Zabaras & Koutsourelakis 2020):
 * a prior p(z) over a few latent variables, a decoder p_θ(q | z) = N(μ_θ(z), diag σ²_θ(z)) over
 * the generated coordinates, and an encoder q_φ(z | q) = N(μ_φ(q), diag σ²_φ(q)) that reads
 * the latent variables — the discovered collective variables — off any configuration.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GaussianMlp, HALF_LOG_2PI } from '../../nn/gaussianMlp.js';
import type { JsonObject, StoredTensor } from '../../nn/params.js';
import { Random } from '../../util/random.js';

/** Latent priors: standard normal, or uniform on [−√3, √3] per variable (unit variance). */
export type LatentPrior = 'normal' | 'uniform';
export const LATENT_PRIORS: readonly LatentPrior[] = ['normal', 'uniform'];

const SQRT3 = Math.sqrt(3);

/** The architecture, as saved. */
export interface EmbeddedConfig {
  /** Generated coordinates. */
  dim: number;
  /** Latent variables (1 or 2 in the paper; any ≥ 1). */
  latent: number;
  prior: LatentPrior;
  /** Hidden layers of decoder and encoder. */
  hidden: number[];
}

export class EmbeddedModel {
  readonly decoder: GaussianMlp;
  readonly encoder: GaussianMlp;
  /** [dim] offset and scale of the encoder's input, following the generated samples. */
  readonly inputShift: Float64Array;
  readonly inputScale: Float64Array;

  /**
   * @param start [dim] the decoder's initial mean.
   * @param scale the decoder's initial spread, in the units of the coordinates.
   * @throws Error for a latent dimension < 1, an unknown prior or an empty hidden list.
   */
  constructor(readonly config: EmbeddedConfig, start: ArrayLike<number>, scale: number, rng = new Random(1)) {
    const { dim, latent, prior, hidden } = config;
    if (!Number.isInteger(latent) || latent < 1) throw new Error(`embedded model: the latent dimension must be an integer ≥ 1, got ${latent}`);
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`embedded model: the generated dimension must be an integer ≥ 1, got ${dim}`);
    if (!LATENT_PRIORS.includes(prior)) throw new Error(`embedded model: prior is ${JSON.stringify(prior)}, expected one of ${LATENT_PRIORS.join(', ')}`);
    if (!hidden.length || hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new Error(`embedded model: hidden layers must be positive integers, got [${hidden}]`);
    if (!(scale > 0)) throw new Error(`embedded model: the initial spread must be positive, got ${scale}`);
    this.decoder = new GaussianMlp(latent, dim, { hidden, rng, meanInit: start, logStdInit: Math.log(scale), outputScale: scale });
    this.encoder = new GaussianMlp(dim, latent, { hidden, rng });
    this.inputShift = Float64Array.from(start);
    this.inputScale = new Float64Array(dim).fill(scale);
  }

  /**
   * The randomness of n model samples: latent points z [n, latent] from the prior, then the
   * decoder's standard normal ε [n, dim] (in that order, so a seed gives the same samples everywhere).
   */
  drawNoise(n: number, rng: Random): { z: Float32Array; eps: Float32Array } {
    const z = new Float32Array(n * this.config.latent);
    for (let i = 0; i < z.length; i++) z[i] = this.config.prior === 'normal' ? rng.normal() : SQRT3 * (2 * rng.uniform() - 1);
    const eps = Float32Array.from({ length: n * this.config.dim }, () => rng.normal());
    return { z, eps };
  }

  /** Variables of both networks by name: `decoder/…`, `encoder/…`. */
  parameters(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [part, net] of [['decoder', this.decoder], ['encoder', this.encoder]] as const) {
      for (const [name, v] of Object.entries(net.parameters())) out[`${part}/${name}`] = v;
    }
    return out;
  }

  /** ln p(z) of row i of z. */
  logPrior(z: ArrayLike<number>, i: number): number {
    const d = this.config.latent;
    if (this.config.prior === 'uniform') return -d * Math.log(2 * SQRT3);
    let s = 0;
    for (let k = 0; k < d; k++) s += z[i * d + k] ** 2;
    return -0.5 * s - d * HALF_LOG_2PI;
  }

  /** The encoder's input: (q − shift) / scale. */
  normalise(q: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.div(tf.sub(q, tf.tensor1d(Float32Array.from(this.inputShift))), tf.tensor1d(Float32Array.from(this.inputScale))) as tf.Tensor2D);
  }

  /** Move the encoder's normalisation a fraction `rate` towards the mean and spread of q [n, dim]. */
  track(q: ArrayLike<number>, n: number, rate: number): void {
    const d = this.config.dim;
    for (let k = 0; k < d; k++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += q[i * d + k];
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (q[i * d + k] - m) ** 2;
      const s = Math.sqrt(v / Math.max(1, n - 1)) || this.inputScale[k];
      this.inputShift[k] += rate * (m - this.inputShift[k]);
      this.inputScale[k] += rate * (s - this.inputScale[k]);
    }
  }

  /**
   * n configurations of the model, q = μ_θ(z) + σ_θ(z) ε.
   * @returns q [n, dim] and the z [n, latent] each came from.
   */
  sample(n: number, rng: Random): { q: Float64Array; z: Float32Array } {
    const { z, eps } = this.drawNoise(n, rng);
    const q = tf.tidy(() => {
      const s = this.decoder.sample(tf.tensor2d(z, [n, this.config.latent]), tf.tensor2d(eps, [n, this.config.dim]));
      return s.y.dataSync();
    });
    return { q: Float64Array.from(q), z };
  }

  /** The encoder's mean latent variables [n, latent] of configurations q [n, dim]: the collective variables. */
  encode(q: ArrayLike<number>, n: number): Float64Array {
    return Float64Array.from(tf.tidy(() => this.encoder.moments(this.normalise(tf.tensor2d(Float32Array.from(q), [n, this.config.dim]))).mean.dataSync()));
  }

  /** The decoder's mean μ_θ(z) [n, dim] at latent points z [n, latent]: the model's path along z. */
  decode(z: ArrayLike<number>, n: number): Float64Array {
    return Float64Array.from(tf.tidy(() => this.decoder.moments(tf.tensor2d(Float32Array.from(z), [n, this.config.latent])).mean.dataSync()));
  }

  /** Named tensors of both networks and the normalisation, for a parameter file. */
  tensors(): Map<string, StoredTensor> {
    const out = new Map<string, StoredTensor>();
    for (const [name, v] of Object.entries(this.parameters())) out.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    out.set('input/shift', { shape: [this.config.dim], data: Float32Array.from(this.inputShift) });
    out.set('input/scale', { shape: [this.config.dim], data: Float32Array.from(this.inputScale) });
    return out;
  }

  /**
   * Load tensors saved by `tensors()`.
   * @param source names the file in errors.
   * @throws Error naming a missing tensor or one of another shape.
   */
  load(tensors: ReadonlyMap<string, StoredTensor>, source: string): void {
    const get = (name: string, shape: readonly number[]) => {
      const t = tensors.get(name);
      if (!t || t.shape.join() !== shape.join()) throw new Error(`${source}: tensor '${name}' is ${t ? `of shape [${t.shape}]` : 'missing'}, expected shape [${shape}]`);
      return t;
    };
    for (const [name, v] of Object.entries(this.parameters())) {
      const t = get(name, v.shape);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
    this.inputShift.set(get('input/shift', [this.config.dim]).data);
    this.inputScale.set(get('input/scale', [this.config.dim]).data);
  }

  /** The config as JSON. */
  json(): JsonObject {
    return { ...this.config, hidden: [...this.config.hidden] };
  }

  dispose(): void {
    this.decoder.dispose();
    this.encoder.dispose();
  }
}
