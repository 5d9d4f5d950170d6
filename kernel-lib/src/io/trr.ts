/**
 * GROMACS TRR trajectories: full-precision frames of positions, velocities and forces, any of
 * them present per frame, with box, step and time. Each frame is XDR (big-endian):
 * 1. the magic 1993, the version string ("GMX_trn_file", as an int length + 1 and an XDR string);
 * 2. 13 ints: ir_size, e_size, box_size, vir_size, pres_size, top_size, sym_size, x_size,
 *    v_size, f_size, natoms, step, nre;
 * 3. time and lambda as reals;
 * 4. the sections whose size is non-zero, in order box (3×3), virial, pressure, x, v, f.
 * A real is a float32 in single-precision files and a float64 in double-precision ones; the size
 * fields tell which (box_size / 9, else x_size / (3 natoms), …), as GROMACS decides it.
 * Units are GROMACS's, which are cglab's internal ones: nm, ps, nm/ps, kJ/mol/nm.
 *
 * The frame offsets come from walking the headers once (cached per file), so a frame range is
 * read without reading the frames before it. Files are written in the same layout, whole
 * ({@link writeTrr}) or block by block with bounded memory ({@link openTrrWriter}).
 */
import { INTERNAL_UNITS } from '../units.js';
import { AtomicFile } from './atomic.js';
import { asyncBlocks, blockTrajectory, frameRange, type FrameBlock, type FrameRangeOptions, type StoredArray, type TrajectorySummary } from './frameBlocks.js';
import type { Trajectory } from './trajectory.js';
import { FileWindow, GROMACS_MAGIC, IndexCache, scanFrameOffsets, wrongMagic, XdrCursor, XdrEndError } from './xdr.js';

/** Longest version string accepted; GROMACS writes the 12 bytes "GMX_trn_file". */
const MAX_VERSION = 128;
/** Bytes of the largest header (double precision, the longest version string) plus a double box: what the walk needs of each frame. */
const SCAN_BYTES = 12 + MAX_VERSION + 13 * 4 + 2 * 8 + 9 * 8;

/** Bits of {@link TrrIndex.contents}. */
export const HAS_X = 1;
export const HAS_V = 2;
export const HAS_F = 4;
export const HAS_BOX = 8;

/** One frame's header, sizes in bytes. */
interface TrrHeader {
  real: 4 | 8;
  natoms: number;
  step: number;
  time: number;
  box: number;
  vir: number;
  pres: number;
  x: number;
  v: number;
  f: number;
  /** Bytes of the whole frame, header included. */
  frameBytes: number;
}

const INT_FIELDS = ['ir_size', 'e_size', 'box_size', 'vir_size', 'pres_size', 'top_size', 'sym_size', 'x_size', 'v_size', 'f_size', 'natoms', 'step', 'nre'] as const;

