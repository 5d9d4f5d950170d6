/**
 * The reference of a CG liquid fit: mapped bead positions and forces with their boxes, from a
 * cglab data set or a plain NumPy NPZ (positions, forces, box as [frames, 3] edges or
 * [frames, 3, 3] vectors). With a topology, molecules (residues) of several atoms become one
 * bead at their centre of mass, typed by residue name, with the summed force; without one (or
 * with one-atom residues) every particle is a bead, typed by residue name, or `CG` when there
 * is no topology at all.
 */
import { BeadGroups } from '../../cg/beadGroups.js';
import { readDataset } from '../../io/dataset.js';
import type { Trajectory } from '../../io/trajectory.js';
import type { HarmonicAngleParameters, HarmonicBondParameters } from '../../physics/bonded.js';
import { checkPeriodicCutoff } from '../../physics/neighbours.js';
import { makeTopology, type Topology } from '../../topology/topology.js';

/** Mapped frames of a periodic CG liquid. */
export interface LiquidData {
  /** The file, for messages and provenance. */
  source: string;
  frames: number;
  /** Beads per frame. */
  n: number;
  /** [frames, n, 3] bead positions, nm. */
  positions: Float64Array;
  /** [frames, n, 3] mapped forces, kJ/mol/nm (absent when the file has none). */
  forces?: Float64Array;
  /** [frames, 3] box edges, nm. */
  box: Float64Array;
  /** [n] type index of each bead. */
  types: Int32Array;
  typeNames: string[];
  /** [n] bead masses, amu (1 per bead without a topology: only time scales depend on it). */
  masses: Float64Array;
  /** Topology of the beads. */
  topology: Topology;
  /** Temperature in the file's provenance, K, when it states one. */
  temperature?: number;
  /** [n] molecule index of each bead, when molecules have several beads: pairs within one are left to its bonds. */
  molecule?: Int32Array;
  /** Bonds between consecutive beads of each molecule (flat [i0, j0, i1, j1, …]). */
  bondPairs?: Int32Array;
  /** Their potentials, once fitted (methods/pairs/bonds.ts). */
  bonds?: HarmonicBondParameters[];
  /** Angles of consecutive bead triples of each molecule (flat [i0, j0, k0, …], j the vertex). */
  angleTriples?: Int32Array;
  /** Their potentials, once fitted. */
  angles?: HarmonicAngleParameters[];
}

/**
 * Beads of several-bead molecules: per residue name, its beads in order along the molecule,
 * each a name (its bead type) and the names of its atoms. Consecutive beads are bonded, and
 * consecutive triples make harmonic angles.
 * Example (3-bead hexane): `{ "HEX": [{ "name": "CA", "atoms": ["C1", "C2"] }, { "name": "CB",
 * "atoms": ["C3", "C4"] }, { "name": "CA", "atoms": ["C5", "C6"] }] }`.
 */
export type BeadSpec = Record<string, { name: string; atoms: string[] }[]>;

/** Options of {@link readLiquid}. */
export interface ReadLiquidOptions {
  /** PDB of the atoms, for files without a topology. */
  top?: string;
  /** Fail unless the file has forces (force matching). */
  requireForces?: boolean;
  /** Use at most this many frames, strided evenly. */
  maxFrames?: number;
  /** Several beads per molecule for the residues it names (others stay one bead per residue). */
  beads?: BeadSpec;
  /** Names the bead spec in errors (e.g. its file). */
  beadsSource?: string;
}

/**
 * Reads and maps a liquid's frames.
 * @throws Error naming the file and field for: no box, a box that is not orthorhombic, a box
 *   that the particles cannot fill (positions in other units than the box, e.g. Å vs nm), NaN
 *   or Inf in any array (from the data set reader), or missing forces when required.
 */
export function readLiquid(path: string, o: ReadLiquidOptions = {}): LiquidData {
  return liquidFromTrajectory(readDataset(path, { top: o.top, requireTopology: false }), path, o);
}

/**
 * Maps frames in memory (e.g. `referenceData`'s) as {@link readLiquid} maps a file's;
 * `path` names them in errors.
 */
