/**
 * Several trajectory files as one sequence of frames: what `--data` names when a set spans many
 * files (the runs of a cluster job, a glob of them), in any mix of the formats cglab reads, with
 * one topology. Frames are numbered across the set in the order the files are given.
 *
 * The set reads either all frames into memory ({@link FrameSet.read}) or a frame range in blocks
 * ({@link FrameSet.blocks}), which for TRR, XTC, LAMMPS dumps and HDF5 decodes only the frames
 * of the range, through each file's cached frame index, so that its memory is bounded by the block. NPZ
 * data sets and the structure formats are read whole, one file at a time, when a block needs them.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Topology } from '../topology/topology.js';
import { readCoordinates, topologyFromPdb } from './dataset.js';
import type { Units } from '../units.js';
import { concatFloat32 } from '../util/arrays.js';
import type { Random } from '../util/random.js';
import type { FrameBlock } from './frameBlocks.js';
import { hdf5Index, isHdf5Path, readHdf5, splitHdf5Path, streamHdf5 } from './hdf5.js';
import { dumpIndex, readLammpsDump, streamLammpsDump } from './lammpsDump.js';
import { makeTrajectory, type Trajectory } from './trajectory.js';
import { HAS_F, HAS_X, readTrr, streamTrr, trrIndex } from './trr.js';
import { readXtc, streamXtc, xtcIndex } from './xtc.js';

/** Options of {@link openFrameSet}. */
export interface FrameSetOptions {
  /** PDB that supplies (or replaces) the topology of every file; the atom counts must match. */
  top?: string;
  /** LAMMPS units style of dumps without ITEM: UNITS (default real). */
  lammpsUnits?: string;
  /** When false, NPZ data sets without a topology (and no `top`) are read without one; default true. */
  requireTopology?: boolean;
  /** Units of what HDF5 files do not declare (e.g. mlcg's Å and kcal/mol/Å); declared units win. */
  hdf5Units?: Partial<Units>;
  /**
   * Only frames that hold forces belong to the set (a TRR frame without forces is skipped), and
   * a file without any is an error naming it, giving this text as the reason when it is one.
   * Default false.
   */
  requireForces?: boolean | string;
}

/** One file of a set. */
export interface FrameSetPart {
  path: string;
  /** Frames of the file that belong to the set. */
  frames: number;
  /** Set index of the file's first frame. */
  first: number;
}

/** Frames of many files, numbered across them; see the module comment. */
export interface FrameSet {
  readonly parts: readonly FrameSetPart[];
  readonly nFrames: number;
  readonly nAtoms: number;
  /** The `top` option's, else the first file's own (every file's must name the same atoms). */
  readonly topology?: Topology;
  /** Whether every frame holds forces. */
  readonly hasForces: boolean;
  /**
   * What the files' provenances agree on (temperature, constraints, generator), and `sources`:
   * every file with its frame count.
   */
  readonly provenance: Record<string, unknown>;
  /** Every frame in memory, the files' frames concatenated in order. */
  read(): Trajectory;
  /**
   * Frames [start, stop) of the set in blocks of at most `chunk` frames (a block never spans two
   * files); `start` of each block is its set index.
   * @throws Error naming the set's frame count when the range is not within it.
   */
  blocks(start: number, stop: number, chunk: number): AsyncGenerator<FrameBlock, void, undefined>;
}

/** How one file is read: its frames as the set counts them, whole or as a range. */
interface PartReader {
  frames: number;
  nAtoms: number;
  hasForces: boolean;
  topology?: Topology;
  provenance?: Record<string, unknown>;
  read(start: number, stop: number): Trajectory;
  stream(start: number, stop: number, chunk: number): AsyncGenerator<FrameBlock, void, undefined>;
}

/** Provenance keys a set keeps when its files agree on them (these decide how data are mapped). */
const SHARED_PROVENANCE = ['temperature_K', 'constraints', 'system', 'generator', 'units'];

/** TRR: the frames holding positions (and forces when required), located by the frame index. */
function trrPart(path: string, opts: FrameSetOptions): PartReader {
  const index = trrIndex(path);
  const need = HAS_X | (opts.requireForces ? HAS_F : 0);
  const list: number[] = [];
  let all = HAS_F;
  index.contents.forEach((b, k) => {
    if ((b & need) !== need) return;
    list.push(k);
    all &= b;
  });
  // Where every frame belongs (the usual file), set frames are file frames and no list is kept.
  const selected = list.length === index.contents.length ? undefined : Int32Array.from(list);
  const require: 'forces'[] = opts.requireForces ? ['forces'] : [];
  // A set range [a, b) is file frames selected[a] .. selected[b − 1]; `require` skips the others between.
  const range = (a: number, b: number) => (selected ? { start: selected[a], stop: selected[b - 1] + 1, require } : { start: a, stop: b, require });
  return {
    frames: list.length,
    nAtoms: index.nAtoms,
    hasForces: list.length > 0 && (all & HAS_F) !== 0,
    topology: opts.top === undefined ? undefined : topologyFromPdb(opts.top, index.nAtoms, path),
    read: (a, b) => readTrr(path, range(a, b)),
    stream: (a, b, chunk) => streamTrr(path, { ...range(a, b), chunk }),
  };
}

