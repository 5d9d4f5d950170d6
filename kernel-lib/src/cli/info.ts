/**
 * `cglab info <file> [--top file.pdb] [--json]`: what a structure, trajectory, NPY array or data
 * set file holds, read with the same readers every other command uses. TRR, XTC and LAMMPS dumps
 * are described from their frame index (headers only), so a file of millions of frames is not
 * decoded to be described.
 */
import { basename, extname } from 'node:path';
import { datasetMeta, decodeDataset, readCoordinates, topologyFromPdb } from '../io/dataset.js';
import type { TrajectorySummary } from '../io/frameBlocks.js';
import { hdf5Summary, isHdf5Path, typesText } from '../io/hdf5.js';
import { dumpSummary } from '../io/lammpsDump.js';
import { readNpy } from '../io/npy.js';
import { readNpz } from '../io/npz.js';
import type { Trajectory } from '../io/trajectory.js';
import { trrIndex } from '../io/trr.js';
import { xtcIndex } from '../io/xtc.js';
import type { Topology } from '../topology/topology.js';
import type { Units } from '../units.js';
import { optString, parseArgs } from './args.js';
import { unitsOption } from './dataArgs.js';

/** One array of an NPZ or NPY file, or one a trajectory file stores (first dimension: the frames holding it). */
export interface ArrayInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** HDF5: the unit the file declares for the dataset, null when it declares none. */
  unit?: string | null;
}

/** What {@link fileInfo} finds; absent fields do not apply to the file. */
export interface FileInfo {
  file: string;
  /** File type, from the extension: npz, npy, pdb, xyz, gro, dcd, trr, xtc, lammpstrj or dump. */
  format: string;
  /**
   * Every array of an NPZ/NPY file, in file order; for TRR, XTC and LAMMPS dumps the arrays the
   * frames hold, with their type on disk and the number of frames holding each.
   */
  arrays?: ArrayInfo[];
  frames?: number;
  atoms?: number;
  /** Runs of consecutive atoms sharing chain, residue number and name; null without topology. */
  residues?: number | null;
  bonds?: number | null;
  /**
   * Units the file's arrays are stored in (NPZ with positions; TRR and XTC: GROMACS's, which
   * are the internal ones; LAMMPS dumps: the units style's, real unless the dump declares
   * another); null when the file declares none and is read as internal units. The values below
   * are always internal units.
   */
  units?: Units | null;
  /**
   * How values are stored: 'single' or 'double' precision (TRR; XTC of ≤ 9 atoms), the XTC
   * compression precision (1/nm, coarsest of any frame), or null for text (LAMMPS dumps).
   */
  precision?: 'single' | 'double' | number | null;
  /** First and last MD step (TRR, XTC, LAMMPS dumps). */
  steps?: { first: number; last: number } | null;
  /** Periodic box of frame 0 (nm): vectors as rows, their lengths, and whether any frame differs. */
  box?: { vectors: number[][]; lengths: number[]; orthorhombic: boolean; varies: boolean } | null;
  /** First and last time, and the first step, ps; null when the file has no times. */
  time?: { start: number; end: number; step: number | null } | null;
  provenance?: Record<string, unknown> | null;
  /** HDF5: every molecule group (path, frames, atoms); the one described is `group`. */
  groups?: { path: string; frames: number; atoms: number }[];
  /** HDF5: the molecule group described (asked for as file.h5:/group, or the file's only one). */
  group?: string;
  /** HDF5: where the group's per-atom types are, null without. */
  types?: string | null;
}

/** float32 values printed as the 7 digits they hold, not their float64 expansion. */
const f32 = (v: number) => Number(v.toPrecision(7));

function residueCount(topology: Topology | undefined): number | null {
  if (!topology) return null;
  let n = 0;
  let prev = '';
  for (const a of topology.atoms) {
    const key = `${a.chain ?? ''}|${a.resid}|${a.residue}`;
    if (key !== prev) n++;
    prev = key;
  }
  return n;
}

/** The box row of frame 0's vectors `b` (its first 9 values). */
function boxInfo(b: ArrayLike<number>, varies: boolean): NonNullable<FileInfo['box']> {
  const vectors = [0, 1, 2].map((r) => [0, 1, 2].map((c) => f32(b[3 * r + c])));
  const lengths = vectors.map((v) => f32(Math.hypot(...v)));
  const orthorhombic = vectors.every((v, r) => v.every((x, c) => r === c || x === 0));
  return { vectors, lengths, orthorhombic, varies };
}

function trajectoryBox(t: Trajectory): FileInfo['box'] {
  const b = t.box;
  if (!b || t.nFrames === 0) return null;
  let varies = false;
  for (let i = 9; i < b.length && !varies; i++) varies = b[i] !== b[i % 9];
  return boxInfo(b, varies);
}

