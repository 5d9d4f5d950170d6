import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPdb, parsePdb, readPdb, writePdb } from 'cglab/io/pdb';
import { boxVectorsToLengthsAngles, lengthsAnglesToBoxVectors } from 'cglab/io/box';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { makeTopology, type Atom } from 'cglab/topology/topology';

/** An ATOM record with the fields at their columns (1-based columns in comments). */
function atomLine(o: {
  serial: number | string;
  name: string; // columns 13-16 exactly as written
  res?: string;
  chain?: string;
  resSeq?: number | string;
  x: number | string;
  y?: number;
  z?: number;
  element?: string;
  alt?: string;
}): string {
  const num = (v: number | string) => (typeof v === 'number' ? v.toFixed(3) : v).padStart(8);
  return (
    'ATOM  ' +
    String(o.serial).padStart(5) +
    ' ' +
    o.name.padEnd(4) +
    (o.alt ?? ' ') +
    (o.res ?? 'ALA').padStart(3) +
    ' ' +
    (o.chain ?? 'A') +
    String(o.resSeq ?? 1).padStart(4) +
    '    ' +
    num(o.x) +
    num(o.y ?? 0) +
    num(o.z ?? 0) +
    '  1.00  0.00          ' +
    (o.element ?? '').padStart(2)
  );
}

const near = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test('ATOM/HETATM fields, elements (column 77-78 or inferred), masses, chains, CONECT and CRYST1', () => {
  const text = [
    'REMARK   1 a test',
    'CRYST1   30.000   40.000   50.000  80.00  70.00  60.00 P 1           1',
    atomLine({ serial: 1, name: ' N', x: 1.5, y: -2.25, z: 3.125, element: 'N' }),
    atomLine({ serial: 2, name: ' CA', x: 10, y: 20, z: -30.001 }),
    atomLine({ serial: 3, name: '1HB', x: 0 }),
    atomLine({ serial: 4, name: 'HG21', x: 0 }),
    atomLine({ serial: 5, name: 'CA', res: 'CA', chain: 'B', resSeq: 2, x: 0 }),
    atomLine({ serial: 6, name: ' CA', res: 'CGX', chain: 'C', resSeq: 3, x: 0, element: 'EP' }),
    atomLine({ serial: 7, name: ' X1', res: 'CGX', chain: 'C', resSeq: 3, x: 0 }),
    atomLine({ serial: 9, name: 'B1', res: 'CGX', chain: 'C', resSeq: 3, x: 0, element: 'VS' }),
    atomLine({ serial: 8, name: 'FE', res: 'HEM', chain: ' ', resSeq: 4, x: 0, element: 'FE' }).replace(/^ATOM  /, 'HETATM'),
    'CONECT    1    2',
    'CONECT    2    1    3',
    'CONECT    6    7',
    'CONECT    7    6',
    'END',
  ].join('\n');
  const t = parsePdb(text, 'ala.pdb');
  assert.equal(t.nFrames, 1);
  assert.equal(t.nAtoms, 9);
  const top = t.topology!;
  assert.deepEqual(top.atoms.map((a) => a.name), ['N', 'CA', '1HB', 'HG21', 'CA', 'CA', 'X1', 'B1', 'FE']);
  assert.deepEqual(top.atoms.map((a) => a.element), ['N', 'C', 'H', 'H', 'Ca', '', '', '', 'Fe']);
  assert.deepEqual(top.atoms.map((a) => a.mass), [14.007, 12.011, 1.008, 1.008, 40.078, 0, 0, 0, 55.845]);
  assert.deepEqual(top.atoms.map((a) => a.chain), ['A', 'A', 'A', 'A', 'B', 'C', 'C', 'C', '']);
  assert.deepEqual(top.atoms.map((a) => `${a.residue}${a.resid}`), ['ALA1', 'ALA1', 'ALA1', 'ALA1', 'CA2', 'CGX3', 'CGX3', 'CGX3', 'HEM4']);
  assert.deepEqual(top.bonds, [[0, 1], [1, 2], [5, 6]]);
  // Å → nm
  assert.deepEqual(Array.from(t.positions.subarray(0, 6)), [0.15, -0.225, 0.3125, 1, 2, -3.0001].map(Math.fround));
  const cell = boxVectorsToLengthsAngles(t.box!);
  cell.lengths.forEach((l, k) => near(l, [3, 4, 5][k], 1e-6, 'length'));
  cell.angles.forEach((a, k) => near(a, [80, 70, 60][k], 1e-4, 'angle'));
});