export function liquidFromTrajectory(traj: Trajectory, path: string, o: Omit<ReadLiquidOptions, 'top'> = {}): LiquidData {
  for (const [field, arr] of [['positions', traj.positions], ['forces', traj.forces], ['box', traj.box]] as const) {
    const bad = arr ? arr.findIndex((v) => !Number.isFinite(v)) : -1;
    if (bad >= 0) throw new Error(`${path}: ${field} has a non-finite value (${arr?.[bad]}) at flat index ${bad}`);
  }
  if (!traj.box) throw new Error(`${path}: no box: a periodic liquid needs 'box' ([frames, 3] edge lengths or [frames, 3, 3] box vectors, nm)`);
  if (o.requireForces && !traj.forces) throw new Error(`${path}: no forces: force matching needs 'forces' [frames, atoms, 3] (kJ/mol/nm) beside positions`);
  const stride = o.maxFrames && o.maxFrames < traj.nFrames ? traj.nFrames / o.maxFrames : 1;
  const frameIdx = Array.from({ length: Math.min(traj.nFrames, o.maxFrames ?? Infinity) }, (_, k) => Math.floor(k * stride));
  const na = traj.nAtoms;
  const box = new Float64Array(3 * frameIdx.length);
  frameIdx.forEach((f, k) => {
    for (let a = 0; a < 3; a++) {
      for (let b = 0; b < 3; b++) {
        const v = traj.box![9 * f + 3 * a + b];
        if (a !== b && Math.abs(v) > 1e-6) throw new Error(`${path}: box of frame ${f} is not orthorhombic (box[${f}, ${a}, ${b}] = ${v} nm); only rectangular boxes are supported`);
      }
      box[3 * k + a] = traj.box![9 * f + 4 * a];
      if (!(box[3 * k + a] > 0)) throw new Error(`${path}: box of frame ${f} has edge ${'xyz'[a]} = ${box[3 * k + a]} nm, expected > 0`);
    }
  });
  const pick = (arr: Float32Array) => {
    const out = new Float64Array(frameIdx.length * na * 3);
    frameIdx.forEach((f, k) => out.set(arr.subarray(3 * na * f, 3 * na * (f + 1)), 3 * na * k));
    return out;
  };
  const x = pick(traj.positions);
  const fAtoms = traj.forces ? pick(traj.forces) : undefined;
  const frames = frameIdx.length;
  const top = traj.topology;
  if (o.beads && !top) throw new Error(`${path}: a bead spec (${o.beadsSource ?? '--beads'}) needs the atoms' topology: give --top file.pdb`);
  const split = top && o.beads ? splitMolecules(top, o.beads, o.beadsSource ?? 'bead spec') : undefined;
  const groups = split ? new BeadGroups(split.bead, top!.atoms.map((a) => a.mass)) : top ? BeadGroups.byResidue(top) : undefined;
  let positions = x;
  let forces = fAtoms;
  let beadTop: Topology;
  let masses: Float64Array;
  if (top && groups && (split || groups.nBeads < na)) {
    positions = groups.positions(x, frames, box);
    forces = fAtoms ? groups.forces(fAtoms, frames) : undefined;
    masses = groups.masses(top.atoms.map((a) => a.mass));
    const first = new Int32Array(groups.nBeads).fill(-1);
    groups.bead.forEach((b, i) => {
      if (first[b] < 0) first[b] = i;
    });
    beadTop = makeTopology(Array.from(first, (i, b) => ({ name: split ? split.names[b] : top.atoms[i].residue, element: '', mass: masses[b], residue: top.atoms[i].residue, resid: top.atoms[i].resid, chain: top.atoms[i].chain })));
  } else {
    masses = top ? Float64Array.from(top.atoms, (a) => a.mass) : new Float64Array(na).fill(1);
    beadTop = top ?? makeTopology(Array.from({ length: na }, (_, i) => ({ name: 'CG', element: '', mass: 1, residue: 'CG', resid: i + 1 })));
  }
  // A bead's type: its name in a bead spec, else its residue's name.
  const typeOf = (a: Topology['atoms'][number]) => (split ? a.name : a.residue);
  const typeNames = [...new Set(beadTop.atoms.map(typeOf))];
  const dashed = typeNames.find((t) => t.includes('-') || t === '');
  if (dashed !== undefined) throw new Error(`${path}: bead type '${dashed}' (a residue name) is empty or contains '-', which separates the types of a pair in table names ('A-B'); rename the residue`);
  const types = Int32Array.from(beadTop.atoms, (a) => typeNames.indexOf(typeOf(a)));
  checkFills(path, positions, frames, beadTop.atoms.length, box);
  const t = traj.provenance?.temperature_K;
  return {
    source: path, frames, n: beadTop.atoms.length, positions, forces, box, types, typeNames, masses, topology: beadTop,
    ...(typeof t === 'number' && t > 0 ? { temperature: t } : {}),
    ...(split && split.bondPairs.length ? { molecule: split.molecule, bondPairs: split.bondPairs } : {}),
    ...(split && split.angleTriples.length ? { angleTriples: split.angleTriples } : {}),
  };
}

