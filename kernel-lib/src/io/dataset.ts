/**
 * The cglab data set file: an NPZ archive that np.load opens as is.
 *
 * | array       | shape              | dtype   | unit (declared in meta.units) |
 * |-------------|--------------------|---------|-------------------------------|
 * | `positions` | [frames, atoms, 3] | float32 | length (nm)                   |
 * | `forces`    | [frames, atoms, 3] | float32 | force (kJ/mol/nm), optional   |
 * | `box`       | [frames, 3, 3]     | float32 | length, box vectors as rows, optional (read also as [frames, 3] edge lengths of an orthorhombic box) |
 * | `time`      | [frames]           | float32 | time (ps), optional           |
 * | `meta`      | [bytes]            | uint8   | UTF-8 JSON: {version, units, topology, provenance} |
 *
 * Independent replicas (e.g. a CG simulation) may be stored with a leading replica axis:
 * positions and forces [replicas, frames, atoms, 3], box [replicas, frames, 3, 3], time
 * [replicas, frames]. Readers flatten them replica-major into replicas × frames frames and set
 * `provenance.replicas` (the same frame order `cglab generate` writes 3-D files in); writers
 * produce this layout when given the `replicas` option.
 *
 * A plain numpy NPZ with `positions` (and `forces`, `box`, `time`) but no `meta` is read too: its
 * units are cglab's internal units unless the caller declares others, and its topology comes from
 * a PDB file. Every reader in cglab returns internal units; the conversion happens here, once.
 */
import { extname } from 'node:path';
import { makeTopology, type Atom, type Topology } from '../topology/topology.js';
import { INTERNAL_UNITS, unitFactors, type Quantity, type Units } from '../units.js';
import { readDcd } from './dcd.js';
import { isHdf5Path, readHdf5, splitHdf5Path } from './hdf5.js';
import { readGro } from './gro.js';
import { readLammpsDump } from './lammpsDump.js';
import { npyArray, npySize, type NpyArray } from './npy.js';
import { readNpz, writeNpz, type NpzArchive } from './npz.js';
import { readPdb } from './pdb.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';
import { readTrr } from './trr.js';
import { readXtc } from './xtc.js';
import { readXyz } from './xyz.js';

/** Version of the meta layout this module writes; files with a higher one need a newer cglab. */
export const DATASET_VERSION = 1;

/** The decoded `meta` entry of a data set. */
export interface DatasetMeta {
  /** Layout version ({@link DATASET_VERSION} when written by this cglab). */
  version: number;
  /** Units of the stored arrays and of the topology masses, as the file declares them. */
  units: Units;
  /** Atoms and bonds of the stored frames; absent when the writer had none (use a PDB as `top`). */
  topology?: Topology;
  /** Where the data came from. */
  provenance: Record<string, unknown>;
}

/** Options of {@link readDataset} and {@link decodeDataset}. */
export interface DatasetReadOptions {
  /** PDB file whose topology replaces (or supplies) the file's; its atom count must match. */
  top?: string;
  /**
   * Units of a plain numpy NPZ that has no `meta` (e.g. `{ length: 'angstrom', force:
   * 'kcal/mol/angstrom' }`); default the internal units. A data set with `meta` declares its own.
   */
  units?: Partial<Units>;
  /** When false, a file without any topology (and no `top`) is returned without one; default true. */
  requireTopology?: boolean;
}

