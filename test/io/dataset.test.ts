import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datasetMeta, readCoordinates, readDataset, writeDataset } from 'cglab/io/dataset';
import { npyArray, type NpyArray } from 'cglab/io/npy';
import { readNpz, writeNpz } from 'cglab/io/npz';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { makeTopology, type Topology } from 'cglab/topology/topology';

const dir = mkdtempSync(join(tmpdir(), 'cglab-dataset-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string) => join(dir, name);

const topology: Topology = makeTopology(
  [
    { name: 'N', element: 'N', mass: 14.007, residue: 'ALA', resid: 1, chain: 'A' },
    { name: 'CA', element: 'C', mass: 12.011, residue: 'ALA', resid: 1, chain: 'A' },
    { name: 'C', element: 'C', mass: 12.011, residue: 'GLY', resid: 2, chain: 'A' },
  ],
  [[0, 1], [1, 2]],
);
const nFrames = 2;
const nAtoms = 3;
const positions = Float32Array.from({ length: nFrames * nAtoms * 3 }, (_, i) => 0.1 * i - 0.5);
const forces = Float32Array.from({ length: nFrames * nAtoms * 3 }, (_, i) => 10 * Math.sin(i));
const box = Float32Array.of(3, 0, 0, 0, 3, 0, 0, 0, 3, 3.1, 0, 0, 0, 3.1, 0, 0, 0, 3.1);
const time = Float32Array.of(0, 0.5);
const traj: Trajectory = makeTrajectory({ topology, nFrames, nAtoms, positions, forces, box, time, provenance: { generator: 'test', steps: 2 } });

const pdb = [
  'ATOM      1  N   ALA A   1       1.000   2.000   3.000  1.00  0.00           N',
  'ATOM      2  CA  ALA A   1       2.000   2.000   3.000  1.00  0.00           C',
  'ATOM      3  C   GLY A   2       3.000   2.000   3.000  1.00  0.00           C',
  'END',
  '',
].join('\n');
const pdbPath = file('three.pdb');
writeFileSync(pdbPath, pdb);

const near = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `index ${i}: ${a[i]} vs ${b[i]}`);
};
const meta = (m: unknown) => {
  const bytes = Buffer.from(typeof m === 'string' ? m : JSON.stringify(m), 'utf8');
  return npyArray(new Uint8Array(bytes), [bytes.length]);
};
const goodMeta = { units: { length: 'nm' }, topology, provenance: {} };
const f32 = (shape: number[], fill = 0.5) => npyArray(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape);
/** Write a hand-made archive and read it as a data set. */
const readArrays = (name: string, arrays: Record<string, NpyArray>, opts = {}) => {
  writeNpz(file(name), arrays);
  return readDataset(file(name), opts);
};

test('a data set round-trips positions, forces, box, time, topology and provenance exactly', () => {
  for (const compress of [false, true]) {
    const path = file(`rt-${compress}.npz`);
    writeDataset(path, traj, { compress });
    const back = readDataset(path);
    assert.equal(back.nFrames, nFrames);
    assert.equal(back.nAtoms, nAtoms);
    assert.deepEqual(back.positions, positions);
    assert.deepEqual(back.forces, forces);
    assert.deepEqual(back.box, box);
    assert.deepEqual(back.time, time);
    assert.deepEqual(back.topology, topology);
    assert.deepEqual(back.provenance, { generator: 'test', steps: 2 });
    assert.deepEqual(back.units, traj.units);
  }
});