/**
 * Bead index, bead names, molecule of each bead and the bonds of consecutive beads, from a
 * bead spec; residues it does not name stay one bead.
 * @throws Error naming the spec for an atom of a named residue that no bead lists, or a bead
 *   with no atoms in some residue.
 */
function splitMolecules(top: Topology, spec: BeadSpec, source: string): { bead: Int32Array; names: string[]; molecule: Int32Array; bondPairs: Int32Array; angleTriples: Int32Array } {
  const perResidue = BeadGroups.byResidue(top).bead;
  const bead = new Int32Array(top.atoms.length);
  const names: string[] = [];
  const molecule: number[] = [];
  const bonds: number[] = [];
  const angles: number[] = [];
  let a = 0;
  while (a < top.atoms.length) {
    let end = a;
    while (end < top.atoms.length && perResidue[end] === perResidue[a]) end++;
    const residue = top.atoms[a].residue;
    const beads = spec[residue];
    const first = names.length;
    const m = perResidue[a];
    if (!beads) {
      names.push(residue);
      molecule.push(m);
      for (let i = a; i < end; i++) bead[i] = first;
    } else {
      beads.forEach((b) => {
        names.push(b.name);
        molecule.push(m);
      });
      for (let k = 1; k < beads.length; k++) bonds.push(first + k - 1, first + k);
      for (let k = 2; k < beads.length; k++) angles.push(first + k - 2, first + k - 1, first + k);
      const seen = new Set<number>();
      for (let i = a; i < end; i++) {
        const k = beads.findIndex((b) => b.atoms.includes(top.atoms[i].name));
        if (k < 0) throw new Error(`${source}: atom ${top.atoms[i].name} of residue ${residue} ${top.atoms[i].resid} is in none of its beads (${beads.map((b) => `${b.name}: ${b.atoms.join(' ')}`).join('; ')})`);
        bead[i] = first + k;
        seen.add(k);
      }
      const empty = beads.findIndex((_, k) => !seen.has(k));
      if (empty >= 0) throw new Error(`${source}: bead ${beads[empty].name} of residue ${residue} ${top.atoms[a].resid} has none of its atoms (${beads[empty].atoms.join(' ')}) there`);
    }
    a = end;
  }
  return { bead, names, molecule: Int32Array.from(molecule), bondPairs: Int32Array.from(bonds), angleTriples: Int32Array.from(angles) };
}

/**
 * A liquid fills its box: wrapped into it, its beads spread over most of every edge. Far less
 * means box and positions disagree (typically one in Å and the other in nm).
 */
function checkFills(path: string, x: Float64Array, frames: number, n: number, box: Float64Array): void {
  if (n < 20) return;
  for (let f = 0; f < frames; f++) {
    for (let d = 0; d < 3; d++) {
      const l = box[3 * f + d];
      // Occupied tenths of the edge, after wrapping.
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) {
        const w = x[3 * (f * n + i) + d] / l;
        seen.add(Math.min(9, Math.floor((w - Math.floor(w)) * 10)));
      }
      if (seen.size < 5) {
        throw new Error(`${path}: box is inconsistent with positions in frame ${f}: the ${n} beads occupy only ${seen.size} of 10 slabs along ${'xyz'[d]} of the ${l} nm edge; are box and positions in the same unit (nm)?`);
      }
    }
  }
}

/** Checks a fit's cut-off against every frame's box. */
export function checkCutoff(data: LiquidData, cutoff: number, what: string): void {
  for (let f = 0; f < data.frames; f++) {
    checkPeriodicCutoff(data.box.subarray(3 * f, 3 * f + 3), cutoff, `${what} (${data.source}, box of frame ${f})`);
  }
}
