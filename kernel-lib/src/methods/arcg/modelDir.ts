/**
 * The folder `cglab train arcg` writes, and reading it back to simulate the model:
 *
 * | file | what |
 * |---|---|
 * | `arcg.json` | format `cglab-arcg`: map, temperature, beads, virtual sites, masses, terms, every parameter by name with θ and its sampling error, the iterations' records |
 * | `frames.npz` | mapped training frames (cglab data set of the mapped beads): starts for simulations |
 * | `arcg-state.json` | the fit's resume point (stateFile.ts) |
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { internalBasis, type InternalTerm } from '../../cg/internalBasis.js';
import { readDataset } from '../../io/dataset.js';
import type { Trajectory } from '../../io/trajectory.js';
import { readVersionedJson } from '../../io/versionedJson.js';
import { basisPotential } from '../../physics/basisPotential.js';
import type { Potential } from '../../physics/potential.js';
import type { Atom, Topology } from '../../topology/topology.js';
import type { Random } from '../../util/random.js';
import { mapSpecByName, resolveMap } from '../forcematching/mapping.js';
import type { ArcgRecord } from './arcg.js';
import type { VirtualSiteSpec } from './molecule.js';

/** The format tag of `arcg.json`. */
export const ARCG_FORMAT = 'cglab-arcg';
/** Its version. */
export const ARCG_VERSION = 1;

/** `arcg.json`. */
export interface ArcgInfo {
  format: typeof ARCG_FORMAT;
  version: number;
  source: string;
  /** The map the data were mapped with (a built-in name or a map file). */
  map: string;
  /** K. */
  temperature: number;
  /** Names of the mapped beads. */
  beads: string[];
  virtualSites: VirtualSiteSpec[];
  /** [mapped + virtual] amu. */
  masses: number[];
  terms: InternalTerm[];
  critic: string;
  divergence: string;
  /** θ and its sampling error (kJ/mol per basis unit; null where it is not known). */
  parameters: { name: string; theta: number; error: number | null }[];
  converged: boolean;
  records: ArcgRecord[];
}

/** Paths of an ARCG folder's files. */
export function arcgFiles(dir: string): { info: string; frames: string } {
  return { info: join(dir, 'arcg.json'), frames: join(dir, 'frames.npz') };
}

/** True for a folder `cglab train arcg` wrote. */
export function isArcgDir(dir: string): boolean {
  return existsSync(arcgFiles(dir).info);
}

/** An ARCG model read back: its potential over mapped beads and virtual sites. */
export interface LoadedArcg {
  dir: string;
  info: ArcgInfo;
  potential: Potential;
  /** Mapped beads, then virtual sites. */
  nBeads: number;
  nMapped: number;
  masses: Float64Array;
  /** Beads then virtual sites, as one CG topology (virtual sites bonded to their bead). */
  topology: Topology;
}

/**
 * The model in `dir`.
 * @throws Error naming the file when it is missing, of another format, or its parameters do
 *   not match its terms.
 */
export function loadArcg(dir: string): LoadedArcg {
  const file = arcgFiles(dir).info;
  const info = readVersionedJson<ArcgInfo>(file, ARCG_FORMAT, ARCG_VERSION, 'cglab train arcg');
  const nMapped = info.beads.length;
  const nBeads = nMapped + info.virtualSites.length;
  if (info.masses.length !== nBeads) throw new Error(`${file}: ${info.masses.length} masses for ${nMapped} beads and ${info.virtualSites.length} virtual sites`);
  const basis = internalBasis(nBeads, info.terms, file);
  if (info.parameters.length !== basis.size) throw new Error(`${file}: ${info.parameters.length} parameters, but its terms have ${basis.size} basis functions`);
  const theta = info.parameters.map((p) => p.theta);
  const atoms: Atom[] = [
    ...info.beads.map((name) => ({ name, element: '', mass: 0, residue: 'CG', resid: 1 })),
    ...info.virtualSites.map((v) => ({ name: v.name, element: '', mass: v.mass, residue: 'CG', resid: 1 })),
  ];
  atoms.forEach((a, i) => { a.mass = info.masses[i]; });
  const bonds: [number, number][] = [
    ...Array.from({ length: nMapped - 1 }, (_, i) => [i, i + 1] as [number, number]),
    ...info.virtualSites.map((v, k) => [v.near, nMapped + k] as [number, number]),
  ];
  return { dir, info, potential: basisPotential(basis, theta), nBeads, nMapped, masses: Float64Array.from(info.masses), topology: { atoms, bonds } };
}

/**
 * Mapped starting frames for the model: `traj` as CG frames of its mapped beads, or all-atom
 * frames mapped with its map; without `traj`, the frames kept in the folder.
 * @throws Error naming the file for frames of another bead count that the map cannot read.
 */
export function arcgStarts(m: LoadedArcg, traj?: Trajectory, src?: string): Float32Array {
  if (!traj) {
    const file = arcgFiles(m.dir).frames;
    if (!existsSync(file)) throw new Error(`${m.dir}: no frames.npz to start from; give starting frames (--start data.npz)`);
    return arcgStarts(m, readDataset(file), file);
  }
  const where = src ?? 'starting frames';
  if (traj.nAtoms === m.nMapped) return traj.positions;
  if (!traj.topology) throw new Error(`${where}: ${traj.nAtoms} atoms without a topology; give CG frames of the model's ${m.nMapped} beads or all-atom frames with a topology (--top)`);
  const resolved = resolveMap(mapSpecByName(m.info.map), traj.topology, `${where} (map ${m.info.map})`);
  return resolved.map.apply(traj.positions);
}

/**
 * `replicas` configurations of mapped beads and virtual sites: mapped frames spread evenly over
 * `mapped` [frames, nMapped, 3] nm, each virtual site 0.1 nm from its bead in a random
 * direction (the first CG steps relax it).
 */
export function withVirtualSites(mapped: ArrayLike<number>, nMapped: number, sites: readonly VirtualSiteSpec[], replicas: number, rng: Random): Float64Array {
  const per = 3 * nMapped;
  const frames = Math.floor(mapped.length / per);
  const nBeads = nMapped + sites.length;
  const out = new Float64Array(replicas * 3 * nBeads);
  for (let r = 0; r < replicas; r++) {
    const f = Math.floor((r * frames) / replicas);
    const base = r * 3 * nBeads;
    for (let i = 0; i < per; i++) out[base + i] = mapped[f * per + i];
    sites.forEach((v, k) => {
      const d = [rng.normal(), rng.normal(), rng.normal()];
      const n = Math.hypot(...d);
      for (let c = 0; c < 3; c++) out[base + 3 * (nMapped + k) + c] = out[base + 3 * v.near + c] + (0.1 * d[c]) / n;
    });
  }
  return out;
}