test('replicas are stored as [replicas, frames, atoms, 3] and read back flattened, replica-major, with provenance.replicas', () => {
  // 2 replicas × 2 frames: frame k of replica r is frame 2r + k of the flat trajectory.
  const four = makeTrajectory({ topology, nFrames: 4, nAtoms, positions: Float32Array.from({ length: 36 }, (_, i) => i / 10), forces: Float32Array.from({ length: 36 }, (_, i) => -i), time: Float32Array.of(1, 2, 1, 2), provenance: { generator: 'test' } });
  const path = file('replicas.npz');
  writeDataset(path, four, { replicas: 2 });
  const z = readNpz(path);
  assert.deepEqual(z.get('positions').shape, [2, 2, 3, 3]);
  assert.deepEqual(z.get('forces').shape, [2, 2, 3, 3]);
  assert.deepEqual(z.get('time').shape, [2, 2]);
  assert.deepEqual((z.get('positions').data as Float32Array).slice(18, 21), four.positions.slice(18, 21));
  const back = readDataset(path);
  assert.equal(back.nFrames, 4);
  assert.deepEqual(back.positions, four.positions);
  assert.deepEqual(back.forces, four.forces);
  assert.deepEqual(back.time, four.time);
  assert.deepEqual(back.provenance, { generator: 'test', replicas: 2 });
  // A plain numpy file with a replica axis reads too, and its other arrays must share it.
  const plain = (name: string, arrays: Record<string, NpyArray>) => {
    writeNpz(file(name), arrays);
    return readDataset(file(name), { requireTopology: false });
  };
  assert.deepEqual(plain('p4.npz', { positions: npyArray(new Float32Array(3 * 2 * 3 * 3), [3, 2, 3, 3]) }).provenance, { replicas: 3 });
  assert.throws(() => plain('t4.npz', { positions: npyArray(new Float32Array(36), [2, 2, 3, 3]), time: npyArray(new Float32Array(4), [4]) }),
    /t4\.npz: time has shape \[4\], expected \[replicas, frames\] = \[2, 2\]/);
  assert.throws(() => writeDataset(file('bad-replicas.npz'), four, { replicas: 3 }), /replicas is 3, expected a positive integer that divides the 4 frames/);
});

test('the file layout is what numpy users expect: float32 arrays and JSON meta', () => {
  const path = file('layout.npz');
  writeDataset(path, traj, { provenance: { note: 'extra' } });
  const z = readNpz(path);
  assert.deepEqual(z.names, ['positions', 'forces', 'box', 'time', 'meta']);
  assert.deepEqual(z.get('positions').shape, [2, 3, 3]);
  assert.equal(z.get('positions').dtype, '<f4');
  assert.deepEqual(z.get('box').shape, [2, 3, 3]);
  assert.deepEqual(z.get('time').shape, [2]);
  const m = datasetMeta(z);
  assert.deepEqual(m?.units, { length: 'nm', time: 'ps', energy: 'kJ/mol', force: 'kJ/mol/nm', mass: 'amu', temperature: 'K' });
  assert.deepEqual(m?.provenance, { generator: 'test', steps: 2, note: 'extra' });
  assert.equal(m?.version, 1);
});

test('a trajectory without forces, box, time or topology writes only positions and meta', () => {
  const path = file('bare.npz');
  writeDataset(path, makeTrajectory({ nFrames: 1, nAtoms: 3, positions: positions.slice(0, 9) }));
  assert.deepEqual(readNpz(path).names, ['positions', 'meta']);
  const back = readDataset(path, { requireTopology: false });
  assert.equal(back.topology, undefined);
  assert.equal(back.forces, undefined);
  assert.deepEqual(back.positions, positions.slice(0, 9));
});

test('writing in other units stores scaled arrays and reads back in internal units', () => {
  const path = file('angstrom.npz');
  writeDataset(path, traj, { units: { length: 'angstrom', force: 'kcal/mol/angstrom', time: 'fs' } });
  const z = readNpz(path);
  near(z.get('positions').data as Float32Array, positions.map((v) => v * 10), 1e-6);
  near(z.get('forces').data as Float32Array, forces.map((v) => v / 41.84), 1e-6);
  near(z.get('time').data as Float32Array, [0, 500], 1e-6);
  assert.equal(datasetMeta(z)?.units.length, 'angstrom');
  const back = readDataset(path);
  near(back.positions, positions, 1e-6);
  near(back.forces!, forces, 1e-6);
  near(back.box!, box, 1e-6);
  near(back.time!, time, 1e-6);
});

test('declared units in meta convert to internal units on read, float64 becomes float32', () => {
  const pos = npyArray(Float64Array.from({ length: 9 }, (_, i) => i), [1, 3, 3]);
  const units = { length: 'Angstrom', force: 'kcal/mol/Å', time: 'ns', mass: 'g/mol' };
  const t = readArrays('declared.npz', {
    positions: pos,
    forces: npyArray(Float64Array.from({ length: 9 }, () => 1), [1, 3, 3]),
    time: npyArray(Float64Array.of(2), [1]),
    meta: meta({ units, topology, provenance: { from: 'hand' } }),
  });
  assert.ok(t.positions instanceof Float32Array);
  near(t.positions, Array.from({ length: 9 }, (_, i) => i / 10), 1e-7);
  near(t.forces!, new Array(9).fill(41.84), 1e-7);
  near(t.time!, [2000], 1e-7);
  assert.deepEqual(t.units.length, 'nm');
  assert.deepEqual(t.provenance, { from: 'hand' });
});