/**
 * Time step of float32 times: their difference carries only the digits the larger time resolves
 * (2^-24 relative), so 10.1 − 10.0 shows as 0.1, not 0.1000004.
 */
function timeStep(t0: number, t1: number): number {
  const step = t1 - t0;
  const resolution = Math.max(Math.abs(t0), Math.abs(t1)) * 2 ** -24;
  const digits = Math.min(7, Math.max(1, Math.floor(Math.log10(Math.abs(step) / resolution))));
  return step === 0 ? 0 : Number(step.toPrecision(digits));
}

function trajectoryInfo(t: Trajectory): Partial<FileInfo> {
  const time = t.time;
  return {
    frames: t.nFrames,
    atoms: t.nAtoms,
    residues: residueCount(t.topology),
    bonds: t.topology ? t.topology.bonds.length : null,
    box: trajectoryBox(t),
    time: time && time.length ? { start: f32(time[0]), end: f32(time[time.length - 1]), step: time.length > 1 ? timeStep(time[0], time[1]) : null } : null,
    provenance: t.provenance ?? null,
  };
}

/** Frame indexes of the streaming formats, by extension: what they hold without decoding frames. */
const SUMMARIES: Record<string, (path: string, lammpsUnits?: string) => TrajectorySummary> = {
  trr: (path) => trrIndex(path).summary,
  xtc: (path) => xtcIndex(path).summary,
  lammpstrj: (path, units) => dumpSummary(path, { units }),
  dump: (path, units) => dumpSummary(path, { units }),
};

function summaryInfo(s: TrajectorySummary, path: string, top: string | undefined): Partial<FileInfo> {
  const topology = top === undefined ? undefined : topologyFromPdb(top, s.atoms, path);
  const t = s.time;
  return {
    arrays: s.arrays,
    frames: s.frames,
    atoms: s.atoms,
    residues: residueCount(topology),
    bonds: topology ? topology.bonds.length : null,
    units: s.units,
    precision: s.precision,
    box: s.box ? boxInfo(s.box.first, s.box.varies) : null,
    time: t ? { start: f32(t.first), end: f32(t.last), step: t.second === null ? null : timeStep(t.first, t.second) } : null,
    steps: s.steps,
  };
}

/**
 * Describe `path`: arrays (NPZ/NPY; those TRR, XTC and dump frames hold), frames, atoms,
 * residues, bonds, declared units, precision, box, time and step range, and provenance. An NPZ
 * with `positions` is read as a data set (a missing topology is reported, not an error); other
 * NPZ files list their arrays only. A LAMMPS dump is taken as units real unless it has ITEM: UNITS.
 * @param opts.top PDB giving the topology of a data set, DCD, TRR, XTC or dump without one.
 * @throws Error naming the file for anything its reader rejects.
 */
export function fileInfo(path: string, opts: { top?: string; lammpsUnits?: string } = {}): FileInfo {
  if (isHdf5Path(path)) return hdf5Info(path, opts.top);
  const format = extname(path).slice(1).toLowerCase();
  if (format === 'npy') {
    const a = readNpy(path);
    return { file: path, format, arrays: [{ name: basename(path, extname(path)), dtype: a.dtype, shape: a.shape }] };
  }
  if (Object.hasOwn(SUMMARIES, format)) return { file: path, format, ...summaryInfo(SUMMARIES[format](path, opts.lammpsUnits), path, opts.top) };
  if (format !== 'npz') return { file: path, format, ...trajectoryInfo(readCoordinates(path, opts)) };
  const npz = readNpz(path);
  const arrays = npz.names.map((name) => {
    const h = npz.header(name);
    return { name, dtype: h.dtype, shape: h.shape };
  });
  if (!npz.has('positions')) return { file: path, format, arrays };
  const traj = decodeDataset(npz, { top: opts.top, requireTopology: false });
  return { file: path, format, arrays, units: datasetMeta(npz)?.units ?? null, ...trajectoryInfo(traj) };
}

/**
 * An HDF5 file (`file.h5` or `file.h5:/group`): its molecule groups and, for the one described,
 * the datasets with their declared units, box and time, without reading positions or forces.
 */
