/**
 * Boltzmann reweighting and the covariance estimator of parameter derivatives, for models
 * p_θ(x) ∝ exp(−β U_θ(x)) sampled by simulation:
 *
 *   ∂/∂θ E_θ[g] = −β Cov_θ(g, ∂U_θ/∂θ)      (g not depending on θ),
 *
 * and samples drawn at θ_s reused at a nearby θ with weights w ∝ exp(−β (U_θ − U_θs)), as long
 * as their effective sample size stays large. Frames are taken to come in contiguous blocks
 * (replica after replica, time order within), which is what the standard errors by blocks
 * assume.
 */

/** Normalised weights of samples from one ensemble for another. */
export interface Weights {
  /** [frames] Σ = 1. */
  weights: Float64Array;
  /** Kish's effective sample size (Σw)²/Σw², between 1 and frames. */
  ess: number;
}

/** Uniform weights of `frames` samples. */
export function uniformWeights(frames: number): Weights {
  return { weights: new Float64Array(frames).fill(1 / frames), ess: frames };
}

/**
 * Weights w_i ∝ exp(−β ΔU_i) of samples drawn at θ_s for the ensemble at θ, with
 * ΔU_i = U_θ(x_i) − U_θs(x_i) in kJ/mol and β in mol/kJ.
 * @throws Error when a ΔU is not finite.
 */
export function boltzmannWeights(deltaU: ArrayLike<number>, beta: number): Weights {
  const n = deltaU.length;
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(deltaU[i])) throw new Error(`reweighting: the energy change of sample ${i} is ${deltaU[i]}`);
    min = Math.min(min, deltaU[i]);
  }
  const weights = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    weights[i] = Math.exp(-beta * (deltaU[i] - min));
    sum += weights[i];
  }
  let sq = 0;
  for (let i = 0; i < n; i++) {
    weights[i] /= sum;
    sq += weights[i] * weights[i];
  }
  return { weights, ess: 1 / sq };
}

/** Weighted mean and covariance of the rows of x [frames, p]. */
export function weightedMoments(x: ArrayLike<number>, frames: number, p: number, weights: ArrayLike<number>): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(p);
  for (let f = 0; f < frames; f++) for (let i = 0; i < p; i++) mean[i] += weights[f] * x[f * p + i];
  const cov = new Float64Array(p * p);
  const d = new Float64Array(p);
  for (let f = 0; f < frames; f++) {
    const w = weights[f];
    for (let i = 0; i < p; i++) d[i] = x[f * p + i] - mean[i];
    for (let i = 0; i < p; i++) {
      if (d[i] === 0) continue;
      const wi = w * d[i];
      for (let j = i; j < p; j++) cov[i * p + j] += wi * d[j];
    }
  }
  for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) cov[i * p + j] = cov[j * p + i];
  return { mean, cov };
}

/** Weighted Cov(g, d_k) for every column k of d [frames, p]. */
function weightedCross(g: ArrayLike<number>, d: ArrayLike<number>, p: number, weights: ArrayLike<number>, from: number, to: number): Float64Array {
  let wsum = 0;
  let gm = 0;
  const dm = new Float64Array(p);
  for (let f = from; f < to; f++) {
    wsum += weights[f];
    gm += weights[f] * g[f];
    for (let k = 0; k < p; k++) dm[k] += weights[f] * d[f * p + k];
  }
  const c = new Float64Array(p);
  // A block whose weights all underflowed carries no information.
  if (!(wsum > 0)) return c;
  gm /= wsum;
  for (let k = 0; k < p; k++) dm[k] /= wsum;
  for (let f = from; f < to; f++) {
    const wg = (weights[f] * (g[f] - gm)) / wsum;
    if (wg === 0) continue;
    for (let k = 0; k < p; k++) c[k] += wg * (d[f * p + k] - dm[k]);
  }
  return c;
}

/** A derivative estimate with its standard error. */
export interface GradientEstimate {
  /** [p] ∂E_θ[g]/∂θ_k. */
  gradient: Float64Array;
  /** [p] standard error of each component from the spread of block estimates (NaN with one block). */
  stdError: Float64Array;
}

/**
 * ∂/∂θ E_θ[g] = −β Cov_θ(g, ∂U/∂θ) from samples of p_θ (weighted when reused from another θ),
 * with standard errors from `blocks` contiguous blocks of frames.
 * @param g [frames] the observable at each sample.
 * @param dU [frames, p] ∂U_θ/∂θ at each sample, kJ/mol per unit of θ.
 * @param beta 1/kT, mol/kJ.
 */
export function boltzmannGradient(g: ArrayLike<number>, dU: ArrayLike<number>, p: number, weights: ArrayLike<number>, beta: number, blocks = 5): GradientEstimate {
  const frames = g.length;
  if (dU.length !== frames * p) throw new Error(`boltzmannGradient: ${dU.length} derivative values for ${frames} frames × ${p} parameters`);
  const gradient = weightedCross(g, dU, p, weights, 0, frames).map((c) => -beta * c);
  const nb = Math.max(1, Math.min(blocks, frames));
  const stdError = new Float64Array(p).fill(NaN);
  if (nb > 1) {
    const est: Float64Array[] = [];
    for (let b = 0; b < nb; b++) {
      const from = Math.floor((b * frames) / nb);
      const to = Math.floor(((b + 1) * frames) / nb);
      est.push(weightedCross(g, dU, p, weights, from, to).map((c) => -beta * c));
    }
    const cov = blockCovariance(est, p);
    for (let k = 0; k < p; k++) stdError[k] = Math.sqrt(cov[k * p + k]);
  }
  return { gradient, stdError };
}

/** Covariance [p, p] of the mean of block estimates (each [p]), as the error of the whole estimate. */
function blockCovariance(est: Float64Array[], p: number): Float64Array {
  const nb = est.length;
  const m = Float64Array.from({ length: p }, (_, k) => est.reduce((s, e) => s + e[k], 0) / nb);
  const cov = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = i; j < p; j++) {
      const c = est.reduce((s, e) => s + (e[i] - m[i]) * (e[j] - m[j]), 0) / (nb - 1) / nb;
      cov[i * p + j] = c;
      cov[j * p + i] = c;
    }
  }
  return cov;
}

/**
 * Covariance [p, p] of the weighted mean of the rows of x [frames, p], from the spread of the
 * means of `blocks` contiguous blocks of frames; NaN with fewer than 2 blocks.
 */
export function meanCovariance(x: ArrayLike<number>, frames: number, p: number, weights: ArrayLike<number>, blocks = 5): Float64Array {
  const nb = Math.max(1, Math.min(blocks, frames));
  if (nb < 2) return new Float64Array(p * p).fill(NaN);
  const est: Float64Array[] = [];
  for (let b = 0; b < nb; b++) {
    const from = Math.floor((b * frames) / nb);
    const to = Math.floor(((b + 1) * frames) / nb);
    const mean = new Float64Array(p);
    let wsum = 0;
    for (let f = from; f < to; f++) {
      wsum += weights[f];
      for (let k = 0; k < p; k++) mean[k] += weights[f] * x[f * p + k];
    }
    est.push(mean.map((v) => (wsum > 0 ? v / wsum : 0)));
  }
  return blockCovariance(est, p);
}
