/**
 * numpy's NPZ format: a ZIP archive with one NPY file per array, named `<array>.npy`. Entries may
 * be stored (np.savez) or deflated (np.savez_compressed); numpy writes them with ZIP64 extra
 * fields, so the reader follows ZIP64 records wherever the 32-bit fields are saturated.
 */
import { readFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { writeFileAtomic } from './atomic.js';
import { decodeNpy, decodeNpyHeader, encodeNpy, type NpyArray, type NpyHeader } from './npy.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const EXTRA_ZIP64 = 0x0001;
const STORED = 0;
const DEFLATE = 8;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Deflated bytes inflated to read an NPY header; the headers numpy writes take a few hundred bytes. */
const HEADER_PREFIX = 4096;

/** A read NPZ archive: its arrays are decoded on demand. */
export interface NpzArchive {
  /** The file the archive came from, for messages. */
  readonly source: string;
  /** Array names in archive order (entry names without the '.npy' suffix). */
  readonly names: string[];
  has(name: string): boolean;
  /**
   * Decompress, CRC-check and decode array `name`.
   * @throws Error naming the archive and the arrays it holds when `name` is absent, or the entry
   *   when its data is corrupt.
   */
  get(name: string): NpyArray;
  /**
   * Dtype and shape of array `name` without decoding (or CRC-checking) its data: cheap for
   * large entries.
   * @throws Error as `get` does when `name` is absent or its header is corrupt.
   */
  header(name: string): NpyHeader;
}

interface Entry {
  file: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** Decode a UTF-8 or CP437 entry name; numpy's names are ASCII, so Latin-1 stands in for CP437. */
function entryName(raw: Uint8Array, utf8: boolean): string {
  return Buffer.from(raw).toString(utf8 ? 'utf8' : 'latin1');
}

/**
 * Open NPZ `bytes`: parse the central directory (ZIP64 included); arrays are read by `get`.
 * @param source names the file in error messages.
 * @throws Error when `bytes` is not a ZIP archive, is truncated, or uses encryption or a
 *   compression method other than stored/deflate.
 */
export function decodeNpz(bytes: Uint8Array, source: string): NpzArchive {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (p: number) => view.getUint16(p, true);
  const u32 = (p: number) => view.getUint32(p, true);
  const u64 = (p: number, what: string) => {
    const v = view.getBigUint64(p, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${source}: ZIP64 ${what} ${v} is beyond what this reader addresses`);
    return Number(v);
  };
  const truncated = (what: string): never => {
    throw new Error(`${source}: truncated NPZ (ZIP) archive: ${what} runs past the end of the ${bytes.length}-byte file`);
  };

  // The end-of-central-directory record sits at the end, before a comment of up to 65535 bytes.
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - MAX16); p--) {
    if (u32(p) === SIG_EOCD && p + 22 + u16(p + 20) === bytes.length) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) {
    const startsLikeZip = bytes.length >= 4 && (u32(0) === SIG_LOCAL || u32(0) === SIG_EOCD);
    if (startsLikeZip) truncated('the end-of-central-directory record is missing:');
    const head = JSON.stringify(Buffer.from(bytes.subarray(0, 8)).toString('latin1'));
    throw new Error(`${source}: not an NPZ file: expected a ZIP archive (starting "PK\\u0003\\u0004"), found ${bytes.length} bytes starting ${head}`);
  }
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === MAX16 || cdSize === MAX32 || cdOffset === MAX32) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== SIG_LOCATOR64) {
      throw new Error(`${source}: ZIP64 end-of-central-directory locator is missing before the end record: the archive is corrupt`);
    }
    const rec = u64(loc + 8, 'record offset');
    if (rec + 56 > bytes.length) truncated('the ZIP64 end-of-central-directory record');
    if (u32(rec) !== SIG_EOCD64) throw new Error(`${source}: no ZIP64 end-of-central-directory record at offset ${rec}: the archive is corrupt`);
    count = u64(rec + 32, 'entry count');
    cdSize = u64(rec + 40, 'central directory size');
    cdOffset = u64(rec + 48, 'central directory offset');
  }
  if (cdOffset + cdSize > bytes.length) truncated('the central directory');

  const entries = new Map<string, Entry>();
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length) truncated(`central directory entry ${k}`);
    if (u32(p) !== SIG_CENTRAL) throw new Error(`${source}: central directory entry ${k} has a bad signature: the archive is corrupt`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    const crc = u32(p + 16);
    if (p + 46 + nameLen + extraLen > bytes.length) truncated(`central directory entry ${k}`);
    const file = entryName(bytes.subarray(p + 46, p + 46 + nameLen), (flags & 0x800) !== 0);
    let size = u32(p + 24);
    let compressedSize = u32(p + 20);
    let localOffset = u32(p + 42);
    // The ZIP64 extra field holds, in this order, only the values whose 32-bit fields are saturated.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; e += 4 + u16(e + 2)) {
      if (u16(e) !== EXTRA_ZIP64) continue;
      let q = e + 4;
      if (size === MAX32) {
        size = u64(q, 'size');
        q += 8;
      }
      if (compressedSize === MAX32) {
        compressedSize = u64(q, 'compressed size');
        q += 8;
      }
      if (localOffset === MAX32) localOffset = u64(q, 'local header offset');
    }
    p += 46 + nameLen + extraLen + commentLen;
    if (file.endsWith('/')) continue;
    if (flags & 1) throw new Error(`${source}: entry ${file} is encrypted; NPZ archives are not`);
    if (method !== STORED && method !== DEFLATE) {
      throw new Error(`${source}: entry ${file} uses ZIP compression method ${method}: expected 0 (stored) or 8 (deflate), as numpy writes`);
    }
    const name = file.endsWith('.npy') ? file.slice(0, -4) : file;
    if (entries.has(name)) throw new Error(`${source}: the archive holds two entries named ${file}`);
    entries.set(name, { file, method, crc, compressedSize, size, localOffset });
  }

  const names = [...entries.keys()];
  /** The entry of array `name` and its stored (possibly deflated) bytes. */
  const locate = (name: string): { e: Entry; raw: Uint8Array } => {
    const e = entries.get(name);
    if (!e) {
      throw new Error(`${source}: no array '${name}' in the archive; it holds: ${names.length ? names.join(', ') : 'no arrays'}`);
    }
    const lh = e.localOffset;
    if (lh + 30 > bytes.length) truncated(`the local header of ${e.file}`);
    if (u32(lh) !== SIG_LOCAL) throw new Error(`${source}: entry ${e.file} has no local header at offset ${lh}: the archive is corrupt`);
    const start = lh + 30 + u16(lh + 26) + u16(lh + 28);
    if (start + e.compressedSize > bytes.length) truncated(`the data of ${e.file}`);
    return { e, raw: bytes.subarray(start, start + e.compressedSize) };
  };
  const content = (name: string): Uint8Array => {
    const { e, raw } = locate(name);
    let data: Uint8Array;
    if (e.method === STORED) {
      data = raw;
    } else {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        throw new Error(`${source}: entry ${e.file}: deflate data is corrupt (${(err as Error).message})`);
      }
    }
    if (data.length !== e.size) {
      throw new Error(`${source}: entry ${e.file} holds ${data.length} bytes, but the directory says ${e.size}: the archive is corrupt`);
    }
    const crc = crc32(data);
    if (crc !== e.crc) {
      const hex = (v: number) => `0x${v.toString(16).padStart(8, '0')}`;
      throw new Error(`${source}: CRC-32 mismatch in entry ${e.file}: stored ${hex(e.crc)}, computed ${hex(crc)}: the file is corrupt`);
    }
    return data;
  };
  return {
    source,
    names,
    has: (name) => entries.has(name),
    get: (name) => decodeNpy(content(name), `${source}: ${name}`),
    header: (name) => {
      const { e, raw } = locate(name);
      const where = `${source}: ${name}`;
      if (e.method === STORED) return decodeNpyHeader(raw, where);
      // Inflate only a prefix (a sync flush accepts the cut stream): the header is in the first
      // bytes. Should it not parse from the prefix, the whole entry, CRC-checked, gives the answer
      // or the authoritative error.
      try {
        return decodeNpyHeader(inflateRawSync(raw.subarray(0, HEADER_PREFIX), { finishFlush: constants.Z_SYNC_FLUSH }), where);
      } catch {
        return decodeNpyHeader(content(name), where);
      }
    },
  };
}

/**
 * Open an NPZ file (synchronously); arrays are decoded on `get`.
 * @throws Error naming `path` (see {@link decodeNpz}).
 */
export function readNpz(path: string): NpzArchive {
  return decodeNpz(readFileSync(path), path);
}

/** Options of {@link encodeNpz}. */
export interface NpzWriteOptions {
  /** Deflate every entry, as np.savez_compressed does; default false (stored, as np.savez). */
  compress?: boolean;
  /** Write ZIP64 records even when the archive is small enough not to need them. */
  zip64?: boolean;
}

/**
 * Serialise `arrays` as an NPZ archive: one `<name>.npy` entry per key, in key order. The entry
 * timestamps are fixed (1980-01-01), so equal arrays give byte-identical archives.
 * @throws Error when an array is inconsistent (see {@link encodeNpy}).
 */
export function encodeNpz(arrays: Record<string, NpyArray>, opts: NpzWriteOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const names = Object.keys(arrays);
  for (const name of names) {
    const npy = encodeNpy(arrays[name]);
    const data = opts.compress ? deflateRawSync(npy) : npy;
    const file = Buffer.from(`${name}.npy`, 'utf8');
    const big = opts.zip64 === true || npy.length >= MAX32 || data.length >= MAX32 || offset >= MAX32;
    const flags = /^[\x20-\x7e]*$/.test(name) ? 0 : 0x800;
    const version = big ? 45 : 20;
    const crc = crc32(npy);

    const local = new DataView(new ArrayBuffer(30 + file.length + (big ? 20 : 0)));
    local.setUint32(0, SIG_LOCAL, true);
    local.setUint16(4, version, true);
    local.setUint16(6, flags, true);
    local.setUint16(8, opts.compress ? DEFLATE : STORED, true);
    local.setUint16(12, 0x21, true); // 1980-01-01 in DOS date format; time 00:00 stays 0
    local.setUint32(14, crc, true);
    local.setUint32(18, big ? MAX32 : data.length, true);
    local.setUint32(22, big ? MAX32 : npy.length, true);
    local.setUint16(26, file.length, true);
    local.setUint16(28, big ? 20 : 0, true);
    new Uint8Array(local.buffer).set(file, 30);
    if (big) {
      const x = 30 + file.length;
      local.setUint16(x, EXTRA_ZIP64, true);
      local.setUint16(x + 2, 16, true);
      local.setBigUint64(x + 4, BigInt(npy.length), true);
      local.setBigUint64(x + 12, BigInt(data.length), true);
    }

    const cd = new DataView(new ArrayBuffer(46 + file.length + (big ? 28 : 0)));
    cd.setUint32(0, SIG_CENTRAL, true);
    cd.setUint16(4, (3 << 8) | version, true); // made on Unix, so readers honour the file mode
    cd.setUint16(6, version, true);
    cd.setUint16(8, flags, true);
    cd.setUint16(10, opts.compress ? DEFLATE : STORED, true);
    cd.setUint16(14, 0x21, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, big ? MAX32 : data.length, true);
    cd.setUint32(24, big ? MAX32 : npy.length, true);
    cd.setUint16(28, file.length, true);
    cd.setUint16(30, big ? 28 : 0, true);
    cd.setUint32(38, 0o100644 * 0x10000, true);
    cd.setUint32(42, big ? MAX32 : offset, true);
    new Uint8Array(cd.buffer).set(file, 46);
    if (big) {
      const x = 46 + file.length;
      cd.setUint16(x, EXTRA_ZIP64, true);
      cd.setUint16(x + 2, 24, true);
      cd.setBigUint64(x + 4, BigInt(npy.length), true);
      cd.setBigUint64(x + 12, BigInt(data.length), true);
      cd.setBigUint64(x + 20, BigInt(offset), true);
    }

    parts.push(new Uint8Array(local.buffer), data);
    central.push(new Uint8Array(cd.buffer));
    offset += local.byteLength + data.length;
  }

  const cdOffset = offset;
  const cdSize = central.reduce((n, c) => n + c.length, 0);
  const big = opts.zip64 === true || names.length >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  const tail = new DataView(new ArrayBuffer((big ? 56 + 20 : 0) + 22));
  let t = 0;
  if (big) {
    tail.setUint32(0, SIG_EOCD64, true);
    tail.setBigUint64(4, 44n, true);
    tail.setUint16(12, (3 << 8) | 45, true);
    tail.setUint16(14, 45, true);
    tail.setBigUint64(24, BigInt(names.length), true);
    tail.setBigUint64(32, BigInt(names.length), true);
    tail.setBigUint64(40, BigInt(cdSize), true);
    tail.setBigUint64(48, BigInt(cdOffset), true);
    tail.setUint32(56, SIG_LOCATOR64, true);
    tail.setBigUint64(64, BigInt(cdOffset + cdSize), true);
    tail.setUint32(72, 1, true);
    t = 76;
  }
  tail.setUint32(t, SIG_EOCD, true);
  tail.setUint16(t + 8, big ? MAX16 : names.length, true);
  tail.setUint16(t + 10, big ? MAX16 : names.length, true);
  tail.setUint32(t + 12, big ? MAX32 : cdSize, true);
  tail.setUint32(t + 16, big ? MAX32 : cdOffset, true);
  return Buffer.concat([...parts, ...central, new Uint8Array(tail.buffer)]);
}

/** Write `arrays` to `path` as NPZ, atomically (see {@link encodeNpz}). */
export function writeNpz(path: string, arrays: Record<string, NpyArray>, opts: NpzWriteOptions = {}): void {
  writeFileAtomic(path, encodeNpz(arrays, opts));
}
