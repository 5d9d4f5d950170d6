// Streamed force matching (methods/forcematching/stream.ts) on the 400-frame alanine-dipeptide
// fixture split over TRR files, with runs and windows small enough that an epoch spans many of
// both: the force map is the in-memory one bit for bit, every training frame is seen exactly
// once per epoch and no validation frame ever, training lowers the validation loss as the
// in-memory path does, and a streamed run resumes exactly.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from 'cglab/backend/select';
import { readDataset, writeDataset } from 'cglab/io/dataset';
import { openFrameSet } from 'cglab/io/frameSet';
import { makeTrajectory } from 'cglab/io/trajectory';
import { writeTrr } from 'cglab/io/trr';
import { mapDataset } from 'cglab/methods/forcematching/data';
import { BUILTIN_MAPS } from 'cglab/methods/forcematching/mapping';
import { buildModel, fitPriors } from 'cglab/methods/forcematching/model';
import { streamForceData } from 'cglab/methods/forcematching/stream';
import { trainForceMatching } from 'cglab/methods/forcematching/train';
import { Random } from 'cglab/util/random';

const dir = mkdtempSync(join(tmpdir(), 'cglab-fm-stream-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = readDataset(fileURLToPath(new URL('../../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const SIZES = { chunk: 16, window: 64, validationFrames: 30, priorFrames: 100 };
const files: string[] = [];

before(async () => {
  await initBackend();
  // A data set of 150 frames (with the topology), then TRR files of 150 and 100 frames: runs
  // and windows cross file boundaries.
  const per = 3 * data.nAtoms;
  for (const [a, b] of [[0, 150], [150, 300], [300, 400]]) {
    const part = makeTrajectory({ nFrames: b - a, nAtoms: data.nAtoms, positions: data.positions.slice(a * per, b * per), forces: data.forces?.slice(a * per, b * per), topology: data.topology });
    const path = join(dir, `part${a}.${a === 0 ? 'npz' : 'trr'}`);
    if (a === 0) writeDataset(path, part);
    else writeTrr(path, part);
    files.push(path);
  }
});

const open = () => openFrameSet(files, { requireForces: true });
const streamed = () => streamForceData(open(), BUILTIN_MAPS.backbone5, { ...SIZES, forceMap: 'optimal', hBondConstraints: true, temperature: 300, seed: 4 });

test('the streamed force map is the in-memory one, bit for bit; validation and prior frames are as stated', async () => {
  const { cg, data: d } = await streamed();
  const whole = mapDataset(data, BUILTIN_MAPS.backbone5, { forceMap: 'optimal', hBondConstraints: true, temperature: 300 });
  assert.deepEqual(cg.forceMap.toRows(), whole.forceMap.toRows());
  assert.equal(cg.trajectory.nFrames, 100, 'prior frames');
  const per = 15;
  const frameKey = (x: ArrayLike<number>, k: number) => Array.from({ length: per }, (_, c) => x[k * per + c]).join(',');
  const all = new Set(Array.from({ length: 400 }, (_, k) => frameKey(whole.trajectory.positions, k)));
  const prior = new Set(Array.from({ length: 100 }, (_, k) => frameKey(cg.trajectory.positions, k)));
  assert.equal(prior.size, 100, '100 distinct frames, drawn at random');
  for (const k of prior) assert.ok(all.has(k), 'each a mapped frame of the set');
  assert.equal(d.validation.positions.length / per, 30, '10 % of 400 capped at 30');
  assert.equal(d.nTrain, 370);
});

test('an epoch visits every training frame exactly once, no validation frame, in windows of at most the window size', async () => {
  const { data: d } = await streamed();
  const per = 15;
  const key = (x: ArrayLike<number>, k: number) => Array.from({ length: per }, (_, c) => x[k * per + c]).join(',');
  const validation = new Set(Array.from({ length: 30 }, (_, k) => key(d.validation.positions, k)));
  const whole = mapDataset(data, BUILTIN_MAPS.backbone5, { forceMap: 'optimal', hBondConstraints: true, temperature: 300 }).trajectory.positions;
  const expected = Array.from({ length: 400 }, (_, k) => key(whole, k)).filter((k) => !validation.has(k)).sort();
  assert.equal(expected.length, 370);
  const orders: string[][] = [];
  for (const seed of [1, 2]) {
    const seen: string[] = [];
    for await (const w of d.windows(new Random(seed))) {
      const n = w.positions.length / per;
      assert.ok(n <= SIZES.window, `a window of ${n} frames`);
      for (let k = 0; k < n; k++) seen.push(key(w.positions, k));
    }
    orders.push(seen);
    assert.deepEqual([...seen].sort(), expected);
  }
  assert.notDeepEqual(orders[0], orders[1], 'the visiting order follows the rng');
});

test('streamed training lowers the validation loss as the in-memory path does, and resumes bit for bit', async () => {
  const { cg, data: d } = await streamed();
  const model = () => buildModel('cgnet', cg.trajectory.topology, cg.trajectory.positions, fitPriors(cg.trajectory.positions, cg.trajectory.topology, { temperature: 300 }), { hidden: [16, 16], seed: 2 });
  const a = model();
  const full = await trainForceMatching(a, d, { epochs: 4, batchSize: 50, seed: 3 });
  assert.ok(full.streamed);
  assert.equal(full.steps, 4 * Math.ceil(370 / 50));
  assert.ok(full.bestValidationLoss < full.initialValidationLoss * 0.98, `${full.initialValidationLoss} → ${full.bestValidationLoss}`);

  const ck = join(dir, 'resume');
  const b = model();
  const two = await trainForceMatching(b, d, { epochs: 2, batchSize: 50, seed: 3, checkpointDir: ck });
  assert.deepEqual(two.epochs.map((e) => e.trainLoss), full.epochs.slice(0, 2).map((e) => e.trainLoss));
  const c = model();
  const resumed = await trainForceMatching(c, d, { epochs: 4, batchSize: 50, seed: 3, checkpointDir: ck, resume: true });
  assert.equal(resumed.resumedFrom, 2);
  assert.deepEqual(resumed.epochs.map((e) => e.validationLoss), full.epochs.map((e) => e.validationLoss));
  for (const m of [a, b, c]) m.dispose();
});