/** Parse and check the header of frame `k`, which starts at the cursor, leaving the cursor at its first section. */
function readHeader(c: XdrCursor, path: string, k: number): TrrHeader {
  const offset = c.position;
  const magic = c.int32();
  if (magic !== GROMACS_MAGIC.trr) throw wrongMagic(path, 'TRR', k, offset, magic);
  // Built only for a message: a template string per frame is a fair share of a small frame's read.
  const where = () => `${path}: frame ${k} (byte ${offset})`;
  const slen = c.int32();
  let version: string;
  try {
    version = c.string(MAX_VERSION);
  } catch (e) {
    if (e instanceof XdrEndError) throw e;
    throw new Error(`${where()}: ${(e as Error).message}; expected the version string "GMX_trn_file"`);
  }
  if (slen !== version.length + 1) throw new Error(`${where()}: the version string "${version}" has length ${version.length} but the header says ${slen - 1}`);
  const h: Record<(typeof INT_FIELDS)[number], number> = {} as never;
  for (const name of INT_FIELDS) h[name] = c.int32();
  for (const name of ['ir_size', 'e_size', 'top_size', 'sym_size'] as const) {
    if (h[name] !== 0) throw new Error(`${where()}: ${name} is ${h[name]}; cglab reads TRR frames whose ir, e, top and sym sections are empty, as every GROMACS version writes them`);
  }
  const { natoms } = h;
  if (natoms <= 0) throw new Error(`${where()}: natoms is ${natoms}, expected a positive atom count`);
  // GROMACS's nFloatSize: the first non-empty section fixes the size of a real.
  const real = h.box_size ? h.box_size / 9 : h.x_size ? h.x_size / (3 * natoms) : h.v_size ? h.v_size / (3 * natoms) : h.f_size / (3 * natoms);
  if (real !== 4 && real !== 8) {
    const sizes = INT_FIELDS.slice(2, 10).map((n) => `${n} ${h[n]}`).join(', ');
    throw new Error(`${where()}: cannot tell single from double precision: the section sizes (${sizes}) for ${natoms} atoms give ${real || 'no'} bytes per real, expected 4 or 8`);
  }
  const check = (name: (typeof INT_FIELDS)[number], values: number, what: string) => {
    if (h[name] !== 0 && h[name] !== values * real) {
      throw new Error(`${where()}: ${name} is ${h[name]}, expected 0 or ${values * real} (${what} of ${real}-byte reals)`);
    }
  };
  check('box_size', 9, '3×3');
  check('vir_size', 9, '3×3');
  check('pres_size', 9, '3×3');
  for (const n of ['x_size', 'v_size', 'f_size'] as const) check(n, 3 * natoms, `${natoms} atoms × 3`);
  const time = c.real(real);
  c.real(real); // lambda: not used by cglab
  const headerBytes = c.position - offset;
  const sections = h.box_size + h.vir_size + h.pres_size + h.x_size + h.v_size + h.f_size;
  return {
    real,
    natoms,
    step: h.step,
    time,
    box: h.box_size,
    vir: h.vir_size,
    pres: h.pres_size,
    x: h.x_size,
    v: h.v_size,
    f: h.f_size,
    frameBytes: headerBytes + sections,
  };
}

/** Where each frame of a TRR file lies and what it holds. */
export interface TrrIndex {
  /** [frames + 1] byte offsets: frame k spans [offsets[k], offsets[k + 1]). */
  offsets: Float64Array;
  /** [frames] bit set per frame: 1 positions, 2 velocities, 4 forces, 8 box. */
  contents: Uint8Array;
  nAtoms: number;
  /** Bytes per real: 4 (single precision) or 8 (double). */
  real: 4 | 8;
  summary: TrajectorySummary;
}

const indexes = new IndexCache<TrrIndex>();

/**
 * The frame index of a TRR file, from its headers alone (and each frame's box), built once and
 * cached while the file is unchanged.
 * @throws Error naming the file and the frame for: a wrong magic number, a truncated frame
 *   ("frame 7 is truncated at byte …"), inconsistent section sizes, an atom count or precision
 *   that differs from frame 0's, or an empty file.
 */
export function trrIndex(path: string): TrrIndex {
  return indexes.get(path, () => buildIndex(path));
}

