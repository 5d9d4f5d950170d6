/**
 * numpy's NPY format (versions 1.0, 2.0 and 3.0): one n-dimensional array of fixed-size numbers.
 * Layout: the magic `\x93NUMPY`, a version byte pair, the header length (2 bytes in 1.0, 4 bytes
 * in 2.0/3.0, little-endian), a Python dict literal `{'descr': …, 'fortran_order': …, 'shape': …}`
 * padded with spaces to a multiple of 64 bytes and ending in '\n', then the raw data.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';

/** Element types cglab reads and writes, in numpy's spelling with little-endian byte order. */
export type NpyDtype = '<f4' | '<f8' | '|i1' | '|u1' | '|b1' | '<i2' | '<u2' | '<i4' | '<u4' | '<i8' | '<u8';

/** The typed array holding an NPY array's elements, in the host's byte order. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/**
 * An n-dimensional array: `data` holds the elements flat in C (row-major) order, whatever order
 * the file stored them in. `shape` is [] for a 0-d array (one element). `dtype` picks the typed
 * array: '<f4' Float32Array, '<f8' Float64Array, '|i1' Int8Array, '|u1' and '|b1' (bool, 0 or 1)
 * Uint8Array, '<i2' Int16Array, '<u2' Uint16Array, '<i4' Int32Array, '<u4' Uint32Array,
 * '<i8' BigInt64Array, '<u8' BigUint64Array (64-bit integers stay exact; see {@link npyToNumbers}).
 */
export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  data: NpyData;
}

/** What an NPY header declares, and where the data starts. */
export interface NpyHeader {
  /** Format version as [major, minor]: [1, 0], [2, 0] or [3, 0]. */
  version: [number, number];
  /** Element type, normalised to little-endian spelling (the data is converted on read). */
  dtype: NpyDtype;
  /** True when the file stores the data in column-major order (read transposes it). */
  fortranOrder: boolean;
  /** Byte order of the stored data: false for '>' (big-endian) descriptors. */
  littleEndian: boolean;
  shape: number[];
  /** Offset of the first data byte from the start of the NPY bytes. */
  dataOffset: number;
}

type TypedArrayClass = { new (buffer: ArrayBuffer): NpyData; BYTES_PER_ELEMENT: number };

const DTYPES: Record<string, TypedArrayClass> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  u1: Uint8Array,
  b1: Uint8Array,
  i2: Int16Array,
  u2: Uint16Array,
  i4: Int32Array,
  u4: Uint32Array,
  i8: BigInt64Array,
  u8: BigUint64Array,
};

const MAGIC = Uint8Array.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);
const ALIGN = 64;
const HOST_LITTLE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The numpy dtype string of a dtype code ('f4' → '<f4', 'u1' → '|u1'). */
function canonical(code: string): NpyDtype {
  return (DTYPES[code].BYTES_PER_ELEMENT === 1 ? `|${code}` : `<${code}`) as NpyDtype;
}

const SUPPORTED = Object.keys(DTYPES).map(canonical).join(', ');

/** Number of elements of an array of `shape` (1 for the 0-d shape []). */
export function npySize(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Bytes per element of `dtype`. */
export function npyItemSize(dtype: NpyDtype): number {
  return DTYPES[dtype.slice(1)].BYTES_PER_ELEMENT;
}

/**
 * An {@link NpyArray} from a typed array and a shape, checking that they agree. `dtype` defaults
 * to the typed array's own type; pass '|b1' to store a Uint8Array of 0/1 as numpy bool.
 * @throws Error when the element count differs from the shape's or the dtype does not fit the data.
 */
export function npyArray(data: NpyData, shape: readonly number[], dtype?: NpyDtype): NpyArray {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`array shape [${shape.join(', ')}] must hold non-negative integers`);
  }
  const type = dtype ?? (Object.keys(DTYPES).map(canonical).find((t) => data instanceof DTYPES[t.slice(1)]) as NpyDtype);
  const cls = DTYPES[type?.slice(1)];
  if (!cls || !(data instanceof cls) || canonical(type.slice(1)) !== type) {
    throw new Error(`dtype ${type} does not fit a ${data.constructor.name}: expected one of ${SUPPORTED} matching the typed array`);
  }
  if (data.length !== npySize(shape)) {
    throw new Error(`array has ${data.length} elements but shape [${shape.join(', ')}] needs ${npySize(shape)}`);
  }
  return { dtype: type, shape: [...shape], data };
}

/**
 * The elements of `arr` as float64 numbers (bools as 0/1). 64-bit integers are converted only when
 * every value is a safe integer (|v| ≤ 2^53 − 1), so no value silently changes.
 * @param source names the file/array in the error message.
 * @throws Error naming `source`, the first unsafe value and its flat index.
 */
