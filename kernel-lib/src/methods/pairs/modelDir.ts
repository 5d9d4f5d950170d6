/**
 * The model folder of a CG liquid, written by `cglab fit pairs` and run by `cglab simulate`:
 *
 *     pairs.json            format "cglab-pairs": bead types, masses, temperature, the table of
 *                           every type pair (r0, dr, U, F on nodes), molecules and bonds when
 *                           molecules have several beads, and the fit's record
 *     frames.npz            mapped reference frames (positions and box) to start runs from
 *     tables/<A>-<B>.csv    r_nm,U_kJmol,F_kJmolnm every 0.002 nm (io/pairTableFiles.ts)
 *     tables/<A>-<B>.lammps the same table for LAMMPS `pair_style table linear`, units real
 *     iterations/<k>/…      the tables of iteration k (IBI, REM), as CSV
 *
 * Every file is written through a temporary file and renamed, so an interrupted fit leaves the
 * last complete iteration in place.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PairTable, type PairTableJson } from '../../cg/pairTable.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readVersionedJson } from '../../io/versionedJson.js';
import { readDataset, writeDataset } from '../../io/dataset.js';
import { writeLammpsTable, writePairTableCsv } from '../../io/pairTableFiles.js';
import { makeTrajectory } from '../../io/trajectory.js';
import type { HarmonicAngleParameters, HarmonicBondParameters } from '../../physics/bonded.js';
import type { Topology } from '../../topology/topology.js';
import type { BeadSpec, LiquidData } from './data.js';

export const PAIRS_FORMAT = 'cglab-pairs';
export const PAIRS_VERSION = 1;
/** Mapped frames kept in frames.npz as starts. */
export const KEPT_LIQUID_FRAMES = 20;

/** `pairs.json`. */
export interface PairsInfo {
  format: typeof PAIRS_FORMAT;
  version: number;
  /** fm, ibi or rem. */
  method: string;
  typeNames: string[];
  /** [beads] type index of each bead of the reference system. */
  types: number[];
  /** [beads] bead masses, amu. */
  masses: number[];
  /** Temperature of the fit, K. */
  temperature: number;
  /** Cut-off, nm. */
  cutoff: number;
  /** Table per type pair "A-B". */
  tables: Record<string, PairTableJson>;
  /** CG topology of the beads. */
  topology: Topology;
  /** Data the model was fitted to. */
  source: string;
  /** What the fit measured (method-specific: residuals, RDF errors, iterations). */
  record: Record<string, unknown>;
  /** [beads] molecule of each bead, for molecules of several beads. */
  molecule?: number[];
  /** Their bonds (bead indices, length nm, k kJ/mol/nm²) and angles (θ0 rad, k kJ/mol/rad²). */
  bonds?: HarmonicBondParameters[];
  angles?: HarmonicAngleParameters[];
  /** The bead spec that mapped the atoms (to map all-atom start frames the same way). */
  beads?: BeadSpec;
}

/** A loaded liquid model. */
export interface PairModel {
  dir: string;
  info: PairsInfo;
  tables: Map<string, PairTable>;
}

/** Paths of a folder's files. */
export function pairsFiles(dir: string): { info: string; frames: string; tables: string; iterations: string } {
  return { info: join(dir, 'pairs.json'), frames: join(dir, 'frames.npz'), tables: join(dir, 'tables'), iterations: join(dir, 'iterations') };
}

/** Whether `dir` holds a liquid model (rather than a force-matching one). */
export function isPairsDir(dir: string): boolean {
  return existsSync(pairsFiles(dir).info);
}

/** Writes tables as `<folder>/<A>-<B>.csv` (and `.lammps` when `lammps`). */
export function writeTables(folder: string, tables: ReadonlyMap<string, PairTable>, lammps: boolean): void {
  mkdirSync(folder, { recursive: true });
  for (const [name, t] of tables) {
    writePairTableCsv(join(folder, `${name}.csv`), t);
    if (lammps) writeLammpsTable(join(folder, `${name}.lammps`), [{ keyword: name, table: t }], 'real');
  }
}

