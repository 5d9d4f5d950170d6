// Cross-checks with numpy itself (/usr/bin/python3, numpy 1.24): files numpy writes we read with
// identical values, and files we write numpy loads with identical values.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset, writeDataset } from 'cglab/io/dataset';
import { npyArray, readNpy, writeNpy, type NpyArray } from 'cglab/io/npy';
import { readNpz, writeNpz } from 'cglab/io/npz';
import { makeTrajectory } from 'cglab/io/trajectory';
import { makeTopology } from 'cglab/topology/topology';

const dir = mkdtempSync(join(tmpdir(), 'cglab-numpy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Run Python `code` in the temporary folder; its stdout. A failed assertion there fails the test. */
const python = (code: string) => execFileSync('/usr/bin/python3', ['-c', code], { cwd: dir, encoding: 'utf8' });

/** numpy's values as JSON, 64-bit integers as decimal strings so none loses precision. */
const PY_VALUES = `
import json, numpy as np
def values(a):
    flat = np.ascontiguousarray(a).reshape(-1)
    if a.dtype.kind in 'iu' and a.dtype.itemsize == 8:
        return [str(int(v)) for v in flat]
    if a.dtype.kind == 'f':
        return [float(v) if np.isfinite(v) else str(v) for v in flat]
    return [int(v) for v in flat]
def describe(a):
    return {'dtype': a.dtype.newbyteorder('<').str if a.dtype.itemsize > 1 else a.dtype.str, 'shape': list(a.shape), 'values': values(a)}
`;

/** Our values in the same JSON form as PY_VALUES. */
function describe(a: NpyArray) {
  const values = [...a.data].map((v) =>
    typeof v === 'bigint' ? String(v) : Number.isFinite(v) || a.dtype[1] !== 'f' ? v : String(v).replace('Infinity', 'inf').replace('NaN', 'nan'),
  );
  return { dtype: a.dtype, shape: a.shape, values };
}

// Arrays covering every dtype, extreme values, 0-d, empty, Fortran order and big-endian.
const PY_ARRAYS = `
rng = np.random.default_rng(7)
arrays = {
  'f4': rng.standard_normal((3, 4)).astype('<f4'),
  'f8': np.array([np.pi, -1e-300, 1e300, np.inf, -np.inf], '<f8'),
  'i1': np.array([-128, 0, 127], '|i1'),
  'u1': np.array([0, 200, 255], '|u1'),
  'b1': np.array([[True, False], [False, True]]),
  'i2': np.array([-32768, 32767], '<i2'),
  'u2': np.array([65535, 1], '<u2'),
  'i4': np.arange(24, dtype='<i4').reshape(2, 3, 4) - 12,
  'u4': np.array([2**32 - 1, 0], '<u4'),
  'i8': np.array([-2**63, 2**63 - 1, 2**53 + 1], '<i8'),
  'u8': np.array([2**64 - 1, 0], '<u8'),
  'scalar': np.array(2.5, '<f8'),
  'empty': np.zeros((0, 3), '<f4'),
  'fortran': np.asfortranarray(np.arange(60, dtype='<f8').reshape(3, 4, 5)),
  'fortran_i2': np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)),
  'be_f4': np.arange(6, dtype='>f4').reshape(2, 3) / 3,
  'be_f8': np.array([1.5, -2e-10], '>f8'),
  'be_i2': np.array([-2, 300], '>i2'),
  'be_u2': np.array([65000, 7], '>u2'),
  'be_i4': np.array([-123456, 7], '>i4'),
  'be_u4': np.array([4000000000], '>u4'),
  'be_i8': np.array([-2**62 - 3], '>i8'),
  'be_u8': np.array([2**63 + 5], '>u8'),
  'be_fortran': np.asfortranarray(np.arange(12, dtype='>i4').reshape(3, 4)),
}
`;

test('we read every NPY numpy writes: each dtype, 0-d, empty, Fortran order, big-endian', () => {
  const want = JSON.parse(python(`${PY_VALUES}${PY_ARRAYS}
for k, a in arrays.items():
    np.save(k + '.npy', a)
    assert np.load(k + '.npy').dtype == a.dtype
for v in (2, 3):
    arrays['version%d' % v] = np.arange(6, dtype='<f4').reshape(3, 2) * v
    with open('version%d.npy' % v, 'wb') as f:
        np.lib.format.write_array(f, arrays['version%d' % v], version=(v, 0))
print(json.dumps({k: describe(a) for k, a in arrays.items()}))`));
  assert.equal(Object.keys(want).length, 26);
  assert.equal(readFileSync(join(dir, 'version3.npy'))[6], 3, 'numpy wrote a version 3.0 header');
  for (const [name, w] of Object.entries(want)) {
    assert.deepEqual(describe(readNpy(join(dir, `${name}.npy`))), w, name);
  }
});

test('we read NPZ archives from np.savez (ZIP64 extra fields) and np.savez_compressed', () => {
  const want = JSON.parse(python(`${PY_VALUES}${PY_ARRAYS}
np.savez('stored.npz', **arrays)
np.savez_compressed('deflated.npz', **arrays)
print(json.dumps({k: describe(a) for k, a in arrays.items()}))`));
  for (const file of ['stored.npz', 'deflated.npz']) {
    const z = readNpz(join(dir, file));
    assert.deepEqual(z.names, Object.keys(want), file);
    for (const name of z.names) assert.deepEqual(describe(z.get(name)), want[name], `${file}: ${name}`);
  }
  // numpy's savez writes each local header with a ZIP64 extra field (force_zip64) that the
  // reader above had to step over to find the data.
  const bytes = readFileSync(join(dir, 'stored.npz'));
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const extra = 30 + v.getUint16(26, true);
  assert.equal(v.getUint16(28, true), 20, 'extra field length of the first local header');
  assert.equal(v.getUint16(extra, true), 0x0001, 'ZIP64 extra field id');
  assert.equal(v.getUint16(extra + 2, true), 16, 'ZIP64 sizes: uncompressed and compressed');
});

const ours: Record<string, NpyArray> = {
  f4: npyArray(Float32Array.of(1.5, -2.25, 3.4028234663852886e38, 1.1754943508222875e-38, -0, Infinity), [2, 3]),
  f8: npyArray(Float64Array.of(Math.PI, -Math.E, 5e-324, NaN), [4]),
  i1: npyArray(Int8Array.of(-128, 127), [2]),
  u1: npyArray(Uint8Array.of(0, 255), [2]),
  b1: npyArray(Uint8Array.of(1, 0, 0), [3], '|b1'),
  i2: npyArray(Int16Array.of(-32768, 32767), [2]),
  u2: npyArray(Uint16Array.of(65535), [1]),
  i4: npyArray(Int32Array.from({ length: 24 }, (_, i) => i * 1000 - 7), [2, 3, 4]),
  u4: npyArray(Uint32Array.of(4294967295), [1]),
  i8: npyArray(BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n, 2n ** 53n + 1n), [3]),
  u8: npyArray(BigUint64Array.of(2n ** 64n - 1n), [1]),
  scalar: npyArray(Float64Array.of(-0.5), []),
  empty: npyArray(new Float32Array(0), [4, 0]),
};

/** Python source that loads `files` (name → expected description JSON) and checks each with np.load. */
const checkInPython = (want: Record<string, unknown>, load: string) => `${PY_VALUES}
want = json.loads(${JSON.stringify(JSON.stringify(want))})
${load}
for k, w in want.items():
    got = describe(arrays[k])
    assert got == w, (k, got, w)
print('ok', len(want))`;

test('numpy loads every NPY we write, in versions 1.0, 2.0 and 3.0', () => {
  const want: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(ours)) {
    for (const version of [1, 2, 3] as const) {
      writeNpy(join(dir, `ours_${name}_v${version}.npy`), a, { version });
      want[`${name}_v${version}`] = describe(a);
    }
  }
  const out = python(checkInPython(want, `
import numpy.lib.format as fmt
arrays = {}
for k in want:
    with open('ours_' + k + '.npy', 'rb') as f:
        version = fmt.read_magic(f)
        assert version == (int(k[-1]), 0), (k, version)
    arrays[k] = np.load('ours_' + k + '.npy')`));
  assert.equal(out.trim(), `ok ${Object.keys(want).length}`);
});

