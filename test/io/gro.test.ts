// GROMACS GRO files: fixed columns, the field width read from the decimal points, velocities,
// 3- and 9-value boxes, concatenated frames with t= times; errors naming file, line and field.
// Peers: files written by gmx (pdb2gmx, editconf -bt dodecahedron, trjconv from a cglab TRR)
// read by cglab and by mdtraj 1.9.7 (Debian's python3-mdtraj), positions equal to 1e-6 nm.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';
import { fileInfo } from 'cglab/cli/info';
import { readCoordinates } from 'cglab/io/dataset';
import { parseGro, readGro } from 'cglab/io/gro';
import { readNpy } from 'cglab/io/npy';
import { writePdb } from 'cglab/io/pdb';
import { makeTrajectory } from 'cglab/io/trajectory';
import { writeTrr } from 'cglab/io/trr';

const GMX = '/usr/bin/gmx';
const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'cglab-gro-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) assert.fail(`${what}[${i}]: ${actual[i]} vs ${expected[i]} (tolerance ${tol})`);
  }
};

// Two frames: velocities, a 9-value (triclinic) box, times in the titles; an ion, water with a
// virtual site; atom numbers that do not count from 1 (they are ignored).
const TWO_FRAMES = [
  'Two waters and a sodium t=   10.00000 step= 5000',
  '    5',
  '    1SOL     OW   11   0.126   1.624   1.679  0.1227 -0.0580  0.0434',
  '    1SOL    HW1   12   0.190   1.661   1.747  0.8085  0.3191 -0.7791',
  '    1SOL    HW2   13   0.177   1.568   1.613 -0.9045 -2.6469  1.3180',
  '    1SOL     MW   14   0.150   1.620   1.680  0.0000  0.0000  0.0000',
  '    2NA      NA   15   1.275   0.053   0.622  0.2519  0.3140 -0.1734',
  '   3.00000   3.10000   2.90000   0.00000   0.00000   0.50000   0.00000  -0.30000   0.40000',
  'Two waters and a sodium t=   10.50000 step= 5250',
  '    5',
  '    1SOL     OW   11   0.127   1.625   1.680  0.1000 -0.0500  0.0400',
  '    1SOL    HW1   12   0.191   1.662   1.748  0.8000  0.3000 -0.7000',
  '    1SOL    HW2   13   0.178   1.569   1.614 -0.9000 -2.6000  1.3000',
  '    1SOL     MW   14   0.151   1.621   1.681  0.0000  0.0000  0.0000',
  '    2NA      NA   15   1.276   0.054   0.623  0.2500  0.3100 -0.1700',
  '   3.00000   3.10000   2.90000   0.00000   0.00000   0.50000   0.00000  -0.30000   0.40000',
  '',
].join('\n');

test('two frames: positions, velocities, the 9-value box in GROMACS order, times, elements and masses', () => {
  const t = parseGro(TWO_FRAMES, 'two.gro');
  assert.equal(t.nFrames, 2);
  assert.equal(t.nAtoms, 5);
  close(t.positions.subarray(0, 6), [0.126, 1.624, 1.679, 0.19, 1.661, 1.747], 1e-7, 'frame 1 positions');
  close(t.positions.subarray(15, 18), [0.127, 1.625, 1.68], 1e-7, 'frame 2 positions');
  close(t.velocities!.subarray(0, 3), [0.1227, -0.058, 0.0434], 1e-7, 'velocities');
  // v1x v2y v3z v1y v1z v2x v2z v3x v3y → rows v1, v2, v3.
  close(t.box!.subarray(0, 9), [3, 0, 0, 0.5, 3.1, 0, -0.3, 0.4, 2.9], 1e-7, 'box');
  close(t.time!, [10, 10.5], 1e-6, 'time');
  const atoms = t.topology!.atoms;
  assert.deepEqual(atoms.map((a) => [a.name, a.element, a.residue, a.resid]), [
    ['OW', 'O', 'SOL', 1], ['HW1', 'H', 'SOL', 1], ['HW2', 'H', 'SOL', 1], ['MW', '', 'SOL', 1], ['NA', 'Na', 'NA', 2],
  ]);
  assert.deepEqual(atoms.map((a) => a.mass), [15.999, 1.008, 1.008, 0, 22.99]);
  assert.deepEqual(t.topology!.bonds, [], 'GRO stores no bonds');
});