function buildIndex(path: string): TrrIndex {
  let first: TrrHeader | undefined;
  const contents: number[] = [];
  const box = new Float32Array(9);
  const box0 = new Float32Array(9);
  let haveBox = false;
  let boxVaries = false;
  const times: number[] = [];
  let lastTime = 0;
  let lastStep = 0;
  const offsets = scanFrameOffsets(path, SCAN_BYTES, (c, k) => {
    const h = readHeader(c, path, k);
    first ??= h;
    if (h.natoms !== first.natoms) throw new Error(`${path}: frame ${k} has ${h.natoms} atoms but frame 0 has ${first.natoms}; a trajectory must hold one system`);
    if (h.real !== first.real) throw new Error(`${path}: frame ${k} is ${h.real === 8 ? 'double' : 'single'} precision but frame 0 is ${first.real === 8 ? 'double' : 'single'}`);
    if (h.box) {
      c.reals(h.real, box, 0, 9);
      if (!haveBox) box0.set(box);
      else if (!boxVaries) boxVaries = box.some((v, i) => v !== box0[i]);
      haveBox = true;
    }
    contents.push((h.x ? HAS_X : 0) | (h.v ? HAS_V : 0) | (h.f ? HAS_F : 0) | (h.box ? HAS_BOX : 0));
    if (times.length < 2) times.push(h.time);
    lastTime = h.time;
    lastStep = h.step;
    return h.frameBytes;
  });
  if (!first) throw new Error(`${path}: the file is empty: a TRR file holds at least one frame`);
  const n = contents.length;
  const count = (bit: number) => contents.reduce((s, b) => s + (b & bit ? 1 : 0), 0);
  const dtype = first.real === 4 ? '>f4' : '>f8';
  const atoms = first.natoms;
  const arrays: StoredArray[] = [];
  for (const [name, bit] of [['positions', HAS_X], ['velocities', HAS_V], ['forces', HAS_F]] as const) {
    if (count(bit)) arrays.push({ name, dtype, shape: [count(bit), atoms, 3] });
  }
  if (count(HAS_BOX)) arrays.push({ name: 'box', dtype, shape: [count(HAS_BOX), 3, 3] });
  arrays.push({ name: 'time', dtype, shape: [n] }, { name: 'step', dtype: '>i4', shape: [n] });
  return {
    offsets,
    contents: Uint8Array.from(contents),
    nAtoms: atoms,
    real: first.real,
    summary: {
      format: 'trr',
      frames: n,
      atoms,
      arrays,
      precision: first.real === 4 ? 'single' : 'double',
      units: { ...INTERNAL_UNITS },
      box: count(HAS_BOX) ? { first: box0, varies: boxVaries } : null,
      time: { first: times[0], second: times.length > 1 ? times[1] : null, last: lastTime },
      steps: { first: first.step, last: lastStep },
    },
  };
}

/** Options of {@link readTrr} and {@link streamTrr}. */
export interface TrrReadOptions extends FrameRangeOptions {
  /**
   * Arrays a frame must hold, besides positions, to be read; frames of the range without them
   * (and frames without positions) are skipped. Default none.
   */
  require?: ('velocities' | 'forces' | 'box')[];
}

/** Frames of a TRR file; `frames` says which, as frames without positions or a required array are skipped. */
export interface TrrBlock extends FrameBlock {
  /** [nFrames] index in the file of each frame. */
  frames: Int32Array;
  /** [nFrames, nAtoms, 3], nm/ps. */
  velocities?: Float32Array;
  time: Float32Array;
  step: Float64Array;
}

/** A whole TRR read: a {@link Trajectory} with the file's velocities, steps and frame indices. */
export type TrrTrajectory = Trajectory & Omit<TrrBlock, 'start'>;

/** The frames to read and which optional arrays every one of them holds. */
interface Selection {
  frames: Int32Array;
  velocities: boolean;
  forces: boolean;
  box: boolean;
  chunk: number;
}

function select(path: string, index: TrrIndex, opts: TrrReadOptions): Selection {
  const { start, stop, chunk } = frameRange(opts, index.contents.length, index.nAtoms, path);
  const bits: Record<string, number> = { velocities: HAS_V, forces: HAS_F, box: HAS_BOX };
  let need = HAS_X;
  for (const r of opts.require ?? []) {
    if (!Object.hasOwn(bits, r)) throw new Error(`${path}: require lists '${r}', expected some of velocities, forces, box`);
    need |= bits[r];
  }
  const frames: number[] = [];
  let all = HAS_V | HAS_F | HAS_BOX;
  for (let k = start; k < stop; k++) {
    const b = index.contents[k];
    if ((b & need) !== need) continue;
    frames.push(k);
    all &= b;
  }
  if (frames.length === 0 && stop > start) {
    const held = index.summary.arrays.filter((a) => a.name !== 'time' && a.name !== 'step').map((a) => `${a.name} in ${a.shape[0]}`).join(', ');
    const wanted = ['positions', ...(opts.require ?? [])].join(' and ');
    throw new Error(`${path}: no frame in [${start}, ${stop}) holds ${wanted}; of the file's ${index.contents.length} frames, ${held} hold each array`);
  }
  return { frames: Int32Array.from(frames), velocities: !!(all & HAS_V), forces: !!(all & HAS_F), box: !!(all & HAS_BOX), chunk };
}

