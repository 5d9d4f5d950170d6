import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatXyz, parseXyz, readXyz, writeXyz } from 'cglab/io/xyz';
import { lengthsAnglesToBoxVectors } from 'cglab/io/box';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { makeTopology, type Atom } from 'cglab/topology/topology';

const near = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test('frames of labels and Å coordinates; element symbols become elements, other labels beads', () => {
  const text = ['4', 'first frame', 'C 1.0 2.0 3.0', 'Ca -1 0 0.5', 'CA 0 0 0', 'B1 1e1 0 0', '4', '', 'C 2 2 3', 'Ca 0 0 0', 'CA 0 0 0', 'B1 0 0 0  9 9 9', ''].join('\n');
  const t = parseXyz(text, 'cg.xyz');
  assert.equal(t.nFrames, 2);
  assert.equal(t.nAtoms, 4);
  assert.equal(t.box, undefined);
  const atoms = t.topology!.atoms;
  assert.deepEqual(atoms.map((a) => a.name), ['C', 'Ca', 'CA', 'B1']);
  assert.deepEqual(atoms.map((a) => a.element), ['C', 'Ca', '', '']);
  assert.deepEqual(atoms.map((a) => a.mass), [12.011, 40.078, 0, 0]);
  assert.deepEqual(atoms[0], { name: 'C', element: 'C', mass: 12.011, residue: '', resid: 0, chain: '' });
  assert.deepEqual(t.topology!.bonds, []);
  assert.deepEqual(Array.from(t.positions.subarray(0, 12)), [0.1, 0.2, 0.3, -0.1, 0, 0.05, 0, 0, 0, 1, 0, 0].map(Math.fround));
  assert.equal(t.positions[12], Math.fround(0.2));
});

test('an extended-XYZ Lattice is the box', () => {
  const t = parseXyz(['1', 'Lattice="30 0 0 0 40 0 1 2 50" Properties=species:S:1:pos:R:3', 'O 0 0 0'].join('\n'), 'b.xyz');
  assert.deepEqual(Array.from(t.box!), [3, 0, 0, 0, 4, 0, 0.1, 0.2, 5].map(Math.fround));
});

function system(nFrames: number, box?: Float32Array): Trajectory {
  const atoms: Atom[] = [
    { name: 'CA', element: '', mass: 0, residue: 'CGX', resid: 1, chain: 'A' },
    { name: 'B1', element: '', mass: 0, residue: 'CGX', resid: 1, chain: 'A' },
    { name: 'OW', element: 'O', mass: 15.999, residue: 'SOL', resid: 2, chain: 'A' },
    { name: 'CL', element: 'Cl', mass: 35.45, residue: 'CL', resid: 3, chain: 'A' },
  ];
  const positions = Float32Array.from({ length: nFrames * atoms.length * 3 }, (_, i) => Math.cos(i * 2.3) * 7.9 + i * 1e-4);
  return makeTrajectory({ topology: makeTopology(atoms), nFrames, nAtoms: atoms.length, positions, box }, 'system');
}

test('write then read keeps positions to 1e-6 Å, the box, bead names and element symbols', () => {
  const box = new Float32Array(27);
  for (let f = 0; f < 3; f++) box.set(lengthsAnglesToBoxVectors([3 + f * 0.1, 4, 5], [80, 70, 60]), 9 * f);
  const t = system(3, box);
  const text = formatXyz(t);
  assert.match(text, /^4\nLattice="30\.000000 0\.000000 0\.000000 20\.000000 34\.641016 0\.000000 17\.10100\d 0\.152311 46\.98438\d" Properties=species:S:1:pos:R:3\nCA /);
  const back = parseXyz(text, 'back.xyz');
  assert.deepEqual(back.topology!.atoms.map((a) => [a.name, a.element, a.mass]), [['CA', '', 0], ['B1', '', 0], ['O', 'O', 15.999], ['Cl', 'Cl', 35.45]]);
  t.positions.forEach((v, i) => near(back.positions[i], v, 1e-7 + 1e-6 * Math.abs(v), `position ${i}`));
  t.box!.forEach((v, i) => near(back.box![i], v, 1e-7 + 1e-6 * Math.abs(v), `box ${i}`));
  const plain = formatXyz(system(1));
  assert.equal(plain.split('\n')[1], 'Properties=species:S:1:pos:R:3');
  assert.equal(parseXyz(plain, 'p.xyz').box, undefined);
});