test('the field width comes from the decimal points: 10.5 positions and 10.6 velocities, a 3-value box, no time', () => {
  const text = [
    'high precision',
    '2',
    '    1ALA      N    1   1.23456  -0.12345  10.00001 -0.123456  0.654321  1.000000',
    '    1ALA     CA    2   1.33456  -0.02345  10.10001  0.100000 -0.200000  0.300000',
    '   5.00000   5.00000   5.00000',
  ].join('\n');
  const t = parseGro(text, 'ndec5.gro');
  close(t.positions, [1.23456, -0.12345, 10.00001, 1.33456, -0.02345, 10.10001], 1e-6, 'positions');
  close(t.velocities!, [-0.123456, 0.654321, 1, 0.1, -0.2, 0.3], 1e-7, 'velocities');
  close(t.box!, [5, 0, 0, 0, 5, 0, 0, 0, 5], 0, 'box');
  assert.equal(t.time, undefined, 'no t= in the title');
  assert.deepEqual(t.topology!.atoms.map((a) => a.element), ['N', 'C'], 'CA of ALA is carbon, not calcium');
  // Without velocities; a zero box means none.
  const plain = parseGro('x\n1\n    1ALA      N    1   1.000   2.000   3.000\n   0.00000   0.00000   0.00000\n', 'plain.gro');
  assert.equal(plain.velocities, undefined);
  assert.equal(plain.box, undefined);
});