/** The selected frames, `chunk` per block, read through one reusable buffer. */
function* blocks(path: string, index: TrrIndex, sel: Selection): Generator<TrrBlock> {
  const file = new FileWindow(path);
  try {
    const { nAtoms, real } = index;
    const per = 3 * nAtoms;
    const cursor = new XdrCursor();
    for (let b0 = 0; b0 < sel.frames.length; b0 += sel.chunk) {
      const frames = sel.frames.slice(b0, b0 + sel.chunk);
      const n = frames.length;
      const block: TrrBlock = {
        start: frames[0],
        nFrames: n,
        nAtoms,
        frames,
        positions: new Float32Array(n * per),
        ...(sel.velocities ? { velocities: new Float32Array(n * per) } : {}),
        ...(sel.forces ? { forces: new Float32Array(n * per) } : {}),
        ...(sel.box ? { box: new Float32Array(n * 9) } : {}),
        time: new Float32Array(n),
        step: new Float64Array(n),
      };
      for (let i = 0; i < n; i++) {
        const k = frames[i];
        const at = index.offsets[k];
        const h = readHeader(cursor.reset(file.at(at, index.offsets[k + 1] - at), at), path, k);
        if (h.natoms !== nAtoms || h.real !== real) throw new Error(`${path}: frame ${k} changed since the file was indexed; read it again`);
        block.time[i] = h.time;
        block.step[i] = h.step;
        if (block.box) cursor.reals(real, block.box, 9 * i, 9);
        else cursor.skip(h.box);
        cursor.skip(h.vir + h.pres);
        cursor.reals(real, block.positions, per * i, per);
        if (block.velocities) cursor.reals(real, block.velocities, per * i, per);
        else cursor.skip(h.v);
        if (block.forces) cursor.reals(real, block.forces, per * i, per);
      }
      yield block;
    }
  } finally {
    file.close();
  }
}

/**
 * Read a GROMACS TRR file (single or double precision) into internal units.
 * @param opts `start`/`stop`: the frame range (file frame indices); `require`: arrays besides
 *   positions a frame must hold to be read.
 * @returns positions [frames, atoms, 3] nm of every frame of the range that has them (and the
 *   required arrays); velocities (nm/ps), forces (kJ/mol/nm) and box (nm) when every frame read
 *   holds them; time (ps), step and the file index of each frame read. Double-precision values
 *   are rounded to float32.
 * @throws Error naming the file (see {@link trrIndex}), and when no frame of the range holds
 *   positions and the required arrays.
 */
export function readTrr(path: string, opts: Omit<TrrReadOptions, 'chunk'> = {}): TrrTrajectory {
  const index = trrIndex(path);
  const sel = select(path, index, opts);
  const [block] = blocks(path, index, { ...sel, chunk: Math.max(1, sel.frames.length) });
  const { real } = index;
  const provenance = { reader: 'trr', file: path, precision: real === 4 ? 'single' : 'double' };
  if (block) return blockTrajectory(block, path, provenance);
  const empty = new Float32Array(0);
  return blockTrajectory({ start: 0, nFrames: 0, nAtoms: index.nAtoms, frames: new Int32Array(0), positions: empty, time: empty, step: new Float64Array(0) }, path, provenance);
}

/**
 * Stream the frames of a TRR file in blocks of `opts.chunk` frames (bounded memory), reading
 * only the frames of the range; the selection and the arrays are those of {@link readTrr}. The
 * whole file is indexed (headers only) before the first block, so a truncated or corrupt file
 * fails before any frame is yielded.
 */