/**
 * The one whole-read file a set keeps in memory, so that blocks read one after another from the
 * same file (the frames of a sample, the runs of a window) decode it once.
 */
class LastFile {
  private path?: string;
  private traj?: Trajectory;

  get(path: string, read: () => Trajectory): Trajectory {
    if (this.path !== path || !this.traj) {
      this.traj = undefined;
      this.traj = read();
      this.path = path;
    }
    return this.traj;
  }
}

/** A reader that decodes the whole file (NPZ, PDB, XYZ, DCD and others): read once here to count. */
function wholePart(path: string, opts: FrameSetOptions, cache: LastFile): PartReader {
  const read = { top: opts.top, lammpsUnits: opts.lammpsUnits, requireTopology: opts.requireTopology };
  const load = () => cache.get(path, () => readCoordinates(path, read));
  const peek = load();
  const slice = (t: Trajectory, a: number, b: number): Trajectory => {
    const cut = (arr: Float32Array | undefined, per: number) => arr?.subarray(a * per, b * per);
    const per = 3 * t.nAtoms;
    return makeTrajectory({
      ...t,
      nFrames: b - a,
      positions: cut(t.positions, per) as Float32Array,
      forces: cut(t.forces, per),
      box: cut(t.box, 9),
      time: cut(t.time, 1),
    }, path);
  };
  return {
    frames: peek.nFrames,
    nAtoms: peek.nAtoms,
    hasForces: peek.forces !== undefined,
    topology: peek.topology,
    provenance: peek.provenance,
    read: (a, b) => slice(load(), a, b),
    async *stream(a, b, chunk) {
      const t = load();
      for (let s = a; s < b; s += chunk) yield { start: s, ...slice(t, s, Math.min(b, s + chunk)) };
    },
  };
}

/** An HDF5 molecule group (`file.h5` with one group, or `file.h5:/group`), read by hyperslab. */
function hdf5Part(path: string, opts: FrameSetOptions): PartReader {
  const { file, group } = splitHdf5Path(path);
  const read = { group, units: opts.hdf5Units };
  const first = readHdf5(file, { ...read, start: 0, stop: 1 });
  const g = hdf5Index(file).groups.find((x) => x.path === (group ?? first.provenance?.group));
  if (!g) throw new Error(`${path}: its molecule group could not be found again in the file's index`);
  return {
    frames: g.frames,
    nAtoms: g.atoms,
    hasForces: first.forces !== undefined,
    topology: opts.top === undefined ? undefined : topologyFromPdb(opts.top, g.atoms, path),
    read: (start, stop) => readHdf5(file, { ...read, start, stop }),
    stream: (start, stop, chunk) => streamHdf5(file, { ...read, start, stop, chunk }),
  };
}

function partReader(path: string, opts: FrameSetOptions, cache: LastFile): PartReader {
  const withTop = (nAtoms: number) => (opts.top === undefined ? undefined : topologyFromPdb(opts.top, nAtoms, path));
  if (isHdf5Path(path)) return hdf5Part(path, opts);
  switch (extname(path).toLowerCase()) {
    case '.trr':
      return trrPart(path, opts);
    case '.xtc': {
      const index = xtcIndex(path);
      return {
        frames: index.summary.frames,
        nAtoms: index.nAtoms,
        hasForces: false,
        topology: withTop(index.nAtoms),
        read: (start, stop) => readXtc(path, { start, stop }),
        stream: (start, stop, chunk) => streamXtc(path, { start, stop, chunk }),
      };
    }
    case '.lammpstrj':
    case '.dump': {
      const units = opts.lammpsUnits;
      const first = readLammpsDump(path, { units, start: 0, stop: 1 });
      return {
        frames: dumpIndex(path).offsets.length,
        nAtoms: first.nAtoms,
        hasForces: first.forces !== undefined,
        topology: withTop(first.nAtoms),
        read: (start, stop) => readLammpsDump(path, { units, start, stop }),
        stream: (start, stop, chunk) => streamLammpsDump(path, { units, start, stop, chunk }),
      };
    }
    default:
      return wholePart(path, opts, cache);
  }
}

