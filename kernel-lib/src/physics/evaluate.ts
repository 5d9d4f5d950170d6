/**
 * Energies and forces of given frames under a potential, in the frames' own atom order (atoms
 * are matched by residue and name when the file's order differs from the system's).
 */
import type { Trajectory } from '../io/trajectory.js';
import { isIdentity, matchAtoms } from '../topology/match.js';
import type { Topology } from '../topology/topology.js';
import type { Potential } from './potential.js';

/** Result of {@link evaluateFrames}. */
export interface FrameEvaluation {
  /** [frames] potential energies, kJ/mol. */
  energies: Float64Array;
  /** [frames, atoms, 3] forces −∂U/∂x in the input's atom order, kJ/mol/nm. */
  forces: Float64Array;
  /** True when the input's atoms were reordered to match the system. */
  reordered: boolean;
}

/**
 * Evaluate `p` on every frame of `traj`. Particles of lower-dimensional potentials (the 2-D
 * toys) read the first `p.dim` coordinates of each 3-D position; their other force components are 0.
 * @param systemTopology the potential's atoms, to match the input's atoms against
 * @param where names the input in errors
 */
export function evaluateFrames(p: Potential, systemTopology: Topology, traj: Trajectory, where: string): FrameEvaluation {
  const n = p.nParticles;
  let map: Int32Array;
  if (traj.topology) {
    map = matchAtoms(traj.topology, systemTopology, where);
  } else {
    if (traj.nAtoms !== n) throw new Error(`${where}: has ${traj.nAtoms} atoms, the system has ${n}`);
    map = Int32Array.from({ length: n }, (_, i) => i);
  }
  const dim = p.dim;
  const x = new Float64Array(n * dim);
  const f = new Float64Array(n * dim);
  const e = new Float64Array(1);
  const energies = new Float64Array(traj.nFrames);
  const forces = new Float64Array(traj.nFrames * n * 3);
  for (let fr = 0; fr < traj.nFrames; fr++) {
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) x[map[i] * dim + d] = traj.positions[(fr * n + i) * 3 + d];
    }
    p.evaluate(x, 1, f, e);
    energies[fr] = e[0];
    for (let i = 0; i < n; i++) {
      for (let d = 0; d < dim; d++) forces[(fr * n + i) * 3 + d] = f[map[i] * dim + d];
    }
  }
  return { energies, forces, reordered: !isIdentity(map) };
}
