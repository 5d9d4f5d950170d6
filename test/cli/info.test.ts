import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeDataset } from 'cglab/io/dataset';
import { npyArray, writeNpy } from 'cglab/io/npy';
import { writeNpz } from 'cglab/io/npz';
import { makeTrajectory } from 'cglab/io/trajectory';
import { makeTopology } from 'cglab/topology/topology';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-info-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);
const info = (...args: string[]) => execFileSync(bin, ['info', ...args], { encoding: 'utf8' });
const fails = (...args: string[]) => spawnSync(bin, ['info', ...args], { encoding: 'utf8' });

const atoms = [
  { name: 'N', element: 'N', mass: 14.007, residue: 'ALA', resid: 1, chain: 'A' },
  { name: 'CA', element: 'C', mass: 12.011, residue: 'ALA', resid: 1, chain: 'A' },
  { name: 'CA', element: 'C', mass: 12.011, residue: 'GLY', resid: 2, chain: 'A' },
];
const box = Float32Array.of(2.5, 0, 0, 0, 2.5, 0, 0, 0, 3, 2.5, 0, 0, 0, 2.5, 0, 0, 0, 3.1, 2.5, 0, 0, 0, 2.5, 0, 0, 0, 3.2);
const traj = makeTrajectory({
  topology: makeTopology(atoms, [[0, 1], [1, 2]]),
  nFrames: 3,
  nAtoms: 3,
  positions: Float32Array.from({ length: 27 }, (_, i) => i / 10),
  forces: new Float32Array(27).fill(1),
  box,
  time: Float32Array.of(10, 10.1, 10.2),
  provenance: { generator: 'cglab test', settings: { dt: 0.002, steps: 1000 }, files: ['a', 'b'] },
});
const dataset = file('set.npz');
writeDataset(dataset, traj, { units: { length: 'angstrom' } });
const pdb = file('three.pdb');
writeFileSync(pdb, [
  'ATOM      1  N   ALA A   1       1.000   2.000   3.000  1.00  0.00           N',
  'ATOM      2  CA  ALA A   1       2.000   2.000   3.000  1.00  0.00           C',
  'ATOM      3  C   GLY A   2       3.000   2.000   3.000  1.00  0.00           C',
  'END',
  '',
].join('\n'));

test('--json describes a data set: arrays, atoms, residues, units, box, time, provenance', () => {
  const r = JSON.parse(info(dataset, '--json'));
  assert.equal(r.file, dataset);
  assert.equal(r.format, 'npz');
  assert.deepEqual(r.arrays.map((a: { name: string; dtype: string; shape: number[] }) => [a.name, a.dtype, a.shape]), [
    ['positions', '<f4', [3, 3, 3]],
    ['forces', '<f4', [3, 3, 3]],
    ['box', '<f4', [3, 3, 3]],
    ['time', '<f4', [3]],
    ['meta', '|u1', [r.arrays[4].shape[0]]],
  ]);
  assert.equal(r.frames, 3);
  assert.equal(r.atoms, 3);
  assert.equal(r.residues, 2);
  assert.equal(r.bonds, 2);
  assert.equal(r.units.length, 'angstrom');
  assert.equal(r.units.force, 'kJ/mol/nm');
  assert.deepEqual(r.box.lengths, [2.5, 2.5, 3]);
  assert.equal(r.box.orthorhombic, true);
  assert.equal(r.box.varies, true);
  assert.deepEqual(r.time, { start: 10, end: 10.2, step: 0.1 });
  assert.deepEqual(r.provenance, { generator: 'cglab test', settings: { dt: 0.002, steps: 1000 }, files: ['a', 'b'] });
});

test('the text report lists the same facts, one per line', () => {
  const out = info(dataset);
  assert.match(out, /^file +.*set\.npz \(npz\)$/m);
  assert.match(out, /^frames +3$/m);
  assert.match(out, /^atoms +3 in 2 residues, 2 bonds$/m);
  assert.match(out, /^arrays +positions +<f4 +\[3, 3, 3\]$/m);
  assert.match(out, /^ +meta +\|u1 +\[\d+\]$/m);
  assert.match(out, /^units +length angstrom, time ps, .* \(as stored\)$/m);
  assert.match(out, /^box +frame 0: 2\.5 × 2\.5 × 3 nm, orthorhombic, varies between frames$/m);
  assert.match(out, /^time +10 to 10\.2 ps \(step 0\.1 ps\)$/m);
  assert.match(out, /^provenance +generator: cglab test$/m);
  assert.match(out, /^ +settings: \{dt, steps\}$/m);
  assert.match(out, /^ +files: \[2 items\]$/m);
});

test('a plain numpy NPZ without topology is described, and --top supplies residues', () => {
  const plain = file('plain.npz');
  writeNpz(plain, { positions: npyArray(new Float64Array(2 * 3 * 3), [2, 3, 3]) });
  const r = JSON.parse(info(plain, '--json'));
  assert.equal(r.frames, 2);
  assert.equal(r.residues, null);
  assert.equal(r.units, null);
  assert.equal(r.box, null);
  assert.equal(r.time, null);
  assert.match(info(plain), /^atoms +3 \(no topology: give --top file\.pdb\)$/m);
  assert.match(info(plain), /^units +none declared: read as nm, ps, kJ\/mol\/nm$/m);
  assert.equal(JSON.parse(info(plain, '--top', pdb, '--json')).residues, 2);
});