export async function* streamTrr(path: string, opts: TrrReadOptions = {}): AsyncGenerator<TrrBlock, void, undefined> {
  const index = trrIndex(path);
  yield* asyncBlocks(blocks(path, index, select(path, index, opts)));
}

/** Frames to write to a TRR file: arrays flat and row-major, internal units. */
export interface TrrFrames {
  nFrames: number;
  nAtoms: number;
  /** [nFrames, nAtoms, 3], nm. */
  positions: Float32Array;
  /** [nFrames, nAtoms, 3], nm/ps; written when present. */
  velocities?: Float32Array;
  /** [nFrames, nAtoms, 3], kJ/mol/nm; written when present. */
  forces?: Float32Array;
  /** [nFrames, 3, 3] box vectors as rows, nm; written when present. */
  box?: Float32Array;
  /** [nFrames], ps; default the frame's index in the file (0, 1, 2, …). */
  time?: ArrayLike<number>;
  /** [nFrames] MD step, integers that fit an int32 (the TRR header's); default the frame's index in the file. */
  step?: ArrayLike<number>;
}

/** Options of {@link writeTrr} and {@link openTrrWriter}. */
export interface TrrWriteOptions {
  /** Reals as float32 ('single', GROMACS's default build) or float64 ('double'); default 'single'. */
  precision?: 'single' | 'double';
}

/** A TRR file being written frame block by frame block (see {@link openTrrWriter}). */
export interface TrrWriter {
  /** Append the frames of `block`; every block must have the atom count of the first. */
  write(block: TrrFrames): void;
  /** Finish: flush, and rename the file into place. */
  close(): void;
  /** Give up: delete the temporary file, leaving any previous file at the path untouched. */
  abort(): void;
  /** Frames written so far. */
  readonly frames: number;
}

/** Bytes of the "GMX_trn_file" version string, which is 4-byte aligned and so needs no XDR padding. */
const VERSION = 'GMX_trn_file';
/** Bytes a writer encodes before handing them to the file: bounds its memory whatever the block size. */
const WRITE_BUFFER_BYTES = 1 << 22;

/**
 * Open `path` for writing a TRR file frame block by frame block with bounded memory (one encode
 * buffer of a few MiB, or one frame when a frame is larger): frames go to a temporary file in
 * the same folder, renamed to `path` by `close()`, so that a reader never sees a partial file
 * and an interrupted write (`abort()`, an error, a killed process) leaves any previous file as
 * it was. Each frame is GROMACS's layout (see the top of this file): header, then box,
 * positions, velocities and forces, whichever the block has, with empty virial and pressure,
 * lambda 0, and time and step from the block (default: the frame's index in the file).
 * @throws Error naming `path` for a block whose arrays do not match its frame and atom counts,
 *   an atom count that differs from the first block's, a step that is not an int32, or after
 *   close/abort.
 */