test('bad input names the file, the line and what was expected', () => {
  const bad = (lines: string[], re: RegExp) => assert.throws(() => parseXyz(lines.join('\n'), 'w.xyz'), re);
  bad(['two', '', 'C 0 0 0'], /^Error: w\.xyz line 1: expected the atom count of frame 0 \(a positive integer\), found 'two'$/);
  bad(['0', ''], /w\.xyz line 1: expected the atom count of frame 0/);
  bad(['1', '', 'C 0 0 0', '1', '', 'C 0 0', ''], /w\.xyz line 6: expected 'label x y z', found 'C 0 0'/);
  bad(['1', '', 'C 0 1.2.3 0'], /w\.xyz line 3: y coordinate '1\.2\.3' is not a number \(field 3\)/);
  bad(['1', '', 'C 0 0 NaN'], /line 3: z coordinate 'NaN' is not a number \(field 4\)/);
  bad(['3', '', 'C 0 0 0', 'C 0 0 0'], /w\.xyz: frame 0 is truncated: it declares 3 atoms but the file ends after 2/);
  bad(['1', '', 'C 0 0 0', '1'], /w\.xyz: frame 1 is truncated: the file ends after its atom count \(line 4\)/);
  bad(['1', '', 'C 0 0 0', '2', '', 'C 0 0 0', 'C 0 0 0'], /line 4: frame 1 has 2 atoms but frame 0 has 1/);
  bad(['1', '', 'C 0 0 0', '1', '', 'N 0 0 0'], /line 6: atom 0 of frame 1 is 'N' but in frame 0 it is 'C'/);
  bad(['1', 'Lattice="1 0 0 0 1 0 0 0"', 'C 0 0 0'], /line 2: Lattice="1 0 0 0 1 0 0 0" must hold 9 numbers/);
  bad(['1', 'Lattice="30 0 0 0 40 0 0 0 50"', 'C 0 0 0', '1', '', 'C 0 0 0'], /w\.xyz: frame 1 has no Lattice in its comment but other frames have one/);
  bad(['', ''], /w\.xyz: no frames/);
});

test('writing refuses non-finite coordinates and unlabelled atoms, atomically', (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-xyz-'));
  ctx.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'out.xyz');
  const t = system(2);
  writeXyz(path, t);
  const before = readFileSync(path, 'utf8');
  assert.equal(readXyz(path).nFrames, 2);
  const positions = t.positions.slice();
  positions[14] = -Infinity;
  assert.throws(() => writeXyz(path, { ...t, positions }), /out\.xyz: frame 1, atom 0 \('CA'\): z coordinate is -Infinity; XYZ needs finite coordinates/);
  assert.equal(readFileSync(path, 'utf8'), before);
  assert.deepEqual(readdirSync(dir), ['out.xyz']);
  const atoms = t.topology!.atoms.map((a, i) => (i === 1 ? { ...a, name: 'B 1' } : a));
  assert.throws(() => formatXyz({ ...t, topology: makeTopology(atoms) }), /formatXyz: atom 1 has label 'B 1'; XYZ needs an element or name without spaces/);
  assert.throws(() => formatXyz({ ...t, topology: undefined }), /no topology/);
  const box = new Float32Array(18).fill(Number.NaN);
  assert.throws(() => formatXyz({ ...t, box }), /frame 0: box vector component is NaN/);
});