function hdf5Info(spec: string, top: string | undefined): FileInfo {
  const s = hdf5Summary(spec);
  const groups = s.groups.map((g) => ({ path: g.path, frames: g.frames, atoms: g.atoms }));
  const g = s.group;
  if (!g) return { file: spec, format: 'hdf5', groups };
  const topology = top === undefined ? undefined : topologyFromPdb(top, g.atoms, spec);
  const arrays = [g.positions, ...g.forceDatasets, g.box, g.time].flatMap((a) => (a ? [{ name: a.path, dtype: a.dtype, shape: a.shape, unit: a.unit }] : []));
  const t = s.time;
  return {
    file: spec,
    format: 'hdf5',
    groups,
    group: g.path,
    arrays,
    frames: g.frames,
    atoms: g.atoms,
    residues: residueCount(topology),
    bonds: topology ? topology.bonds.length : null,
    types: g.types ? typesText(g.types) : null,
    box: s.box ? boxInfo(s.box.first, s.box.varies) : null,
    time: t ? { start: f32(t.first), end: f32(t.last), step: t.second === null ? null : timeStep(t.first, t.second) } : null,
  };
}

/** One line per top-level provenance entry, long values cut short. */
function provenanceLines(p: Record<string, unknown>): string[] {
  return Object.entries(p).map(([k, v]) => {
    const s = Array.isArray(v) ? `[${v.length} items]` : typeof v === 'object' && v !== null ? `{${Object.keys(v).join(', ')}}` : String(v);
    return `${k}: ${s.length > 70 ? s.slice(0, 69) + '…' : s}`;
  });
}

function precisionText(p: NonNullable<FileInfo['precision']> | null): string {
  if (p === null) return 'text, as printed';
  if (typeof p === 'number') return `XTC ${p} per nm (positions to ±${f32(0.5 / p)} nm)`;
  return p === 'single' ? 'single (float32)' : 'double (float64)';
}

/** `info` as aligned human-readable lines. */
export function formatInfo(info: FileInfo): string {
  const rows: [string, string][] = [['file', `${info.file} (${info.format})`]];
  const add = (k: string, lines: string[]) => lines.forEach((l, i) => rows.push([i === 0 ? k : '', l]));
  if (info.groups) {
    const lines = info.groups.map((g) => `${g.path}  ${g.frames} frames × ${g.atoms} atoms${g.path === info.group ? '  (described)' : ''}`);
    add('groups', info.group === undefined && lines.length ? [...lines, 'several molecule groups: describe one as file.h5:/group/path'] : lines.length ? lines : ['none: no group holds coords, cg_coords or positions [frames, atoms, 3]']);
  }
  if (info.frames !== undefined) rows.push(['frames', String(info.frames)]);
  if (info.atoms !== undefined) {
    rows.push(['atoms', info.residues === null ? `${info.atoms} (no topology: give --top file.pdb)` : `${info.atoms} in ${info.residues} residues, ${info.bonds} bonds`]);
  }
  if (info.arrays) {
    const w = Math.max(...info.arrays.map((a) => a.name.length));
    const unit = (a: ArrayInfo) => (a.unit === undefined ? '' : `  ${a.unit ?? 'no unit declared'}`);
    add('arrays', info.arrays.length ? info.arrays.map((a) => `${a.name.padEnd(w)}  ${a.dtype}  [${a.shape.join(', ')}]${unit(a)}`) : ['none']);
  }
  if (info.units !== undefined) {
    rows.push(['units', info.units ? Object.entries(info.units).map(([q, u]) => `${q} ${u}`).join(', ') + ' (as stored)' : 'none declared: read as nm, ps, kJ/mol/nm']);
  }
  if (info.types !== undefined) rows.push(['types', info.types ?? 'none']);
  if (info.precision !== undefined) rows.push(['precision', precisionText(info.precision)]);
  if (info.steps) rows.push(['steps', `${info.steps.first} to ${info.steps.last}`]);
  if (info.box !== undefined) {
    const b = info.box;
    rows.push(['box', b ? `frame 0: ${b.lengths.join(' × ')} nm, ${b.orthorhombic ? 'orthorhombic' : 'triclinic'}, ${b.varies ? 'varies between frames' : 'constant'}` : 'none']);
  }
  if (info.time !== undefined) {
    const t = info.time;
    rows.push(['time', t ? `${t.start} to ${t.end} ps${t.step === null ? '' : ` (step ${t.step} ps)`}` : 'none']);
  }
  if (info.provenance !== undefined) add('provenance', info.provenance && Object.keys(info.provenance).length ? provenanceLines(info.provenance) : ['none']);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** Run `cglab info` with `argv` (after the command name); resolves to the exit code. */
export async function infoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { valued: ['top', 'units'], flags: ['json'] }, 'info');
  if (args.positional.length !== 1) {
    throw new Error(`cglab info: expected one file, got ${args.positional.length} (usage: cglab info <file> [--top file.pdb] [--json])`);
  }
  const { lammpsUnits } = unitsOption(args, 'info', 'units');
  const info = fileInfo(args.positional[0], { top: optString(args, 'top'), lammpsUnits });
  process.stdout.write(args.options.has('json') ? JSON.stringify(info, null, 2) + '\n' : formatInfo(info) + '\n');
  return 0;
}