export function npyToNumbers(arr: NpyArray, source: string): Float64Array {
  const { data } = arr;
  if (!(data instanceof BigInt64Array || data instanceof BigUint64Array)) return Float64Array.from(data);
  const out = new Float64Array(data.length);
  const max = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > max || v < -max) {
      throw new Error(`${source}: ${arr.dtype} value ${v} at flat index ${i} is beyond ±2^53 − 1 and cannot be a JavaScript number exactly`);
    }
    out[i] = Number(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Header: a Python literal. A small recursive-descent parser for the subset numpy writes
// (dict, tuple, list, str, int, True/False/None), so no header is ever evaluated as code.

type PyValue = string | number | boolean | null | PyValue[] | { [k: string]: PyValue };

function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const word = /True|False|None|-?\d+L?/y;
  function fail(what: string): never {
    throw new Error(`${what} at character ${i}`);
  }
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const value = (): PyValue => {
    space();
    if (i >= text.length) fail('unexpected end of header');
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [k: string]: PyValue } = {};
      for (;;) {
        space();
        if (text[i] === '}') {
          i++;
          return obj;
        }
        const key = value();
        if (typeof key !== 'string') fail('expected a string key');
        space();
        if (text[i++] !== ':') fail("expected ':'");
        obj[key] = value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail("expected ',' or '}'");
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        space();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value());
        space();
        if (text[i] === ',') i++;
        else if (text[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) fail('unterminated string');
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    word.lastIndex = i;
    const m = word.exec(text);
    if (!m) fail('unexpected text');
    i = word.lastIndex;
    const w = m[0];
    if (w === 'True' || w === 'False') return w === 'True';
    if (w === 'None') return null;
    return Number(w.replace('L', ''));
  };
  const v = value();
  space();
  if (i < text.length) fail('unexpected text after the dict');
  return v;
}

/**
 * Parse the magic, version and header of NPY `bytes` without touching the data.
 * @param source names the file (or archive entry) in error messages.
 * @throws Error on a wrong magic, an unknown version, a truncated or unparsable header, or an
 *   unsupported dtype; each names `source`, what was found and what was expected.
 */
