import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { encodeNpy, npyArray, type NpyArray } from 'cglab/io/npy';
import { decodeNpz, encodeNpz, readNpz, writeNpz } from 'cglab/io/npz';

const dir = mkdtempSync(join(tmpdir(), 'cglab-npz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const arrays: Record<string, NpyArray> = {
  positions: npyArray(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => i / 7), [2, 4, 3]),
  ids: npyArray(BigInt64Array.of(1n, 2n ** 62n), [2]),
  flags: npyArray(Uint8Array.of(1, 0, 1), [3], '|b1'),
  scalar: npyArray(Float64Array.of(-3.5), []),
};

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
/** Offset of the central directory, from the (non-ZIP64) end record. */
const cdOffset = (b: Uint8Array) => view(b).getUint32(b.length - 22 + 16, true);

function assertSame(got: ReturnType<typeof decodeNpz>, want: Record<string, NpyArray>) {
  assert.deepEqual(got.names, Object.keys(want));
  for (const [name, a] of Object.entries(want)) {
    const b = got.get(name);
    assert.equal(b.dtype, a.dtype, name);
    assert.deepEqual(b.shape, a.shape, name);
    assert.deepEqual([...b.data], [...a.data], name);
  }
}

test('stored and deflated archives round-trip every array, in order', () => {
  for (const compress of [false, true]) {
    const bytes = encodeNpz(arrays, { compress });
    const z = decodeNpz(bytes, 'mem.npz');
    assertSame(z, arrays);
    assert.equal(z.has('ids'), true);
    assert.equal(z.has('nope'), false);
    // Method field of the first local header: 0 stored, 8 deflate.
    assert.equal(view(bytes).getUint16(8, true), compress ? 8 : 0);
  }
  const big = npyArray(new Float64Array(10000), [10000]);
  assert.ok(encodeNpz({ big }, { compress: true }).length < encodeNpz({ big }).length / 10, 'zeros deflate well');
});

test('ZIP64 records (as numpy writes them) are written on request and read back', () => {
  const bytes = encodeNpz(arrays, { zip64: true });
  const v = view(bytes);
  assert.equal(v.getUint32(18, true), 0xffffffff, 'local header sizes are saturated');
  assert.equal(v.getUint16(28, true), 20, 'local header carries a ZIP64 extra field');
  assert.equal(v.getUint16(30 + 'positions.npy'.length, true), 0x0001);
  assert.equal(v.getUint32(bytes.length - 22 - 20 - 56, true), 0x06064b50, 'ZIP64 end record');
  assert.equal(v.getUint32(bytes.length - 22 - 20, true), 0x07064b50, 'ZIP64 locator');
  assert.equal(v.getUint16(bytes.length - 22 + 10, true), 0xffff, 'end record count is saturated');
  assertSame(decodeNpz(bytes, 'z64.npz'), arrays);
  assertSame(decodeNpz(encodeNpz(arrays, { zip64: true, compress: true }), 'z64c.npz'), arrays);
});

test('header gives dtype and shape without decoding, from stored and deflated entries', () => {
  for (const compress of [false, true]) {
    const z = decodeNpz(encodeNpz(arrays, { compress }), 'h.npz');
    for (const [name, a] of Object.entries(arrays)) {
      const h = z.header(name);
      assert.equal(h.dtype, a.dtype);
      assert.deepEqual(h.shape, a.shape);
    }
    assert.throws(() => z.header('forces'), /h\.npz: no array 'forces' in the archive; it holds: positions, ids, flags, scalar/);
  }
  // A damaged deflated header falls back to the whole entry, whose CRC names the damage.
  const bytes = encodeNpz({ a: arrays.positions }, { compress: true }).slice();
  bytes[30 + 'a.npy'.length + 2] ^= 0xff;
  assert.throws(() => decodeNpz(bytes, 'hd.npz').header('a'), /hd\.npz: (entry a\.npy: deflate data is corrupt|CRC-32 mismatch in entry a\.npy|entry a\.npy holds)/);
});

test('equal arrays give byte-identical archives', () => {
  assert.deepEqual(encodeNpz(arrays), encodeNpz(arrays));
});