test('an NPZ that is not a data set lists every entry; an NPY its array', () => {
  const other = file('other.npz');
  writeNpz(other, { weights: npyArray(new Float32Array(6), [2, 3]), ids: npyArray(new BigInt64Array(4), [4]) });
  const r = JSON.parse(info(other, '--json'));
  assert.deepEqual(r, { file: other, format: 'npz', arrays: [{ name: 'weights', dtype: '<f4', shape: [2, 3] }, { name: 'ids', dtype: '<i8', shape: [4] }] });
  const npy = file('w.npy');
  writeNpy(npy, npyArray(new Int32Array(24), [2, 3, 4]));
  assert.deepEqual(JSON.parse(info(npy, '--json')).arrays, [{ name: 'w', dtype: '<i4', shape: [2, 3, 4] }]);
  assert.match(info(npy), /^arrays +w +<i4 +\[2, 3, 4\]$/m);
});

test('structure files are read with the same readers as every command', () => {
  const r = JSON.parse(info(pdb, '--json'));
  assert.equal(r.format, 'pdb');
  assert.equal(r.frames, 1);
  assert.equal(r.atoms, 3);
  assert.equal(r.residues, 2);
  assert.equal(r.arrays, undefined);
});

test('bad files and bad usage fail with the file and the problem on stderr', () => {
  const nan = file('nan.npz');
  const p = new Float32Array(9);
  p[4] = NaN;
  writeNpz(nan, { positions: npyArray(p, [1, 3, 3]) });
  let r = fails(nan);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nan\.npz: positions has a non-finite value \(NaN\) at frame 0, atom 1 \(component y\)/);
  r = fails(file('x.mol2'));
  assert.match(r.stderr, /x\.mol2: unknown coordinate file extension '\.mol2'/);
  r = fails();
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cglab info: expected one file, got 0 \(usage: cglab info <file> \[--top file\.pdb\] \[--json\]\)/);
  r = fails(dataset, '--yaml');
  assert.match(r.stderr, /unknown option --yaml \(options: --top, --units, --json\)/);
  r = fails(dataset, '--top');
  assert.match(r.stderr, /--top needs a value/);
});

test('info is listed in the usage', () => {
  assert.match(execFileSync(bin, ['--help'], { encoding: 'utf8' }), /^ +info +atoms, frames, arrays/m);
});

test('an HDF5 file lists its molecule groups; file.h5:/group describes one with its declared units', () => {
  const h5 = file('md.h5');
  execFileSync('/usr/bin/python3', ['-c', String.raw`
import sys, numpy as np, h5py
with h5py.File(sys.argv[1], 'w') as f:
    for rep in ('0', '1'):
        g = f.create_group('dom/320/' + rep)
        g.create_dataset('coords', data=np.zeros((4, 3, 3), np.float32), chunks=(2, 3, 3), compression='gzip').attrs['unit'] = 'Angstrom'
        g.create_dataset('forces', data=np.zeros((4, 3, 3), np.float32)).attrs['unit'] = 'kcal/mol/Angstrom'
        g.create_dataset('box', data=np.array([[2, 3, 4]] * 4, np.float32)).attrs['unit'] = 'nm'
    f['dom'].create_dataset('z', data=np.array([6, 7, 8]))
`, h5]);
  const all = JSON.parse(info(h5, '--json'));
  assert.equal(all.format, 'hdf5');
  assert.deepEqual(all.groups, [{ path: '/dom/320/0', frames: 4, atoms: 3 }, { path: '/dom/320/1', frames: 4, atoms: 3 }]);
  assert.equal(all.frames, undefined);
  const one = JSON.parse(info(`${h5}:/dom/320/1`, '--json'));
  assert.equal(one.group, '/dom/320/1');
  assert.equal(one.frames, 4);
  assert.equal(one.atoms, 3);
  assert.deepEqual(one.arrays.map((a: { name: string; unit: string }) => [a.name, a.unit]), [['/dom/320/1/coords', 'Angstrom'], ['/dom/320/1/forces', 'kcal/mol/Angstrom'], ['/dom/320/1/box', 'nm']]);
  assert.equal(one.types, '/dom/z');
  assert.deepEqual(one.box.lengths, [2, 3, 4]);
  const text = info(`${h5}:/dom/320/1`, '--top', pdb);
  assert.match(text, /^groups +\/dom\/320\/0 +4 frames × 3 atoms$/m);
  assert.match(text, /^ +\/dom\/320\/1 +4 frames × 3 atoms +\(described\)$/m);
  assert.match(text, /^arrays +\/dom\/320\/1\/coords +<f4 +\[4, 3, 3\] +Angstrom$/m);
  assert.match(text, /^atoms +3 in 2 residues, \d+ bonds$/m);
  const r = fails(`${h5}:/dom/999`);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /md\.h5: no molecule group \/dom\/999; the file's molecule groups are \/dom\/320\/0 \(4 frames × 3 atoms\)/);
});