test('truncated and corrupt files are refused, naming the file, the line and the field', () => {
  const lines = TWO_FRAMES.split('\n');
  const cut = (n: number) => lines.slice(0, n).join('\n');
  assert.throws(() => parseGro(cut(5), 'cut.gro'), /cut\.gro line 5: the file ends inside frame 1 \(title on line 1\), after 3 of its 5 atom lines: the file is truncated/);
  assert.throws(() => parseGro(cut(7), 'cut.gro'), /cut\.gro line 7: the file ends inside frame 1 \(title on line 1\), after its 5 atom lines but before the box line/);
  assert.throws(() => parseGro(cut(12), 'cut.gro'), /cut\.gro line 12: the file ends inside frame 2 \(title on line 9\), after 2 of its 5 atom lines/);
  assert.throws(() => parseGro(cut(9), 'cut.gro'), /cut\.gro line 9: frame 2 ends after its title; expected the atom count on line 10/);
  assert.throws(() => parseGro('', 'empty.gro'), /empty\.gro: the file is empty/);
  const edit = (n: number, line: string) => lines.map((l, i) => (i === n - 1 ? line : l)).join('\n');
  assert.throws(() => parseGro(edit(2, 'five'), 'x.gro'), /x\.gro line 2: the atom count of frame 1 is 'five', expected a non-negative integer/);
  assert.throws(() => parseGro(edit(4, '    1SOL    HW1   12   0.190   1.6x1   1.747  0.8085  0.3191 -0.7791'), 'x.gro'), /x\.gro line 4: y '1\.6x1' is not a number \(columns 29-36\)/);
  assert.throws(() => parseGro(edit(4, '    1SOL    HW1   12   0.190   1.661   1.747  0.8085  0.3191 -0.77x1'), 'x.gro'), /x\.gro line 4: vz '-0\.77x1' is not a number \(columns 61-68\)/);
  assert.throws(() => parseGro(edit(4, '    1SOL    HW1   12   0.190   1.661'), 'x.gro'), /x\.gro line 4: atom 2 of frame 1: the line has 36 characters; resid, names, number and x, y, z of width 8 need 44/);
  assert.throws(() => parseGro(edit(3, '    1SOL     OW   11   0.126   1.624'), 'x.gro'), /x\.gro line 3: expected x, y and z with decimal points from column 21 on/);
  assert.throws(() => parseGro(edit(3, '    1SOL     OW   11   0.126    1.624   1.679'), 'x.gro'), /x\.gro line 3: the decimal points of x, y and z are 9 and 8 columns apart/);
  assert.throws(() => parseGro(edit(4, '    1SOL    HW1   12   0.190   1.661   1.747'), 'x.gro'), /x\.gro line 4: atom 2 of frame 1 has no velocities but the frame's first atom has/);
  assert.throws(() => parseGro(edit(8, '   3.00000   3.10000'), 'x.gro'), /x\.gro line 8: the box line has 2 values \('3\.00000   3\.10000'\), expected 3 \(v1x v2y v3z\) or 9/);
  assert.throws(() => parseGro(edit(10, '    4'), 'x.gro'), /x\.gro line 10: frame 2 has 4 atoms but frame 1 has 5/);
  assert.throws(() => parseGro(edit(11, '    1SOL     OX   11   0.127   1.625   1.680  0.1000 -0.0500  0.0400'), 'x.gro'), /x\.gro line 11: atom 1 of frame 2 is 'OX' in SOL 1 but in frame 1 it is 'OW' in SOL 1/);
  assert.throws(() => parseGro(edit(3, '    xSOL     OW   11   0.126   1.624   1.679  0.1227 -0.0580  0.0434'), 'x.gro'), /x\.gro line 3: residue number 'x' is not an integer \(columns 1-5\)/);
});

test('readCoordinates and cglab info read .gro files', () => {
  const path = at('two.gro');
  writeFileSync(path, TWO_FRAMES);
  const t = readCoordinates(path);
  assert.equal(t.nFrames, 2);
  assert.equal(readGro(path).velocities?.length, 30);
  const info = fileInfo(path);
  assert.equal(info.format, 'gro');
  assert.equal(info.frames, 2);
  assert.equal(info.atoms, 5);
  assert.equal(info.residues, 2);
  assert.equal(info.box?.orthorhombic, false);
});

const gmx = (args: string[], input = '') => execFileSync(GMX, ['-quiet', ...args], { cwd: dir, input, env: { ...process.env, GMX_MAXBACKUP: '-1' }, stdio: ['pipe', 'pipe', 'pipe'] });
const haveGmx = existsSync(GMX);
if (!haveGmx) console.log(`# gro peers skipped: ${GMX} is missing (apt-get install gromacs)`);

test('peer: gmx pdb2gmx and editconf -bt dodecahedron output, read by cglab and mdtraj: positions to 1e-6 nm, the triclinic box, residues and elements', { skip: !haveGmx && `${GMX} is missing` }, () => {
  const top = alanineDipeptideTopology();
  writePdb(at('ala.pdb'), makeTrajectory({ topology: top, nFrames: 1, nAtoms: 22, positions: Float32Array.from(buildAlanineDipeptide()) }, 'ala'));
  gmx(['pdb2gmx', '-f', 'ala.pdb', '-o', 'conf.gro', '-p', 'topol.top', '-ff', 'amber99sb-ildn', '-water', 'none', '-ignh']);
  gmx(['editconf', '-f', 'conf.gro', '-o', 'dodec.gro', '-c', '-d', '1', '-bt', 'dodecahedron']);
  const script = String.raw`
import sys, json, numpy as np, mdtraj
out = sys.argv[1]
res = {}
for name in ['conf', 'dodec']:
    t = mdtraj.load(out + '/' + name + '.gro')
    np.save(out + '/' + name + '_x.npy', t.xyz.astype(np.float32))
    np.save(out + '/' + name + '_box.npy', t.unitcell_vectors.astype(np.float32))
    res[name] = [[a.residue.name, a.residue.resSeq, a.element.symbol] for a in t.topology.atoms]
print(json.dumps(res))
`;
  const names = JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' }));
  for (const name of ['conf', 'dodec']) {
    const t = readGro(at(`${name}.gro`));
    assert.equal(t.nAtoms, 22);
    close(t.positions, readNpy(at(`${name}_x.npy`)).data as Float32Array, 1e-6, `${name} positions`);
    close(t.box!, readNpy(at(`${name}_box.npy`)).data as Float32Array, 1e-6, `${name} box`);
    // mdtraj renames atoms to its own standard (ACE HH31 → H1), so residues and elements are compared.
    assert.deepEqual(t.topology!.atoms.map((a) => [a.residue, a.resid, a.element]), names[name], `${name} atoms`);
  }
  const box = readGro(at('dodec.gro')).box!;
  assert.ok(box[3] === 0 && box[6] !== 0 && box[7] !== 0, `a dodecahedron has v3x and v3y ≠ 0 and v2x = 0: ${Array.from(box)}`);
});

test('peer: gmx trjconv writes a cglab TRR as GRO frames with velocities and times; cglab and mdtraj read them alike', { skip: !haveGmx && `${GMX} is missing` }, () => {
  const n = 22;
  const F = 3;
  const base = Float32Array.from(buildAlanineDipeptide(), (v) => v + 2);
  const positions = new Float32Array(F * n * 3);
  const velocities = new Float32Array(F * n * 3);
  for (let k = 0; k < F; k++) {
    for (let j = 0; j < 3 * n; j++) {
      positions[k * 3 * n + j] = base[j] + 0.01 * Math.sin(7 * k + j);
      velocities[k * 3 * n + j] = 0.5 * Math.cos(3 * k + j);
    }
  }
  const box = Float32Array.from({ length: 9 * F }, (_, i) => [4, 0, 0, 0, 4.2, 0, 0, 0, 4.4][i % 9]);
  const time = Float32Array.of(10, 10.5, 11);
  writeTrr(at('traj.trr'), { ...makeTrajectory({ nFrames: F, nAtoms: n, positions, box, time }, 'x'), velocities, step: [5000, 5250, 5500] });
  gmx(['trjconv', '-f', 'traj.trr', '-s', 'conf.gro', '-o', 'traj.gro'], '0\n');
  const t = readGro(at('traj.gro'));
  assert.equal(t.nFrames, 3);
  close(t.time!, time, 1e-5, 'times from the titles');
  close(t.positions, positions, 5e-4 + 1e-6, 'positions rounded to 3 decimals');
  close(t.velocities!, velocities, 5e-5 + 1e-7, 'velocities rounded to 4 decimals');
  close(t.box!, box, 1e-5, 'box');
  execFileSync(PYTHON, ['-c', "import sys, numpy as np, mdtraj; t = mdtraj.load(sys.argv[1] + '/traj.gro'); np.save(sys.argv[1] + '/traj_x.npy', t.xyz.astype(np.float32))", dir]);
  close(t.positions, readNpy(at('traj_x.npy')).data as Float32Array, 1e-6, 'positions as mdtraj reads them');
});
