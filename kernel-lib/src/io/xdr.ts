/**
 * XDR (RFC 4506) reading shared by the GROMACS TRR and XTC readers: big-endian 4-byte integers
 * and floats, 8-byte doubles and hypers, opaque data and strings padded to 4 bytes; a file read
 * through one reusable buffer; and the frame index both formats build by walking frame headers,
 * built once per file and cached.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** Thrown by {@link XdrCursor} when a read runs past its bytes: the file ends inside a frame. */
export class XdrEndError extends Error {
  /**
   * @param at file offset of the read that failed.
   * @param end file offset where the available bytes end.
   */
  constructor(readonly at: number, readonly end: number) {
    super(`XDR read at byte ${at} runs past the end of the data at byte ${end}`);
  }
}

/** Bytes rounded up to XDR's 4-byte unit. */
export const xdrPadded = (n: number) => n + ((4 - (n % 4)) % 4);

/** A read position in big-endian XDR bytes; positions it reports are file offsets. */
export class XdrCursor {
  private view!: DataView;
  private bytes!: Uint8Array;
  /** Index into the bytes of the next read. */
  private p = 0;
  /** File offset of bytes[0]. */
  private base = 0;

  constructor(bytes: Uint8Array = new Uint8Array(0), base = 0) {
    this.reset(bytes, base);
  }

  /** Read `bytes`, which start at file offset `base`, from their beginning. */
  reset(bytes: Uint8Array, base: number): this {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.base = base;
    this.p = 0;
    return this;
  }

  /** File offset of the next read. */
  get position(): number {
    return this.base + this.p;
  }

  /** Claim `n` bytes and return their index, or throw {@link XdrEndError}. */
  private take(n: number): number {
    const at = this.p;
    if (at + n > this.bytes.byteLength) throw new XdrEndError(this.base + at, this.base + this.bytes.byteLength);
    this.p = at + n;
    return at;
  }

  int32(): number {
    return this.view.getInt32(this.take(4));
  }

  uint32(): number {
    return this.view.getUint32(this.take(4));
  }

  /** An XDR hyper (GROMACS xdr_int64: high word, then low word); exact up to 2^53. */
  int64(): number {
    const at = this.take(8);
    return this.view.getInt32(at) * 2 ** 32 + this.view.getUint32(at + 4);
  }

  float32(): number {
    return this.view.getFloat32(this.take(4));
  }

  float64(): number {
    return this.view.getFloat64(this.take(8));
  }

  /** A GROMACS `real`: float32 when `bytes` is 4, float64 when 8. */
  real(bytes: 4 | 8): number {
    return bytes === 4 ? this.float32() : this.float64();
  }

  /** `count` reals of `bytes` each into `out` from `offset`, as float32. */
  reals(bytes: 4 | 8, out: Float32Array, offset: number, count: number): void {
    const at = this.take(bytes * count);
    const v = this.view;
    if (bytes === 4) for (let i = 0; i < count; i++) out[offset + i] = v.getFloat32(at + 4 * i);
    else for (let i = 0; i < count; i++) out[offset + i] = v.getFloat64(at + 8 * i);
  }

  skip(n: number): void {
    this.take(n);
  }

  /** `n` bytes of opaque data (padding to 4 bytes skipped), as a view valid until the bytes change. */
  opaque(n: number): Uint8Array {
    const at = this.take(xdrPadded(n));
    return this.bytes.subarray(at, at + n);
  }

  /** An XDR string: its unsigned length, then that many bytes padded to 4, as Latin-1 text. */
  string(maxLength: number): string {
    const at = this.position;
    const n = this.uint32();
    if (n > maxLength) throw new Error(`an XDR string at byte ${at} claims ${n} bytes, more than the ${maxLength} allowed here`);
    return String.fromCharCode(...this.opaque(n));
  }
}

/** Bytes a {@link FileWindow} reads at once unless asked for more. */
const WINDOW_BYTES = 1 << 20;

/**
 * A file read with fs.readSync through one reusable buffer: {@link at} returns a view of the
 * requested bytes, refilling the buffer only when they lie outside it, so sequential frames cost
 * one read per window and memory stays at max(window, largest request).
 */
export class FileWindow {
  readonly size: number;
  private fd: number;
  private buf: Uint8Array;
  /** File offset of buf[0] and the number of valid bytes in buf. */
  private start = 0;
  private length = 0;

