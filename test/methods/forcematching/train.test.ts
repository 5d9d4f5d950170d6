import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'cglab/backend/select';
import { readDataset } from 'cglab/io/dataset';
import { mapDataset, type CGData } from 'cglab/methods/forcematching/data';
import { BUILTIN_MAPS } from 'cglab/methods/forcematching/mapping';
import { beadTypes, bondedTuples, buildModel, fitForceMatching, fitPriors } from 'cglab/methods/forcematching/model';
import { spectralNorm, trainForceMatching, type TrainingRecord, type TrainProgress } from 'cglab/methods/forcematching/train';
import { EnergyModel } from 'cglab/nn/energyModel';

const dir = mkdtempSync(join(tmpdir(), 'cglab-fm-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = readDataset(fileURLToPath(new URL('../../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
let five: CGData;
before(async () => {
  await initBackend();
  five = mapDataset(data, BUILTIN_MAPS.backbone5);
});

/** A small CGnet on the 5-bead data (fast enough for tests). */
function smallCgnet(seed = 2): EnergyModel {
  const { positions, topology } = five.trajectory;
  return buildModel('cgnet', topology, positions, fitPriors(positions, topology, { temperature: 300 }), { hidden: [16, 16], seed });
}

const frames = () => ({ positions: five.trajectory.positions, forces: five.trajectory.forces });
const losses = (r: TrainingRecord) => r.epochs.map((e) => [e.trainLoss, e.validationLoss, e.learningRate]);
const energies = (m: EnergyModel) => tf.tidy(() => Array.from(m.energy(tf.tensor3d(five.trajectory.positions.subarray(0, 30), [2, 5, 3])).dataSync()));

test('priors and CGnet features follow the CG bonds, also for the branched 6-bead map; SchNet types are one per distinct bead', () => {
  const six = mapDataset(data, BUILTIN_MAPS.backbone6, { forceMap: 'basic' });
  const t = bondedTuples(six.trajectory.topology);
  assert.deepEqual(t.angles, [[0, 1, 2], [1, 2, 3], [1, 2, 5], [3, 2, 5], [2, 3, 4]]);
  assert.deepEqual(t.dihedrals, [[0, 1, 2, 3], [0, 1, 2, 5], [1, 2, 3, 4], [5, 2, 3, 4]]);
  const priors = fitPriors(six.trajectory.positions, six.trajectory.topology, { temperature: 300 });
  assert.deepEqual(Object.keys(priors), ['bonds', 'angles', 'repulsion', 'dihedrals']);
  assert.deepEqual(priors.repulsion.tuples, [[0, 3], [0, 4], [0, 5], [1, 4], [4, 5]]);
  assert.deepEqual(priors.dihedrals.tuples, t.dihedrals);
  assert.deepEqual(Object.keys(fitPriors(six.trajectory.positions, six.trajectory.topology, { temperature: 300, dihedrals: false, repulsion: false })), ['bonds', 'angles']);
  assert.deepEqual(beadTypes(six.trajectory.topology), [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(beadTypes({ atoms: ['CA', 'CA', 'CB'].map((name) => ({ name, element: '', mass: 1, residue: 'ALA', resid: 1 })), bonds: [] }), [0, 0, 1]);
  assert.deepEqual(Object.keys(smallCgnet().terms), ['bonds', 'angles', 'repulsion', 'dihedrals', 'net']);
});

test('training lowers the validation loss, reports every step and epoch, and repeats exactly for the same seed', async () => {
  const events: TrainProgress[] = [];
  const a = smallCgnet();
  const ra = await trainForceMatching(a, frames(), { epochs: 3, batchSize: 64, learningRate: 3e-3, seed: 5, onProgress: (p) => events.push(p) });
  assert.equal(ra.trainFrames, 360);
  assert.equal(ra.validationFrames, 40);
  assert.ok(ra.bestValidationLoss < ra.initialValidationLoss, `${ra.bestValidationLoss} vs ${ra.initialValidationLoss}`);
  assert.equal(events.filter((e) => e.kind === 'step').length, 3 * 6);
  assert.deepEqual(events.filter((e) => e.kind === 'epoch').map((e) => e.epoch), [1, 2, 3]);
  const b = smallCgnet();
  const rb = await trainForceMatching(b, frames(), { epochs: 3, batchSize: 64, learningRate: 3e-3, seed: 5 });
  assert.deepEqual(losses(rb), losses(ra));
  assert.deepEqual(energies(b), energies(a));
  // Another seed splits and shuffles differently.
  const c = smallCgnet();
  const rc = await trainForceMatching(c, frames(), { epochs: 1, batchSize: 64, seed: 6 });
  assert.notEqual(rc.initialValidationLoss, ra.initialValidationLoss);
  // Delta forces (priors subtracted once) and the full model on f_CG define the same loss.
  const full = await trainForceMatching(smallCgnet(), frames(), { epochs: 1, batchSize: 64, learningRate: 3e-3, seed: 5, target: 'full' });
  assert.ok(Math.abs(full.initialValidationLoss - ra.initialValidationLoss) < 1e-4 * ra.initialValidationLoss);
  assert.ok(Math.abs(full.epochs[0].validationLoss - ra.epochs[0].validationLoss) < 1e-3 * ra.epochs[0].validationLoss);
  for (const m of [a, b, c]) m.dispose();
});

test('a run stopped after 2 epochs and resumed from its checkpoint ends exactly where an uninterrupted run does', async () => {
  const opts = { batchSize: 64, learningRate: 3e-3, seed: 3, patience: 10, lrPatience: 1 };
  const straight = smallCgnet();
  const rs = await trainForceMatching(straight, frames(), { ...opts, epochs: 4, checkpointDir: join(dir, 'straight') });
  const first = smallCgnet();
  await trainForceMatching(first, frames(), { ...opts, epochs: 2, checkpointDir: join(dir, 'resumed') });
  const resumed = smallCgnet();
  const rr = await trainForceMatching(resumed, frames(), { ...opts, epochs: 4, checkpointDir: join(dir, 'resumed'), resume: true });
  assert.equal(rr.resumedFrom, 2);
  assert.deepEqual(losses(rr), losses(rs));
  assert.deepEqual(energies(resumed), energies(straight));
  assert.deepEqual(energies(EnergyModel.load(join(dir, 'resumed', 'model.json'))), energies(straight));
  await assert.rejects(trainForceMatching(smallCgnet(), frames(), { ...opts, batchSize: 32, epochs: 4, checkpointDir: join(dir, 'resumed'), resume: true }),
    /checkpoint\.json: was written for other data or settings .*resume with the same data, seed, batch size and model, or start afresh without resume/);
  for (const m of [straight, first, resumed]) m.dispose();
});

test('an abort keeps the best model so far, which is also the saved model.json', async () => {
  const ac = new AbortController();
  const m = smallCgnet();
  const r = await trainForceMatching(m, frames(), {
    epochs: 5, batchSize: 64, learningRate: 3e-3, seed: 4, checkpointDir: join(dir, 'aborted'),
    onProgress: (p) => { if (p.kind === 'step' && p.epoch === 2 && p.step === 3) ac.abort(); },
    signal: ac.signal,
  });
  assert.equal(r.stoppedBy, 'interrupted');
  assert.equal(r.epochs.length, 1);
  assert.equal(r.bestEpoch, 1);
  assert.deepEqual(energies(m), energies(EnergyModel.load(join(dir, 'aborted', 'model.json'))));
  m.dispose();
});

test('Lipschitz regularisation keeps every weight matrix at spectral norm ≤ λ', async () => {
  assert.ok(Math.abs(spectralNorm([3, 0, 0, 0, 1, 0], 2, 3) - 3) < 1e-9);
  assert.ok(Math.abs(spectralNorm([1, 2, 2, 4], 2, 2) - 5) < 1e-9, 'rank one: |a||b|');
  const m = smallCgnet();
  const before = Object.entries(m.parameters()).filter(([n]) => n.endsWith('/weight')).map(([, v]) => spectralNorm(v.dataSync(), v.shape[0], v.shape[1] as number));
  assert.ok(Math.max(...before) > 1.5, 'the initial weights exceed the bound, so the projection has work to do');
  await trainForceMatching(m, frames(), { epochs: 1, batchSize: 64, seed: 1, lipschitz: 1.5 });
  for (const [name, v] of Object.entries(m.parameters())) {
    if (name.endsWith('/weight')) assert.ok(spectralNorm(v.dataSync(), v.shape[0], v.shape[1] as number) <= 1.5 * (1 + 1e-4), name);
  }
  m.dispose();
});

test('early stopping ends a run whose validation loss stops improving, keeping its best epoch', async () => {
  const m = smallCgnet();
  const r = await trainForceMatching(m, frames(), { epochs: 30, batchSize: 64, learningRate: 0.3, seed: 2, patience: 2 });
  assert.equal(r.stoppedBy, 'early-stopping');
  assert.ok(r.epochs.length < 30);
  assert.equal(r.epochs.length, r.bestEpoch + 2);
  m.dispose();
});

test('fitForceMatching builds and trains CGSchNet on the 6-bead map; data that do not fit the model are refused', async () => {
  const six = mapDataset(data, BUILTIN_MAPS.backbone6, { maxFrames: 120 });
  const res = await fitForceMatching(
    { positions: six.trajectory.positions, forces: six.trajectory.forces, topology: six.trajectory.topology, temperature: 300 },
    { model: 'cgschnet', features: 8, interactions: 1, rbf: 8, epochs: 1, batchSize: 60, seed: 1 },
  );
  assert.equal(res.model.nBeads, 6);
  // SchNet sees only distances, the same for a structure and its mirror image; the default
  // dihedral priors (sin nφ terms) are what tells the two apart.
  assert.deepEqual(Object.keys(res.priors), ['bonds', 'angles', 'repulsion', 'dihedrals']);
  const x = six.trajectory.positions.subarray(0, 36);
  const [u, mirrored] = [x, x.map((v) => -v)].map((y) => tf.tidy(() => Array.from(res.model.termEnergies(tf.tensor3d(y, [2, 6, 3])).net.dataSync())));
  mirrored.forEach((e, i) => assert.ok(Math.abs(e - u[i]) < 1e-4 * Math.max(1, Math.abs(u[i])), 'the SchNet term is achiral'));
  const total = (y: Float32Array) => tf.tidy(() => Array.from(res.model.energy(tf.tensor3d(y, [2, 6, 3])).dataSync()));
  assert.ok(Math.abs(total(x)[0] - total(x.map((v) => -v))[0]) > 1e-3, 'the model with its priors is not');
  assert.equal(res.record.epochs.length, 1);
  assert.ok(Number.isFinite(res.record.epochs[0].validationLoss));
  await assert.rejects(trainForceMatching(res.model, frames()), /positions have 6000 values, expected \[frames, 6, 3\] for this 6-bead model: map the data with the model's map/);
  await assert.rejects(trainForceMatching(new EnergyModel(6, { ...res.priors }), { positions: six.trajectory.positions, forces: six.trajectory.forces }), /the model has no trainable parameters \(only priors\)/);
  await assert.rejects(trainForceMatching(res.model, { positions: six.trajectory.positions, forces: six.trajectory.forces.subarray(0, 18) }), /forces have 18 values but positions 2160/);
  res.model.dispose();
});