/** Whether two topologies name the same atoms in the same order (residue, number and name). */
function sameAtoms(a: Topology, b: Topology): number {
  for (let i = 0; i < a.atoms.length; i++) {
    const x = a.atoms[i];
    const y = b.atoms[i];
    if (x.name !== y.name || x.residue !== y.residue || x.resid !== y.resid) return i;
  }
  return -1;
}

/**
 * The files `paths` as one set of frames (after glob expansion: see {@link expandDataPaths}).
 * @throws Error naming the file for: no files, an unreadable or unknown file, an atom count or
 *   atom names that differ from the first file's, a file without forces when they are required,
 *   or files whose provenances disagree on the temperature or the constraints.
 */
export function openFrameSet(paths: readonly string[], opts: FrameSetOptions = {}): FrameSet {
  if (paths.length === 0) throw new Error('no data files given');
  const cache = new LastFile();
  const readers = paths.map((p) => partReader(p, opts, cache));
  const [r0] = readers;
  const topology = readers.find((r) => r.topology)?.topology;
  const topologyFile = paths[readers.findIndex((r) => r.topology)];
  readers.forEach((r, k) => {
    const p = paths[k];
    if (r.nAtoms !== r0.nAtoms) throw new Error(`${p}: has ${r.nAtoms} atoms, but ${paths[0]} has ${r0.nAtoms}: the files of one data set must hold the same atoms`);
    if (r.topology && topology) {
      const at = sameAtoms(r.topology, topology);
      if (at >= 0) {
        const atom = (t: Topology) => `${t.atoms[at].residue}${t.atoms[at].resid} ${t.atoms[at].name}`;
        throw new Error(`${p}: atom ${at} is ${atom(r.topology)}, but in ${topologyFile} it is ${atom(topology)}: the files of one data set must list the same atoms in the same order`);
      }
    }
    if (opts.requireForces && !r.hasForces) throw new Error(`${p}: has no forces${typeof opts.requireForces === 'string' ? `, but ${opts.requireForces}` : ' in every frame, which this data set needs'}`);
    if (r.frames === 0) throw new Error(`${p}: holds no frames${opts.requireForces ? ' with positions and forces' : ''}`);
  });
  const provenance: Record<string, unknown> = {};
  for (const key of SHARED_PROVENANCE) {
    const declared = readers.map((r, k) => [paths[k], r.provenance?.[key]] as const).filter(([, v]) => v !== undefined);
    if (declared.length === 0) continue;
    const differ = declared.find(([, v]) => JSON.stringify(v) !== JSON.stringify(declared[0][1]));
    if (differ) {
      throw new Error(`${differ[0]}: provenance ${key} is ${JSON.stringify(differ[1])}, but ${declared[0][0]} has ${JSON.stringify(declared[0][1])}: the files of one data set must come from the same conditions`);
    }
    provenance[key] = declared[0][1];
  }
  let first = 0;
  const parts = readers.map((r, k) => {
    const part = { path: paths[k], frames: r.frames, first };
    first += r.frames;
    return part;
  });
  const nFrames = first;
  const nAtoms = r0.nAtoms;
  provenance.sources = parts.map((p) => ({ file: p.path, frames: p.frames }));
  const hasForces = readers.every((r) => r.hasForces);

  return {
    parts,
    nFrames,
    nAtoms,
    topology,
    hasForces,
    provenance,
    read() {
      const pieces = readers.map((r) => r.read(0, r.frames));
      const concat = (get: (t: Trajectory) => Float32Array | undefined) => {
        const arrays = pieces.map(get);
        if (!arrays.every((a) => a !== undefined)) return undefined;
        return arrays.length === 1 ? arrays[0] : concatFloat32(arrays as Float32Array[]);
      };
      return makeTrajectory({
        nFrames,
        nAtoms,
        ...(topology ? { topology } : {}),
        positions: concat((t) => t.positions) as Float32Array,
        forces: concat((t) => t.forces),
        box: concat((t) => t.box),
        time: concat((t) => t.time),
        provenance: pieces.length === 1 ? { ...pieces[0].provenance, ...provenance } : provenance,
      }, paths.join(', '));
    },
    async *blocks(start, stop, chunk) {
      if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop < start || stop > nFrames) {
        throw new Error(`frame range [${start}, ${stop}) is not within the data set's ${nFrames} frames`);
      }
      for (let k = 0; k < parts.length; k++) {
        const { first: f, frames } = parts[k];
        const a = Math.max(start, f);
        const b = Math.min(stop, f + frames);
        if (a >= b) continue;
        let at = a;
        for await (const block of readers[k].stream(a - f, b - f, chunk)) {
          yield { ...block, start: at };
          at += block.nFrames;
        }
      }
    },
  };
}

