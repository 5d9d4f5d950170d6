/**
 * The interface every term of a CG energy model implements (priors in cg/priors.ts, networks
 * in nn/), kept below both so that neither imports the other for it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { JsonObject } from '../nn/params.js';
import type { FeatureHostEnergy } from './geometryOp.js';

/** One additive term of an energy model. */
export interface EnergyTerm {
  /** Type tag used to rebuild the term from a saved file, e.g. 'harmonic-bonds', 'schnet'. */
  readonly kind: string;
  /** Energies of a batch, [batch] kJ/mol, from bead positions [batch, beads, 3] nm (differentiable). */
  energy(x: tf.Tensor3D): tf.Tensor1D;
  /** Trainable variables by name (none for priors, whose parameters are fitted from data). */
  parameters(): Record<string, tf.Variable>;
  /** Everything but the trainable values needed to rebuild the term, as JSON. */
  config(): JsonObject;
  /**
   * A faster evaluator of this term's energies and forces outside tfjs, for simulation, with the
   * parameters as they are now; undefined (or absent) where there is none.
   */
  hostForces?(): HostForces | undefined;
  /**
   * The term as an energy of internal coordinates alone, for evaluation outside tfjs (priors;
   * CGnet's network where hostBuffer.ts has a buffer): {@link EnergyModel.asPotential} evaluates
   * all such terms of a model with one geometry pass. Undefined (or absent) where there is none.
   */
  hostFeatureEnergy?(): FeatureHostEnergy | undefined;
}

/** A term's energies and forces evaluated on the host (see {@link EnergyTerm.hostForces}). */
export interface HostForces {
  /**
   * Add the term's energies [batch] (kJ/mol) and forces [batch, beads, 3] (kJ/mol/nm) at bead
   * positions x [batch, beads, 3] (nm) to `energies` and `forces`.
   */
  add(x: Float64Array, batch: number, forces: Float64Array, energies: Float64Array): void;
}
