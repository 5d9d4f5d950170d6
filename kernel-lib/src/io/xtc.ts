/**
 * GROMACS XTC trajectories: positions compressed to a fixed precision, with box, step and time.
 * Each frame is XDR (big-endian): the magic 1995 (2023 in files of very large systems, whose
 * byte count is 64-bit), natoms, step, time (float32), the box (9 float32, nm, rows), then the
 * coordinates as xdr3dfcoord writes them:
 * - the atom count again; up to 9 atoms, 3 × natoms plain float32;
 * - otherwise the precision p (float32), the integer bounds minint[3] and maxint[3] of
 *   round(x · p), smallidx, a byte count and that many bytes (padded to 4) of a big-endian bit
 *   stream. Each atom is either a "large" integer triple relative to minint (packed as one
 *   mixed-radix number of sizeofints(maxint − minint + 1) bits, or three fixed-width fields when
 *   a range exceeds 2^24), or, after a large one, part of a run of "small" triples relative to the
 *   previous atom, packed in magicints[smallidx] radix. A 1-bit flag before each run says whether
 *   a 5-bit run length (3 × atoms + change of smallidx + 1) follows; the first small atom of a run
 *   and the large one were swapped by the writer (water: O after H1 compresses better), and are
 *   swapped back here.
 * Positions come out as float32(int) × float32(1 / p), the same float operations as GROMACS's and
 * xdrfile's decoder, so they equal theirs bit for bit.
 *
 * The frame offsets come from walking the headers and byte counts once (cached per file), so a
 * frame range is read without decoding, or reading, the frames before it.
 */
import { INTERNAL_UNITS } from '../units.js';
import { asyncBlocks, blockTrajectory, frameRange, type FrameBlock, type FrameRangeOptions, type StoredArray, type TrajectorySummary } from './frameBlocks.js';
import type { Trajectory } from './trajectory.js';
import { FileWindow, GROMACS_MAGIC, IndexCache, scanFrameOffsets, wrongMagic, xdrPadded, XdrCursor } from './xdr.js';

/** Radix of the small integers by smallidx: about 2^(idx/3) so that three take idx bits. */
const MAGICINTS = Int32Array.of(
  0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 80, 101, 128, 161, 203, 256, 322, 406, 512, 645, 812, 1024, 1290, 1625, 2048, 2580,
  3250, 4096, 5060, 6501, 8192, 10321, 13003, 16384, 20642, 26007, 32768, 41285, 52015, 65536, 82570, 104031, 131072, 165140, 208063, 262144, 330280,
  416127, 524287, 660561, 832255, 1048576, 1321122, 1664510, 2097152, 2642245, 3329021, 4194304, 5284491, 6658042, 8388607, 10568983, 13316085, 16777216,
);
/** First smallidx with a non-zero radix. */
const FIRSTIDX = 9;
/** Atom counts up to this are stored as plain floats. */
const MAX_UNCOMPRESSED = 9;
/** Header bytes up to the compressed data: magic, natoms, step, time, box, natoms, precision, minint, maxint, smallidx, 64-bit count. */
const SCAN_BYTES = 16 + 36 + 4 + 4 + 24 + 4 + 8;

/** Bits needed to write integers 0 … size − 1 (sizeofint of xdrfile; at most 32). */
function sizeofint(size: number): number {
  let bits = 0;
  for (let num = 1; size >= num && bits < 32; num *= 2) bits++;
  return bits;
}

/** Bits of the mixed-radix number of three integers below `sizes` (sizeofints of xdrfile, byte by byte as it computes it). */
function sizeofints(sizes: ArrayLike<number>): number {
  const bytes = [1];
  for (let i = 0; i < 3; i++) {
    let tmp = 0;
    let k = 0;
    for (; k < bytes.length; k++) {
      tmp = bytes[k] * sizes[i] + tmp;
      bytes[k] = tmp % 256;
      tmp = Math.floor(tmp / 256);
    }
    for (; tmp !== 0; k++) {
      bytes[k] = tmp % 256;
      tmp = Math.floor(tmp / 256);
    }
  }
  const top = bytes.length - 1;
  let bits = 0;
  for (let num = 1; bytes[top] >= num; num *= 2) bits++;
  return bits + 8 * top;
}

/** Thrown inside the decoder; {@link decodeFrame} names the file and frame. */
class CorruptFrame extends Error {}

/**
 * The xdr3dfcoord bit stream: receivebits (MSB first) and receiveints (a mixed-radix number of
 * three integers). One instance is reused for every frame.
 */