test('numpy loads the NPZ archives we write: stored, deflated and ZIP64, CRCs intact', () => {
  const want = Object.fromEntries(Object.entries(ours).map(([k, a]) => [k, describe(a)]));
  for (const [file, opts] of [['ours_stored.npz', {}], ['ours_deflated.npz', { compress: true }], ['ours_zip64.npz', { zip64: true, compress: true }]] as const) {
    writeNpz(join(dir, file), ours, opts);
    const out = python(checkInPython(want, `
import zipfile
with zipfile.ZipFile('${file}') as z:
    assert z.testzip() is None
    methods = {i.compress_type for i in z.infolist()}
    assert methods == {${'compress' in opts ? 'zipfile.ZIP_DEFLATED' : 'zipfile.ZIP_STORED'}}, methods
arrays = dict(np.load('${file}'))
assert list(arrays) == list(want), list(arrays)`));
    assert.equal(out.trim(), `ok ${Object.keys(want).length}`, file);
  }
});

test('numpy reads our data sets, and the meta array decodes as JSON in Python', () => {
  const topology = makeTopology(
    [
      { name: 'CA', element: 'C', mass: 12.011, residue: 'ALA', resid: 1 },
      { name: 'B1', element: '', mass: 72, residue: 'BEAD', resid: 2 },
    ],
    [[0, 1]],
  );
  const positions = Float32Array.from({ length: 3 * 2 * 3 }, (_, i) => Math.cos(i));
  const forces = Float32Array.from({ length: 3 * 2 * 3 }, (_, i) => 100 * Math.sin(i));
  const traj = makeTrajectory({ topology, nFrames: 3, nAtoms: 2, positions, forces, time: Float32Array.of(0, 1, 2), provenance: { source: 'test', é: 'ü' } });
  writeDataset(join(dir, 'ours_set.npz'), traj, { compress: true });
  writeDataset(join(dir, 'ours_set_A.npz'), traj, { units: { length: 'angstrom', force: 'kcal/mol/angstrom' } });
  const out = python(`
import json, numpy as np
pos = np.array(${JSON.stringify([...positions])}, dtype='<f4').reshape(3, 2, 3)
frc = np.array(${JSON.stringify([...forces])}, dtype='<f4').reshape(3, 2, 3)
z = np.load('ours_set.npz')
assert sorted(z.files) == ['forces', 'meta', 'positions', 'time'], z.files
assert z['positions'].dtype == np.float32 and z['positions'].shape == (3, 2, 3)
assert np.array_equal(z['positions'], pos) and np.array_equal(z['forces'], frc)
assert np.array_equal(z['time'], [0, 1, 2])
meta = json.loads(z['meta'].tobytes().decode('utf-8'))
assert meta['units']['length'] == 'nm' and meta['units']['force'] == 'kJ/mol/nm', meta['units']
assert [a['name'] for a in meta['topology']['atoms']] == ['CA', 'B1']
assert meta['topology']['bonds'] == [[0, 1]]
assert meta['provenance'] == {'source': 'test', 'é': 'ü'}, meta['provenance']
a = np.load('ours_set_A.npz')
assert json.loads(bytes(a['meta']).decode('utf-8'))['units']['length'] == 'angstrom'
assert np.allclose(a['positions'], pos * 10, rtol=1e-6)
assert np.allclose(a['forces'], frc / 41.84, rtol=1e-6)
print('ok')`);
  assert.equal(out.trim(), 'ok');
});

