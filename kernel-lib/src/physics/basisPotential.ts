/**
 * Potentials linear in their parameters, U_θ(x) = θ·φ(x), over a fixed basis φ of functions of
 * the coordinates: the models whose parameters the Boltzmann covariance estimator and REM's
 * statistics act on directly (∂U/∂θ = φ). A basis is written once and becomes a `Potential`
 * for any θ.
 */
import type { Potential } from './potential.js';

/** A basis φ_k(x) of functions of one configuration's coordinates. */
export interface LinearBasis {
  readonly name: string;
  /** Number of basis functions. */
  readonly size: number;
  readonly nParticles: number;
  readonly dim: number;
  /** A name of each basis function, for records and diagnoses. */
  readonly names: readonly string[];
  /**
   * φ(x) of the configuration at `offset` of `x` into `phi` [size] (overwritten), and when
   * `gradient` is given, ∂φ_k/∂x_j into it, [size, nParticles·dim] row-major (overwritten).
   * Units: φ in kJ/mol per unit of θ, x in nm.
   */
  evaluate(x: ArrayLike<number>, offset: number, phi: Float64Array, gradient?: Float64Array): void;
}

/** φ of every configuration of a batch, [frames, size]. */
export function basisValues(basis: LinearBasis, x: ArrayLike<number>, frames: number): Float64Array {
  const per = basis.nParticles * basis.dim;
  if (x.length !== frames * per) throw new Error(`${basis.name}: ${x.length} coordinates for ${frames} frames of ${basis.nParticles} particles × ${basis.dim}`);
  const out = new Float64Array(frames * basis.size);
  const phi = new Float64Array(basis.size);
  for (let f = 0; f < frames; f++) {
    basis.evaluate(x, f * per, phi);
    out.set(phi, f * basis.size);
  }
  return out;
}

/**
 * The potential U_θ = θ·φ of a basis.
 * @throws Error when θ has another length than the basis or is not finite.
 */
export function basisPotential(basis: LinearBasis, theta: ArrayLike<number>): Potential {
  if (theta.length !== basis.size) throw new Error(`${basis.name}: ${theta.length} parameters for a basis of ${basis.size}`);
  for (let k = 0; k < theta.length; k++) if (!Number.isFinite(theta[k])) throw new Error(`${basis.name}: parameter ${basis.names[k]} is ${theta[k]}`);
  const per = basis.nParticles * basis.dim;
  const phi = new Float64Array(basis.size);
  const gradient = new Float64Array(basis.size * per);
  return {
    name: basis.name,
    nParticles: basis.nParticles,
    dim: basis.dim,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        basis.evaluate(x, b * per, phi, gradient);
        let u = 0;
        for (let k = 0; k < basis.size; k++) u += theta[k] * phi[k];
        energies[b] = u;
        for (let j = 0; j < per; j++) {
          let g = 0;
          for (let k = 0; k < basis.size; k++) g += theta[k] * gradient[k * per + j];
          forces[b * per + j] = -g;
        }
      }
    },
  };
}
