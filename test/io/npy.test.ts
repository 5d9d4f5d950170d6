import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeNpy,
  decodeNpyHeader,
  encodeNpy,
  npyArray,
  npyToNumbers,
  readNpy,
  writeNpy,
  type NpyArray,
  type NpyDtype,
} from 'cglab/io/npy';

const dir = mkdtempSync(join(tmpdir(), 'cglab-npy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** NPY bytes with an arbitrary header dict and raw data, padded the way numpy pads. */
function craft(dict: string, data: Uint8Array, major = 1): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const header = dict + ' '.repeat((64 - ((prefix + dict.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set([0x93, ...Buffer.from('NUMPY'), major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, header.length, true);
  else v.setUint32(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  out.set(data, prefix + header.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

const samples: NpyArray[] = [
  npyArray(Float32Array.of(1.5, -2.25, 3e-8, 1e30, 0, -0), [2, 3]),
  npyArray(Float64Array.of(Math.PI, -1e-300, 1e300), [3]),
  npyArray(Int8Array.of(-128, 0, 127), [3]),
  npyArray(Uint8Array.of(0, 200, 255), [3]),
  npyArray(Uint8Array.of(1, 0, 1, 1), [2, 2], '|b1'),
  npyArray(Int16Array.of(-32768, 32767), [2]),
  npyArray(Uint16Array.of(65535, 1), [2]),
  npyArray(Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 7, 8), [2, 1, 2]),
  npyArray(Uint32Array.of(2 ** 32 - 1, 0), [2]),
  npyArray(BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n), [2]),
  npyArray(BigUint64Array.of(2n ** 64n - 1n), [1]),
  npyArray(Float64Array.of(42), []),
  npyArray(new Float32Array(0), [0, 3]),
];

test('every dtype and shape survives encode → decode unchanged', () => {
  for (const a of samples) {
    const back = decodeNpy(encodeNpy(a), 'mem.npy');
    assert.equal(back.dtype, a.dtype);
    assert.deepEqual(back.shape, a.shape);
    assert.equal(back.data.constructor, a.data.constructor, a.dtype);
    assert.deepEqual([...back.data], [...a.data], a.dtype);
  }
});

test('npyArray infers the dtype from the typed array and rejects mismatches', () => {
  assert.equal(npyArray(new Uint8Array(2), [2]).dtype, '|u1');
  assert.equal(npyArray(new BigInt64Array(1), []).dtype, '<i8');
  assert.throws(() => npyArray(new Float32Array(5), [2, 3]), /array has 5 elements but shape \[2, 3\] needs 6/);
  assert.throws(() => npyArray(new Float32Array(2), [2], '<f8'), /dtype <f8 does not fit a Float32Array/);
  assert.throws(() => npyArray(new Float32Array(2), [-2]), /non-negative integers/);
});

test('headers are padded so data starts on a 64-byte boundary, in the version asked for', () => {
  const a = npyArray(Float32Array.of(1, 2, 3), [3]);
  for (const version of [1, 2, 3] as const) {
    const bytes = encodeNpy(a, { version });
    const h = decodeNpyHeader(bytes, 'mem.npy');
    assert.deepEqual(h.version, [version, 0]);
    assert.equal(h.dataOffset % 64, 0);
    assert.equal(bytes[h.dataOffset - 1], 0x0a, 'header ends with a newline');
    assert.deepEqual([...decodeNpy(bytes, 'mem.npy').data], [1, 2, 3]);
  }
  const header = Buffer.from(encodeNpy(a)).toString('latin1', 10, 70);
  assert.match(header, /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \}/);
});

test('a header longer than 65535 bytes switches to version 2.0 automatically', () => {
  const shape = new Array<number>(25000).fill(1);
  const bytes = encodeNpy(npyArray(Float64Array.of(5), shape));
  assert.equal(bytes[6], 2);
  const back = decodeNpy(bytes, 'big.npy');
  assert.equal(back.shape.length, 25000);
  assert.deepEqual([...back.data], [5]);
  assert.throws(() => encodeNpy(npyArray(Float64Array.of(5), shape), { version: 1 }), /does not fit version 1\.0/);
});

test('big-endian data is converted to native order on read', () => {
  const data = new Uint8Array(16);
  const v = new DataView(data.buffer);
  v.setFloat64(0, -1.25, false);
  v.setFloat64(8, 6.02e23, false);
  const a = decodeNpy(craft("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", data), 'be.npy');
  assert.equal(a.dtype, '<f8');
  assert.deepEqual([...a.data], [-1.25, 6.02e23]);
  const i = new Uint8Array(4);
  new DataView(i.buffer).setInt32(0, -123456, false);
  assert.deepEqual([...decodeNpy(craft("{'descr': '>i4', 'fortran_order': False, 'shape': (), }", i), 'be.npy').data], [-123456]);
});

test('Fortran-ordered data is transposed into C order', () => {
  // C order value at [i, j, k] is 100 i + 10 j + k; store it column-major (i fastest).
  const shape = [2, 3, 4];
  const f = new Int32Array(24);
  let p = 0;
  for (let k = 0; k < 4; k++) for (let j = 0; j < 3; j++) for (let i = 0; i < 2; i++) f[p++] = 100 * i + 10 * j + k;
  const a = decodeNpy(craft("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3, 4), }", bytesOf(f)), 'f.npy');
  assert.deepEqual(a.shape, shape);
  const want: number[] = [];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) want.push(100 * i + 10 * j + k);
  assert.deepEqual([...a.data], want);
});

test('64-bit integers convert to numbers only when exact', () => {
  const ok = npyArray(BigInt64Array.of(-(2n ** 53n) + 1n, 0n, 2n ** 53n - 1n), [3]);
  assert.deepEqual([...npyToNumbers(ok, 'ids.npy')], [-(2 ** 53) + 1, 0, 2 ** 53 - 1]);
  const big = npyArray(BigInt64Array.of(1n, 2n ** 53n), [2]);
  assert.throws(() => npyToNumbers(big, 'ids.npy'), /ids\.npy: <i8 value 9007199254740992 at flat index 1 is beyond ±2\^53 − 1/);
  assert.throws(() => npyToNumbers(npyArray(BigUint64Array.of(2n ** 60n), [1]), 'u.npy'), /u\.npy: <u8 value/);
  assert.deepEqual([...npyToNumbers(npyArray(Uint8Array.of(1, 0), [2], '|b1'), 'b.npy')], [1, 0]);
});

test('writeNpy writes atomically and readNpy reads it back', () => {
  const path = join(dir, 'x.npy');
  writeNpy(path, npyArray(Float32Array.of(1, 2, 3, 4), [2, 2]));
  assert.deepEqual(readdirSync(dir), ['x.npy']);
  const a = readNpy(path);
  assert.deepEqual(a.shape, [2, 2]);
  assert.deepEqual([...a.data], [1, 2, 3, 4]);
});

test('a wrong magic names the file and the magic expected', () => {
  assert.throws(() => decodeNpy(Buffer.from('PK\x03\x04 this is a zip'), 'a.npy'), /a\.npy: not an NPY file: starts with "PK\\u0003\\u0004 t", expected the magic "\\x93NUMPY"/);
});

test('truncated headers and data are reported as truncated', () => {
  const full = encodeNpy(npyArray(Float64Array.of(1, 2, 3), [3]));
  assert.throws(() => decodeNpy(full.subarray(0, 8), 't.npy'), /t\.npy: truncated NPY header: the file has 8 bytes/);
  assert.throws(() => decodeNpy(full.subarray(0, 40), 't.npy'), /t\.npy: truncated NPY header: it declares 118 header bytes/);
  assert.throws(() => decodeNpy(full.subarray(0, full.length - 4), 't.npy'), /t\.npy: truncated NPY data: 20 bytes, expected 24 for shape \[3\] of <f8/);
});

test('data longer than the shape needs is an error', () => {
  const extra = craft("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(12));
  assert.throws(() => decodeNpy(extra, 'x.npy'), /x\.npy: NPY data has 12 bytes, expected 8 for shape \[2\] of <f4/);
});

test('unsupported dtypes and versions are named with what is supported', () => {
  const d = new Uint8Array(16);
  assert.throws(() => decodeNpy(craft("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", d), 'c.npy'),
    /c\.npy: dtype "<c16" is not supported: expected one of <f4, <f8, \|i1, \|u1, \|b1, <i2, <u2, <i4, <u4, <i8, <u8/);
  assert.throws(() => decodeNpy(craft("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", d), 'u.npy'), /dtype "<U4" is not supported/);
  assert.throws(() => decodeNpy(craft("{'descr': [('x', '<f4'), ('y', '<f4')], 'fortran_order': False, 'shape': (2,), }", d), 's.npy'),
    /s\.npy: dtype \[\["x","<f4"\],\["y","<f4"\]\] is not supported/);
  const v4 = encodeNpy(npyArray(Float32Array.of(1), [1]));
  v4[6] = 4;
  assert.throws(() => decodeNpy(v4, 'v.npy'), /v\.npy: NPY version 4\.0 is not supported: expected 1\.0, 2\.0 or 3\.0/);
});

test('a header that does not parse, or lacks keys, is quoted in the error', () => {
  const d = new Uint8Array(4);
  assert.throws(() => decodeNpy(craft("{'descr': '<f4', 'fortran_order': False, 'shape': (1,", d), 'h.npy'), /h\.npy: NPY header does not parse \(unexpected end of header at character \d+\): "\{'descr'/);
  assert.throws(() => decodeNpy(craft("{'descr': '<f4', 'shape': (1,), }", d), 'h.npy'), /h\.npy: NPY header has keys \{descr,shape\}; expected \{'descr'/);
  assert.throws(() => decodeNpy(craft("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", d), 'h.npy'), /fortran_order is not True\/False/);
  assert.throws(() => decodeNpy(craft("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", d), 'h.npy'), /shape is not a tuple of non-negative integers/);
  assert.throws(() => decodeNpy(craft("__import__('os')", d), 'h.npy'), /h\.npy: NPY header does not parse \(unexpected text at character 0\)/);
});

test('decoded data is a copy independent of the input bytes', () => {
  const bytes = encodeNpy(npyArray(Float32Array.of(7), [1]));
  const a = decodeNpy(bytes, 'c.npy');
  bytes.fill(0, bytes.length - 4);
  assert.equal(a.data[0], 7);
  assert.equal(a.data.byteOffset, 0);
});