class BitReader {
  private bytes = new Uint8Array(0);
  private cnt = 0;
  /** Unconsumed low bits of `last`, and the last bytes read (16 bits are all a read needs). */
  private lastbits = 0;
  private last = 0;
  private digits = new Float64Array(32);
  /** Output of {@link ints}. */
  readonly out = new Int32Array(3);

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.cnt = 0;
    this.lastbits = 0;
    this.last = 0;
  }

  private byte(): number {
    if (this.cnt >= this.bytes.length) throw new CorruptFrame(`the compressed data (${this.bytes.length} bytes) ends before the last atom`);
    return this.bytes[this.cnt++];
  }

  /** The next bit (the run-length flag before every large atom). */
  bit(): number {
    if (this.lastbits === 0) {
      this.lastbits = 8;
      this.last = ((this.last << 8) | this.byte()) & 0xffff;
    }
    this.lastbits--;
    return (this.last >> this.lastbits) & 1;
  }

  /** The next `n` ≤ 32 bits as an unsigned number. */
  bits(n: number): number {
    let num = 0;
    while (n >= 8) {
      this.last = ((this.last << 8) | this.byte()) & 0xffff;
      num = num * 256 + ((this.last >> this.lastbits) & 0xff);
      n -= 8;
    }
    if (n > 0) {
      if (this.lastbits < n) {
        this.lastbits += 8;
        this.last = ((this.last << 8) | this.byte()) & 0xffff;
      }
      this.lastbits -= n;
      num = num * (1 << n) + ((this.last >> this.lastbits) & ((1 << n) - 1));
    }
    return num;
  }

  /**
   * Three integers below s0, s1, s2 from a `nbits`-bit mixed-radix number N = (n0 s1 + n1) s2 + n2,
   * stored as little-endian bytes (the first 8 bits read are the lowest byte), into {@link out}.
   */
  ints(nbits: number, s0: number, s1: number, s2: number): void {
    const d = this.digits;
    const bytes = this.bytes;
    let last = this.last;
    let lastbits = this.lastbits;
    let cnt = this.cnt;
    let nd = 0;
    let rest = nbits;
    for (; rest > 8; rest -= 8) {
      if (cnt >= bytes.length) this.byte();
      last = ((last << 8) | bytes[cnt++]) & 0xffff;
      d[nd++] = (last >> lastbits) & 0xff;
    }
    if (rest > 0) {
      if (lastbits < rest) {
        if (cnt >= bytes.length) this.byte();
        lastbits += 8;
        last = ((last << 8) | bytes[cnt++]) & 0xffff;
      }
      lastbits -= rest;
      d[nd++] = (last >> lastbits) & ((1 << rest) - 1);
    }
    this.last = last;
    this.lastbits = lastbits;
    this.cnt = cnt;
    if (nbits <= 53) {
      // N is exact in a double, and so are floor(N / s) and the remainders: no byte-wise long division.
      let n = 0;
      for (let j = nd - 1; j >= 0; j--) n = n * 256 + d[j];
      const q2 = Math.floor(n / s2);
      const q1 = Math.floor(q2 / s1);
      this.out[2] = n - q2 * s2;
      this.out[1] = q2 - q1 * s1;
      this.out[0] = q1;
      return;
    }
    for (let i = nd; i < 4; i++) d[i] = 0;
    // Long division of the base-256 number by s2, then s1: the remainders are n2 and n1.
    for (let i = 2; i > 0; i--) {
      const s = i === 2 ? s2 : s1;
      let num = 0;
      for (let j = nd - 1; j >= 0; j--) {
        num = num * 256 + d[j];
        const q = Math.floor(num / s);
        d[j] = q;
        num -= q * s;
      }
      this.out[i] = num;
    }
    this.out[0] = d[0] | (d[1] << 8) | (d[2] << 16) | (d[3] << 24);
  }
}

/**
 * Decode the coordinates of one frame, the cursor at its atom count, into `out` from `offset`.
 * @returns the frame's precision (1/nm), or null for frames of ≤ 9 atoms stored as plain floats.
 */
