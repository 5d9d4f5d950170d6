/**
 * Differentiable (tfjs) forms of potentials, for methods that need gradients of U (the
 * embedded-physics reverse-KL loss, CCG's variational free energy) or of forces.
 *
 * Two kinds: the toy surfaces are written in tensor ops, so every derivative order is exact;
 * any other Potential is wrapped with a custom gradient that returns its analytic forces, which
 * gives exact first derivatives at flat-array speed but no second derivatives.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../backend/gradients.js';
import type { Potential } from './potential.js';

/** U(x) on a batch: x [batch, nParticles·dim] (nm) → energies [batch] (kJ/mol). */
export type TensorEnergy = (x: tf.Tensor2D) => tf.Tensor1D;

const col = (x: tf.Tensor2D, k: number) => tf.reshape(tf.slice(x, [0, k], [-1, 1]), [-1]) as tf.Tensor1D;

/** Exact tensor form of the 2-D double well x1⁴/4 − 3x1² + x1 + x2²/2 (all derivatives). */
export const doubleWell2dTensor: TensorEnergy = (x) => tf.tidy(() => {
  const a = col(x, 0);
  const b = col(x, 1);
  const a2 = tf.square(a);
  return tf.addN([tf.mul(tf.square(a2), 0.25), tf.mul(a2, -3), a, tf.mul(tf.square(b), 0.5)]) as tf.Tensor1D;
});

/** Exact tensor form of the coupled 2-D system (see physics/toy.ts coupled2d). */
export const coupled2dTensor: TensorEnergy = (x) => tf.tidy(() => {
  const a = col(x, 0);
  const b = col(x, 1);
  const a2 = tf.square(a);
  const d = tf.sub(b, tf.mul(a2, 0.5));
  return tf.addN([tf.mul(tf.square(a2), 0.25), tf.mul(a2, -3), a, tf.mul(tf.mul(tf.add(a2, 1), tf.square(d)), 0.5)]) as tf.Tensor1D;
});

/** Exact tensor form of the 1-D double well h·(x² − 1)². */
export function doubleWell1dTensor(barrier = 3): TensorEnergy {
  return (x) => tf.tidy(() => tf.mul(tf.square(tf.sub(tf.square(col(x, 0)), 1)), barrier) as tf.Tensor1D);
}

/**
 * A tensor form of any Potential through its analytic forces: the value is U(x), the gradient
 * −F(x), computed on flat float64 arrays. Differentiating the gradient again is not possible —
 * tfjs would treat the forces as constants and return zeros — so methods that need second
 * derivatives must use an exact tensor form.
 * @param opts cap (kJ/mol): above it U is replaced by cap + ln(1 + U − cap), as Boltzmann
 *   generators regularise energies (Noé et al. 2019), so that a sample with overlapping atoms
 *   gives a large but bounded value and gradient instead of overflowing float32; the energy is
 *   unchanged below the cap, where a converged density puts its samples.
 */
export function tensorEnergyOf(p: Potential, opts: { cap?: number } = {}): TensorEnergy {
  const per = p.nParticles * p.dim;
  const { cap } = opts;
  if (cap !== undefined && !Number.isFinite(cap)) throw new Error(`${p.name}: the energy cap must be a finite energy (kJ/mol), got ${cap}`);
  return (x) => {
    if (x.shape[1] !== per) {
      throw new Error(`${p.name}: tensor energy needs x of shape [batch, ${per}], got [${x.shape.join(', ')}]`);
    }
    const f = tf.customGrad(((xs: tf.Tensor, save: tf.GradSaveFunc) => {
      const batch = xs.shape[0] as number;
      const flat = Float64Array.from(xs.dataSync());
      const forces = new Float64Array(flat.length);
      const energies = new Float64Array(batch);
      p.evaluate(flat, batch, forces, energies);
      if (cap !== undefined) {
        // Above the cap, U → cap + ln(1 + U − cap), its forces scaled by 1/(1 + U − cap), in float64.
        // A non-finite energy (atoms on top of each other) counts as 1000 kJ/mol over the cap, with no force.
        for (let b = 0; b < batch; b++) {
          const finite = Number.isFinite(energies[b]);
          const over = energies[b] - cap;
          if (finite && !(over > 0)) continue;
          const scale = finite ? 1 / (1 + over) : 0;
          energies[b] = finite ? cap + Math.log1p(over) : cap + 1000;
          for (let i = b * per; i < (b + 1) * per; i++) forces[i] = scale === 0 || !Number.isFinite(forces[i]) ? 0 : forces[i] * scale;
        }
      }
      const grad = tf.tensor2d(Float32Array.from(forces, (v) => -v), [batch, per]);
      save([grad]);
      return {
        value: tf.tensor1d(Float32Array.from(energies)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(tf.reshape(dy, [-1, 1]), saved[0]),
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return f(x) as tf.Tensor1D;
  };
}