test('several models are frames; a CRYST1 applies to the models after it', () => {
  const model = (k: number, x: number, cryst?: string) => [
    ...(cryst ? [cryst] : []),
    `MODEL     ${k}`,
    atomLine({ serial: 1, name: ' CA', x }),
    atomLine({ serial: 2, name: ' CB', x: x + 1 }),
    'TER       3      ALA A   1',
    'ENDMDL',
  ];
  const t = parsePdb(
    [
      ...model(1, 1, 'CRYST1   30.000   30.000   30.000  90.00  90.00  90.00 P 1           1'),
      ...model(2, 2),
      ...model(3, 3, 'CRYST1   40.000   40.000   40.000  90.00  90.00  90.00 P 1           1'),
      'END',
    ].join('\n'),
    'm.pdb',
  );
  assert.equal(t.nFrames, 3);
  assert.deepEqual(Array.from(t.positions.filter((_, i) => i % 3 === 0)), [0.1, 0.2, 0.2, 0.3, 0.3, 0.4].map(Math.fround));
  assert.deepEqual(Array.from(t.box!.filter((_, i) => i % 9 === 0)), [3, 3, 4]);
});

test('blocks separated by END are frames too, and the PDB placeholder cell means no box', () => {
  const block = (x: number) => [atomLine({ serial: 1, name: ' CA', x }), 'END'];
  const t = parsePdb(['CRYST1    1.000    1.000    1.000  90.00  90.00  90.00 P 1           1', ...block(1), ...block(2)].join('\n'), 'e.pdb');
  assert.equal(t.nFrames, 2);
  assert.equal(t.box, undefined);
});

test('alternate locations after the first are skipped', () => {
  const t = parsePdb(
    [
      atomLine({ serial: 1, name: ' CA', x: 1, alt: 'A' }),
      atomLine({ serial: 2, name: ' CA', x: 2, alt: 'B' }),
      atomLine({ serial: 3, name: ' CB', x: 3 }),
    ].join('\n'),
    'alt.pdb',
  );
  assert.equal(t.nAtoms, 2);
  assert.deepEqual(Array.from(t.positions.filter((_, i) => i % 3 === 0)), [0.1, 0.3].map(Math.fround));
});

test('non-decimal residue numbers are hexadecimal until the next TER, as mdtraj reads VMD files', () => {
  const t = parsePdb(
    [
      atomLine({ serial: 1, name: ' CA', resSeq: 9999, x: 0 }),
      atomLine({ serial: 2, name: ' CA', resSeq: 'a000', x: 0 }),
      atomLine({ serial: 3, name: ' CA', resSeq: '1000', x: 0 }),
      'TER',
      atomLine({ serial: 4, name: ' CA', resSeq: '1000', x: 0 }),
    ].join('\n'),
    'vmd.pdb',
  );
  assert.deepEqual(t.topology!.atoms.map((a) => a.resid), [9999, 0xa000, 0x1000, 1000]);
});