function decodeCoordinates(c: XdrCursor, bits: BitReader, large64: boolean, natoms: number, out: Float32Array, offset: number): number | null {
  const lsize = c.int32();
  if (lsize !== natoms) throw new CorruptFrame(`the coordinates hold ${lsize} atoms but the header says ${natoms}`);
  if (lsize <= MAX_UNCOMPRESSED) {
    c.reals(4, out, offset, 3 * lsize);
    return null;
  }
  const precision = c.float32();
  if (!(precision > 0) || !Number.isFinite(precision)) throw new CorruptFrame(`the precision is ${precision}, expected a positive number`);
  const min0 = c.int32();
  const min1 = c.int32();
  const min2 = c.int32();
  const s0 = c.int32() - min0 + 1;
  const s1 = c.int32() - min1 + 1;
  const s2 = c.int32() - min2 + 1;
  if (!(s0 >= 1 && s1 >= 1 && s2 >= 1)) throw new CorruptFrame(`the integer bounds are inverted (maxint − minint + 1 = ${s0}, ${s1}, ${s2})`);
  // Ranges beyond 2^24 cannot be multiplied in 32 bits: the writer stores three plain fields then.
  const big = s0 > 0xffffff || s1 > 0xffffff || s2 > 0xffffff;
  const b0 = sizeofint(s0);
  const b1 = sizeofint(s1);
  const b2 = sizeofint(s2);
  const bitsize = big ? 0 : sizeofints([s0, s1, s2]);
  let smallidx = c.int32();
  if (smallidx < FIRSTIDX || smallidx >= MAGICINTS.length) throw new CorruptFrame(`smallidx is ${smallidx}, expected ${FIRSTIDX} to ${MAGICINTS.length - 1}`);
  let smaller = MAGICINTS[Math.max(FIRSTIDX, smallidx - 1)] >> 1;
  let smallnum = MAGICINTS[smallidx] >> 1;
  let sizesmall = MAGICINTS[smallidx];
  const count = large64 ? c.int64() : c.int32();
  if (count < 0) throw new CorruptFrame(`the compressed byte count is ${count}`);
  bits.reset(c.opaque(count));
  const inv = Math.fround(1 / precision);
  const v = bits.out;
  const end = offset + 3 * lsize;
  let o = offset;
  let run = 0;
  let i = 0;
  while (i < lsize) {
    let x: number;
    let y: number;
    let z: number;
    if (big) {
      x = bits.bits(b0);
      y = bits.bits(b1);
      z = bits.bits(b2);
    } else {
      bits.ints(bitsize, s0, s1, s2);
      x = v[0];
      y = v[1];
      z = v[2];
    }
    i++;
    x = (x + min0) | 0;
    y = (y + min1) | 0;
    z = (z + min2) | 0;
    let isSmaller = 0;
    if (bits.bit() === 1) {
      run = bits.bits(5);
      isSmaller = run % 3;
      run -= isSmaller;
      isSmaller--;
    }
    if (run > 0) {
      if (i + run / 3 > lsize) throw new CorruptFrame(`a run of ${run / 3} small atoms after atom ${i - 1} passes the ${lsize} atoms of the frame`);
      let px = x;
      let py = y;
      let pz = z;
      for (let k = 0; k < run; k += 3) {
        bits.ints(smallidx, sizesmall, sizesmall, sizesmall);
        i++;
        const tx = v[0] + px - smallnum;
        const ty = v[1] + py - smallnum;
        const tz = v[2] + pz - smallnum;
        if (k === 0) {
          // The writer put the second atom first (better compression of water): swap back.
          out[o++] = Math.fround(tx) * inv;
          out[o++] = Math.fround(ty) * inv;
          out[o++] = Math.fround(tz) * inv;
          out[o++] = Math.fround(px) * inv;
          out[o++] = Math.fround(py) * inv;
          out[o++] = Math.fround(pz) * inv;
        } else {
          out[o++] = Math.fround(tx) * inv;
          out[o++] = Math.fround(ty) * inv;
          out[o++] = Math.fround(tz) * inv;
        }
        px = tx;
        py = ty;
        pz = tz;
      }
    } else {
      out[o++] = Math.fround(x) * inv;
      out[o++] = Math.fround(y) * inv;
      out[o++] = Math.fround(z) * inv;
    }
    smallidx += isSmaller;
    if (smallidx < FIRSTIDX || smallidx >= MAGICINTS.length) throw new CorruptFrame(`smallidx steps to ${smallidx} at atom ${i - 1}, outside ${FIRSTIDX} to ${MAGICINTS.length - 1}`);
    if (isSmaller < 0) {
      smallnum = smaller;
      smaller = smallidx > FIRSTIDX ? MAGICINTS[smallidx - 1] >> 1 : 0;
    } else if (isSmaller > 0) {
      smaller = smallnum;
      smallnum = MAGICINTS[smallidx] >> 1;
    }
    sizesmall = MAGICINTS[smallidx];
  }
  if (o !== end) throw new CorruptFrame(`decoded ${(o - offset) / 3} atoms, expected ${lsize}`);
  return precision;
}

