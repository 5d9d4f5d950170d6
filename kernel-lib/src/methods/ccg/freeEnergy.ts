/**
 * Free energies and mean forces of CG configurations from local sampling of a back-mapping
 * q(y | s), without rare-event sampling: at each s, K samples y_k ~ q give importance weights
 * w_k ∝ exp(−βU(x_k) − ln q(y_k | s) + ln J_k), and
 *
 *   F(s) = −kT ln (1/K) Σ_k exp(−βU − ln q + ln J)   (exact in the limit K → ∞ for any q with full support),
 *   −∇_s F(s) = −kT Σ_k w̃_k ∇_s (βU(x(s, y_k)) − ln J) at fixed y_k   (w̃ normalised),
 *
 * next to the variational bound kT ⟨βU + ln q − ln J⟩_q ≥ F(s) and the weights' effective sample
 * size, which says how well q matches the conditional Boltzmann density there.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConditionalDensity } from '../../nn/conditionalDensity.js';
import type { TensorEnergy } from '../../physics/tensor.js';
import { BOLTZMANN } from '../../units.js';
import { Random } from '../../util/random.js';
import { conditionOf, type FineRepresentation } from './representation.js';

/** What {@link freeEnergies} gives per CG configuration (kJ/mol, kJ/mol per CG unit). */
export interface FreeEnergyEstimates {
  /** [m] importance-weighted F(s), kJ/mol. */
  freeEnergy: Float64Array;
  /** [m] the variational bound, kJ/mol (≥ F up to sampling noise). */
  bound: Float64Array;
  /** [m] Kish effective sample size of the weights, as a fraction of the samples. */
  ess: Float64Array;
  /** [m, cgDim] mean force −∇_s F, kJ/mol per unit of s. */
  meanForce: Float64Array;
}

/**
 * F(s), its bound, the ESS and the mean force at each of `s` [m, cgDim], from `samples` draws of
 * q each (default 2000), at `temperature` K.
 */
export function freeEnergies(q: ConditionalDensity, rep: FineRepresentation, energy: TensorEnergy, temperature: number, s: Float64Array, opts: { samples?: number; seed?: number } = {}): FreeEnergyEstimates {
  const c = rep.cgDim;
  if (s.length === 0 || s.length % c !== 0) throw new Error(`freeEnergies: s has ${s.length} values, expected [m, ${c}] CG configurations`);
  const k = opts.samples ?? 2000;
  const kT = BOLTZMANN * temperature;
  const beta = 1 / kT;
  const m = s.length / c;
  const rng = new Random(opts.seed ?? 2);
  const out: FreeEnergyEstimates = { freeEnergy: new Float64Array(m), bound: new Float64Array(m), ess: new Float64Array(m), meanForce: new Float64Array(m * c) };
  for (let i = 0; i < m; i++) {
    const si = tf.tidy(() => tf.tile(tf.tensor2d(Float32Array.from(s.subarray(i * c, (i + 1) * c)), [1, c]), [k, 1]) as tf.Tensor2D);
    const eps = tf.tensor2d(Float32Array.from({ length: k * q.dim }, () => rng.normal()), [k, q.dim]);
    // Fixed y for the mean force: ∇_s at fixed y of βU(x(s, y)) − ln J.
    const { y, logProb } = tf.tidy(() => q.sampleWithLogProb(conditionOf(rep, si), eps));
    const yFixed = tf.keep(tf.tensor2d(y.dataSync(), y.shape));
    const { value, grads } = tf.tidy(() => {
      const r = tf.valueAndGrad((sv: tf.Tensor) => {
        const { x, logJacobian } = rep.embed(sv as tf.Tensor2D, yFixed);
        return tf.sum(tf.sub(tf.mul(energy(x), beta), logJacobian)) as tf.Scalar;
      });
      // valueAndGrad sums; the per-sample values are recomputed below for the weights.
      const g = r(si).grad;
      const { x, logJacobian } = rep.embed(si, yFixed);
      return { value: tf.sub(tf.mul(energy(x), beta), logJacobian).dataSync(), grads: g.dataSync() };
    });
    const lq = logProb.dataSync();
    const logw = Float64Array.from(value, (v, j) => -v - lq[j]);
    const mx = Math.max(...logw);
    let sw = 0;
    let sw2 = 0;
    let bound = 0;
    for (let j = 0; j < k; j++) {
      const w = Math.exp(logw[j] - mx);
      sw += w;
      sw2 += w * w;
      bound += (value[j] + lq[j]) / k;
    }
    out.freeEnergy[i] = -kT * (mx + Math.log(sw / k));
    out.bound[i] = kT * bound;
    out.ess[i] = (sw * sw) / sw2 / k;
    for (let d = 0; d < c; d++) {
      let f = 0;
      for (let j = 0; j < k; j++) f -= (Math.exp(logw[j] - mx) / sw) * grads[j * c + d];
      out.meanForce[i * c + d] = kT * f;
    }
    for (const t of [si, eps, y, logProb, yFixed]) t.dispose();
  }
  return out;
}