/** A small CG system with every feature PDB stores: beads, elements, chains, a 4-letter residue, bonds. */
function system(nFrames: number, box?: Float32Array): Trajectory {
  const atoms: Atom[] = [
    { name: 'CA', element: '', mass: 0, residue: 'CGX', resid: 1, chain: 'A' },
    { name: 'B1', element: '', mass: 0, residue: 'CGX', resid: 1, chain: 'A' },
    { name: 'C1', element: 'C', mass: 12.011, residue: 'LIGA', resid: 2, chain: 'A' },
    { name: 'CL', element: 'Cl', mass: 35.45, residue: 'LIGA', resid: 2, chain: 'A' },
    { name: 'HG21', element: 'H', mass: 1.008, residue: 'LIGA', resid: 2, chain: 'A' },
    { name: 'O1', element: 'O', mass: 15.999, residue: 'LIGA', resid: 2, chain: 'A' },
    { name: 'N1', element: 'N', mass: 14.007, residue: 'LIGA', resid: 2, chain: 'A' },
    { name: 'S1', element: 'S', mass: 32.06, residue: 'LIGA', resid: 2, chain: 'A' },
    { name: 'X', element: '', mass: 0, residue: 'W', resid: -7, chain: '' },
    { name: 'X', element: '', mass: 0, residue: 'W', resid: 10000, chain: 'Z' },
  ];
  // atom 2 has six partners: two CONECT records
  const bonds: [number, number][] = [[0, 1], [1, 2], [2, 3], [2, 4], [2, 5], [2, 6], [2, 7], [8, 9]];
  const positions = Float32Array.from({ length: nFrames * atoms.length * 3 }, (_, i) => Math.sin(i * 1.7) * 4.2 + (i % 7) * 0.0123);
  return makeTrajectory({ topology: makeTopology(atoms, bonds), nFrames, nAtoms: atoms.length, positions, box }, 'system');
}

test('write then read gives the same topology, and positions and box to 0.001 Å', () => {
  const box = new Float32Array(18);
  box.set(lengthsAnglesToBoxVectors([3.2, 4.1, 5.3], [80, 70, 60]), 0);
  box.set(lengthsAnglesToBoxVectors([3.2, 4.1, 5.3], [80, 70, 60]), 9);
  const t = system(2, box);
  const text = formatPdb(t);
  assert.equal(text.match(/^CRYST1/gm)?.length, 1, 'one CRYST1 for a constant box');
  assert.equal(text.match(/^MODEL/gm)?.length, 2);
  assert.ok(text.split('\n').filter((l) => /^(ATOM|HETATM)/.test(l)).every((l) => l.length === 80));
  assert.match(text, /^ATOM {6}1 {2}CA  CGX A {3}1.{50}VS {2}$/m);
  assert.match(text, /^CONECT {4}3 {4}2 {4}4 {4}5 {4}6$/m);
  assert.match(text, /^CONECT {4}3 {4}7 {4}8$/m);
  const back = parsePdb(text, 'back.pdb');
  // Residue numbers outside -999..9999 wrap modulo 10000, as mdtraj and OpenMM write them.
  const want = t.topology!.atoms.map((a) => ({ ...a, resid: a.resid === 10000 ? 0 : a.resid }));
  assert.deepEqual(back.topology!.atoms, want);
  assert.deepEqual(back.topology!.bonds, t.topology!.bonds);
  assert.equal(back.nFrames, 2);
  t.positions.forEach((v, i) => near(back.positions[i], v, 0.0005 * 0.1 + 1e-6, `position ${i}`));
  const cell = boxVectorsToLengthsAngles(back.box!, 9);
  cell.lengths.forEach((l, k) => near(l, [3.2, 4.1, 5.3][k], 0.0005 * 0.1 + 1e-6, 'length'));
  cell.angles.forEach((a, k) => near(a, [80, 70, 60][k], 0.005 + 1e-6, 'angle'));
});