export function decodeNpyHeader(bytes: Uint8Array, source: string): NpyHeader {
  const head = bytes.subarray(0, MAGIC.length);
  if (!head.every((b, k) => b === MAGIC[k])) {
    throw new Error(`${source}: not an NPY file: starts with ${JSON.stringify(Buffer.from(head).toString('latin1'))}, expected the magic "\\x93NUMPY"`);
  }
  if (bytes.length < 10) throw new Error(`${source}: truncated NPY header: the file has ${bytes.length} bytes, expected at least 10`);
  const major = bytes[6];
  const minor = bytes[7];
  if (!(major >= 1 && major <= 3) || minor !== 0) {
    throw new Error(`${source}: NPY version ${major}.${minor} is not supported: expected 1.0, 2.0 or 3.0`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new Error(`${source}: truncated NPY header: the file has ${bytes.length} bytes`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = 8 + lenBytes + headerLen;
  if (bytes.length < dataOffset) {
    throw new Error(`${source}: truncated NPY header: it declares ${headerLen} header bytes but the file ends after ${bytes.length - 8 - lenBytes}`);
  }
  const text = Buffer.from(bytes.subarray(8 + lenBytes, dataOffset)).toString(major === 3 ? 'utf8' : 'latin1');
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (e) {
    throw new Error(`${source}: NPY header does not parse (${(e as Error).message}): ${JSON.stringify(text.trim())}`);
  }
  function bad(why: string): never {
    throw new Error(`${source}: NPY header ${why}; expected {'descr': <dtype>, 'fortran_order': <bool>, 'shape': <tuple of ints>}, got ${JSON.stringify(text.trim())}`);
  }
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) bad('is not a dict');
  const keys = Object.keys(dict).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') bad(`has keys {${keys}}`);
  const { descr, fortran_order: fortranOrder, shape } = dict;
  if (typeof fortranOrder !== 'boolean') bad('fortran_order is not True/False');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    bad('shape is not a tuple of non-negative integers');
  }
  const m = typeof descr === 'string' ? /^([<>|=])([a-z]\d+)$/.exec(descr) : null;
  if (!m || !DTYPES[m[2]]) {
    throw new Error(`${source}: dtype ${JSON.stringify(descr)} is not supported: expected one of ${SUPPORTED} (or their big-endian '>' forms)`);
  }
  const littleEndian = m[1] === '<' || m[1] === '|' || (m[1] === '=' && HOST_LITTLE);
  return {
    version: [major, minor],
    dtype: canonical(m[2]),
    fortranOrder,
    littleEndian,
    shape: shape as number[],
    dataOffset,
  };
}

/** Reverse the bytes of every `size`-byte element in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let p = 0; p < bytes.length; p += size) bytes.subarray(p, p + size).reverse();
}

/** Reorder column-major `src` of `shape` into row-major order. */
function fortranToC(src: NpyData, shape: number[]): NpyData {
  const n = src.length;
  const dst = new (src.constructor as TypedArrayClass)(new ArrayBuffer(src.byteLength));
  const s = src as unknown as number[];
  const d = dst as unknown as number[];
  const nd = shape.length;
  const cStride = new Array<number>(nd);
  for (let k = nd - 1, acc = 1; k >= 0; k--) {
    cStride[k] = acc;
    acc *= shape[k];
  }
  // Walk the elements in storage (Fortran) order, carrying the C offset like an odometer whose
  // first digit turns fastest.
  const idx = new Array<number>(nd).fill(0);
  let c = 0;
  for (let f = 0; f < n; f++) {
    d[c] = s[f];
    for (let k = 0; k < nd; k++) {
      if (++idx[k] < shape[k]) {
        c += cStride[k];
        break;
      }
      c -= (shape[k] - 1) * cStride[k];
      idx[k] = 0;
    }
  }
  return dst;
}

/**
 * Decode NPY `bytes` into an array in C order and host byte order: big-endian data is byte-swapped
 * and Fortran-ordered data transposed. The data is copied, so `bytes` may be reused.
 * @param source names the file (or archive entry) in error messages.
 * @throws Error for everything {@link decodeNpyHeader} rejects, and when the data is shorter
 *   (truncated) or longer than the shape and dtype require.
 */
export function decodeNpy(bytes: Uint8Array, source: string): NpyArray {
  const h = decodeNpyHeader(bytes, source);
  const size = npySize(h.shape);
  const item = npyItemSize(h.dtype);
  const want = size * item;
  const have = bytes.length - h.dataOffset;
  const shapeText = `shape [${h.shape.join(', ')}] of ${h.dtype}`;
  if (have < want) throw new Error(`${source}: truncated NPY data: ${have} bytes, expected ${want} for ${shapeText}`);
  if (have > want) throw new Error(`${source}: NPY data has ${have} bytes, expected ${want} for ${shapeText}`);
  // A fresh buffer: Buffer#slice would alias the whole file, and typed arrays need alignment.
  const copy = new Uint8Array(want);
  copy.set(bytes.subarray(h.dataOffset, h.dataOffset + want));
  if (item > 1 && h.littleEndian !== HOST_LITTLE) swapBytes(copy, item);
  let data = new DTYPES[h.dtype.slice(1)](copy.buffer);
  if (h.fortranOrder && h.shape.length > 1) data = fortranToC(data, h.shape);
  return { dtype: h.dtype, shape: h.shape, data };
}

/** Options of {@link encodeNpy}. */
export interface NpyWriteOptions {
  /** Format major version; default 1, or 2 when the header needs more than 65535 bytes. */
  version?: 1 | 2 | 3;
}

/**
 * Serialise `arr` as NPY bytes (C order, little-endian), padded as numpy pads so the data starts
 * on a 64-byte boundary.
 * @throws Error when `arr` is inconsistent (see {@link npyArray}) or the header does not fit
 *   the requested version.
 */
export function encodeNpy(arr: NpyArray, opts: NpyWriteOptions = {}): Uint8Array {
  const { dtype, shape, data } = npyArray(arr.data, arr.shape, arr.dtype);
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${dims}, }`;
  const padded = (prefix: number) => dict + ' '.repeat((ALIGN - ((prefix + dict.length + 1) % ALIGN)) % ALIGN) + '\n';
  const version = opts.version ?? (padded(10).length > 0xffff ? 2 : 1);
  const prefix = version === 1 ? 10 : 12;
  const header = padded(prefix);
  if (version === 1 && header.length > 0xffff) {
    throw new Error(`NPY header of ${header.length} bytes does not fit version 1.0 (at most 65535): use version 2`);
  }
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set(MAGIC);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, prefix + header.length);
  if (!HOST_LITTLE) swapBytes(out.subarray(prefix + header.length), npyItemSize(dtype));
  return out;
}

/**
 * Read an NPY file (synchronously).
 * @throws Error naming `path` (see {@link decodeNpy}).
 */
export function readNpy(path: string): NpyArray {
  return decodeNpy(readFileSync(path), path);
}

/** Write `arr` to `path` as NPY, atomically (see {@link encodeNpy}). */
export function writeNpy(path: string, arr: NpyArray, opts: NpyWriteOptions = {}): void {
  writeFileAtomic(path, encodeNpy(arr, opts));
}