/** Options of {@link writeDataset}. */
export interface DatasetWriteOptions {
  /** Deflate the arrays (np.savez_compressed layout); default false. */
  compress?: boolean;
  /** Units to store the arrays and masses in (e.g. mlcg's Å and kcal/mol/Å); default internal. */
  units?: Partial<Units>;
  /** Entries merged over the trajectory's own provenance. */
  provenance?: Record<string, unknown>;
  /**
   * Store the frames as this many replicas of equal length, replica-major: positions [replicas,
   * frames / replicas, atoms, 3] and likewise forces, box and time; sets `provenance.replicas`.
   * Default: no replica axis.
   */
  replicas?: number;
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Decode and check a data set's `meta` entry; undefined when the archive has none (plain NPZ).
 * @throws Error naming the archive and the field when meta is not a UTF-8 byte array of JSON
 *   holding `units` and `provenance` objects (and, when present, a well-formed `topology`), or
 *   when a unit is unknown.
 */
export function datasetMeta(npz: NpzArchive): DatasetMeta | undefined {
  if (!npz.has('meta')) return undefined;
  const src = npz.source;
  const arr = npz.get('meta');
  if ((arr.dtype !== '|u1' && arr.dtype !== '|i1') || arr.shape.length !== 1) {
    throw new Error(`${src}: meta has dtype ${arr.dtype} and shape ${shapeText(arr.shape)}, expected a 1-d uint8 array of UTF-8 JSON`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(arr.data as Uint8Array);
  } catch {
    throw new Error(`${src}: meta is not UTF-8 text; expected UTF-8 JSON with units, topology and provenance`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${src}: meta is not valid JSON (${(e as Error).message}); expected an object with units, topology and provenance`);
  }
  if (!isDict(json)) throw new Error(`${src}: meta is ${JSON.stringify(json)}, expected a JSON object with units, topology and provenance`);
  const version = json.version ?? DATASET_VERSION;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new Error(`${src}: meta.version is ${JSON.stringify(version)}, expected a positive integer`);
  }
  if (version > DATASET_VERSION) {
    throw new Error(`${src}: meta.version ${version} is newer than this cglab reads (${DATASET_VERSION}): update cglab`);
  }
  for (const field of ['units', 'provenance']) {
    if (!isDict(json[field])) {
      throw new Error(`${src}: meta.${field} is ${json[field] === undefined ? 'missing' : JSON.stringify(json[field])}, expected an object`);
    }
  }
  const units = json.units as Partial<Units>;
  checkedFactors(units, `${src}: meta`);
  const topology = json.topology === undefined || json.topology === null ? undefined : checkTopology(json.topology, src);
  return {
    version,
    units: { ...INTERNAL_UNITS, ...units },
    ...(topology ? { topology } : {}),
    provenance: json.provenance as Dict,
  };
}

/**
 * Reject quantities that are not in {@link Units} as well as unknown units: a misspelt key
 * ('lenght') would otherwise fall back to the internal unit without a word.
 */
function checkedFactors(units: Partial<Units>, where: string): Record<Quantity, number> {
  for (const q of Object.keys(units)) {
    if (!(q in INTERNAL_UNITS)) {
      throw new Error(`${where}: units has an unknown quantity '${q}': expected ${Object.keys(INTERNAL_UNITS).join(', ')}`);
    }
  }
  return unitFactors(units, where);
}

/** A topology from untrusted JSON, every field checked. */
function checkTopology(t: unknown, src: string): Topology {
  const where = `${src}: meta.topology`;
  if (!isDict(t) || !Array.isArray(t.atoms) || !Array.isArray(t.bonds)) {
    throw new Error(`${where} must be an object {atoms: [...], bonds: [[i, j], ...]}`);
  }
  const fields: [keyof Atom, string][] = [['name', 'string'], ['element', 'string'], ['mass', 'number'], ['residue', 'string'], ['resid', 'number']];
  const atoms = t.atoms.map((a: unknown, i: number): Atom => {
    if (!isDict(a)) throw new Error(`${where}.atoms[${i}] is ${JSON.stringify(a)}, expected {name, element, mass, residue, resid}`);
    for (const [f, type] of fields) {
      if (typeof a[f] !== type || (type === 'number' && !Number.isFinite(a[f]))) {
        throw new Error(`${where}.atoms[${i}].${f} is ${a[f] === undefined ? 'missing' : JSON.stringify(a[f])}, expected a ${type === 'number' ? 'finite number' : 'string'}`);
      }
    }
    if (!Number.isInteger(a.resid)) throw new Error(`${where}.atoms[${i}].resid is ${a.resid}, expected an integer`);
    if (a.chain !== undefined && typeof a.chain !== 'string') throw new Error(`${where}.atoms[${i}].chain is ${JSON.stringify(a.chain)}, expected a string`);
    const atom: Atom = { name: a.name as string, element: a.element as string, mass: a.mass as number, residue: a.residue as string, resid: a.resid as number };
    if (a.chain !== undefined) atom.chain = a.chain as string;
    return atom;
  });
  for (const [k, b] of t.bonds.entries()) {
    if (!Array.isArray(b) || b.length !== 2) throw new Error(`${where}.bonds[${k}] is ${JSON.stringify(b)}, expected a pair [i, j] of atom indices`);
  }
  try {
    return makeTopology(atoms, t.bonds as [number, number][]);
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
}

/**
 * The topology of PDB `top`, checked against the `nAtoms` atoms of the coordinates in `src`.
 * @throws Error naming both files when the PDB has no topology or another atom count.
 */
export function topologyFromPdb(top: string, nAtoms: number, src: string): Topology {
  const { topology } = readPdb(top);
  if (!topology) throw new Error(`${top}: no topology could be read from this PDB file, which ${src} needs`);
  if (topology.atoms.length !== nAtoms) {
    throw new Error(`${src}: the topology from ${top} has ${topology.atoms.length} atoms but the coordinates have ${nAtoms}: give the PDB of the same system`);
  }
  return topology;
}

/**
 * The first non-finite value of `data` laid out as [frames, ...perFrame]; message names the array,
 * the frame and (for per-atom arrays) the atom.
 */
function checkFinite(src: string, name: string, data: Float32Array, perFrame: number, perAtom: boolean): void {
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(data[i])) continue;
    const frame = Math.floor(i / perFrame);
    const at = perAtom ? `, atom ${Math.floor((i % perFrame) / 3)} (component ${'xyz'[i % 3]})` : '';
    throw new Error(`${src}: ${name} has a non-finite value (${data[i]}) at frame ${frame}${at}: fix or drop that frame`);
  }
}

/** `arr` (float32 or float64) scaled by `factor` into a Float32Array. */
function toFloat32(src: string, name: string, arr: NpyArray, factor: number): Float32Array {
  if (arr.dtype !== '<f4' && arr.dtype !== '<f8') {
    throw new Error(`${src}: ${name} has dtype ${arr.dtype}, expected float32 (<f4) or float64 (<f8)`);
  }
  if (arr.data instanceof Float32Array && factor === 1) return arr.data;
  const data = arr.data as Float32Array | Float64Array;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * factor;
  return out;
}

/** [frames, 3] box edges as [frames, 3, 3] diagonal box vectors. */
function diagonalBoxes(edges: Float32Array): Float32Array {
  const out = new Float32Array(3 * edges.length);
  for (let k = 0; k < edges.length / 3; k++) {
    for (let d = 0; d < 3; d++) out[9 * k + 4 * d] = edges[3 * k + d];
  }
  return out;
}

/**
 * A trajectory, in internal units, from an opened data set archive (see the module comment for
 * the layout). Float64 arrays are accepted and stored as float32.
 * @throws Error naming the file, the array or meta field, and what was expected, for: a missing
 *   `positions`, wrong shapes or dtypes, NaN/Inf in any array, an invalid meta, unknown units,
 *   a topology whose atom count differs, or no topology at all (unless `requireTopology` is false).
 */
export function decodeDataset(npz: NpzArchive, opts: DatasetReadOptions = {}): Trajectory {
  const src = npz.source;
  const meta = datasetMeta(npz);
  if (meta && opts.units) {
    throw new Error(`${src} declares its units in meta; the units option is only for plain numpy NPZ files without meta`);
  }
  const f = checkedFactors(meta?.units ?? opts.units ?? {}, meta ? `${src}: meta` : `${src}: units option`);

  const pos = npz.get('positions');
  if ((pos.shape.length !== 3 && pos.shape.length !== 4) || pos.shape[pos.shape.length - 1] !== 3) {
    throw new Error(`${src}: positions has shape ${shapeText(pos.shape)}, expected [frames, atoms, 3] or [replicas, frames, atoms, 3]`);
  }
  // Leading axes: [frames] or [replicas, frames]; both flatten to nFrames frames.
  const lead = pos.shape.slice(0, -2);
  const leadName = lead.length === 2 ? 'replicas, frames' : 'frames';
  const nFrames = lead.reduce((a, b) => a * b, 1);
  const nAtoms = pos.shape[pos.shape.length - 2];
  const positions = toFloat32(src, 'positions', pos, f.length);
  checkFinite(src, 'positions', positions, nAtoms * 3, true);

  const optional = (name: string, shape: number[], shapeName: string, factor: number, perAtom: boolean) => {
    if (!npz.has(name)) return undefined;
    const arr = npz.get(name);
    if (shapeText(arr.shape) !== shapeText(shape)) {
      throw new Error(`${src}: ${name} has shape ${shapeText(arr.shape)}, expected ${shapeName} = ${shapeText(shape)}`);
    }
    const data = toFloat32(src, name, arr, factor);
    checkFinite(src, name, data, npySize(shape.slice(lead.length)), perAtom);
    return data;
  };
  const forces = optional('forces', pos.shape, `[${leadName}, atoms, 3] like positions`, f.force, true);
  // NumPy sets often store an orthorhombic box as its three edges: read them as diagonal vectors.
  const edges = npz.has('box') && shapeText(npz.get('box').shape) === shapeText([...lead, 3]);
  const box = edges
    ? diagonalBoxes(optional('box', [...lead, 3], `[${leadName}, 3]`, f.length, false) as Float32Array)
    : optional('box', [...lead, 3, 3], `[${leadName}, 3, 3] (box vectors as rows) or [${leadName}, 3] (edge lengths)`, f.length, false);
  const time = optional('time', lead, `[${leadName}]`, f.time, false);

  let topology: Topology | undefined;
  if (opts.top !== undefined) {
    topology = topologyFromPdb(opts.top, nAtoms, src);
  } else if (meta?.topology) {
    if (meta.topology.atoms.length !== nAtoms) {
      throw new Error(`${src}: meta.topology has ${meta.topology.atoms.length} atoms but positions has ${nAtoms}`);
    }
    topology = {
      atoms: meta.topology.atoms.map((a) => ({ ...a, mass: a.mass * f.mass })),
      bonds: meta.topology.bonds,
    };
  } else if (opts.requireTopology !== false) {
    throw new Error(`${src}: no topology: the file has no meta.topology; give the PDB of the same atoms as top (--top file.pdb)`);
  }

  return makeTrajectory(
    {
      nFrames,
      nAtoms,
      positions,
      ...(topology ? { topology } : {}),
      ...(forces ? { forces } : {}),
      ...(box ? { box } : {}),
      ...(time ? { time } : {}),
      ...(meta || lead.length === 2 ? { provenance: { ...meta?.provenance, ...(lead.length === 2 ? { replicas: lead[0] } : {}) } } : {}),
    },
    src,
  );
}

/**
 * Read a cglab data set (or a plain numpy NPZ of positions/forces) into internal units.
 * @param path NPZ file.
 * @throws Error naming `path` (see {@link decodeDataset}); a truncated or non-ZIP file fails in
 *   the NPZ reader with a message naming `path`.
 */
export function readDataset(path: string, opts: DatasetReadOptions = {}): Trajectory {
  return decodeDataset(readNpz(path), opts);
}

/**
 * Write `traj` (internal units) as a cglab data set, atomically: positions [frames, atoms, 3],
 * forces, box [frames, 3, 3] and time [frames] when present, as float32 in `opts.units`, plus meta
 * (with `opts.replicas`, a leading [replicas, frames / replicas] in place of [frames]).
 * @throws Error naming `path` when an array length disagrees with the frame/atom counts or holds
 *   NaN/Inf, or when a unit in `opts.units` is unknown; nothing is written then.
 */
export function writeDataset(path: string, traj: Trajectory, opts: DatasetWriteOptions = {}): void {
  const { nFrames, nAtoms } = traj;
  // Checks the array lengths and topology size before anything is written.
  makeTrajectory(traj, path);
  const f = checkedFactors(opts.units ?? {}, `${path}: units option`);
  const { replicas } = opts;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || nFrames % replicas !== 0)) {
    throw new Error(`${path}: replicas is ${replicas}, expected a positive integer that divides the ${nFrames} frames into equal replicas`);
  }
  const lead = replicas === undefined ? [nFrames] : [replicas, nFrames / replicas];
  const arrays: Record<string, NpyArray> = {};
  const add = (name: string, data: Float32Array | undefined, shape: number[], factor: number, perAtom: boolean) => {
    if (!data) return;
    checkFinite(path, name, data, npySize(shape.slice(lead.length)), perAtom);
    arrays[name] = npyArray(factor === 1 ? data : data.map((v) => v / factor), shape);
  };
  add('positions', traj.positions, [...lead, nAtoms, 3], f.length, true);
  add('forces', traj.forces, [...lead, nAtoms, 3], f.force, true);
  add('box', traj.box, [...lead, 3, 3], f.length, false);
  add('time', traj.time, lead, f.time, false);
  const meta: DatasetMeta = {
    version: DATASET_VERSION,
    units: { ...INTERNAL_UNITS, ...opts.units },
    ...(traj.topology
      ? { topology: { atoms: traj.topology.atoms.map((a) => ({ ...a, mass: a.mass / f.mass })), bonds: traj.topology.bonds } }
      : {}),
    provenance: { ...traj.provenance, ...opts.provenance, ...(replicas === undefined ? {} : { replicas }) },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(meta));
  arrays.meta = npyArray(bytes, [bytes.length], '|u1');
  writeNpz(path, arrays, { compress: opts.compress });
}

/** Options of {@link readCoordinates}. */
export interface CoordinateReadOptions {
  /**
   * PDB whose topology replaces the file's own or supplies one where the format has none (DCD,
   * TRR, XTC, LAMMPS dumps, a plain NPZ) or lacks bonds (GRO); the atom counts must match.
   */
  top?: string;
  /** LAMMPS units style of a dump (real, metal, nano, …); default real, or the dump's ITEM: UNITS. */
  lammpsUnits?: string;
  /** Units of what an HDF5 file leaves undeclared (mlcg files: `{ length: 'angstrom', force: 'kcal/mol/angstrom' }`). */
  hdf5Units?: Partial<Units>;
  /** When false, a data set without any topology (and no `top`) is read without one; default true. */
  requireTopology?: boolean;
}

/**
 * Read coordinates from any file cglab knows, choosing the reader by extension: `.npz` data sets
 * ({@link readDataset}), `.pdb`, `.xyz`, `.dcd`, GROMACS `.gro`, `.trr` and `.xtc`, and LAMMPS dumps
 * `.lammpstrj` / `.dump`, and HDF5 `.h5` / `.hdf5` (mlcg/mdCATH layout; a molecule group chosen
 * as `file.h5:/group/path`, see io/hdf5). Every command that takes coordinates uses this, so they
 * all accept the same files.
 * @returns frames in internal units (a LAMMPS dump's atoms sorted by id, in the order of a PDB
 *   written from the same data file).
 * @throws Error naming `path` for an unknown extension, listing the ones accepted.
 */
export function readCoordinates(path: string, opts: CoordinateReadOptions = {}): Trajectory {
  const ext = extname(path).toLowerCase();
  const withTop = (t: Trajectory): Trajectory =>
    opts.top === undefined ? t : { ...t, topology: topologyFromPdb(opts.top, t.nAtoms, path) };
  if (isHdf5Path(path)) {
    const { file, group } = splitHdf5Path(path);
    return withTop(readHdf5(file, { group, units: opts.hdf5Units }));
  }
  switch (ext) {
    case '.npz':
      return readDataset(path, { top: opts.top, requireTopology: opts.requireTopology });
    case '.dcd':
      return readDcd(path, { top: opts.top });
    case '.pdb':
      return withTop(readPdb(path));
    case '.xyz':
      return withTop(readXyz(path));
    case '.gro':
      return withTop(readGro(path));
    case '.trr':
      return withTop(readTrr(path));
    case '.xtc':
      return withTop(readXtc(path));
    case '.lammpstrj':
    case '.dump':
      return withTop(readLammpsDump(path, { units: opts.lammpsUnits }));
    default:
      throw new Error(`${path}: unknown coordinate file extension '${ext}': expected .npz (cglab data set), .pdb, .xyz or .dcd, or a trajectory: .gro, .trr, .xtc (GROMACS), .lammpstrj, .dump (LAMMPS), .h5, .hdf5 (HDF5; file.h5:/group)`);
  }
}