export function openTrrWriter(path: string, opts: TrrWriteOptions = {}): TrrWriter {
  const precision = opts.precision ?? 'single';
  if (precision !== 'single' && precision !== 'double') throw new Error(`${path}: precision is '${precision as string}', expected 'single' or 'double'`);
  const real = precision === 'single' ? 4 : 8;
  const file = new AtomicFile(path);
  let nAtoms = -1;
  let frames = 0;
  let buf = new Uint8Array(WRITE_BUFFER_BYTES);
  let view = new DataView(buf.buffer);
  const write = (block: TrrFrames) => {
    const n = block.nFrames;
    const na = block.nAtoms;
    if (!Number.isInteger(na) || na <= 0) throw new Error(`${path}: a block has ${na} atoms, expected a positive atom count`);
    if (nAtoms < 0) nAtoms = na;
    else if (na !== nAtoms) throw new Error(`${path}: a block has ${na} atoms but the file's first block has ${nAtoms}; a TRR file holds one system`);
    const per = 3 * na;
    const check = (name: string, arr: ArrayLike<number> | undefined, size: number, shape: string) => {
      if (arr !== undefined && arr.length !== n * size) throw new Error(`${path}: block ${name} has ${arr.length} values, expected ${shape} = ${n * size}`);
    };
    check('positions', block.positions, per, `[${n}, ${na}, 3]`);
    check('velocities', block.velocities, per, `[${n}, ${na}, 3]`);
    check('forces', block.forces, per, `[${n}, ${na}, 3]`);
    check('box', block.box, 9, `[${n}, 3, 3]`);
    check('time', block.time, 1, `[${n}]`);
    check('step', block.step, 1, `[${n}]`);
    const sections = [block.box ? 9 : 0, per, block.velocities ? per : 0, block.forces ? per : 0];
    const frameBytes = 4 + 4 + 4 + VERSION.length + 13 * 4 + 2 * real + real * sections.reduce((a, b) => a + b, 0);
    if (frameBytes > buf.length) {
      buf = new Uint8Array(frameBytes);
      view = new DataView(buf.buffer);
    }
    let p = 0;
    const int = (v: number) => {
      view.setInt32(p, v);
      p += 4;
    };
    const reals = (arr: ArrayLike<number>, from: number, count: number) => {
      if (real === 4) for (let j = 0; j < count; j++, p += 4) view.setFloat32(p, arr[from + j]);
      else for (let j = 0; j < count; j++, p += 8) view.setFloat64(p, arr[from + j]);
    };
    for (let i = 0; i < n; i++) {
      if (p + frameBytes > buf.length) {
        file.write(buf.subarray(0, p));
        p = 0;
      }
      const k = frames + i;
      const step = block.step ? block.step[i] : k;
      if (!Number.isInteger(step) || step < -(2 ** 31) || step >= 2 ** 31) {
        throw new Error(`${path}: frame ${k} has step ${step}; the TRR header stores the step as a 32-bit integer`);
      }
      int(GROMACS_MAGIC.trr);
      int(VERSION.length + 1);
      int(VERSION.length);
      for (let c = 0; c < VERSION.length; c++) buf[p++] = VERSION.charCodeAt(c);
      // ir, e, box, vir, pres, top, sym, x, v, f sizes; natoms, step, nre.
      for (const v of [0, 0, sections[0] * real, 0, 0, 0, 0, sections[1] * real, sections[2] * real, sections[3] * real, na, step, 0]) int(v);
      reals([block.time ? block.time[i] : k, 0], 0, 2);
      if (block.box) reals(block.box, 9 * i, 9);
      reals(block.positions, per * i, per);
      if (block.velocities) reals(block.velocities, per * i, per);
      if (block.forces) reals(block.forces, per * i, per);
    }
    file.write(buf.subarray(0, p));
    frames += n;
  };
  let open = true;
  const ensureOpen = () => {
    if (!open) throw new Error(`${path}: the TRR writer is closed; open a new one to write more`);
  };
  return {
    write(block) {
      ensureOpen();
      try {
        write(block);
      } catch (e) {
        open = false;
        file.abort();
        throw e;
      }
    },
    close() {
      ensureOpen();
      open = false;
      if (frames === 0) {
        file.abort();
        throw new Error(`${path}: no frame was written; a TRR file holds at least one frame`);
      }
      file.commit();
    },
    abort() {
      open = false;
      file.abort();
    },
    get frames() {
      return frames;
    },
  };
}

/**
 * Write `traj` as a TRR file, atomically (through {@link openTrrWriter}): positions, and
 * velocities (as a TRR or GRO read returns them), forces and box when the
 * trajectory has them; time and step when it has them, else each frame's index.
 * @param opts.precision 'single' (default) or 'double'.
 * @throws Error naming `path` (see {@link openTrrWriter}), and for a trajectory without frames.
 */
export function writeTrr(path: string, traj: Trajectory & { velocities?: Float32Array; step?: ArrayLike<number> }, opts: TrrWriteOptions = {}): void {
  const w = openTrrWriter(path, opts);
  try {
    w.write(traj);
  } catch (e) {
    w.abort();
    throw e;
  }
  w.close();
}