/** A path with any of these characters is a glob pattern. */
const GLOB_CHARS = /[*?[]/;

/** One path segment of a glob as a regular expression: `*`, `?` and `[…]` (`[!…]` negated). */
function segmentPattern(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    const close = c === '[' ? segment.indexOf(']', i + 2) : -1;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (close > 0) {
      const body = segment.slice(i + 1, close);
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\\]\[]/g, '\\$&');
  }
  // A leading dot is matched only by a pattern that writes it, as in a shell.
  return new RegExp(`^${segment.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}

/** The files matching a glob pattern, in natural order (run2 before run10). */
function globFiles(pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  let found = [absolute ? '/' : '.'];
  for (const segment of pattern.split('/').filter((s) => s !== '')) {
    if (!GLOB_CHARS.test(segment)) {
      found = found.map((d) => join(d, segment));
      continue;
    }
    const re = segmentPattern(segment);
    found = found.flatMap((d) => {
      try {
        return readdirSync(d).filter((n) => re.test(n)).map((n) => join(d, n));
      } catch {
        return [];
      }
    });
  }
  return found.filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile()).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * `--data` arguments as files: each glob pattern (`*`, `?`, `[…]` within path segments, as a
 * shell expands them, for patterns quoted from the shell) replaced by the files it matches in
 * natural order; plain paths kept as given.
 * @throws Error naming a pattern that matches no file.
 */
export function expandDataPaths(args: readonly string[]): string[] {
  return args.flatMap((a) => {
    if (!GLOB_CHARS.test(a)) return [a];
    const files = globFiles(a);
    if (files.length === 0) throw new Error(`${a}: no file matches this pattern`);
    return files;
  });
}

/**
 * `k` distinct frames of `n` drawn at random, sorted, by Floyd's algorithm (memory ∝ k, not n):
 * a sample that cannot alias with periodic structure in the set, as a stride can.
 */
export function randomFrames(n: number, k: number, rng: Random): Int32Array {
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`randomFrames: ${k} frames cannot be drawn from ${n}`);
  const chosen = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = Math.floor(rng.uniform() * (j + 1));
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from(chosen).sort();
}

/** First index of sorted `a` that is ≥ v. */
export function lowerBound(a: Int32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Chosen frames of a set, gathered from its blocks as they stream past: a part of the set held
 * in memory (a sample, the validation frames) while the rest is only read.
 */
export class FrameSelection {
  readonly positions: Float32Array;
  readonly forces?: Float32Array;
  readonly box?: Float32Array;
  private readonly per: number;

  /** @param frames sorted set indices of the frames to keep. */
  constructor(private readonly set: FrameSet, readonly frames: Int32Array, opts: { box?: boolean } = {}) {
    this.per = 3 * set.nAtoms;
    this.positions = new Float32Array(frames.length * this.per);
    if (set.hasForces) this.forces = new Float32Array(frames.length * this.per);
    if (opts.box) this.box = new Float32Array(frames.length * 9);
  }

  /** Keep the chosen frames that `block` holds. */
  take(block: FrameBlock): void {
    const { per, frames } = this;
    const copy = (to: Float32Array | undefined, from: Float32Array | undefined, size: number, k: number, row: number, what: string) => {
      if (!to) return;
      if (!from) throw new Error(`frame ${frames[k]} of the data set has no ${what}`);
      to.set(from.subarray(row * size, (row + 1) * size), k * size);
    };
    for (let k = lowerBound(frames, block.start); k < frames.length && frames[k] < block.start + block.nFrames; k++) {
      const row = frames[k] - block.start;
      copy(this.positions, block.positions, per, k, row, 'positions');
      copy(this.forces, block.forces, per, k, row, 'forces');
      copy(this.box, block.box, 9, k, row, 'box');
    }
  }

  /** The kept frames, with the set's topology and provenance. */
  trajectory(source: string): Trajectory {
    const { set } = this;
    return makeTrajectory({ topology: set.topology, nFrames: this.frames.length, nAtoms: set.nAtoms, positions: this.positions, forces: this.forces, box: this.box, provenance: set.provenance }, source);
  }
}

/**
 * Frames `frames` (sorted set indices) of `set` read one by one, without reading the frames
 * between them where the format allows: a sample of a set larger than memory.
 */
export async function readFrames(set: FrameSet, frames: Int32Array, source: string, opts: { box?: boolean } = {}): Promise<Trajectory> {
  const picked = new FrameSelection(set, frames, opts);
  for (const f of frames) for await (const b of set.blocks(f, f + 1, 1)) picked.take(b);
  return picked.trajectory(source);
}