test('a plain numpy NPZ reads with a PDB topology, and with declared units', () => {
  const arrays = { positions: npyArray(Float64Array.from({ length: 9 }, (_, i) => i), [1, 3, 3]), forces: f32([1, 3, 3], 2) };
  const t = readArrays('plain.npz', arrays, { top: pdbPath });
  assert.deepEqual(t.topology?.atoms.map((a) => a.name), ['N', 'CA', 'C']);
  assert.deepEqual(t.topology?.atoms.map((a) => a.residue), ['ALA', 'ALA', 'GLY']);
  assert.deepEqual([...t.positions], Array.from({ length: 9 }, (_, i) => i));
  const a = readDataset(file('plain.npz'), { top: pdbPath, units: { length: 'angstrom', force: 'kcal/mol/angstrom' } });
  near(a.positions, Array.from({ length: 9 }, (_, i) => i / 10), 1e-7);
  near(a.forces!, new Array(9).fill(83.68), 1e-7);
  assert.equal(readDataset(file('plain.npz'), { requireTopology: false }).topology, undefined);
});

test('top replaces the topology stored in the file', () => {
  const path = file('replace.npz');
  writeDataset(path, { ...traj, topology: makeTopology(topology.atoms.map((a) => ({ ...a, name: 'B' }))) });
  assert.deepEqual(readDataset(path).topology?.atoms.map((a) => a.name), ['B', 'B', 'B']);
  assert.deepEqual(readDataset(path, { top: pdbPath }).topology?.atoms.map((a) => a.name), ['N', 'CA', 'C']);
});

test('no topology and no top is an error that says what to give', () => {
  assert.throws(() => readArrays('notop.npz', { positions: f32([1, 3, 3]) }),
    /notop\.npz: no topology: the file has no meta\.topology; give the PDB of the same atoms as top \(--top file\.pdb\)/);
});

test('a topology whose atom count differs from positions is an error', () => {
  assert.throws(() => readArrays('count.npz', { positions: f32([1, 4, 3]), meta: meta(goodMeta) }), /count\.npz: meta\.topology has 3 atoms but positions has 4/);
  assert.throws(() => readArrays('count2.npz', { positions: f32([1, 4, 3]) }, { top: pdbPath }),
    /count2\.npz: the topology from .*three\.pdb has 3 atoms but the coordinates have 4/);
});

test('a truncated data set names the file', () => {
  const path = file('trunc.npz');
  writeDataset(path, traj);
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 100));
  assert.throws(() => readDataset(path), /trunc\.npz: truncated NPZ \(ZIP\) archive/);
});

test('a file with the wrong magic is not taken for a data set', () => {
  const path = file('wrong.npz');
  writeFileSync(path, 'not a zip at all, just text');
  assert.throws(() => readDataset(path), /wrong\.npz: not an NPZ file: expected a ZIP archive/);
});

test('positions must be [frames, atoms, 3] of float32 or float64', () => {
  assert.throws(() => readArrays('r2.npz', { positions: f32([10, 22]), meta: meta(goodMeta) }), /r2\.npz: positions has shape \[10, 22\], expected \[frames, atoms, 3\]/);
  assert.throws(() => readArrays('d2.npz', { positions: f32([1, 3, 2]), meta: meta(goodMeta) }), /d2\.npz: positions has shape \[1, 3, 2\], expected \[frames, atoms, 3\]/);
  assert.throws(() => readArrays('int.npz', { positions: npyArray(new Int32Array(9), [1, 3, 3]), meta: meta(goodMeta) }),
    /int\.npz: positions has dtype <i4, expected float32 \(<f4\) or float64 \(<f8\)/);
  assert.throws(() => readArrays('nopos.npz', { forces: f32([1, 3, 3]), meta: meta(goodMeta) }), /nopos\.npz: no array 'positions' in the archive; it holds: forces, meta/);
});

