/**
 * A CG map in which every atom belongs to one bead (a partition, e.g. one bead per molecule):
 * bead positions are weighted centres of their atoms, bead forces the sums of their atoms'
 * forces. Stored sparsely (one bead index and one weight per atom), so it scales to liquids of
 * thousands of molecules where the dense `LinearMap` would not, and periodic: each bead's atoms
 * are first gathered to the nearest image of the bead's first atom, so frames wrapped atom by
 * atom map correctly.
 *
 * Summing forces is the right force map for such a partition: with rigid molecules (or any
 * constraints inside a bead) the constraint forces cancel in the sum, and for centre-of-mass
 * beads it is the map force matching needs (Noid et al. 2008).
 */
import type { Topology } from '../topology/topology.js';
import { minimumImage } from '../physics/neighbours.js';

/** Atoms partitioned into beads. */
export class BeadGroups {
  /** Number of beads. */
  readonly nBeads: number;
  /** [atoms] weight of each atom in its bead's position (the weights of a bead sum to 1). */
  readonly weights: Float64Array;

  /**
   * @param bead [atoms] bead index of each atom, 0 … nBeads − 1, every bead with ≥ 1 atom.
   * @param atomWeights [atoms] raw weights (e.g. masses, amu), normalised per bead.
   * @throws Error for an empty bead, a negative index or a non-positive weight.
   */
  constructor(readonly bead: Int32Array, atomWeights: ArrayLike<number>) {
    if (atomWeights.length !== bead.length) throw new Error(`bead groups: ${atomWeights.length} weights for ${bead.length} atoms`);
    let nBeads = 0;
    bead.forEach((b, i) => {
      if (!(b >= 0)) throw new Error(`bead groups: atom ${i} has bead index ${b}, expected ≥ 0`);
      nBeads = Math.max(nBeads, b + 1);
    });
    const total = new Float64Array(nBeads);
    bead.forEach((b, i) => {
      if (!(atomWeights[i] > 0)) throw new Error(`bead groups: atom ${i} has weight ${atomWeights[i]}, expected > 0`);
      total[b] += atomWeights[i];
    });
    const empty = total.findIndex((t) => t === 0);
    if (empty >= 0) throw new Error(`bead groups: bead ${empty} has no atoms`);
    this.nBeads = nBeads;
    this.weights = Float64Array.from(bead, (b, i) => atomWeights[i] / total[b]);
  }

  /** Number of atoms. */
  get nAtoms(): number {
    return this.bead.length;
  }

  /**
   * One bead per residue, at its centre of mass: a new bead starts wherever chain, residue
   * number or residue name changes from the previous atom (PDB residue numbers wrap at 10000,
   * so a liquid of more molecules repeats numbers that are not the same molecule).
   */
  static byResidue(top: Topology): BeadGroups {
    let key = '';
    let b = -1;
    const bead = Int32Array.from(top.atoms, (a) => {
      const k = `${a.chain ?? ''}:${a.resid}:${a.residue}`;
      if (k !== key) {
        key = k;
        b++;
      }
      return b;
    });
    return new BeadGroups(bead, top.atoms.map((a) => a.mass));
  }

  /**
   * Bead positions of `frames` frames.
   * @param x [frames, atoms, 3] nm
   * @param box [frames, 3] box edges, nm, to make beads whole under the minimum image; omit for
   *   non-periodic data.
   * @returns [frames, beads, 3] nm
   */
  positions(x: ArrayLike<number>, frames: number, box?: ArrayLike<number>): Float64Array {
    const na = this.nAtoms;
    const nb = this.nBeads;
    const out = new Float64Array(frames * nb * 3);
    const first = new Int32Array(nb).fill(-1);
    this.bead.forEach((b, i) => {
      if (first[b] < 0) first[b] = i;
    });
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < na; i++) {
        const b = this.bead[i];
        const w = this.weights[i];
        const a0 = 3 * (f * na + first[b]);
        for (let d = 0; d < 3; d++) {
          const ref = x[a0 + d];
          let dx = x[3 * (f * na + i) + d] - ref;
          if (box) dx = minimumImage(dx, box[3 * f + d], 1 / box[3 * f + d]);
          out[3 * (f * nb + b) + d] += w * (ref + dx);
        }
      }
    }
    return out;
  }

  /**
   * Bead forces: the sum of each bead's atom forces.
   * @param forces [frames, atoms, 3] kJ/mol/nm
   * @returns [frames, beads, 3] kJ/mol/nm
   */
  forces(forces: ArrayLike<number>, frames: number): Float64Array {
    const na = this.nAtoms;
    const nb = this.nBeads;
    const out = new Float64Array(frames * nb * 3);
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < na; i++) {
        const o = 3 * (f * nb + this.bead[i]);
        const a = 3 * (f * na + i);
        out[o] += forces[a];
        out[o + 1] += forces[a + 1];
        out[o + 2] += forces[a + 2];
      }
    }
    return out;
  }

  /** [beads] bead masses: the sums of their atoms' masses (amu). */
  masses(atomMasses: ArrayLike<number>): Float64Array {
    const out = new Float64Array(this.nBeads);
    this.bead.forEach((b, i) => (out[b] += atomMasses[i]));
    return out;
  }
}
