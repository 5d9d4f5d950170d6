/**
 * Samples for the CG auto-encoder from an all-atom data set: whole frames of one molecule, or —
 * for a liquid of identical molecules — every molecule of every frame as a sample of the one
 * molecule type, so that a single assignment is learnt and applied to all copies.
 *
 * A periodic liquid's molecules are made whole by taking each atom's minimum image relative to
 * the molecule's first atom (valid while a molecule spans less than half the box, true of small
 * molecules in any box a cut-off allows). Every sample is centred on its centre of mass (or
 * geometry, as the beads are weighted), which removes translations; see autoencoder.ts for
 * rotations.
 */
import { constrainedGroups, hydrogenBondPairs } from '../../cg/forceMap.js';
import type { Trajectory } from '../../io/trajectory.js';
import { subset, type Topology } from '../../topology/topology.js';
import { pickFrames, strided } from '../forcematching/data.js';
import type { BeadWeighting } from './autoencoder.js';

/** Options of {@link autograinSamples}. */
export interface SampleOptions {
  /**
   * Learn one molecule type from all its copies. Default: when the topology is several copies of
   * one residue (same atom names in the same order).
   */
  perMolecule?: boolean;
  /** Centre on the centre of mass (default) or geometry. */
  weighting?: BeadWeighting;
  /** Use at most this many frames, evenly strided. */
  maxFrames?: number;
  /**
   * What the encoder assigns: 'atoms' one by one, or 'constraints': each heavy atom with the
   * hydrogens constrained to it as one unit. Default ('auto'): 'constraints' for data generated
   * with X–H constraints. A map that splits a constrained pair has no consistent summing force
   * map: the data's forces −∇U lack the constraint force, which cancels only within a bead.
   */
  units?: 'auto' | 'atoms' | 'constraints';
  /** Require forces (the force regulariser needs them). */
  needForces?: boolean;
  /** Names the data in messages. */
  source?: string;
}

/** What the auto-encoder trains on. */
export interface AutograinSamples {
  /** [samples, atoms, 3] centred positions, nm. */
  positions: Float32Array;
  /** [samples, atoms, 3] forces −∂U/∂x, kJ/mol/nm, when the data have them. */
  forces?: Float32Array;
  /** Topology of one sample (the molecule type, or the whole system). */
  topology: Topology;
  /** [atoms] masses, amu. */
  masses: Float64Array;
  /** [atoms] unit of each atom (atoms of one unit share a bead), when not every atom is one. */
  units?: Int32Array;
  /** Frames used, and molecules per frame (1 unless per molecule). */
  frames: number;
  molecules: number;
  perMolecule: boolean;
}

/** Atom index ranges of the residues, in order. */
function residueRanges(top: Topology): [number, number][] {
  const out: [number, number][] = [];
  top.atoms.forEach((a, i) => {
    const prev = i > 0 ? top.atoms[i - 1] : undefined;
    if (!prev || prev.resid !== a.resid || prev.residue !== a.residue) out.push([i, i + 1]);
    else out[out.length - 1][1] = i + 1;
  });
  return out;
}

/** True when the residues are ≥ 2 copies of one molecule (names and order alike). */
export function isMoleculeCopies(top: Topology): boolean {
  const ranges = residueRanges(top);
  if (ranges.length < 2) return false;
  const names = (r: [number, number]) => top.atoms.slice(r[0], r[1]).map((a) => `${a.residue}:${a.name}`).join(' ');
  const first = names(ranges[0]);
  return ranges.every((r) => names(r) === first);
}

/**
 * Samples of `traj` (topology required; forces when `needForces`).
 * @throws Error naming the data when the topology or forces are missing, or `perMolecule` is
 *   asked of a system that is not copies of one molecule.
 */
export function autograinSamples(traj: Trajectory, opts: SampleOptions = {}): AutograinSamples {
  const src = opts.source ?? 'data set';
  const top = traj.topology;
  if (!top) throw new Error(`${src}: has no topology, which the learned map needs for atom names, masses and bonds: give the PDB of the same atoms (--top file.pdb)`);
  if (opts.needForces && !traj.forces) {
    throw new Error(`${src}: has no forces, but the force regulariser (rho > 0) needs the instantaneous atomistic forces: use data saved with forces (cglab generate writes them), or set rho to 0`);
  }
  const copies = isMoleculeCopies(top);
  const perMolecule = opts.perMolecule ?? copies;
  if (perMolecule && !copies) throw new Error(`${src}: per-molecule learning needs a topology of several copies of one molecule (the same residue and atom names repeated); this one has residues ${[...new Set(top.atoms.map((a) => a.residue))].join(', ')}`);
  const ranges = perMolecule ? residueRanges(top) : [[0, top.atoms.length] as [number, number]];
  const nMol = ranges.length;
  const nA = ranges[0][1] - ranges[0][0];
  const frames = strided(traj.nFrames, opts.maxFrames);
  const per = traj.nAtoms * 3;
  const x = pickFrames(traj.positions, frames, per);
  const f = traj.forces ? pickFrames(traj.forces, frames, per) : undefined;
  const box = traj.box ? pickFrames(traj.box, frames, 9) : undefined;
  const molTop = perMolecule ? subset(top, Array.from({ length: nA }, (_, i) => i)) : top;
  const masses = Float64Array.from(molTop.atoms, (a) => a.mass);
  const w = opts.weighting === 'geometry' ? new Float64Array(nA).fill(1) : masses;
  const wSum = w.reduce((s, v) => s + v, 0);
  const nS = frames.length * nMol;
  const positions = new Float32Array(nS * nA * 3);
  const forces = f ? new Float32Array(nS * nA * 3) : undefined;
  const local = new Float64Array(nA * 3);
  for (let t = 0; t < frames.length; t++) {
    for (let m = 0; m < nMol; m++) {
      const o = t * per + ranges[m][0] * 3;
      const s = (t * nMol + m) * nA * 3;
      const centre = [0, 0, 0];
      for (let i = 0; i < nA; i++) {
        for (let c = 0; c < 3; c++) {
          let v = x[o + 3 * i + c];
          if (box && perMolecule) {
            const l = box[9 * t + 4 * c];
            v -= l * Math.round((v - x[o + c]) / l);
          }
          local[3 * i + c] = v;
          centre[c] += (w[i] * v) / wSum;
        }
      }
      for (let i = 0; i < 3 * nA; i++) positions[s + i] = local[i] - centre[i % 3];
      if (f && forces) forces.set(f.subarray(o, o + 3 * nA), s);
    }
  }
  const unitChoice = opts.units ?? 'auto';
  if (!['auto', 'atoms', 'constraints'].includes(unitChoice)) throw new Error(`autograin: units is '${unitChoice as string}', expected auto, atoms or constraints`);
  const constrained = Number(traj.provenance?.constraints ?? 0) > 0;
  const byConstraints = unitChoice === 'constraints' || (unitChoice === 'auto' && constrained);
  let units: Int32Array | undefined;
  if (byConstraints) {
    units = new Int32Array(nA);
    constrainedGroups(nA, hydrogenBondPairs(molTop)).forEach((g, k) => g.forEach((i) => ((units as Int32Array)[i] = k)));
  }
  return { positions, forces, topology: molTop, masses, ...(units ? { units } : {}), frames: frames.length, molecules: nMol, perMolecule };
}
