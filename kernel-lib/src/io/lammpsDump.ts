/**
 * LAMMPS text dumps (`dump atom` / `dump custom`): per frame
 *
 *     [ITEM: UNITS / style]          (dump_modify units yes; first frame only)
 *     [ITEM: TIME / t]               (dump_modify time yes)
 *     ITEM: TIMESTEP / step
 *     ITEM: NUMBER OF ATOMS / n
 *     ITEM: BOX BOUNDS [xy xz yz] pp pp pp / 3 lines "lo hi [tilt]"
 *     ITEM: ATOMS id type x y z fx fy fz ...   then n lines of those columns
 *
 * Columns may come in any order and atoms in any order; cglab sorts them by id. Positions are
 * taken from xu yu zu (unwrapped), else x y z, else the scaled xsu ysu zsu or xs ys zs (turned
 * into Cartesian ones with the frame's box); forces from fx fy fz when present.
 *
 * LAMMPS writes values in the units style of the run, which the dump does not say unless it has
 * ITEM: UNITS: the caller declares it (default `real`: Å, fs, kcal/mol/Å) and the reader converts
 * to nm, ps and kJ/mol/nm with the factors of units.ts.
 *
 * Reading goes through one reusable buffer and parses numbers from its bytes, without a string
 * per value; the frame offsets come from one pass that skips the atom lines (cached per file).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { lammpsUnitStyle, type LammpsUnitStyle } from '../units.js';
import { parseDecimal } from './decimal.js';
import { asyncBlocks, blockTrajectory, frameRange, type FrameBlock, type FrameRangeOptions, type StoredArray, type TrajectorySummary } from './frameBlocks.js';
import type { Trajectory } from './trajectory.js';
import { IndexCache } from './xdr.js';

/** Bytes read at once; the buffer grows when one line is longer. */
const READ_BYTES = 1 << 20;
const NL = 10;

/** Lines of a text file through one reusable buffer; the current line is buf[start, end). */
class LineReader {
  buf = new Uint8Array(READ_BYTES);
  start = 0;
  end = 0;
  /** 1-based number of the current line. */
  line = 0;
  readonly size: number;
  private fd: number;
  /** File offset of buf[0], bytes of buf holding file data, and the next unread index. */
  private base = 0;
  private filled = 0;
  private pos = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  /** Continue reading at file offset `offset`, which starts line `line` + 1. */
  seek(offset: number, line: number): void {
    this.base = offset;
    this.filled = 0;
    this.pos = 0;
    this.line = line;
  }

  /** File offset of the current line's first byte. */
  get lineOffset(): number {
    return this.base + this.start;
  }

  /** Advance to the next line; false at the end of the file. */
  next(): boolean {
    for (;;) {
      const nl = this.buf.indexOf(NL, this.pos);
      if (nl !== -1 && nl < this.filled) {
        this.start = this.pos;
        this.end = nl > this.pos && this.buf[nl - 1] === 13 ? nl - 1 : nl;
        this.pos = nl + 1;
        this.line++;
        return true;
      }
      if (!this.fill()) {
        if (this.pos >= this.filled) return false;
        this.start = this.pos;
        this.end = this.filled;
        this.pos = this.filled;
        this.line++;
        return true;
      }
    }
  }

  /** Move the unread bytes to the front and read more; false when the file has no more. */
  private fill(): boolean {
    this.buf.copyWithin(0, this.pos, this.filled);
    this.base += this.pos;
    this.filled -= this.pos;
    this.pos = 0;
    if (this.filled === this.buf.length) {
      const grown = new Uint8Array(2 * this.buf.length);
      grown.set(this.buf);
      this.buf = grown;
    }
    const n = readSync(this.fd, this.buf, this.filled, this.buf.length - this.filled, this.base + this.filled);
    this.filled += n;
    return n > 0;
  }