/** Fields of a frame header, the cursor left at the coordinates' atom count. */
interface XtcHeader {
  large64: boolean;
  natoms: number;
  step: number;
  time: number;
}

function readHeader(c: XdrCursor, path: string, k: number, box: Float32Array, boxOffset: number): XtcHeader {
  const offset = c.position;
  const magic = c.int32();
  if (magic !== GROMACS_MAGIC.xtc && magic !== GROMACS_MAGIC.xtcLarge) throw wrongMagic(path, 'XTC', k, offset, magic);
  const natoms = c.int32();
  if (natoms <= 0) throw new Error(`${path}: frame ${k} (byte ${offset}): natoms is ${natoms}, expected a positive atom count`);
  const step = c.int32();
  const time = c.float32();
  c.reals(4, box, boxOffset, 9);
  return { large64: magic === GROMACS_MAGIC.xtcLarge, natoms, step, time };
}

/** Where each frame of an XTC file lies, and what `cglab info` reports. */
export interface XtcIndex {
  /** [frames + 1] byte offsets: frame k spans [offsets[k], offsets[k + 1]). */
  offsets: Float64Array;
  nAtoms: number;
  /** Whether any frame has a non-zero box (GROMACS writes zeros without periodic boundaries). */
  hasBox: boolean;
  summary: TrajectorySummary;
}

const indexes = new IndexCache<XtcIndex>();

/**
 * The frame index of an XTC file, from its headers and byte counts alone, built once and cached
 * while the file is unchanged.
 * @throws Error naming the file and the frame for: a wrong magic number, a truncated frame
 *   ("frame 7 is truncated at byte …"), an atom count that differs from frame 0's or from the
 *   coordinates', a non-positive precision, or an empty file.
 */
export function xtcIndex(path: string): XtcIndex {
  return indexes.get(path, () => buildIndex(path));
}

function buildIndex(path: string): XtcIndex {
  let natoms0 = 0;
  let n = 0;
  const box = new Float32Array(9);
  const box0 = new Float32Array(9);
  let boxVaries = false;
  let hasBox = false;
  let precision = Infinity;
  let compressed = false;
  const times: number[] = [];
  let last = { time: 0, step: 0 };
  let firstStep = 0;
  const offsets = scanFrameOffsets(path, SCAN_BYTES, (c, k) => {
    const h = readHeader(c, path, k, box, 0);
    if (k === 0) {
      natoms0 = h.natoms;
      firstStep = h.step;
      box0.set(box);
    } else if (h.natoms !== natoms0) {
      throw new Error(`${path}: frame ${k} has ${h.natoms} atoms but frame 0 has ${natoms0}; a trajectory must hold one system`);
    } else if (!boxVaries) {
      boxVaries = box.some((b, i) => b !== box0[i]);
    }
    hasBox ||= box.some((b) => b !== 0);
    n = k + 1;
    if (times.length < 2) times.push(h.time);
    last = h;
    const lsize = c.int32();
    if (lsize !== h.natoms) throw new Error(`${path}: frame ${k}: the coordinates hold ${lsize} atoms but the header says ${h.natoms}`);
    const head = 16 + 36 + 4;
    if (lsize <= MAX_UNCOMPRESSED) return head + 12 * lsize;
    const p = c.float32();
    if (!(p > 0) || !Number.isFinite(p)) throw new Error(`${path}: frame ${k}: the precision is ${p}, expected a positive number`);
    precision = Math.min(precision, p);
    compressed = true;
    c.skip(28);
    const count = h.large64 ? c.int64() : c.int32();
    if (count < 0) throw new Error(`${path}: frame ${k}: the compressed byte count is ${count}`);
    return head + 4 + 28 + (h.large64 ? 8 : 4) + xdrPadded(count);
  });
  if (n === 0) throw new Error(`${path}: the file is empty: an XTC file holds at least one frame`);
  const arrays: StoredArray[] = [
    { name: 'positions', dtype: compressed ? `compressed (xdr3dfcoord)` : '>f4', shape: [n, natoms0, 3] },
    { name: 'box', dtype: '>f4', shape: [n, 3, 3] },
    { name: 'time', dtype: '>f4', shape: [n] },
    { name: 'step', dtype: '>i4', shape: [n] },
  ];
  return {
    offsets,
    nAtoms: natoms0,
    hasBox,
    summary: {
      format: 'xtc',
      frames: n,
      atoms: natoms0,
      arrays,
      precision: compressed ? precision : 'single',
      units: { ...INTERNAL_UNITS },
      box: hasBox ? { first: box0, varies: boxVaries } : null,
      time: { first: times[0], second: times.length > 1 ? times[1] : null, last: last.time },
      steps: { first: firstStep, last: last.step },
    },
  };
}