test('a box that changes between frames is written before each model', () => {
  const box = new Float32Array(18);
  box.set(lengthsAnglesToBoxVectors([3, 3, 3], [90, 90, 90]), 0);
  box.set(lengthsAnglesToBoxVectors([3.5, 3, 3], [90, 90, 90]), 9);
  const text = formatPdb(system(2, box));
  assert.equal(text.match(/^CRYST1/gm)?.length, 2);
  const back = parsePdb(text, 'npt.pdb');
  near(back.box![0], 3, 1e-6);
  near(back.box![9], 3.5, 1e-6);
});

test('without bonds no CONECT is written and none is invented; one frame has no MODEL', () => {
  const t = system(1);
  const text = formatPdb({ ...t, topology: makeTopology(t.topology!.atoms) });
  assert.doesNotMatch(text, /CONECT|MODEL|CRYST1/);
  assert.deepEqual(parsePdb(text, 'nb.pdb').topology!.bonds, []);
});

test('serials past 99999 wrap like mdtraj; CONECT to a wrapped serial is refused as ambiguous', () => {
  const n = 100002;
  const atoms: Atom[] = Array.from({ length: n }, () => ({ name: 'W', element: '', mass: 0, residue: 'SOL', resid: 1, chain: 'A' }));
  const t = makeTrajectory({ topology: makeTopology(atoms), nFrames: 1, nAtoms: n, positions: new Float32Array(n * 3) });
  const lines = formatPdb(t).split('\n');
  assert.equal(lines[99998].slice(6, 11), '99999');
  assert.equal(lines[99999].slice(6, 11), '    0');
  assert.equal(lines[100000].slice(6, 11), '    1');
  const back = parsePdb(lines.join('\n'), 'big.pdb');
  assert.equal(back.nAtoms, n);
  assert.throws(
    () => parsePdb([...lines.slice(0, -2), 'CONECT    1    2', 'END'].join('\n'), 'big.pdb'),
    /big\.pdb line 100004: CONECT names atom serial '1' \(columns 7-11\), which several atoms share/,
  );
  assert.throws(
    () => formatPdb({ ...t, topology: makeTopology(atoms, [[0, 100001]]) }),
    /bond \(0, 100001\) needs atom 100001, whose serial 100002 does not fit CONECT's 5 columns/,
  );
});

test('bad input names the file, the line, the field and what was expected', () => {
  const ok = atomLine({ serial: 1, name: ' CA', x: 1 });
  const bad = (lines: string[], re: RegExp) => assert.throws(() => parsePdb(lines.join('\n'), 'ala.pdb'), re);
  bad(['REMARK', atomLine({ serial: 1, name: ' CA', x: '12.3a4' })], /^Error: ala\.pdb line 2: x coordinate '12\.3a4' is not a number \(columns 31-38\)$/);
  bad([ok.slice(0, 50)], /ala\.pdb line 1: ATOM record has 50 characters; the coordinates need columns 31-54/);
  bad([atomLine({ serial: 1, name: ' CA', x: 1, resSeq: 'xx' })], /line 1: residue number 'xx' is neither decimal nor hexadecimal \(columns 23-26\)/);
  bad(['CRYST1   30.000   3O.000   30.000  90.00  90.00  90.00 P 1', ok], /line 1: CRYST1 b '3O\.000' is not a number \(columns 16-24\)/);
  bad(['CRYST1   30.000   30.000   30.000  10.00  10.00 170.00 P 1', ok], /line 1: CRYST1: box angles \(10, 10, 170\) degrees do not describe a cell/);
  bad(['CRYST1   30.000', ok], /line 1: CRYST1 record has 15 characters/);
  bad([ok, 'CONECT    1    9'], /ala\.pdb line 2: CONECT names atom serial '9' \(columns 12-16\) but no atom of the first model has it/);
  bad([ok, 'CONECT    1    1'], /line 2: CONECT bonds atom serial '1' to itself/);
  bad(['REMARK nothing here'], /ala\.pdb: no ATOM or HETATM records/);
  bad(['MODEL 1', ok, 'ENDMDL', 'MODEL 2', 'ENDMDL'], /ala\.pdb line 4: model 2 holds no ATOM or HETATM records/);
  bad(['MODEL 1', ok, 'ENDMDL', 'MODEL 2', ok, ok.replace(' CA ', ' CB '), 'ENDMDL'], /line 6: model 2 has more atoms than model 1 \(1\)/);
  bad(['MODEL 1', ok, ok.replace(' CA ', ' CB '), 'ENDMDL', 'MODEL 2', ok, 'ENDMDL'], /line 5: model 2 has 1 atoms but model 1 has 2/);
  bad(
    ['MODEL 1', ok, 'ENDMDL', 'MODEL 2', ok.replace(' CA ', ' CB '), 'ENDMDL'],
    /line 5: atom 1 of model 2 is 'CB' in ALA 1 chain A but in model 1 it is 'CA' in ALA 1 chain A/,
  );
  bad(['MODEL 1', ok, 'ENDMDL', 'CRYST1   30.000   30.000   30.000  90.00  90.00  90.00 P 1', 'MODEL 2', ok, 'ENDMDL'], /line 1: model 1 has no CRYST1 box/);
});