  /** The current line as text. */
  text(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset + this.start, this.end - this.start).toString('latin1');
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The decimal number in bytes [a, b), or NaN when they are not one. Up to 15 significant digits
 * and a decimal exponent within ±22 (what LAMMPS's %g and %.Ng write) are converted exactly
 * (Clinger's fast path: an exact integer times or over an exact power of ten, rounded once);
 * anything else goes through Number().
 */
function parseNumber(buf: Uint8Array, a: number, b: number): number {
  let i = a;
  const neg = buf[i] === 45;
  if (neg || buf[i] === 43) i++;
  let m = 0;
  let digits = 0;
  let exp = 0;
  let any = false;
  for (; i < b && buf[i] >= 48 && buf[i] <= 57; i++) {
    any = true;
    if (m !== 0 || buf[i] !== 48) digits++;
    m = m * 10 + (buf[i] - 48);
  }
  if (i < b && buf[i] === 46) {
    for (i++; i < b && buf[i] >= 48 && buf[i] <= 57; i++) {
      any = true;
      if (m !== 0 || buf[i] !== 48) digits++;
      m = m * 10 + (buf[i] - 48);
      exp--;
    }
  }
  if (!any) return Number.NaN;
  if (i < b && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    const eneg = buf[i] === 45;
    if (eneg || buf[i] === 43) i++;
    let e = 0;
    const e0 = i;
    for (; i < b && buf[i] >= 48 && buf[i] <= 57; i++) e = e * 10 + (buf[i] - 48);
    if (i === e0) return Number.NaN;
    exp += eneg ? -e : e;
  }
  if (i !== b) return Number.NaN;
  if (digits > 15 || exp > 22 || exp < -22) return parseDecimal(Buffer.from(buf.buffer, buf.byteOffset + a, b - a).toString('latin1'));
  const v = exp >= 0 ? m * POW10[exp] : m / POW10[-exp];
  return neg ? -v : v;
}

/** One frame's header, values as the file stores them (the run's units). */
interface DumpHeader {
  /** File offset and 1-based number of the frame's first line. */
  offset: number;
  line: number;
  units: string | null;
  time: number | null;
  step: number;
  natoms: number;
  /** Box origin (xlo, ylo, zlo) and vectors as rows a, b, c. */
  origin: Float64Array;
  box: Float64Array;
  /** Line number of ITEM: ATOMS, the text after it, and its column names. */
  atomsLine: number;
  columnsText: string;
  columns: string[];
}

const ITEM = 'ITEM: ';

/**
 * The header of frame `k`, the reader left before its first atom line; null at the end of the
 * file. Blank lines between frames are skipped.
 */
function readHeader(lr: LineReader, path: string, k: number): DumpHeader | null {
  let line: string;
  do {
    if (!lr.next()) return null;
    line = lr.text().trim();
  } while (line === '');
  const h: Partial<DumpHeader> = { offset: lr.lineOffset, line: lr.line, units: null, time: null };
  const at = () => `${path} line ${lr.line}`;
  const value = (item: string): string => {
    if (!lr.next()) throw new Error(`${path}: frame ${k} is truncated at byte ${lr.size}: ITEM: ${item} on line ${lr.line} has no value after it`);
    return lr.text().trim();
  };
  const number = (item: string, integer: boolean): number => {
    const t = value(item);
    const v = parseDecimal(t);
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) throw new Error(`${at()}: ITEM: ${item} is "${t}", expected ${integer ? 'an integer' : 'a number'}`);
    return v;
  };
  for (;;) {
    if (!line.startsWith(ITEM)) throw new Error(`${at()}: expected an ITEM: line of frame ${k} (a frame starts with ITEM: TIMESTEP), found "${line.slice(0, 60)}"`);
    const item = line.slice(ITEM.length).trim();
    if (item === 'UNITS') h.units = value(item);
    else if (item === 'TIME') h.time = number(item, false);
    else if (item === 'TIMESTEP') h.step = number(item, true);
    else if (item === 'NUMBER OF ATOMS') h.natoms = number(item, true);
    else if (item.startsWith('BOX BOUNDS')) readBox(lr, path, k, item, h);
    else if (item === 'ATOMS' || item.startsWith('ATOMS ')) {
      for (const [name, got] of [['TIMESTEP', h.step], ['NUMBER OF ATOMS', h.natoms], ['BOX BOUNDS', h.box]] as const) {
        if (got === undefined) throw new Error(`${at()}: frame ${k} reaches ITEM: ATOMS without ITEM: ${name}`);
      }
      h.atomsLine = lr.line;
      h.columnsText = item.slice('ATOMS'.length).trim();
      h.columns = h.columnsText.split(/\s+/).filter((c) => c !== '');
      return h as DumpHeader;
    } else throw new Error(`${at()}: unknown item "ITEM: ${item}" in frame ${k}; expected UNITS, TIME, TIMESTEP, NUMBER OF ATOMS, BOX BOUNDS or ATOMS`);
    if (!lr.next()) throw new Error(`${path}: frame ${k} is truncated at byte ${lr.size}: the file ends after line ${lr.line}, before ITEM: ATOMS`);
    line = lr.text().trim();
  }
}

/** The three bound lines of ITEM: BOX BOUNDS, as origin and box vectors (LAMMPS's "triclinic" convention). */
function readBox(lr: LineReader, path: string, k: number, item: string, h: Partial<DumpHeader>): void {
  const flags = item.slice('BOX BOUNDS'.length).trim().split(/\s+/);
  if (flags.includes('abc')) throw new Error(`${path} line ${lr.line}: general triclinic boxes ("ITEM: ${item}") are not supported; dump with the restricted triclinic box (the LAMMPS default)`);
  const tilted = flags.includes('xy');
  const bounds: number[][] = [];
  for (const axis of 'xyz') {
    if (!lr.next()) throw new Error(`${path}: frame ${k} is truncated at byte ${lr.size}: the box bounds end after line ${lr.line}`);
    const parts = lr.text().trim().split(/\s+/).map(parseDecimal);
    const n = tilted ? 3 : 2;
    if (parts.length !== n || !parts.every(Number.isFinite)) {
      throw new Error(`${path} line ${lr.line}: the ${axis} bounds are "${lr.text().trim()}", expected ${tilted ? `${axis}lo_bound ${axis}hi_bound ${['xy', 'xz', 'yz']['xyz'.indexOf(axis)]}` : `${axis}lo ${axis}hi`} (${n} numbers)`);
    }
    bounds.push(parts);
  }
  const [xy, xz, yz] = tilted ? [bounds[0][2], bounds[1][2], bounds[2][2]] : [0, 0, 0];
  // A tilted box's bounds enclose the whole parallelepiped; undo that to get lo/hi of the box itself.
  const xlo = bounds[0][0] - Math.min(0, xy, xz, xy + xz);
  const xhi = bounds[0][1] - Math.max(0, xy, xz, xy + xz);
  const ylo = bounds[1][0] - Math.min(0, yz);
  const yhi = bounds[1][1] - Math.max(0, yz);
  const [zlo, zhi] = bounds[2];
  h.origin = Float64Array.of(xlo, ylo, zlo);
  h.box = Float64Array.of(xhi - xlo, 0, 0, xy, yhi - ylo, 0, xz, yz, zhi - zlo);
}

/** Position column sets in order of preference: unwrapped, wrapped, scaled unwrapped, scaled. */
const POSITION_SETS = [
  { names: ['xu', 'yu', 'zu'], scaled: false },
  { names: ['x', 'y', 'z'], scaled: false },
  { names: ['xsu', 'ysu', 'zsu'], scaled: true },
  { names: ['xs', 'ys', 'zs'], scaled: true },
];
const FORCES = ['fx', 'fy', 'fz'];

/** Which column of ITEM: ATOMS holds each value cglab reads. */
interface Columns {
  /** Column index of id, type (−1: none), the three positions and the three forces (empty: none). */
  id: number;
  type: number;
  position: number[];
  scaled: boolean;
  force: number[];
  /** Slot of each column in the values parsed per atom (−1: not read), and the slot count. */
  slots: Int32Array;
  nSlots: number;
  names: string[];
}

/** Find the columns of `h`, naming a missing one and the ones present. */
function resolveColumns(h: DumpHeader, path: string): Columns {
  const cols = h.columns;
  const present = cols.length ? cols.join(' ') : '(none)';
  const where = `${path} line ${h.atomsLine}`;
  const find = (n: string) => cols.indexOf(n);
  if (find('id') < 0) throw new Error(`${where}: ITEM: ATOMS has no column id, which cglab sorts the atoms by; the columns present are: ${present}`);
  let set = POSITION_SETS.find((s) => s.names.every((n) => find(n) >= 0));
  if (!set) {
    const partial = POSITION_SETS.find((s) => s.names.some((n) => find(n) >= 0));
    if (partial) {
      const missing = partial.names.filter((n) => find(n) < 0);
      throw new Error(`${where}: ITEM: ATOMS lacks column ${missing.join(' and ')} (of ${partial.names.join(' ')}); the columns present are: ${present}`);
    }
    throw new Error(`${where}: ITEM: ATOMS has no position columns, expected ${POSITION_SETS.map((s) => s.names.join(' ')).join(', or ')}; the columns present are: ${present}`);
  }
  const forcesFound = FORCES.filter((n) => find(n) >= 0);
  if (forcesFound.length > 0 && forcesFound.length < 3) {
    throw new Error(`${where}: ITEM: ATOMS lacks column ${FORCES.filter((n) => find(n) < 0).join(' and ')} (of fx fy fz); the columns present are: ${present}`);
  }
  const c: Columns = {
    id: find('id'),
    type: find('type'),
    position: set.names.map(find),
    scaled: set.scaled,
    force: forcesFound.length ? FORCES.map(find) : [],
    slots: new Int32Array(cols.length).fill(-1),
    nSlots: 0,
    names: cols,
  };
  for (const col of [c.id, c.type, ...c.position, ...c.force]) if (col >= 0) c.slots[col] = c.nSlots++;
  return c;
}

/**
 * Parse the current line's columns into `out` from `at`: columns with a slot are stored in slot
 * order; every column must be present and a plain number.
 */
function parseAtomLine(lr: LineReader, c: Columns, out: Float64Array, at: number, path: string): void {
  const buf = lr.buf;
  const end = lr.end;
  let i = lr.start;
  let col = 0;
  for (;;) {
    while (i < end && (buf[i] === 32 || buf[i] === 9)) i++;
    if (i >= end) break;
    const a = i;
    while (i < end && buf[i] !== 32 && buf[i] !== 9) i++;
    if (col < c.slots.length) {
      const slot = c.slots[col];
      if (slot >= 0) {
        const v = parseNumber(buf, a, i);
        if (!Number.isFinite(v)) {
          const t = Buffer.from(buf.buffer, buf.byteOffset + a, i - a).toString('latin1');
          throw new Error(`${path} line ${lr.line}: column ${c.names[col]} is "${t}", expected a finite number`);
        }
        out[at + slot] = v;
      }
    }
    col++;
  }
  if (col !== c.slots.length) throw new Error(`${path} line ${lr.line}: ${col} values, but ITEM: ATOMS names ${c.slots.length} columns (${c.names.join(' ')})`);
}

/** Where each frame of a dump starts and what `cglab info` reports, in the file's own units. */
export interface DumpIndex {
  /** [frames] file offset and 1-based line number of each frame's first line. */
  offsets: Float64Array;
  lines: Float64Array;
  nAtoms: number;
  /** Columns of ITEM: ATOMS (the same in every frame). */
  columns: string[];
  /** The style of ITEM: UNITS, or null when the dump does not say. */
  fileUnits: string | null;
  /** Whether the frames carry ITEM: TIME. */
  hasTime: boolean;
  box0: Float64Array;
  boxVaries: boolean;
  /** First, second and last ITEM: TIME values (file units) and steps. */
  times: { first: number; second: number | null; last: number } | null;
  steps: { first: number; last: number };
}

const indexes = new IndexCache<DumpIndex>();

/**
 * The frame index of a LAMMPS dump, from one pass over its headers that skips the atom lines,
 * built once and cached while the file is unchanged.
 * @throws Error naming the file and line for: a malformed header, a truncated frame ("frame 7
 *   is truncated at byte …"), an atom count, columns or ITEM: TIME that differ from frame 0's,
 *   missing id/position columns, or an empty file.
 */
export function dumpIndex(path: string): DumpIndex {
  return indexes.get(path, () => buildIndex(path));
}

function buildIndex(path: string): DumpIndex {
  const lr = new LineReader(path);
  try {
    const offsets: number[] = [];
    const lines: number[] = [];
    let first: DumpHeader | undefined;
    let boxVaries = false;
    const times: number[] = [];
    let last: DumpHeader | undefined;
    for (let k = 0; ; k++) {
      const h = readHeader(lr, path, k);
      if (!h) break;
      if (!first) {
        first = h;
        resolveColumns(h, path);
      } else {
        const differs = (what: string, a: unknown, b: unknown) => {
          if (a !== b) throw new Error(`${path} line ${h.line}: frame ${k} has ${what} ${a} but frame 0 has ${b}; a dump must hold one system with the same columns`);
        };
        differs('atom count', h.natoms, first.natoms);
        differs('columns', JSON.stringify(h.columnsText), JSON.stringify(first.columnsText));
        differs('ITEM: TIME', h.time !== null ? 'present' : 'absent', first.time !== null ? 'present' : 'absent');
        boxVaries ||= h.box.some((v, i) => v !== first!.box[i]);
      }
      offsets.push(h.offset);
      lines.push(h.line - 1);
      if (h.time !== null && times.length < 2) times.push(h.time);
      for (let i = 0; i < h.natoms; i++) {
        if (!lr.next()) {
          throw new Error(`${path}: frame ${k} is truncated at byte ${lr.size}: ITEM: NUMBER OF ATOMS on its header says ${h.natoms} atoms, but only ${i} atom lines follow (to line ${lr.line})`);
        }
      }
      last = h;
    }
    if (!first || !last) throw new Error(`${path}: the file holds no frames: a LAMMPS dump starts with ITEM: TIMESTEP`);
    return {
      offsets: Float64Array.from(offsets),
      lines: Float64Array.from(lines),
      nAtoms: first.natoms,
      columns: first.columns,
      fileUnits: first.units,
      hasTime: first.time !== null,
      box0: first.box,
      boxVaries,
      times: first.time !== null ? { first: times[0], second: times.length > 1 ? times[1] : null, last: last.time! } : null,
      steps: { first: first.step, last: last.step },
    };
  } finally {
    lr.close();
  }
}

/** Options of {@link readLammpsDump} and {@link streamLammpsDump}. */
export interface DumpReadOptions extends FrameRangeOptions {
  /**
   * LAMMPS `units` style of the run: real (default), metal, nano, micro, si, cgs or electron. A
   * dump with ITEM: UNITS declares its own, and a different value here is an error.
   */
  units?: string;
  /**
   * The run's time step in the style's time unit (fs for real): each frame's time is then
   * TIMESTEP × timestep. Dumps with ITEM: TIME use that instead; without either there is no time.
   */
  timestep?: number;
}

/** The units style that applies: the file's, the caller's, or real. */
function styleOf(path: string, index: DumpIndex, declared: string | undefined): { name: string; style: LammpsUnitStyle } {
  if (declared !== undefined && index.fileUnits !== null && declared !== index.fileUnits) {
    throw new Error(`${path}: the dump declares ITEM: UNITS ${index.fileUnits}, but the units given are '${declared}'`);
  }
  const name = index.fileUnits ?? declared ?? 'real';
  try {
    return { name, style: lammpsUnitStyle(name) };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Frames of a LAMMPS dump, atoms sorted by id, in internal units. */
export interface DumpBlock extends FrameBlock {
  box: Float32Array;
  step: Float64Array;
  /** [nAtoms] atom ids in increasing order: atom i of every frame is the one with ids[i]. */
  ids: Float64Array;
  /** [nAtoms] atom types (of the block's first frame) when the dump has a type column. */
  types?: Int32Array;
}

/** A whole dump read: a {@link Trajectory} with steps, atom ids and types. */
export type DumpTrajectory = Trajectory & Omit<DumpBlock, 'start'>;

/** Slot of each atom id in id order, fixed by the first frame a read meets. */
interface IdOrder {
  ids: Float64Array;
  /** Slot = id − min when the ids are consecutive; otherwise looked up. */
  min: number;
  map: Map<number, number> | null;
}

function idOrder(values: Float64Array, n: number, stride: number, idSlot: number): IdOrder {
  const ids = new Float64Array(n);
  for (let i = 0; i < n; i++) ids[i] = values[i * stride + idSlot];
  ids.sort();
  const consecutive = n === 0 || ids[n - 1] - ids[0] === n - 1;
  return { ids, min: ids[0], map: consecutive ? null : new Map(Array.from(ids, (id, i) => [id, i])) };
}

function* blocks(path: string, index: DumpIndex, opts: DumpReadOptions, start: number, stop: number, chunk: number): Generator<DumpBlock> {
  const { style } = styleOf(path, index, opts.units);
  if (opts.timestep !== undefined && !(opts.timestep > 0 && Number.isFinite(opts.timestep))) {
    throw new Error(`${path}: timestep is ${opts.timestep}, expected a positive number in the style's time unit`);
  }
  if (start >= stop) return;
  const n = index.nAtoms;
  const lr = new LineReader(path);
  try {
    lr.seek(index.offsets[start], index.lines[start]);
    let cols: Columns | undefined;
    let order: IdOrder | undefined;
    let values = new Float64Array(0);
    // Frame stamp of each slot: a slot filled twice in one frame means a duplicate id.
    const seen = new Int32Array(n).fill(-1);
    for (let b0 = start; b0 < stop; b0 += chunk) {
      const nf = Math.min(chunk, stop - b0);
      const positions = new Float32Array(nf * n * 3);
      const box = new Float32Array(nf * 9);
      const step = new Float64Array(nf);
      let forces: Float32Array | undefined;
      let time: Float32Array | undefined;
      let types: Int32Array | undefined;
      for (let f = 0; f < nf; f++) {
        const k = b0 + f;
        const h = readHeader(lr, path, k);
        if (!h) throw new Error(`${path}: frame ${k} is gone: the file changed since it was indexed; read it again`);
        // The index checked that every frame has frame 0's columns and ITEM: TIME or none.
        cols ??= resolveColumns(h, path);
        const stride = cols.nSlots;
        if (values.length < n * stride) values = new Float64Array(n * stride);
        for (let i = 0; i < n; i++) {
          if (!lr.next()) throw new Error(`${path}: frame ${k} ends early: the file changed since it was indexed; read it again`);
          parseAtomLine(lr, cols, values, i * stride, path);
        }
        order ??= idOrder(values, n, stride, cols.slots[cols.id]);
        if (f === 0) {
          forces = cols.force.length ? new Float32Array(nf * n * 3) : undefined;
          types = cols.type >= 0 ? new Int32Array(n) : undefined;
        }
        step[f] = h.step;
        if (h.time !== null || opts.timestep !== undefined) {
          time ??= new Float32Array(nf);
          time[f] = (h.time ?? h.step * opts.timestep!) * style.time;
        }
        for (let d = 0; d < 9; d++) box[9 * f + d] = h.box[d] * style.length;
        const ps = cols.position.map((c) => cols!.slots[c]);
        const fs = cols.force.map((c) => cols!.slots[c]);
        const idSlot = cols.slots[cols.id];
        const typeSlot = cols.type >= 0 ? cols.slots[cols.type] : -1;
        const [ox, oy, oz] = h.origin;
        const bx = h.box;
        for (let i = 0; i < n; i++) {
          const v = i * stride;
          const id = values[v + idSlot];
          const slot = order.map ? (order.map.get(id) ?? -1) : id - order.min;
          if (!(slot >= 0 && slot < n) || order.ids[slot] !== id) {
            throw new Error(`${path}: frame ${k} (line ${h.line}) has atom id ${id}, which frame ${start} lacks; every frame must hold the same atoms`);
          }
          if (seen[slot] === k) throw new Error(`${path}: frame ${k} (line ${h.line}) lists atom id ${id} twice`);
          seen[slot] = k;
          let x = values[v + ps[0]];
          let y = values[v + ps[1]];
          let z = values[v + ps[2]];
          if (cols.scaled) {
            // Fractional coordinates along a, b, c: r = origin + xs a + ys b + zs c.
            const [xs, ys, zs] = [x, y, z];
            x = ox + xs * bx[0] + ys * bx[3] + zs * bx[6];
            y = oy + ys * bx[4] + zs * bx[7];
            z = oz + zs * bx[8];
          }
          const o = (f * n + slot) * 3;
          positions[o] = x * style.length;
          positions[o + 1] = y * style.length;
          positions[o + 2] = z * style.length;
          if (forces) {
            forces[o] = values[v + fs[0]] * style.force;
            forces[o + 1] = values[v + fs[1]] * style.force;
            forces[o + 2] = values[v + fs[2]] * style.force;
          }
          if (types && f === 0) types[slot] = values[v + typeSlot];
        }
      }
      yield {
        start: b0,
        nFrames: nf,
        nAtoms: n,
        positions,
        ...(forces ? { forces } : {}),
        box,
        ...(time ? { time } : {}),
        step,
        ids: order!.ids,
        ...(types ? { types } : {}),
      };
    }
  } finally {
    lr.close();
  }
}

/**
 * Read a LAMMPS text dump into internal units, atoms sorted by id.
 * @param opts `units`: the run's units style (default real); `timestep`: the run's time step,
 *   for a time per frame; `start`/`stop`: the frame range.
 * @returns positions [frames, atoms, 3] nm, forces (kJ/mol/nm) when the dump has fx fy fz, box
 *   [frames, 3, 3] nm, time (ps) when the dump has ITEM: TIME or `timestep` is given, step, the
 *   sorted atom ids and types.
 * @throws Error naming the file and line: see {@link dumpIndex}; an unknown units style, a
 *   column that is not a number, an atom id missing, repeated or not in the first frame read.
 */
export function readLammpsDump(path: string, opts: Omit<DumpReadOptions, 'chunk'> = {}): DumpTrajectory {
  const index = dumpIndex(path);
  const { start, stop } = frameRange(opts, index.offsets.length, index.nAtoms, path);
  const { name } = styleOf(path, index, opts.units);
  const [block] = blocks(path, index, opts, start, stop, Math.max(1, stop - start));
  const provenance = { reader: 'lammps dump', file: path, units: name };
  const empty = new Float32Array(0);
  return blockTrajectory(block ?? { start, nFrames: 0, nAtoms: index.nAtoms, positions: empty, box: empty, step: new Float64Array(0), ids: new Float64Array(0) }, path, provenance);
}

/**
 * Stream frames [start, stop) of a LAMMPS dump in blocks of `opts.chunk` frames (bounded
 * memory), with the conversions of {@link readLammpsDump}. The file is indexed (one pass over
 * its lines, without parsing atom lines) before the first block, so a truncated file fails
 * before any frame is yielded.
 */
export async function* streamLammpsDump(path: string, opts: DumpReadOptions = {}): AsyncGenerator<DumpBlock, void, undefined> {
  const index = dumpIndex(path);
  const { start, stop, chunk } = frameRange(opts, index.offsets.length, index.nAtoms, path);
  yield* asyncBlocks(blocks(path, index, opts, start, stop, chunk));
}

/** What `cglab info` reports of a dump, converted with the units style that applies. */
export function dumpSummary(path: string, opts: Pick<DumpReadOptions, 'units'> = {}): TrajectorySummary {
  const index = dumpIndex(path);
  const { style } = styleOf(path, index, opts.units);
  const frames = index.offsets.length;
  const n = index.nAtoms;
  const cols = index.columns;
  const set = POSITION_SETS.find((s) => s.names.every((c) => cols.includes(c)))!;
  const arrays: StoredArray[] = [{ name: 'positions', dtype: `text (${set.names.join(' ')})`, shape: [frames, n, 3] }];
  if (FORCES.every((c) => cols.includes(c))) arrays.push({ name: 'forces', dtype: 'text (fx fy fz)', shape: [frames, n, 3] });
  arrays.push({ name: 'box', dtype: 'text (BOX BOUNDS)', shape: [frames, 3, 3] });
  if (index.hasTime) arrays.push({ name: 'time', dtype: 'text (ITEM: TIME)', shape: [frames] });
  arrays.push({ name: 'step', dtype: 'text (ITEM: TIMESTEP)', shape: [frames] });
  const t = index.times;
  return {
    format: 'lammps dump',
    frames,
    atoms: n,
    arrays,
    precision: null,
    units: style.names,
    box: { first: Float32Array.from(index.box0, (v) => v * style.length), varies: index.boxVaries },
    time: t ? { first: t.first * style.time, second: t.second === null ? null : t.second * style.time, last: t.last * style.time } : null,
    steps: index.steps,
  };
}
