import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readXtc, streamXtc, xtcIndex } from 'cglab/io/xtc';
import { readCoordinates } from 'cglab/io/dataset';
import { fileInfo, formatInfo } from 'cglab/cli/info';

const dir = mkdtempSync(join(tmpdir(), 'cglab-xtc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

// Written by mdtraj 1.9.7 (XTCTrajectoryFile, precision 1000): 3 frames of 14 atoms, four
// "waters" (three atoms within 0.05 nm, so the encoder uses runs of small integers and swaps
// their first two atoms) and two lone atoms; times 1, 1.5, 2 ps; steps 100, 150, 200; box
// diag(2.5, 2.6, 2.7) nm.
const WATERS = Buffer.from(
  'AAAHywAAAA4AAABkP4AAAEAgAAAAAAAAAAAAAAAAAABAJmZmAAAAAAAAAAAAAAAAQCzMzQAAAA5EegAA////7gAAABgAAADSAAAGsQAABc4AAAecAAAAEAAAADmgeXk5Qwa9/H6JN6Ik/RKsRZbw11GTxInKa4NxFLdO0AJzn10QDBL+YYAoCx6SJudisDWtCqMytgAAAAAAAAfLAAAADgAAAJY/wAAAQCAAAAAAAAAAAAAAAAAAAEAmZmYAAAAAAAAAAAAAAABALMzNAAAADkR6AAAAAAJ5AAAACwAAAOQAAAceAAAGuAAABe4AAAAPAAAAPQFAHJiGyMIibiJXSHlon/MKVN/JbmoxamMOK8RKDgwARKLIAovZFvAGLwp1GHmLilV0MWsfzWUYTYqhJwAAAAAAAAfLAAAADgAAAMhAAAAAQCAAAAAAAAAAAAAAAAAAAEAmZmYAAAAAAAAAAAAAAABALMzNAAAADkR6AAAAAADPAAAAXwAAA6YAAATdAAAHNQAAB4AAAAASAAAANy4KpwMPm06IOKPMgEBEWV2zkmMNedPshLu+583I1AXtsvqws0IDy/eqL/7PLFEzwFpVMBRA0AAA',
  'base64',
);
/** mdtraj's decode of WATERS × 1000: every position is float32(n) × float32(1/1000). */
const WATER_INTS = (
  '361 39 926 404 24 903 401 24 936 1450 840 971 1477 801 959 1438 837 933 26 975 1884 -13 958 1845 -18 998 1879 1702 1460 217 1683 1486 254 1713 1482 210 ' +
  '687 1419 1948 1250 539 1313 1788 1714 330 1814 1720 341 1776 1685 357 1265 41 233 1252 11 228 1295 62 267 633 316 1518 654 276 1475 646 333 1490 1637 689 638 1661 671 656 1661 674 632 1254 1651 1067 ' +
  '1822 831 572 223 168 1425 244 207 1416 207 174 1440 1199 111 960 1186 139 983 1206 95 934 803 1696 1436 817 1724 1448 834 1678 1430 1204 1105 1898 1245 1090 1920 1167 1087 1861 1038 1845 1448 988 995 1297'
)
  .split(' ')
  .map(Number);

// mdtraj, one frame of 10 atoms spanning 20 000 nm: integer ranges beyond 2^24, which the
// encoder stores as three fixed-width fields instead of one mixed-radix number; zero box.
const WIDE = Buffer.from(
  'AAAHywAAAAoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAApEegAAAAADrQAABEsAAAF9ATE4NgExOFIBMTfmAAAAIAAAAFoAAMkAAIpAATywgAHQAACx4AAACIAAWyAAAAAASZRAABQAADeoABX2Vj3giBZiY1sxLtGYmLfG5ydJO2YlXbMSppmJs0xTE0iZiaA8xL7WKYlO3MS8zmJoRxAAAA==',
  'base64',
);
/** mdtraj's decode of WIDE, as the shortest decimals of its float32 values. */
const WIDE_POSITIONS = (
  '1.343 1.6520001 2.914 2.7970002 2.522 0.381 1.6700001 1.0990001 2.7350001 0.94100004 2.792 0.71500003 1.261 2.88 1.7860001 20002.797 20001.62 20000.686 ' +
  '20002.139 20001.564 20001.518 20000.41 20000.438 20002.791 20002.871 20002.898 20001.074 20000.137 20001.662 20002.209'
)
  .split(' ')
  .map((v) => Math.fround(Number(v)));

/** Byte length of WATERS's first frame (header 92 bytes + the compressed data, padded). */
const frame0Bytes = 92 + WATERS.readInt32BE(88) + ((4 - (WATERS.readInt32BE(88) % 4)) % 4);

/** An uncompressed XTC frame (≤ 9 atoms are stored as plain floats), built field by field. */
function plainFrame(o: { magic?: number; natoms: number; lsize?: number; step: number; time: number; box: number[]; xyz: number[] }): Buffer {
  const b = Buffer.alloc(16 + 36 + 4 + 12 * o.natoms);
  b.writeInt32BE(o.magic ?? 1995, 0);
  b.writeInt32BE(o.natoms, 4);
  b.writeInt32BE(o.step, 8);
  b.writeFloatBE(o.time, 12);
  o.box.forEach((v, i) => b.writeFloatBE(v, 16 + 4 * i));
  b.writeInt32BE(o.lsize ?? o.natoms, 52);
  o.xyz.forEach((v, i) => b.writeFloatBE(v, 56 + 4 * i));
  return b;
}
const BOX = [3, 0, 0, 0.5, 3, 0, 0.2, 0.3, 3];
const plain = (k: number, natoms = 2, extra: Partial<Parameters<typeof plainFrame>[0]> = {}) =>
  plainFrame({ natoms, step: 10 * k, time: 0.1 * k, box: BOX, xyz: Array.from({ length: 3 * natoms }, (_, i) => k + i / 7), ...extra });

test('decodes compressed frames bit for bit as GROMACS/mdtraj do: runs of small integers, the water swap, time, step, box', () => {
  const x = readXtc(file('waters.xtc', WATERS));
  assert.equal(x.nFrames, 3);
  assert.equal(x.nAtoms, 14);
  const inv = Math.fround(1 / 1000);
  assert.deepEqual(Array.from(x.positions), WATER_INTS.map((n) => Math.fround(n * inv)));
  assert.deepEqual(Array.from(x.time), [1, 1.5, 2]);
  assert.deepEqual(Array.from(x.step), [100, 150, 200]);
  assert.deepEqual(Array.from(x.precision), [1000, 1000, 1000]);
  assert.deepEqual(Array.from(x.box!.subarray(9, 18)), [2.5, 0, 0, 0, 2.6, 0, 0, 0, 2.7].map(Math.fround));
  assert.deepEqual(x.units, { length: 'nm', time: 'ps', energy: 'kJ/mol', force: 'kJ/mol/nm', mass: 'amu', temperature: 'K' });
  assert.equal(x.provenance!.precision, 1000);
});

test('integer ranges beyond 2^24 (three fixed-width fields per atom) decode bit for bit; an all-zero box means none', () => {
  const x = readXtc(file('wide.xtc', WIDE));
  assert.deepEqual(Array.from(x.positions), WIDE_POSITIONS);
  assert.equal(x.box, undefined);
  assert.equal(xtcIndex(join(dir, 'wide.xtc')).summary.box, null);
});

test('frames of up to 9 atoms are plain floats; the large-system magic 2023 is read too', () => {
  const path = file('plain.xtc', Buffer.concat([plain(0), plain(1, 2, { magic: 2023 })]));
  const x = readXtc(path);
  assert.deepEqual(Array.from(x.positions), [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12].map((v) => Math.fround(v / 7)));
  assert.ok(Number.isNaN(x.precision[0]));
  assert.equal(xtcIndex(path).summary.precision, 'single');
  assert.deepEqual(Array.from(x.box!.subarray(0, 9)), BOX.map(Math.fround));
});

test('a frame range is decoded from the index without the frames before it, and streams in chunks', async () => {
  const path = file('range.xtc', WATERS);
  const whole = readXtc(path);
  const index = xtcIndex(path);
  assert.equal(xtcIndex(path), index, 'the index is built once per file and reused');
  assert.deepEqual(Array.from(index.offsets), [0, frame0Bytes, index.offsets[2], WATERS.length]);
  const part = readXtc(path, { start: 1, stop: 3 });
  assert.deepEqual(part.positions, whole.positions.subarray(14 * 3));
  assert.deepEqual(Array.from(part.step), [150, 200]);
  // Corrupt frame 0's compressed data: a range after it still reads, as it never decodes frame 0.
  const broken = Buffer.from(WATERS);
  broken.fill(0xff, 92, frame0Bytes);
  const brokenPath = file('broken0.xtc', broken);
  assert.deepEqual(readXtc(brokenPath, { start: 1 }).positions, part.positions);
  assert.throws(() => readXtc(brokenPath), /broken0\.xtc: frame 0 \(byte 0\) is corrupt: /);

  const blocks = [];
  for await (const b of streamXtc(path, { chunk: 2 })) blocks.push(b);
  assert.deepEqual(blocks.map((b) => [b.start, b.nFrames]), [[0, 2], [2, 1]]);
  assert.deepEqual(blocks[1].positions, whole.positions.subarray(2 * 14 * 3));
  assert.deepEqual(Array.from(blocks[0].time), [1, 1.5]);
  const one = [];
  for await (const b of streamXtc(path, { start: 2, stop: 3, chunk: 5 })) one.push(b);
  assert.deepEqual(one.map((b) => [b.start, b.nFrames]), [[2, 1]]);
  assert.throws(() => readXtc(path, { start: 2, stop: 4 }), /range\.xtc: frame range start 2, stop 4 is not within the file's 3 frames/);
});

test('errors name the file and the frame: wrong magic, truncation, atom counts, corrupt data', () => {
  assert.throws(
    () => readXtc(file('magic.xtc', Buffer.concat([Buffer.from([0, 0, 7, 0xc9]), Buffer.alloc(80)]))),
    /magic\.xtc: not a GROMACS XTC file: it starts with the number 1993, expected the XTC magic number 1995 \(or 2023 for large systems\); 1993 is the magic of a TRR file: name it \.trr/,
  );
  assert.throws(
    () => readXtc(file('tail.xtc', Buffer.concat([WATERS, Buffer.from('garbage!')]))),
    new RegExp(`tail\\.xtc: frame 3 at byte 456 starts with the number ${Buffer.from('garb').readInt32BE(0)}, expected the XTC magic number 1995 \\(or 2023 for large systems\\): the file is corrupt after frame 2`),
  );
  const cut = WATERS.length - 10;
  assert.throws(
    () => readXtc(file('cut.xtc', WATERS.subarray(0, cut))),
    new RegExp(`cut\\.xtc: frame 2 is truncated at byte ${cut}: it starts at byte ${xtcIndex(join(dir, 'range.xtc')).offsets[2]} and needs \\d+ bytes, 10 more than the file holds`),
  );
  assert.throws(
    () => readXtc(file('cuthead.xtc', WATERS.subarray(0, frame0Bytes + 30))),
    new RegExp(`cuthead\\.xtc: frame 1 is truncated at byte ${frame0Bytes + 30}: its header, which starts at byte ${frame0Bytes}, is cut off`),
  );
  assert.throws(
    () => readXtc(file('atoms.xtc', Buffer.concat([plain(0, 2), plain(1, 2), plain(2, 3)]))),
    /atoms\.xtc: frame 2 has 3 atoms but frame 0 has 2; a trajectory must hold one system/,
  );
  assert.throws(() => readXtc(file('lsize.xtc', plain(0, 2, { lsize: 3 }))), /lsize\.xtc: frame 0: the coordinates hold 3 atoms but the header says 2/);
  // A byte count of 4 with 4 bytes: a consistent file whose bit stream ends long before 14 atoms.
  const short = Buffer.concat([WATERS.subarray(0, 92), Buffer.alloc(4, 0x55)]);
  short.writeInt32BE(4, 88);
  assert.throws(() => readXtc(file('short.xtc', short)), /short\.xtc: frame 0 \(byte 0\) is corrupt: the compressed data \(4 bytes\) ends before the last atom/);
  assert.throws(() => readXtc(file('empty.xtc', new Uint8Array(0))), /empty\.xtc: the file is empty: an XTC file holds at least one frame/);
});

test('readCoordinates takes .xtc with a PDB topology; cglab info describes it from the headers', () => {
  const path = file('info.xtc', WATERS);
  const pdb = join(dir, 'w.pdb');
  writeFileSync(pdb, Array.from({ length: 14 }, (_, i) => `ATOM  ${String(i + 1).padStart(5)}  OW  SOL A${String(1 + Math.floor(i / 3)).padStart(4)}       0.000   0.000   0.000  1.00  0.00           O`).join('\n') + '\nEND\n');
  const t = readCoordinates(path, { top: pdb });
  assert.equal(t.topology!.atoms.length, 14);
  const info = fileInfo(path);
  assert.equal(info.format, 'xtc');
  assert.equal(info.frames, 3);
  assert.equal(info.atoms, 14);
  assert.equal(info.precision, 1000);
  assert.deepEqual(info.steps, { first: 100, last: 200 });
  assert.deepEqual(info.time, { start: 1, end: 2, step: 0.5 });
  assert.deepEqual(info.box, { vectors: [[2.5, 0, 0], [0, 2.6, 0], [0, 0, 2.7]], lengths: [2.5, 2.6, 2.7], orthorhombic: true, varies: false });
  assert.deepEqual(info.arrays!.map((a) => [a.name, a.shape]), [['positions', [3, 14, 3]], ['box', [3, 3, 3]], ['time', [3]], ['step', [3]]]);
  const text = formatInfo(fileInfo(path, { top: pdb }));
  assert.match(text, /atoms +14 in 5 residues, 0 bonds/);
  assert.match(text, /precision +XTC 1000 per nm \(positions to ±0\.0005 nm\)/);
  assert.match(text, /steps +100 to 200/);
  assert.match(text, /units +length nm, time ps/);
});
