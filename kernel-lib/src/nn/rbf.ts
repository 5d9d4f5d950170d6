/**
 * Distance expansions for continuous-filter convolutions (SchNet): Gaussian radial basis
 * functions and a smooth cosine cutoff, both differentiable to second order in tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { capAt } from '../backend/ops.js';

/** Settings of a Gaussian RBF expansion. */
export interface RbfOptions {
  /** Number of Gaussians; default 50. */
  n?: number;
  /** Largest centre = the cutoff distance, nm. */
  cutoff: number;
  /** Smallest centre, nm; default 0. */
  start?: number;
}

/**
 * Gaussians exp(−γ (d − μ_k)²) with n centres μ_k evenly spaced over [start, cutoff] and
 * γ = 1 / (2Δ²), Δ the spacing (schnetpack's choice): neighbours overlap strongly (each is
 * e^(−1/8) ≈ 0.88 midway between two centres), so the expansion varies smoothly with d and
 * resolves distances to about Δ.
 */
export class GaussianRbf {
  readonly n: number;
  readonly cutoff: number;
  readonly start: number;
  /** [n] centres, nm. */
  readonly centers: Float64Array;
  /** Width parameter γ, nm⁻². */
  readonly gamma: number;

  constructor(opts: RbfOptions) {
    this.n = opts.n ?? 50;
    this.cutoff = opts.cutoff;
    this.start = opts.start ?? 0;
    if (!Number.isInteger(this.n) || this.n < 2) throw new Error(`GaussianRbf: n is ${this.n}, expected an integer ≥ 2`);
    if (!(this.cutoff > this.start) || !Number.isFinite(this.cutoff) || !(this.start >= 0)) {
      throw new Error(`GaussianRbf: expected 0 ≤ start < cutoff (nm), got start ${this.start}, cutoff ${this.cutoff}`);
    }
    const spacing = (this.cutoff - this.start) / (this.n - 1);
    this.centers = Float64Array.from({ length: this.n }, (_, k) => this.start + k * spacing);
    this.gamma = 1 / (2 * spacing * spacing);
  }

  /**
   * Expand distances.
   * @param d [...] distances, nm.
   * @returns [..., n], dimensionless in (0, 1].
   */
  apply(d: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.exp(tf.mul(tf.square(tf.sub(tf.expandDims(d, -1), tf.tensor1d(Float32Array.from(this.centers)))), -this.gamma)));
  }
}

/**
 * Cosine cutoff ½(cos(π d / rc) + 1) for d < rc, 0 beyond: falls smoothly from 1 at d = 0 to
 * 0 at rc with zero slope there, so energies and forces stay continuous as pairs leave the
 * cutoff. Written with `capAt`, which has a second derivative, instead of a comparison.
 * @param d [...] distances, nm. @param rc cutoff, nm. @returns [...], in [0, 1].
 */
export function cosineCutoff(d: tf.Tensor, rc: number): tf.Tensor {
  if (!(rc > 0)) throw new Error(`cosineCutoff: the cutoff must be a positive distance (nm), got ${rc}`);
  return tf.tidy(() => tf.mul(tf.add(tf.cos(tf.mul(capAt(d, rc), Math.PI / rc)), 1), 0.5));
}
