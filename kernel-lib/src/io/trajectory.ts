/**
 * The in-memory form every reader returns and every writer takes: frames of coordinates in
 * internal units, with whatever topology, forces, box and time the source had.
 */
import type { Topology } from '../topology/topology.js';
import { INTERNAL_UNITS, type Units } from '../units.js';

/** Frames of an all-atom or CG system. Arrays are flat, row-major, internal units. */
export interface Trajectory {
  /** Atom names, elements, masses, residues and bonds; absent for formats without them (DCD). */
  topology?: Topology;
  nFrames: number;
  nAtoms: number;
  /** [nFrames, nAtoms, 3], nm. */
  positions: Float32Array;
  /** [nFrames, nAtoms, 3], kJ/mol/nm: the atomistic forces −dU/dx at each frame. */
  forces?: Float32Array;
  /** [nFrames, 3, 3] periodic box vectors as rows, nm. */
  box?: Float32Array;
  /** [nFrames] simulation time, ps. */
  time?: Float32Array;
  /** Always the internal units once read; writers convert at the edge. */
  units: Units;
  /** Free-form record of where the data came from (generator, settings, checksums). */
  provenance?: Record<string, unknown>;
}

/** A trajectory from arrays already in internal units, checking array lengths against the frame and atom counts. */
export function makeTrajectory(t: Omit<Trajectory, 'units'>, source = 'trajectory'): Trajectory {
  const { nFrames, nAtoms } = t;
  const check = (name: string, arr: ArrayLike<number> | undefined, per: number, shape: string) => {
    if (arr !== undefined && arr.length !== nFrames * per) {
      throw new Error(`${source}: ${name} has ${arr.length} values, expected ${shape} = ${nFrames * per}`);
    }
  };
  check('positions', t.positions, nAtoms * 3, `[${nFrames}, ${nAtoms}, 3]`);
  check('forces', t.forces, nAtoms * 3, `[${nFrames}, ${nAtoms}, 3]`);
  check('box', t.box, 9, `[${nFrames}, 3, 3]`);
  check('time', t.time, 1, `[${nFrames}]`);
  if (t.topology && t.topology.atoms.length !== nAtoms) {
    throw new Error(`${source}: topology has ${t.topology.atoms.length} atoms but the coordinates have ${nAtoms}`);
  }
  return { ...t, units: { ...INTERNAL_UNITS } };
}
