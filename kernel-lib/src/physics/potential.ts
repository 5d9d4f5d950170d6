/**
 * The one interface every potential implements, for batches of configurations on flat typed
 * arrays (the MD fast path). Coordinates of one configuration are `nParticles × dim` numbers;
 * a batch stores configurations back to back.
 */

/** A potential energy surface U(x). Energies in kJ/mol, lengths in nm, forces in kJ/mol/nm. */
export interface Potential {
  /** Name used in reports and data set provenance. */
  readonly name: string;
  /** Particles per configuration. */
  readonly nParticles: number;
  /** Coordinates per particle: 3 for molecules, 1 or 2 for the toy surfaces. */
  readonly dim: number;
  /**
   * Energies and forces of `batch` configurations.
   * @param x [batch, nParticles·dim] coordinates, nm
   * @param forces out: [batch, nParticles·dim] −∂U/∂x, kJ/mol/nm (overwritten)
   * @param energies out: [batch] U, kJ/mol (overwritten)
   */
  evaluate(x: Float64Array, batch: number, forces: Float64Array, energies: Float64Array): void;
}

/** Energies and forces of a batch as new arrays (convenience over `evaluate`). */
export function energiesAndForces(p: Potential, x: Float64Array): { energies: Float64Array; forces: Float64Array } {
  const per = p.nParticles * p.dim;
  if (x.length % per !== 0) {
    throw new Error(`${p.name}: coordinates have ${x.length} values, not a multiple of ${p.nParticles} particles × ${p.dim}`);
  }
  const batch = x.length / per;
  const forces = new Float64Array(x.length);
  const energies = new Float64Array(batch);
  p.evaluate(x, batch, forces, energies);
  return { energies, forces };
}
