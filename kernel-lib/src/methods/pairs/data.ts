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
}

/** Options of {@link readLiquid}. */
export interface ReadLiquidOptions {
  /** PDB of the atoms, for files without a topology. */
  top?: string;
  /** Fail unless the file has forces (force matching). */
  requireForces?: boolean;
  /** Use at most this many frames, strided evenly. */
  maxFrames?: number;
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
  const groups = top ? BeadGroups.byResidue(top) : undefined;
  let positions = x;
  let forces = fAtoms;
  let beadTop: Topology;
  let masses: Float64Array;
  if (top && groups && groups.nBeads < na) {
    positions = groups.positions(x, frames, box);
    forces = fAtoms ? groups.forces(fAtoms, frames) : undefined;
    masses = groups.masses(top.atoms.map((a) => a.mass));
    const first = new Int32Array(groups.nBeads).fill(-1);
    groups.bead.forEach((b, i) => {
      if (first[b] < 0) first[b] = i;
    });
    beadTop = makeTopology(Array.from(first, (i, b) => ({ name: top.atoms[i].residue, element: '', mass: masses[b], residue: top.atoms[i].residue, resid: top.atoms[i].resid, chain: top.atoms[i].chain })));
  } else {
    masses = top ? Float64Array.from(top.atoms, (a) => a.mass) : new Float64Array(na).fill(1);
    beadTop = top ?? makeTopology(Array.from({ length: na }, (_, i) => ({ name: 'CG', element: '', mass: 1, residue: 'CG', resid: i + 1 })));
  }
  const typeNames = [...new Set(beadTop.atoms.map((a) => a.residue))];
  const dashed = typeNames.find((t) => t.includes('-') || t === '');
  if (dashed !== undefined) throw new Error(`${path}: bead type '${dashed}' (a residue name) is empty or contains '-', which separates the types of a pair in table names ('A-B'); rename the residue`);
  const types = Int32Array.from(beadTop.atoms, (a) => typeNames.indexOf(a.residue));
  checkFills(path, positions, frames, beadTop.atoms.length, box);
  const t = traj.provenance?.temperature_K;
  return {
    source: path, frames, n: beadTop.atoms.length, positions, forces, box, types, typeNames, masses, topology: beadTop,
    ...(typeof t === 'number' && t > 0 ? { temperature: t } : {}),
  };
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