/** Frames of an XTC file. */
export interface XtcBlock extends FrameBlock {
  time: Float32Array;
  step: Float64Array;
  /** [nFrames] precision of each frame (1/nm); NaN for frames of ≤ 9 atoms stored as floats. */
  precision: Float32Array;
}

/** A whole XTC read: a {@link Trajectory} with the steps and precision of each frame. */
export type XtcTrajectory = Trajectory & Omit<XtcBlock, 'start'>;

/** Frames [start, stop) of the file, `chunk` per block, read through one reusable buffer. */
function* blocks(path: string, index: XtcIndex, start: number, stop: number, chunk: number): Generator<XtcBlock> {
  const file = new FileWindow(path);
  try {
    const { nAtoms } = index;
    const per = 3 * nAtoms;
    const cursor = new XdrCursor();
    const bits = new BitReader();
    const scratchBox = new Float32Array(9);
    for (let b0 = start; b0 < stop; b0 += chunk) {
      const n = Math.min(chunk, stop - b0);
      const block: XtcBlock = {
        start: b0,
        nFrames: n,
        nAtoms,
        positions: new Float32Array(n * per),
        ...(index.hasBox ? { box: new Float32Array(9 * n) } : {}),
        time: new Float32Array(n),
        step: new Float64Array(n),
        precision: new Float32Array(n),
      };
      for (let i = 0; i < n; i++) {
        const k = b0 + i;
        const at = index.offsets[k];
        cursor.reset(file.at(at, index.offsets[k + 1] - at), at);
        const h = block.box ? readHeader(cursor, path, k, block.box, 9 * i) : readHeader(cursor, path, k, scratchBox, 0);
        if (h.natoms !== nAtoms) throw new Error(`${path}: frame ${k} changed since the file was indexed; read it again`);
        block.time[i] = h.time;
        block.step[i] = h.step;
        try {
          block.precision[i] = decodeCoordinates(cursor, bits, h.large64, nAtoms, block.positions, per * i) ?? Number.NaN;
        } catch (e) {
          if (e instanceof CorruptFrame) throw new Error(`${path}: frame ${k} (byte ${at}) is corrupt: ${e.message}`);
          throw e;
        }
      }
      yield block;
    }
  } finally {
    file.close();
  }
}

/**
 * Read a GROMACS XTC file into internal units.
 * @param opts `start`/`stop`: the frame range.
 * @returns positions [frames, atoms, 3] nm, to the file's precision (bit-equal to GROMACS's
 *   decoder); box [frames, 3, 3] nm unless every frame's box is zero; time (ps), step and the
 *   precision of each frame.
 * @throws Error naming the file (see {@link xtcIndex}), and the frame whose compressed data is
 *   corrupt.
 */
export function readXtc(path: string, opts: Omit<FrameRangeOptions, 'chunk'> = {}): XtcTrajectory {
  const index = xtcIndex(path);
  const { start, stop } = frameRange(opts, index.summary.frames, index.nAtoms, path);
  const [block] = blocks(path, index, start, stop, Math.max(1, stop - start));
  const provenance = { reader: 'xtc', file: path, precision: index.summary.precision };
  const empty = new Float32Array(0);
  return blockTrajectory(block ?? { start, nFrames: 0, nAtoms: index.nAtoms, positions: empty, time: empty, step: new Float64Array(0), precision: empty }, path, provenance);
}

/**
 * Stream frames [start, stop) of an XTC file in blocks of `opts.chunk` frames (bounded memory),
 * decoding only the frames of the range. The file is indexed (headers only) before the first
 * block, so a truncated file fails before any frame is yielded.
 */
export async function* streamXtc(path: string, opts: FrameRangeOptions = {}): AsyncGenerator<XtcBlock, void, undefined> {
  const index = xtcIndex(path);
  const { start, stop, chunk } = frameRange(opts, index.summary.frames, index.nAtoms, path);
  yield* asyncBlocks(blocks(path, index, start, stop, chunk));
}