  constructor(readonly path: string, windowBytes = WINDOW_BYTES) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
    this.buf = new Uint8Array(windowBytes);
  }

  /**
   * Bytes [offset, offset + length) of the file, fewer where the file ends first; the view is
   * valid until the next call.
   */
  at(offset: number, length: number): Uint8Array {
    const want = Math.min(length, this.size - offset);
    if (offset < this.start || offset + want > this.start + this.length) {
      if (want > this.buf.length) this.buf = new Uint8Array(want);
      const n = Math.min(this.buf.length, this.size - offset);
      let got = 0;
      while (got < n) {
        const r = readSync(this.fd, this.buf, got, n - got, offset + got);
        if (r === 0) break;
        got += r;
      }
      this.start = offset;
      this.length = got;
    }
    const from = offset - this.start;
    return this.buf.subarray(from, from + Math.min(want, this.length - from));
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Run `use` on `path` opened as a {@link FileWindow}, closing it whatever happens. */
export function withFile<T>(path: string, windowBytes: number, use: (file: FileWindow) => T): T {
  const file = new FileWindow(path, windowBytes);
  try {
    return use(file);
  } finally {
    file.close();
  }
}

/** Bytes the header walk reads per refill: headers are ~100 bytes, frames often far larger. */
const SCAN_WINDOW = 1 << 16;

/**
 * The frame start offsets of an XDR trajectory, from its headers alone. `frameBytes` parses
 * the header of frame `index`, which starts at the cursor (at most `headerBytes` are available),
 * checks it and returns the frame's length in bytes.
 * @returns offsets [frames + 1]: frame k spans [offsets[k], offsets[k + 1]); the last entry is
 *   the file size.
 * @throws Error naming the file and the 0-based frame that the file ends inside ("frame 7 is
 *   truncated at byte …"), so that a partial frame is never read as whole.
 */
export function scanFrameOffsets(
  path: string,
  headerBytes: number,
  frameBytes: (cursor: XdrCursor, index: number) => number,
): Float64Array {
  return withFile(path, SCAN_WINDOW, (file) => {
    let offsets = new Float64Array(64);
    const cursor = new XdrCursor();
    let offset = 0;
    let k = 0;
    while (offset < file.size) {
      let length: number;
      try {
        length = frameBytes(cursor.reset(file.at(offset, headerBytes), offset), k);
      } catch (e) {
        if (!(e instanceof XdrEndError)) throw e;
        if (e.end < file.size) throw new Error(`${path}: frame ${k}: the header at byte ${offset} is longer than the ${headerBytes} bytes a frame header may take`);
        throw new Error(`${path}: frame ${k} is truncated at byte ${file.size}: its header, which starts at byte ${offset}, is cut off (a partial last frame: the writer was stopped or the copy is incomplete)`);
      }
      if (offset + length > file.size) {
        throw new Error(`${path}: frame ${k} is truncated at byte ${file.size}: it starts at byte ${offset} and needs ${length} bytes, ${offset + length - file.size} more than the file holds`);
      }
      if (k + 2 > offsets.length) {
        const grown = new Float64Array(2 * offsets.length);
        grown.set(offsets);
        offsets = grown;
      }
      offsets[k++] = offset;
      offset += length;
    }
    offsets[k] = offset;
    return offsets.slice(0, k + 1);
  });
}

/** Files whose index {@link IndexCache} keeps; older entries are dropped first. */
const CACHED_FILES = 8;

/**
 * Frame indexes of recently read files, reused while the file's size, modification time and
 * inode are unchanged, so that reading ranges of one file walks its headers once.
 */
export class IndexCache<T> {
  private entries = new Map<string, { key: string; index: T }>();

  get(path: string, build: () => T): T {
    const s = statSync(path, { bigint: true });
    const key = `${s.size}:${s.mtimeNs}:${s.ino}`;
    const hit = this.entries.get(path);
    this.entries.delete(path);
    const index = hit && hit.key === key ? hit.index : build();
    this.entries.set(path, { key, index });
    if (this.entries.size > CACHED_FILES) this.entries.delete(this.entries.keys().next().value as string);
    return index;
  }
}

/** Frame magic numbers of the GROMACS formats: TRR, XTC and XTC with a 64-bit byte count. */
export const GROMACS_MAGIC = { trr: 1993, xtc: 1995, xtcLarge: 2023 } as const;

/**
 * The error for frame `index` of `path` (at byte `offset`) not starting with the magic number of
 * `format`, saying which format the number found belongs to when it is another GROMACS one.
 */
export function wrongMagic(path: string, format: 'TRR' | 'XTC', index: number, offset: number, found: number): Error {
  const expected = format === 'TRR' ? `the TRR magic number ${GROMACS_MAGIC.trr}` : `the XTC magic number ${GROMACS_MAGIC.xtc} (or ${GROMACS_MAGIC.xtcLarge} for large systems)`;
  const other =
    format === 'XTC' && found === GROMACS_MAGIC.trr
      ? `; ${found} is the magic of a TRR file: name it .trr`
      : format === 'TRR' && (found === GROMACS_MAGIC.xtc || found === GROMACS_MAGIC.xtcLarge)
        ? `; ${found} is the magic of an XTC file: name it .xtc`
        : '';
  if (index === 0) return new Error(`${path}: not a GROMACS ${format} file: it starts with the number ${found}, expected ${expected}${other}`);
  return new Error(`${path}: frame ${index} at byte ${offset} starts with the number ${found}, expected ${expected}${other}: the file is corrupt after frame ${index - 1}`);
}
