import assert from 'node:assert/strict';
import { energiesAndForces, type Potential } from 'cglab/physics/potential';

/** A peer's (OpenMM's) energy (kJ/mol) and forces (kJ/mol/nm) of one configuration. */
export interface Evaluation {
  energy: number;
  forces: number[];
}

/** One configuration with the peer's evaluation of it. */
export interface PeerConfiguration extends Evaluation {
  label: string;
  x: Float64Array;
}

/**
 * Assert that `potential` gives every configuration's energy within `energyRel` (relative) and
 * every force component within `forceAbs` (kJ/mol/nm) of the peer's; returns the worst errors
 * and the largest force component, for diagnostics.
 */
export function assertPeerAgreement(potential: Potential, configurations: readonly PeerConfiguration[], energyRel: number, forceAbs: number): { worstEnergy: number; worstForce: number; largestForce: number } {
  let worstEnergy = 0;
  let worstForce = 0;
  let largestForce = 0;
  for (const { label, x, energy, forces } of configurations) {
    const ours = energiesAndForces(potential, x);
    const rel = Math.abs(ours.energies[0] - energy) / Math.abs(energy);
    worstEnergy = Math.max(worstEnergy, rel);
    assert.ok(rel <= energyRel, `${label}: energy ours ${ours.energies[0]}, OpenMM ${energy} kJ/mol (relative error ${rel})`);
    forces.forEach((f, i) => {
      const d = Math.abs(ours.forces[i] - f);
      worstForce = Math.max(worstForce, d);
      largestForce = Math.max(largestForce, Math.abs(f));
      assert.ok(d <= forceAbs, `${label}, force component ${i}: ours ${ours.forces[i]}, OpenMM ${f} kJ/mol/nm`);
    });
  }
  return { worstEnergy, worstForce, largestForce };
}