test('writing refuses what PDB cannot hold, naming the atom or frame', () => {
  const t = system(2);
  const withPos = (i: number, v: number) => {
    const positions = t.positions.slice();
    positions[i] = v;
    return { ...t, positions };
  };
  assert.throws(() => formatPdb(withPos(31, Number.NaN)), /formatPdb: frame 1, atom 0 \('CA'\): y coordinate is NaN; PDB needs finite coordinates/);
  assert.throws(() => formatPdb(withPos(5, Infinity)), /frame 0, atom 1 \('B1'\): z coordinate is Infinity/);
  assert.throws(() => formatPdb(withPos(0, 1e8)), /x coordinate is 1000000000 Å, too large for the 8 columns/);
  assert.match(formatPdb(withPos(0, 1234.5678)).split('\n')[1], /^ATOM {6}1 {2}CA  CGX A {3}1 {4}12345\.68/);
  const rename = (patch: Partial<Atom>) => {
    const atoms = t.topology!.atoms.map((a, i) => (i === 3 ? { ...a, ...patch } : a));
    return formatPdb({ ...t, topology: makeTopology(atoms) });
  };
  assert.throws(() => rename({ name: 'CLONG' }), /atom 3 \('CLONG'\): the name must be 1-4 characters without spaces/);
  assert.throws(() => rename({ residue: 'LIGAND' }), /residue name 'LIGAND' must be at most 4 characters/);
  assert.throws(() => rename({ chain: 'AB' }), /chain 'AB' must be one character \(column 22\)/);
  assert.throws(() => rename({ element: 'Xyz' }), /element 'Xyz' must be a symbol of at most 2 letters/);
  assert.throws(() => rename({ resid: 1.5 }), /residue number 1\.5 must be an integer/);
  assert.throws(() => formatPdb({ ...t, topology: undefined }), /formatPdb: the trajectory has no topology/);
  assert.throws(() => formatPdb({ ...t, nFrames: 0, positions: new Float32Array(0) }), /has no frames/);
});

test('writePdb writes atomically: a failed write leaves the old file and no temporary file', (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-pdb-'));
  ctx.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'out.pdb');
  const t = system(1);
  writePdb(path, t);
  const before = readFileSync(path, 'utf8');
  assert.deepEqual(readPdb(path).topology, parsePdb(before, path).topology);
  const positions = t.positions.slice();
  positions[7] = Number.NaN;
  assert.throws(() => writePdb(path, { ...t, positions }), new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: frame 0, atom 2`));
  assert.equal(readFileSync(path, 'utf8'), before);
  assert.deepEqual(readdirSync(dir), ['out.pdb']);
  writeFileSync(path, 'garbage');
  assert.throws(() => readPdb(path), /out\.pdb: no ATOM or HETATM records/);
});