test('forces, box and time must match the frames and atoms of positions', () => {
  const positions = f32([2, 3, 3]);
  const m = meta(goodMeta);
  assert.throws(() => readArrays('f.npz', { positions, forces: f32([2, 4, 3]), meta: m }),
    /f\.npz: forces has shape \[2, 4, 3\], expected \[frames, atoms, 3\] like positions = \[2, 3, 3\]/);
  assert.throws(() => readArrays('t.npz', { positions, time: f32([3]), meta: m }), /t\.npz: time has shape \[3\], expected \[frames\] = \[2\]/);
  assert.throws(() => readArrays('b.npz', { positions, box: f32([2, 4]), meta: m }),
    /b\.npz: box has shape \[2, 4\], expected \[frames, 3, 3\] \(box vectors as rows\) or \[frames, 3\] \(edge lengths\) = \[2, 3, 3\]/);
  assert.throws(() => readArrays('b1.npz', { positions, box: f32([1, 3]), meta: m }), /b1\.npz: box has shape \[1, 3\]/);
});

test('a box of edge lengths [frames, 3] (NumPy sets of orthorhombic boxes) reads as diagonal box vectors', () => {
  const edges = npyArray(Float32Array.of(2, 3, 4, 2.5, 3.5, 4.5), [2, 3]);
  const t = readArrays('edges.npz', { positions: f32([2, 3, 3]), box: edges, meta: meta(goodMeta) });
  assert.deepEqual(Array.from(t.box ?? []), [2, 0, 0, 0, 3, 0, 0, 0, 4, 2.5, 0, 0, 0, 3.5, 0, 0, 0, 4.5]);
});

test('NaN or Inf in positions or forces names the array, frame and atom', () => {
  const p = new Float32Array(2 * 3 * 3);
  p[1 * 9 + 2 * 3 + 1] = NaN;
  assert.throws(() => readArrays('nan.npz', { positions: npyArray(p, [2, 3, 3]), meta: meta(goodMeta) }),
    /nan\.npz: positions has a non-finite value \(NaN\) at frame 1, atom 2 \(component y\): fix or drop that frame/);
  const f = new Float64Array(2 * 3 * 3);
  f[4] = -Infinity;
  assert.throws(() => readArrays('inf.npz', { positions: f32([2, 3, 3]), forces: npyArray(f, [2, 3, 3]), meta: meta(goodMeta) }),
    /inf\.npz: forces has a non-finite value \(-Infinity\) at frame 0, atom 1 \(component y\)/);
  const big = new Float64Array(9).fill(1e39);
  assert.throws(() => readArrays('overflow.npz', { positions: npyArray(big, [1, 3, 3]), meta: meta(goodMeta) }),
    /overflow\.npz: positions has a non-finite value \(Infinity\) at frame 0, atom 0 \(component x\)/, 'float64 beyond float32 range');
  const t = Float32Array.of(0, NaN);
  assert.throws(() => readArrays('tnan.npz', { positions: f32([2, 3, 3]), time: npyArray(t, [2]), meta: meta(goodMeta) }),
    /tnan\.npz: time has a non-finite value \(NaN\) at frame 1: fix or drop that frame/);
});

test('unknown units in meta are named with the units accepted', () => {
  assert.throws(() => readArrays('u.npz', { positions: f32([1, 3, 3]), meta: meta({ ...goodMeta, units: { length: 'furlong' } }) }),
    /u\.npz: meta: units\.length: unknown length unit 'furlong': expected one of nm, angstrom/);
  assert.throws(() => readArrays('q.npz', { positions: f32([1, 3, 3]), meta: meta({ ...goodMeta, units: { lenght: 'nm' } }) }),
    /q\.npz: meta: units has an unknown quantity 'lenght': expected length, time, energy, force, mass, temperature/);
  assert.throws(() => readArrays('o.npz', { positions: f32([1, 3, 3]) }, { top: pdbPath, units: { energy: 'eV' } }),
    /o\.npz: units option: units\.energy: unknown energy unit 'eV'/);
  assert.throws(() => readArrays('both.npz', { positions: f32([1, 3, 3]), meta: meta(goodMeta) }, { units: { length: 'nm' } }),
    /both\.npz declares its units in meta; the units option is only for plain numpy NPZ files without meta/);
});