test('an empty archive and non-ASCII names round-trip', () => {
  const empty = decodeNpz(encodeNpz({}), 'e.npz');
  assert.deepEqual(empty.names, []);
  assert.throws(() => empty.get('positions'), /e\.npz: no array 'positions' in the archive; it holds: no arrays/);
  const named = { 'Å/énergie': npyArray(Float32Array.of(1), [1]) };
  assertSame(decodeNpz(encodeNpz(named), 'u.npz'), named);
});

test('writeNpz writes atomically and readNpz reads lazily', () => {
  const path = join(dir, 'a.npz');
  writeNpz(path, arrays, { compress: true });
  assert.deepEqual(readdirSync(dir), ['a.npz']);
  assertSame(readNpz(path), arrays);
});

test('a missing entry names the entries present', () => {
  const z = decodeNpz(encodeNpz(arrays), 'x.npz');
  assert.throws(() => z.get('forces'), /x\.npz: no array 'forces' in the archive; it holds: positions, ids, flags, scalar/);
});

test('a file that is not a ZIP archive is rejected', () => {
  assert.throws(() => decodeNpz(encodeNpy(arrays.positions), 'p.npz'), /p\.npz: not an NPZ file: expected a ZIP archive \(starting "PK\\u0003\\u0004"\), found 224 bytes starting ".NUMPY\\u0001/);
  assert.throws(() => decodeNpz(new Uint8Array(0), 'empty.npz'), /empty\.npz: not an NPZ file/);
  const path = join(dir, 'text.npz');
  writeFileSync(path, 'positions,forces\n1,2\n');
  assert.throws(() => readNpz(path), /text\.npz: not an NPZ file/);
});

test('truncated archives are reported as truncated', () => {
  const bytes = encodeNpz(arrays);
  for (const cut of [bytes.length - 1, bytes.length - 30, Math.floor(bytes.length / 2), 40]) {
    assert.throws(() => decodeNpz(bytes.subarray(0, cut), 't.npz'), /t\.npz: truncated NPZ \(ZIP\) archive/, `cut at ${cut}`);
  }
  // Intact end records but the entry data cut away underneath them.
  const z64 = encodeNpz(arrays, { zip64: true });
  const tail = z64.subarray(z64.length - 98);
  assert.throws(() => decodeNpz(tail, 'tail.npz'), /tail\.npz: (truncated NPZ|ZIP64)/);
});

test('a corrupted byte fails the CRC-32 check, naming the entry', () => {
  const bytes = encodeNpz({ positions: arrays.positions });
  const bad = bytes.slice();
  bad[cdOffset(bad) - 1] ^= 0x40;
  assert.throws(() => decodeNpz(bad, 'c.npz').get('positions'), /c\.npz: CRC-32 mismatch in entry positions\.npy: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}: the file is corrupt/);
  const deflated = encodeNpz({ positions: arrays.positions }, { compress: true }).slice();
  deflated[cdOffset(deflated) - 10] ^= 0xff;
  assert.throws(() => decodeNpz(deflated, 'd.npz').get('positions'), /d\.npz: (entry positions\.npy: deflate data is corrupt|CRC-32 mismatch in entry positions\.npy|entry positions\.npy holds)/);
});

test('compression methods other than stored and deflate are refused', () => {
  const bytes = encodeNpz({ a: arrays.scalar }).slice();
  view(bytes).setUint16(cdOffset(bytes) + 10, 12, true);
  assert.throws(() => decodeNpz(bytes, 'b.npz'), /b\.npz: entry a\.npy uses ZIP compression method 12: expected 0 \(stored\) or 8 \(deflate\)/);
});

test('an entry that is not NPY is reported as that array of that file', () => {
  const bytes = encodeNpz({ bad: npyArray(Float32Array.of(1, 2), [2]) }).slice();
  const start = 30 + 'bad.npy'.length;
  const cd = cdOffset(bytes);
  bytes[start] = 0x50;
  const crc = crc32(bytes.subarray(start, cd));
  view(bytes).setUint32(14, crc, true);
  view(bytes).setUint32(cd + 16, crc, true);
  assert.throws(() => decodeNpz(bytes, 'e.npz').get('bad'), /e\.npz: bad: not an NPY file: starts with "PNUMPY"/);
});