test('we read a data set written by numpy: float64, declared Å and kcal/mol/Å, meta from json.dumps', () => {
  python(`
import json, numpy as np
pos = np.arange(2 * 3 * 3, dtype='<f8').reshape(2, 3, 3)
meta = {'units': {'length': 'angstrom', 'force': 'kcal/mol/angstrom'}, 'provenance': {'by': 'numpy'},
        'topology': {'atoms': [{'name': n, 'element': 'C', 'mass': 12.011, 'residue': 'ALA', 'resid': 1} for n in ('A', 'B', 'C')], 'bonds': []}}
np.savez_compressed('py_set.npz', positions=pos, forces=np.ones((2, 3, 3)), box=np.tile(np.eye(3) * 30, (2, 1, 1)),
                    meta=np.frombuffer(json.dumps(meta).encode('utf-8'), dtype=np.uint8))
np.savez('py_plain.npz', positions=pos.astype('f4'))`);
  const t = readDataset(join(dir, 'py_set.npz'));
  assert.equal(t.nFrames, 2);
  assert.equal(t.nAtoms, 3);
  assert.deepEqual([...t.positions], Array.from({ length: 18 }, (_, i) => Math.fround(i / 10)));
  assert.deepEqual([...t.forces!], new Array(18).fill(Math.fround(41.84)));
  assert.deepEqual([...t.box!.subarray(0, 9)], [3, 0, 0, 0, 3, 0, 0, 0, 3]);
  assert.deepEqual(t.provenance, { by: 'numpy' });
  assert.deepEqual(t.topology?.atoms.map((a) => a.name), ['A', 'B', 'C']);
  assert.throws(() => readDataset(join(dir, 'py_plain.npz')), /py_plain\.npz: no topology/);
  assert.equal(readDataset(join(dir, 'py_plain.npz'), { requireTopology: false }).positions[17], 17);
});

test('a round trip numpy → cglab → numpy keeps every array bit for bit', () => {
  python(`${PY_VALUES}${PY_ARRAYS}
np.savez_compressed('py_all.npz', **arrays)`);
  const z = readNpz(join(dir, 'py_all.npz'));
  writeNpz(join(dir, 'back.npz'), Object.fromEntries(z.names.map((n) => [n, z.get(n)])));
  const out = python(`${PY_VALUES}${PY_ARRAYS}
back = np.load('back.npz')
for k, a in arrays.items():
    b = back[k]
    assert b.shape == a.shape and b.dtype == a.dtype.newbyteorder('<'), (k, b.shape, b.dtype, a.dtype)
    assert np.ascontiguousarray(a).astype(b.dtype).tobytes() == b.tobytes(), k
print('ok', len(arrays))`);
  assert.equal(out.trim(), 'ok 24');
});
