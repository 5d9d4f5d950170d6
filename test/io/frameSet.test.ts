// A data set spread over several files of mixed formats reads as one sequence of frames: the
// concatenation whole, any range in blocks that never span two files, TRR frames without forces
// skipped when forces are required, globs in natural order, and clear errors for files that do
// not belong together.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDataset } from 'cglab/io/dataset';
import { expandDataPaths, openFrameSet } from 'cglab/io/frameSet';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { openTrrWriter, writeTrr } from 'cglab/io/trr';
import { makeTopology, type Atom } from 'cglab/topology/topology';

const dir = mkdtempSync(join(tmpdir(), 'cglab-frameset-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

const N = 3;
const atoms = (names: string[]): Atom[] => names.map((name, i) => ({ name, element: 'C', mass: 12, residue: 'MOL', resid: 1, serial: i + 1 }));
const topology = makeTopology(atoms(['A', 'B', 'C']));

/** `frames` frames whose every value encodes (set frame, index): frame k's positions are k + i/100. */
function frames(first: number, count: number, opts: { forces?: boolean; provenance?: Record<string, unknown> } = {}): Trajectory {
  const positions = Float32Array.from({ length: count * N * 3 }, (_, i) => first + Math.floor(i / (N * 3)) + (i % (N * 3)) / 100);
  return makeTrajectory({
    topology,
    nFrames: count,
    nAtoms: N,
    positions,
    ...(opts.forces === false ? {} : { forces: positions.map((v) => -10 * v) }),
    box: Float32Array.from({ length: count * 9 }, (_, i) => (i % 4 === 0 ? 5 : 0)),
    time: Float32Array.from({ length: count }, (_, k) => first + k),
    provenance: opts.provenance ?? { temperature_K: 300 },
  });
}

test('NPZ and TRR files read as one set: whole, and in blocks of any range that never span two files', async () => {
  writeDataset(at('a.npz'), frames(0, 5));
  writeTrr(at('b.trr'), frames(5, 7));
  writeDataset(at('c.npz'), frames(12, 4));
  const set = openFrameSet([at('a.npz'), at('b.trr'), at('c.npz')], { requireForces: true });
  assert.equal(set.nFrames, 16);
  assert.deepEqual(set.parts.map((p) => [p.frames, p.first]), [[5, 0], [7, 5], [4, 12]]);
  assert.equal(set.provenance.temperature_K, 300, 'the NPZ files declare it; the TRR is silent');
  assert.equal(set.topology?.atoms.map((a) => a.name).join(''), 'ABC');
  const all = set.read();
  const expected = frames(0, 16);
  assert.deepEqual(all.positions, expected.positions);
  assert.deepEqual(all.forces, expected.forces);
  assert.deepEqual(all.time, expected.time);
  assert.equal(all.topology?.atoms.length, N);

  const blocks = [];
  for await (const b of set.blocks(3, 15, 4)) blocks.push(b);
  assert.deepEqual(blocks.map((b) => [b.start, b.nFrames]), [[3, 2], [5, 4], [9, 3], [12, 3]]);
  for (const b of blocks) {
    assert.deepEqual(b.positions, expected.positions.subarray(b.start * 3 * N, (b.start + b.nFrames) * 3 * N), `block at ${b.start}`);
    assert.deepEqual(b.forces, expected.forces?.subarray(b.start * 3 * N, (b.start + b.nFrames) * 3 * N));
  }
  await assert.rejects(async () => {
    for await (const _ of set.blocks(10, 17, 4));
  }, /frame range \[10, 17\) is not within the data set's 16 frames/);
});

test('a TRR whose frames do not all hold forces: with forces required, the set is the frames that do', async () => {
  const w = openTrrWriter(at('mixed.trr'));
  w.write(frames(0, 3));
  w.write(frames(100, 2, { forces: false }));
  w.write(frames(3, 2));
  w.close();
  const set = openFrameSet([at('mixed.trr')], { requireForces: true });
  assert.equal(set.nFrames, 5);
  assert.ok(set.hasForces);
  const want = frames(0, 5);
  assert.deepEqual(set.read().positions, want.positions);
  const got: number[] = [];
  for await (const b of set.blocks(2, 5, 2)) got.push(b.start, ...Array.from(b.positions.filter((_, i) => i % (3 * N) === 0)));
  assert.deepEqual(got, [2, 2, 3, 4, 4], 'block starts count set frames, not file frames');
  assert.equal(openFrameSet([at('mixed.trr')]).hasForces, false, 'without the requirement every frame with positions belongs, and not all have forces');
  assert.equal(openFrameSet([at('mixed.trr')]).nFrames, 7);
});

test('globs expand in natural order (run2 before run10); plain paths stay as given', () => {
  mkdirSync(at('runs'));
  for (const k of [10, 2, 1]) writeTrr(at(`runs/run${k}.trr`), frames(k, 1));
  writeTrr(at('runs/.hidden.trr'), frames(0, 1));
  assert.deepEqual(expandDataPaths([at('runs/run*.trr')]), [1, 2, 10].map((k) => at(`runs/run${k}.trr`)));
  assert.deepEqual(expandDataPaths([at('runs/*.trr')]).length, 3, 'a leading dot is matched only when written');
  assert.deepEqual(expandDataPaths([at('runs/run[!1]*.trr'), at('a.npz')]), [at('runs/run2.trr'), at('a.npz')]);
  assert.throws(() => expandDataPaths([at('runs/none*.trr')]), /none\*\.trr: no file matches this pattern/);
});

test('files that do not belong together are refused, naming the file and the difference', () => {
  writeDataset(at('four.npz'), makeTrajectory({ topology: makeTopology(atoms(['A', 'B', 'C', 'D'])), nFrames: 1, nAtoms: 4, positions: new Float32Array(12), provenance: { temperature_K: 300 } }));
  assert.throws(() => openFrameSet([at('a.npz'), at('four.npz')]), /four\.npz: has 4 atoms, but .*a\.npz has 3: the files of one data set must hold the same atoms/);
  writeDataset(at('renamed.npz'), { ...frames(0, 2), topology: makeTopology(atoms(['A', 'X', 'C'])) });
  assert.throws(() => openFrameSet([at('a.npz'), at('renamed.npz')]), /renamed\.npz: atom 1 is MOL1 X, but in .*a\.npz it is MOL1 B/);
  writeDataset(at('hot.npz'), frames(0, 2, { provenance: { temperature_K: 330 } }));
  assert.throws(() => openFrameSet([at('a.npz'), at('hot.npz')]), /hot\.npz: provenance temperature_K is 330, but .*a\.npz has 300/);
  writeDataset(at('noforces.npz'), frames(0, 2, { forces: false }));
  assert.throws(() => openFrameSet([at('a.npz'), at('noforces.npz')], { requireForces: 'the method needs them' }), /noforces\.npz: has no forces, but the method needs them/);
  assert.throws(() => openFrameSet([]), /no data files given/);
});
