import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpIndex, readLammpsDump, streamLammpsDump, type DumpBlock } from 'cglab/io/lammpsDump';
import { readCoordinates } from 'cglab/io/dataset';
import { fileInfo, formatInfo } from 'cglab/cli/info';
import { parseArgs } from 'cglab/cli/args';
import { unitsOption } from 'cglab/cli/dataArgs';
import { EV_TO_KJ, lammpsUnitStyle } from 'cglab/units';

const dir = mkdtempSync(join(tmpdir(), 'cglab-dump-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const near = (actual: ArrayLike<number>, expected: number[], tol: number, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
};

/** Atoms as `dump custom … id type x y z fx fy fz` prints them, ids out of order. */
const ATOMS: [number, number, string, string, string, string, string, string][] = [
  [3, 2, '7.5', '-0.25', '1e1', '0.5', '-1.25', '3.75e-2'],
  [1, 1, '1.2345678901234567', '2', '3.000000', '-4.5', '0', '1.5'],
  [2, 1, '0.001', '12.75', '-3.5', '1.0E+2', '-2e-3', '0.0'],
];
const orthoFrame = (step: number, atoms = ATOMS, header = 'id type x y z fx fy fz') =>
  ['ITEM: TIMESTEP', String(step), 'ITEM: NUMBER OF ATOMS', String(atoms.length), 'ITEM: BOX BOUNDS pp pp pp', '-1.5 20', '0 25.5', '-3 27', `ITEM: ATOMS ${header}`, ...atoms.map((a) => a.join(' ')), ''].join('\n');
const sorted = [...ATOMS].sort((a, b) => a[0] - b[0]);

test('units real: positions Å → nm, forces kcal/mol/Å → kJ/mol/nm, atoms sorted by id, box from the bounds, time from --timestep', () => {
  const real = lammpsUnitStyle('real');
  const path = file('real.lammpstrj', orthoFrame(0) + orthoFrame(500));
  const t = readLammpsDump(path, { timestep: 2 });
  assert.equal(t.nFrames, 2);
  assert.equal(t.nAtoms, 3);
  assert.deepEqual(Array.from(t.ids), [1, 2, 3]);
  assert.deepEqual(Array.from(t.types!), [1, 1, 2]);
  const pos = sorted.flatMap((a) => a.slice(2, 5).map((v) => Math.fround(Number(v) * 0.1)));
  assert.deepEqual(Array.from(t.positions), [...pos, ...pos], 'every digit parsed as Number() parses it, then scaled once');
  const f = sorted.flatMap((a) => a.slice(5, 8).map((v) => Math.fround(Number(v) * real.force)));
  assert.deepEqual(Array.from(t.forces!), [...f, ...f]);
  assert.equal(real.force, (4.184 / 0.1));
  near(t.box!.subarray(0, 9), [2.15, 0, 0, 0, 2.55, 0, 0, 0, 3], 1e-6, 'box');
  assert.deepEqual(Array.from(t.step), [0, 500]);
  assert.deepEqual(Array.from(t.time!), [0, 1], '500 steps of 2 fs = 1 ps');
  assert.equal(readLammpsDump(path).time, undefined, 'no ITEM: TIME and no timestep: no time');
  assert.deepEqual(t.provenance, { reader: 'lammps dump', file: path, units: 'real' });
});

test('triclinic boxes (xy xz yz) and scaled coordinates, columns in any order', () => {
  // Box: xlo 0, xhi 10, ylo −1, yhi 9, zlo 2, zhi 12 Å with xy 1, xz −2, yz 0.5; the dump's
  // bounds enclose the tilted box: xlo_bound = xlo + min(0, xy, xz, xy + xz), and so on.
  const text = [
    'ITEM: TIMESTEP', '7', 'ITEM: NUMBER OF ATOMS', '2', 'ITEM: BOX BOUNDS xy xz yz pp pp pp',
    '-2 11 1', '-1 9.5 -2', '2 12 0.5',
    'ITEM: ATOMS zs id xs type ys',
    '0.1 2 0.5 1 0.25',
    '0 1 0 1 0',
    '',
  ].join('\n');
  const t = readLammpsDump(file('tric.dump', text));
  near(t.box!, [1, 0, 0, 0.1, 1, 0, -0.2, 0.05, 1], 1e-7, 'box vectors a, b, c (nm)');
  // r = origin + xs a + ys b + zs c = (0, −1, 2) + 0.5 (10, 0, 0) + 0.25 (1, 10, 0) + 0.1 (−2, 0.5, 10) Å
  near(t.positions, [0, -0.1, 0.2, 0.505, 0.155, 0.3], 1e-7, 'positions (nm)');
  assert.equal(t.forces, undefined);
});

test('units metal, nano and the dump\'s own ITEM: UNITS and ITEM: TIME; unknown and reduced styles are refused', () => {
  const path = file('metal.dump', orthoFrame(10));
  const metal = readLammpsDump(path, { units: 'metal' });
  assert.ok(Math.abs(lammpsUnitStyle('metal').force / (EV_TO_KJ * 10) - 1) < 1e-15, 'eV/Å');
  assert.equal(metal.forces![0], Math.fround(-4.5 * lammpsUnitStyle('metal').force));
  assert.equal(metal.positions[0], Math.fround(1.2345678901234567 * 0.1));
  const nano = readLammpsDump(path, { units: 'nano' });
  assert.ok(Math.abs(lammpsUnitStyle('nano').force / 0.602214076 - 1) < 1e-15, 'attogram nm/ns² = 1e-12 N per particle');
  assert.equal(nano.positions[0], Math.fround(1.2345678901234567));
  assert.equal(nano.forces![0], Math.fround(-4.5 * lammpsUnitStyle('nano').force));

  const declared = file('declared.dump', ['ITEM: UNITS', 'metal', 'ITEM: TIME', '0.25', orthoFrame(10), 'ITEM: TIME', '0.5', orthoFrame(20)].join('\n'));
  const d = readLammpsDump(declared);
  assert.equal(d.provenance!.units, 'metal');
  assert.deepEqual(Array.from(d.time!), [0.25, 0.5], 'ITEM: TIME in ps (metal)');
  assert.equal(d.forces![0], metal.forces![0]);
  assert.throws(() => readLammpsDump(declared, { units: 'real' }), /declared\.dump: the dump declares ITEM: UNITS metal, but the units given are 'real'/);
  assert.throws(() => readLammpsDump(path, { units: 'imperial' }), /metal\.dump: unknown LAMMPS units style 'imperial': expected one of real, metal, nano, micro, si, cgs, electron/);
  assert.throws(() => readLammpsDump(path, { units: 'lj' }), /metal\.dump: LAMMPS units style 'lj' is reduced/);
  assert.throws(() => readLammpsDump(path, { timestep: -1 }), /metal\.dump: timestep is -1, expected a positive number/);
});

test('a frame range and streaming in chunks: the same frames as the whole read', async () => {
  const steps = [0, 10, 20, 30, 40];
  const path = file('stream.dump', steps.map((s, k) => orthoFrame(s, ATOMS.map((a) => [a[0], a[1], String(k + Number(a[2])), a[3], a[4], a[5], a[6], a[7]]))).join(''));
  const whole = readLammpsDump(path);
  const index = dumpIndex(path);
  assert.equal(dumpIndex(path), index, 'the index is built once per file and reused');
  assert.equal(index.offsets.length, 5);
  const part = readLammpsDump(path, { start: 3 });
  assert.deepEqual(part.positions, whole.positions.subarray(3 * 9));
  assert.deepEqual(Array.from(part.step), [30, 40]);
  const blocks: DumpBlock[] = [];
  for await (const b of streamLammpsDump(path, { start: 1, stop: 5, chunk: 3 })) blocks.push(b);
  assert.deepEqual(blocks.map((b) => [b.start, b.nFrames]), [[1, 3], [4, 1]]);
  assert.deepEqual(blocks[0].positions, whole.positions.subarray(9, 4 * 9));
  assert.deepEqual(blocks[1].forces, whole.forces!.subarray(4 * 9));
  assert.deepEqual(Array.from(blocks[1].ids), [1, 2, 3]);
});

test('errors name the file and line: missing columns (and the ones present), truncation, atom counts and ids', () => {
  assert.throws(
    () => readLammpsDump(file('noz.dump', orthoFrame(0, ATOMS.map((a) => [a[0], a[1], a[2], a[3], a[5], a[6], a[7]] as never), 'id type x y fx fy fz'))),
    /noz\.dump line 9: ITEM: ATOMS lacks column z \(of x y z\); the columns present are: id type x y fx fy fz/,
  );
  assert.throws(
    () => readLammpsDump(file('nofz.dump', orthoFrame(0, ATOMS.map((a) => a.slice(0, 7) as never), 'id type x y z fx fy'))),
    /nofz\.dump line 9: ITEM: ATOMS lacks column fz \(of fx fy fz\); the columns present are: id type x y z fx fy/,
  );
  assert.throws(
    () => readLammpsDump(file('noid.dump', orthoFrame(0, ATOMS, 'mol type x y z fx fy fz'))),
    /noid\.dump line 9: ITEM: ATOMS has no column id, which cglab sorts the atoms by; the columns present are: mol type x y z fx fy fz/,
  );
  assert.throws(
    () => readLammpsDump(file('nopos.dump', orthoFrame(0, ATOMS, 'id type vx vy vz fx fy fz'))),
    /nopos\.dump line 9: ITEM: ATOMS has no position columns, expected xu yu zu, or x y z, or xsu ysu zsu, or xs ys zs; the columns present are: id type vx vy vz fx fy fz/,
  );
  const two = orthoFrame(0) + orthoFrame(10);
  const cut = two.slice(0, two.lastIndexOf('\n', two.length - 2));
  assert.throws(
    () => readLammpsDump(file('cut.dump', cut)),
    new RegExp(`cut\\.dump: frame 1 is truncated at byte ${Buffer.byteLength(cut)}: ITEM: NUMBER OF ATOMS on its header says 3 atoms, but only 2 atom lines follow \\(to line 23\\)`),
  );
  assert.throws(
    () => readLammpsDump(file('count.dump', orthoFrame(0) + orthoFrame(10, ATOMS.slice(0, 2)))),
    /count\.dump line 13: frame 1 has atom count 2 but frame 0 has 3; a dump must hold one system with the same columns/,
  );
  assert.throws(
    () => readLammpsDump(file('dup.dump', orthoFrame(0) + orthoFrame(10, [ATOMS[0], ATOMS[1], ATOMS[1]]))),
    /dup\.dump: frame 1 \(line 13\) lists atom id 1 twice/,
  );
  assert.throws(
    () => readLammpsDump(file('newid.dump', orthoFrame(0) + orthoFrame(10, [ATOMS[0], ATOMS[1], [9, ...ATOMS[2].slice(1)] as never]))),
    /newid\.dump: frame 1 \(line 13\) has atom id 9, which frame 0 lacks; every frame must hold the same atoms/,
  );
  assert.throws(
    () => readLammpsDump(file('nan.dump', orthoFrame(0, [ATOMS[0], ATOMS[1], [2, 1, '0.001', 'nan', '1', '0', '0', '0']]))),
    /nan\.dump line 12: column y is "nan", expected a finite number/,
  );
  assert.throws(
    () => readLammpsDump(file('short.dump', orthoFrame(0, [ATOMS[0], ATOMS[1], [2, 1, '0.001', '1'] as never]))),
    /short\.dump line 12: 4 values, but ITEM: ATOMS names 8 columns \(id type x y z fx fy fz\)/,
  );
  assert.throws(() => readLammpsDump(file('empty.dump', '\n')), /empty\.dump: the file holds no frames: a LAMMPS dump starts with ITEM: TIMESTEP/);
  assert.throws(() => readLammpsDump(file('junk.dump', 'hello\n')), /junk\.dump line 1: expected an ITEM: line of frame 0 \(a frame starts with ITEM: TIMESTEP\), found "hello"/);
  assert.throws(
    () => readLammpsDump(file('nobox.dump', 'ITEM: TIMESTEP\n0\nITEM: NUMBER OF ATOMS\n1\nITEM: ATOMS id x y z\n1 0 0 0\n')),
    /nobox\.dump line 5: frame 0 reaches ITEM: ATOMS without ITEM: BOX BOUNDS/,
  );
});

test('readCoordinates takes .lammpstrj and .dump (units declared); cglab info describes a dump', () => {
  const path = file('info.dump', orthoFrame(0) + orthoFrame(500));
  assert.equal(readCoordinates(path, { lammpsUnits: 'metal' }).forces![0], Math.fround(-4.5 * lammpsUnitStyle('metal').force));
  const info = fileInfo(path);
  assert.equal(info.format, 'dump');
  assert.equal(info.frames, 2);
  assert.equal(info.atoms, 3);
  assert.equal(info.precision, null);
  assert.equal(info.units!.force, 'kcal/mol/angstrom');
  assert.deepEqual(info.steps, { first: 0, last: 500 });
  assert.equal(info.time, null);
  assert.deepEqual(info.box!.lengths, [2.15, 2.55, 3]);
  assert.deepEqual(info.arrays!.map((a) => a.name), ['positions', 'forces', 'box', 'step']);
  const text = formatInfo(info);
  assert.match(text, /units +length angstrom, time fs, energy kcal\/mol, force kcal\/mol\/angstrom/);
  assert.match(text, /positions +text \(x y z\) +\[2, 3, 3\]/);
  assert.match(text, /precision +text, as printed/);
  // cglab info --units metal: the style of a dump that does not declare one.
  const metal = fileInfo(path, { lammpsUnits: 'metal' });
  assert.equal(metal.units!.force, 'eV/angstrom');
  assert.deepEqual(metal.box!.lengths, info.box!.lengths, 'metal and real share the ångström');
});

test('--data-units of the commands: a LAMMPS style, or quantity=unit pairs for HDF5, checked', () => {
  const parse = (v: string) => unitsOption(parseArgs(['--data-units', v], { valued: ['data-units'] }, 'x'), 'x');
  assert.deepEqual(parse('real'), { lammpsUnits: 'real', hdf5Units: { length: 'angstrom', time: 'fs', force: 'kcal/mol/angstrom' } });
  assert.deepEqual(parse('metal').hdf5Units, { length: 'angstrom', time: 'ps' }, 'eV/Å has no cglab unit name: left to the file');
  assert.deepEqual(parse('length=angstrom,force=kcal/mol/angstrom'), { hdf5Units: { length: 'angstrom', force: 'kcal/mol/angstrom' } });
  assert.throws(() => parse('furlong'), /cglab x: --data-units furlong: unknown LAMMPS units style 'furlong'.*or give quantity=unit pairs/);
  assert.throws(() => parse('size=nm'), /'size=nm' is not quantity=unit with a quantity among length, time/);
  assert.throws(() => parse('length=parsec'), /--data-units length=parsec: unknown length unit 'parsec'/);
});