/** Writes the tables of iteration k under iterations/<k>/. */
export function writeIteration(dir: string, k: number, tables: ReadonlyMap<string, PairTable>): void {
  writeTables(join(pairsFiles(dir).iterations, String(k)), tables, false);
}

/** Keeps up to {@link KEPT_LIQUID_FRAMES} mapped frames with their boxes in frames.npz. */
export function writeLiquidFrames(dir: string, data: LiquidData): void {
  const n = Math.min(KEPT_LIQUID_FRAMES, data.frames);
  const per = 3 * data.n;
  const positions = new Float32Array(n * per);
  const box = new Float32Array(9 * n);
  for (let k = 0; k < n; k++) {
    const f = Math.floor((k * data.frames) / n);
    positions.set(data.positions.subarray(f * per, (f + 1) * per), k * per);
    for (let d = 0; d < 3; d++) box[9 * k + 4 * d] = data.box[3 * f + d];
  }
  mkdirSync(dir, { recursive: true });
  writeDataset(pairsFiles(dir).frames, makeTrajectory({ topology: data.topology, nFrames: n, nAtoms: data.n, positions, box, provenance: { content: 'mapped reference frames kept as simulation starts', source: data.source } }));
}

/** Writes pairs.json and the final tables (CSV and LAMMPS). */
export function writePairModel(dir: string, info: Omit<PairsInfo, 'tables'>, tables: ReadonlyMap<string, PairTable>): void {
  mkdirSync(dir, { recursive: true });
  writeTables(pairsFiles(dir).tables, tables, true);
  writeFileAtomic(pairsFiles(dir).info, JSON.stringify({ ...info, tables: Object.fromEntries([...tables].map(([k, t]) => [k, t.toJSON()])) }));
}

/**
 * Loads a liquid model folder.
 * @throws Error naming the file and field for a missing or malformed pairs.json.
 */
export function loadPairModel(dir: string): PairModel {
  const file = pairsFiles(dir).info;
  const info = readVersionedJson<PairsInfo>(file, PAIRS_FORMAT, PAIRS_VERSION, 'cglab fit pairs');
  for (const field of ['typeNames', 'types', 'masses'] as const) {
    if (!Array.isArray(info[field])) throw new Error(`${file}: field '${field}' must be an array`);
  }
  if (info.types.length !== info.masses.length) throw new Error(`${file}: 'types' has ${info.types.length} beads but 'masses' ${info.masses.length}`);
  if (!(info.temperature > 0)) throw new Error(`${file}: field 'temperature' must be a positive number (K), got ${info.temperature}`);
  if (!info.tables || typeof info.tables !== 'object') throw new Error(`${file}: field 'tables' must map "A-B" to {r0, dr, u, f}`);
  const tables = new Map(Object.entries(info.tables).map(([k, t]) => [k, PairTable.fromJSON(t, `${file}: tables.${k}`)]));
  return { dir, info, tables };
}

/**
 * Starting frames [k, beads, 3] (nm) and the box (edges, nm) of a liquid model: its kept frames,
 * or `start` (a data set with a box of the model's beads, or of the atoms they map from).
 */
export function liquidStarts(m: PairModel, start?: { positions: Float64Array | Float32Array; box: Float64Array; frames: number; n: number; source: string }): { starts: Float32Array | Float64Array; box: [number, number, number] } {
  const beads = m.info.types.length;
  if (start) {
    if (start.n !== beads) throw new Error(`${start.source}: ${start.n} beads per frame after mapping, but the model in ${m.dir} has ${beads}`);
    return { starts: start.positions, box: [start.box[0], start.box[1], start.box[2]] };
  }
  const file = pairsFiles(m.dir).frames;
  if (!existsSync(file)) throw new Error(`${m.dir}: no frames.npz to start from; give starting frames (--start data.npz with a box)`);
  const t = readDataset(file);
  if (!t.box) throw new Error(`${file}: no box`);
  return { starts: t.positions, box: [t.box[0], t.box[4], t.box[8]] };
}