test('meta that is not JSON, not UTF-8 or not bytes is an error', () => {
  const positions = f32([1, 3, 3]);
  assert.throws(() => readArrays('j.npz', { positions, meta: meta('{"units": {') }), /j\.npz: meta is not valid JSON \(.*\); expected an object with units, topology and provenance/);
  assert.throws(() => readArrays('a.npz', { positions, meta: meta('[1, 2]') }), /a\.npz: meta is \[1,2\], expected a JSON object/);
  assert.throws(() => readArrays('x.npz', { positions, meta: npyArray(Uint8Array.of(0x7b, 0xff, 0x7d), [3]) }), /x\.npz: meta is not UTF-8 text/);
  assert.throws(() => readArrays('f.npz', { positions, meta: f32([3]) }), /f\.npz: meta has dtype <f4 and shape \[3\], expected a 1-d uint8 array of UTF-8 JSON/);
});

test('meta with missing or malformed fields names the field', () => {
  const positions = f32([1, 3, 3]);
  const cases: [unknown, RegExp][] = [
    [{ topology, provenance: {} }, /meta\.units is missing, expected an object/],
    [{ units: {}, topology }, /meta\.provenance is missing, expected an object/],
    [{ units: 'nm', topology, provenance: {} }, /meta\.units is "nm", expected an object/],
    [{ ...goodMeta, topology: { atoms: [] } }, /meta\.topology must be an object \{atoms: \[\.\.\.\], bonds: \[\[i, j\], \.\.\.\]\}/],
    [{ ...goodMeta, topology: { atoms: [{ name: 'CA', element: 'C', residue: 'ALA', resid: 1 }], bonds: [] } }, /meta\.topology\.atoms\[0\]\.mass is missing, expected a finite number/],
    [{ ...goodMeta, topology: { atoms: [{ name: 'CA', element: 'C', mass: 12, residue: 'ALA', resid: 1.5 }], bonds: [] } }, /meta\.topology\.atoms\[0\]\.resid is 1\.5, expected an integer/],
    [{ ...goodMeta, topology: { ...topology, bonds: [[0, 7]] } }, /meta\.topology: bond 0 \(0, 7\) must join two distinct atoms with indices in 0\.\.2/],
    [{ ...goodMeta, topology: { ...topology, bonds: [[0]] } }, /meta\.topology\.bonds\[0\] is \[0\], expected a pair \[i, j\]/],
    [{ ...goodMeta, version: 2 }, /meta\.version 2 is newer than this cglab reads \(1\): update cglab/],
  ];
  for (const [m, re] of cases) {
    assert.throws(() => readArrays('m.npz', { positions, meta: meta(m) }), (e: Error) => e.message.startsWith(file('m.npz')) && re.test(e.message), JSON.stringify(m));
  }
});

test('writeDataset refuses inconsistent or non-finite trajectories and leaves no file', () => {
  const path = file('refused.npz');
  const bad = { ...traj, positions: positions.map((v, i) => (i === 10 ? NaN : v)) };
  assert.throws(() => writeDataset(path, bad), /refused\.npz: positions has a non-finite value \(NaN\) at frame 1, atom 0 \(component y\)/);
  assert.throws(() => writeDataset(path, { ...traj, forces: new Float32Array(3) }), /refused\.npz: forces has 3 values, expected \[2, 3, 3\] = 18/);
  assert.throws(() => writeDataset(path, traj, { units: { length: 'parsec' } }), /refused\.npz: units option: units\.length: unknown length unit 'parsec'/);
  assert.equal(existsSync(path), false);
  assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temporary file left behind');
});

test('readCoordinates dispatches on the extension', () => {
  const path = file('coords.npz');
  writeDataset(path, traj);
  assert.deepEqual(readCoordinates(path).positions, positions);
  const p = readCoordinates(pdbPath);
  assert.equal(p.nAtoms, 3);
  near(p.positions.subarray(0, 3), [0.1, 0.2, 0.3], 1e-6);
  assert.throws(() => readCoordinates(file('x.mol2')), /x\.mol2: unknown coordinate file extension '\.mol2': expected \.npz \(cglab data set\), \.pdb, \.xyz or \.dcd/);
  writeFileSync(file('noext'), '');
  assert.throws(() => readCoordinates(file('noext')), /unknown coordinate file extension ''/);
});

test('readCoordinates gives an XYZ file the topology of --top', () => {
  const xyz = file('three.xyz');
  writeFileSync(xyz, '3\nthree atoms\nN 10 20 30\nC 20 20 30\nC 30 20 30\n');
  const t = readCoordinates(xyz, { top: pdbPath });
  assert.deepEqual(t.topology?.atoms.map((a) => a.residue), ['ALA', 'ALA', 'GLY']);
  near(t.positions.subarray(0, 3), [1, 2, 3], 1e-6);
});
