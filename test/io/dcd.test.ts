import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDcd, writeDcd } from 'cglab/io/dcd';
import { writePdb } from 'cglab/io/pdb';
import { boxVectorsToLengthsAngles, lengthsAnglesToBoxVectors } from 'cglab/io/box';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { makeTopology, type Atom } from 'cglab/topology/topology';

const dir = mkdtempSync(join(tmpdir(), 'cglab-dcd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const near = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

function system(nFrames: number, box?: Float32Array): Trajectory {
  const atoms: Atom[] = ['CA', 'B1', 'B2'].map((name) => ({ name, element: '', mass: 0, residue: 'CGX', resid: 1, chain: 'A' }));
  const positions = Float32Array.from({ length: nFrames * 9 }, (_, i) => Math.sin(i * 0.9) * 3.3);
  return makeTrajectory({ topology: makeTopology(atoms, [[0, 1], [1, 2]]), nFrames, nAtoms: 3, positions, box }, 'system');
}

/**
 * A DCD built field by field, independently of writeDcd, in either byte order and with 4- or
 * 8-byte record markers. `cell` is the 6-number unit-cell block as stored; xyz are Å.
 */
function fixture(o: {
  little?: boolean;
  marker?: 4 | 8;
  magic?: string;
  control?: Record<number, number>;
  nAtoms?: number;
  frames: { cell?: number[]; xyz: number[][] }[];
}): Buffer {
  const little = o.little ?? true;
  const m = o.marker ?? 4;
  const parts: Buffer[] = [];
  const record = (payload: Buffer) => {
    const mk = Buffer.alloc(m);
    if (m === 4) little ? mk.writeInt32LE(payload.length) : mk.writeInt32BE(payload.length);
    else little ? mk.writeBigInt64LE(BigInt(payload.length)) : mk.writeBigInt64BE(BigInt(payload.length));
    parts.push(mk, payload, mk);
  };
  const ints = (v: number[]) => Buffer.concat(v.map((x) => { const b = Buffer.alloc(4); little ? b.writeInt32LE(x) : b.writeInt32BE(x); return b; }));
  const floats = (v: number[]) => Buffer.concat(v.map((x) => { const b = Buffer.alloc(4); little ? b.writeFloatLE(x) : b.writeFloatBE(x); return b; }));
  const doubles = (v: number[]) => Buffer.concat(v.map((x) => { const b = Buffer.alloc(8); little ? b.writeDoubleLE(x) : b.writeDoubleBE(x); return b; }));
  const control = Array.from({ length: 20 }, (_, k) => o.control?.[k] ?? 0);
  if (o.control?.[0] === undefined) control[0] = o.frames.length;
  if (o.control?.[19] === undefined) control[19] = 24;
  if (o.control?.[10] === undefined) control[10] = o.frames.some((f) => f.cell) ? 1 : 0;
  record(Buffer.concat([Buffer.from(o.magic ?? 'CORD', 'latin1'), ints(control)]));
  record(Buffer.concat([ints([1]), Buffer.from('REMARKS fixture'.padEnd(80), 'latin1')]));
  record(ints([o.nAtoms ?? o.frames[0].xyz[0].length]));
  for (const f of o.frames) {
    if (f.cell) record(doubles(f.cell));
    for (const axis of f.xyz) record(floats(axis));
  }
  return Buffer.concat(parts);
}

const frame0 = { cell: [30, 0.5, 40, Math.cos((70 * Math.PI) / 180), Math.cos((80 * Math.PI) / 180), 50], xyz: [[1, 2], [3, 4], [5, 6]] };
const frame1 = { cell: [31, 0, 41, 0, 0, 51], xyz: [[-1, -2], [-3, -4], [-5, -6]] };
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

test('cglab writes the layout mdtraj writes: CHARMM header, unit cell as [a, cos γ, b, cos β, cos α, c] in Å', () => {
  const box = new Float32Array(9);
  box.set(lengthsAnglesToBoxVectors([3, 4, 5], [80, 70, 60]));
  const path = join(dir, 'layout.dcd');
  writeDcd(path, system(1, box));
  const b = readFileSync(path);
  assert.equal(b.readInt32LE(0), 84);
  assert.equal(b.toString('latin1', 4, 8), 'CORD');
  assert.equal(b.readInt32LE(8), 1, 'NSET');
  assert.equal(b.readInt32LE(8 + 4 * 10), 1, 'unit-cell flag');
  assert.equal(b.readInt32LE(8 + 4 * 19), 24, 'CHARMM version');
  const cellAt = 92 + (4 + 84 + 4) + (4 + 4 + 4);
  assert.equal(b.readInt32LE(cellAt), 48);
  const cell = Array.from({ length: 6 }, (_, k) => b.readDoubleLE(cellAt + 4 + 8 * k));
  [30, 0.5, 40, Math.cos((70 * Math.PI) / 180), Math.cos((80 * Math.PI) / 180), 50].forEach((v, k) => near(cell[k], v, 1e-5, `cell ${k}`));
  assert.equal(b.length, cellAt + 56 + 3 * (12 + 8));
});

test('write then read: positions to float32 precision, triclinic, orthorhombic and no box', () => {
  const box = new Float32Array(18);
  box.set(lengthsAnglesToBoxVectors([3, 4, 5], [80, 70, 60]), 0);
  box.set(lengthsAnglesToBoxVectors([3.1, 4.1, 5.1], [90, 90, 90]), 9);
  for (const b of [box, undefined]) {
    const t = system(2, b);
    const path = join(dir, 'rt.dcd');
    writeDcd(path, t);
    const back = readDcd(path);
    assert.equal(back.nFrames, 2);
    assert.equal(back.nAtoms, 3);
    assert.equal(back.topology, undefined);
    t.positions.forEach((v, i) => near(back.positions[i], v, 1e-6 * Math.max(1, Math.abs(v)), `position ${i}`));
    if (b) {
      b.forEach((v, i) => near(back.box![i], v, 2e-6, `box ${i}`));
      assert.deepEqual(Array.from(back.box!.subarray(9)), [3.1, 0, 0, 0, 4.1, 0, 0, 0, 5.1].map(Math.fround));
    } else {
      assert.equal(back.box, undefined);
    }
  }
});

test('big-endian files and 8-byte record markers read the same as the little-endian 4-byte ones', () => {
  const expected = readDcd(file('le4.dcd', fixture({ frames: [frame0, frame1] })));
  assert.deepEqual(Array.from(expected.positions), [0.1, 0.3, 0.5, 0.2, 0.4, 0.6, -0.1, -0.3, -0.5, -0.2, -0.4, -0.6].map(Math.fround));
  const cell = boxVectorsToLengthsAngles(expected.box!);
  cell.lengths.forEach((l, k) => near(l, [3, 4, 5][k], 1e-6));
  cell.angles.forEach((a, k) => near(a, [80, 70, 60][k], 1e-4));
  for (const [name, opts] of [['be4', { little: false }], ['le8', { marker: 8 }], ['be8', { little: false, marker: 8 }]] as const) {
    const t = readDcd(file(`${name}.dcd`, fixture({ ...opts, frames: [frame0, frame1] })));
    assert.deepEqual(t.positions, expected.positions, name);
    assert.deepEqual(t.box, expected.box, name);
  }
});

test('unit cells with angles in degrees (old NAMD) and X-PLOR headers without cells are read', () => {
  const degrees = readDcd(file('deg.dcd', fixture({ frames: [{ ...frame0, cell: [30, 60, 40, 70, 80, 50] }] })));
  const cosines = readDcd(file('cos.dcd', fixture({ frames: [frame0] })));
  degrees.box!.forEach((v, i) => near(v, cosines.box![i], 1e-6, `box ${i}`));
  const xplor = readDcd(file('xplor.dcd', fixture({ control: { 19: 0, 9: 0x3ff00000, 10: 1 }, frames: [{ xyz: frame0.xyz }] })));
  assert.equal(xplor.box, undefined);
  assert.equal(xplor.nFrames, 1);
  const zeros = readDcd(file('zero.dcd', fixture({ frames: [{ ...frame0, cell: [0, 0, 0, 0, 0, 0] }] })));
  assert.equal(zeros.box, undefined);
});

test('a topology from a PDB is attached when the atom counts agree', () => {
  const t = system(2);
  const pdb = join(dir, 'top.pdb');
  const dcd = join(dir, 'top.dcd');
  writePdb(pdb, t);
  writeDcd(dcd, t);
  const back = readDcd(dcd, { top: pdb });
  assert.deepEqual(back.topology, t.topology);
  const other = join(dir, 'two.dcd');
  writeFileSync(other, fixture({ frames: [{ xyz: [[1, 2], [3, 4], [5, 6]] }] }));
  assert.throws(() => readDcd(other, { top: pdb }), /two\.dcd has 2 atoms per frame but its topology .*top\.pdb has 3/);
});

test('bad files are refused with what is wrong and where', () => {
  const bad = (name: string, bytes: Uint8Array, re: RegExp) => assert.throws(() => readDcd(file(name, bytes)), re);
  const good = fixture({ frames: [frame0, frame1] });
  const frameBytes = 56 + 3 * 16;
  bad('magic.dcd', fixture({ magic: 'VELD', frames: [frame0] }), /magic\.dcd: the header starts with "VELD", expected the magic 'CORD'/);
  bad('text.dcd', Buffer.from('ATOM      1  CA  ALA A   1'), /text\.dcd: not a DCD file: it must start with a record marker of 84 .* found bytes 41 54 4f 4d 20 20 20 20/);
  bad('tiny.dcd', Buffer.from([84, 0]), /tiny\.dcd: 2 bytes is too short for a DCD header/);
  bad('cut.dcd', good.subarray(0, good.length - 10), new RegExp(`cut\\.dcd: frame 1 \\(0-based\\) is truncated: a frame takes ${frameBytes} bytes but only ${frameBytes - 10} remain`));
  bad('short.dcd', good.subarray(0, good.length - frameBytes), /short\.dcd: the header promises 2 frames but the file holds 1; frame 1 \(0-based\) is missing/);
  const marker = Buffer.from(good);
  marker.writeInt32LE(999, marker.length - frameBytes + 56);
  bad('marker.dcd', marker, /marker\.dcd: frame 1: x coordinates: record marker at byte \d+ is 999, expected 8/);
  const closing = Buffer.from(good);
  closing.writeInt32LE(7, closing.length - 4);
  bad('closing.dcd', closing, /closing\.dcd: frame 1: z coordinates: the record at byte \d+ opens with length 8 but closes with 7/);
  bad('fixed.dcd', fixture({ control: { 8: 1 }, frames: [frame0] }), /fixed\.dcd: the header declares 1 fixed atoms, which cglab does not support/);
  bad('4d.dcd', fixture({ control: { 11: 1 }, frames: [frame0] }), /4d\.dcd: the header flags 4D coordinates/);
  bad('none.dcd', fixture({ nAtoms: 0, frames: [{ xyz: [[], [], []] }] }), /none\.dcd: the atom count is 0/);
  bad('flat.dcd', fixture({ frames: [{ ...frame0, cell: [30, -0.98, 40, 0.98, 0.98, 50] }] }), /flat\.dcd: frame 0: unit cell \[.*\]: box angles/);
  bad('head.dcd', good.subarray(0, 60), /head\.dcd: the header is truncated: its 84-byte record at byte 0 runs past the end of the file \(60 bytes\)/);
});

test('writing refuses non-finite coordinates and degenerate boxes, atomically', () => {
  const path = join(dir, 'keep.dcd');
  const t = system(2);
  writeDcd(path, t);
  const before = readFileSync(path);
  const positions = t.positions.slice();
  positions[13] = Number.NaN;
  assert.throws(() => writeDcd(path, { ...t, positions }), /keep\.dcd: frame 1, atom 1: y coordinate is NaN; DCD needs finite coordinates/);
  assert.throws(() => writeDcd(path, { ...t, box: new Float32Array(18) }), /keep\.dcd: frame 0: box vector a \(0, 0, 0\) nm must have a positive finite length/);
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.keep')), []);
});
