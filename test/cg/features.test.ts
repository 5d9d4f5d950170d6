import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { chainFeatures, dihedralCosSin, distances, fitZScore, GeometryFeatures } from 'cglab/cg/features';
import { selectAtomsMap } from 'cglab/cg/linearMap';
import { readDataset } from 'cglab/io/dataset';
import { assertGradClose, fdGradient, gridValues } from '../helpers/finiteDifferences.js';

const BACKENDS = ['cpu', 'wasm'] as const;
const data = readDataset(fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const beads = selectAtomsMap(data.topology!, { name: ['N', 'CA', 'C'] }).apply(data.positions.subarray(0, 50 * 66));
const feats = new GeometryFeatures(5, chainFeatures(5));

test('tensor features equal the float64 geometry (IUPAC dihedral sign) on alanine dipeptide backbone beads', async () => {
  assert.equal(feats.size, 10 + 3 + 2 * 2);
  assert.deepEqual(feats.names().slice(9, 17), ['r(3,4)', 'θ(0,1,2)', 'θ(1,2,3)', 'θ(2,3,4)', 'cos φ(0,1,2,3)', 'sin φ(0,1,2,3)', 'cos φ(1,2,3,4)', 'sin φ(1,2,3,4)']);
  const want = feats.computeArray(beads);
  for (const backend of BACKENDS) {
    await useBackend(backend);
    const got = tf.tidy(() => feats.compute(tf.tensor3d(beads, [50, 5, 3])).dataSync());
    // float32 differences of ~0.3 nm coordinates: ~1e-7 nm; angles and cos/sin ~1e-6.
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${backend} feature ${i % feats.size} of frame ${Math.floor(i / feats.size)}: ${v} vs ${want[i]}`));
    const { cos, sin } = dihedralCosSin(tf.tensor3d(beads, [50, 5, 3]), [[0, 1, 2, 3]]);
    const norm = tf.tidy(() => tf.add(tf.square(cos), tf.square(sin)).dataSync());
    norm.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-5));
    tf.dispose([cos, sin]);
  }
  // φ (C–N–CA–C) of the data, read from the sin/cos pair, is in the populated left half of the Ramachandran plot.
  for (let f = 0; f < 50; f++) assert.ok(want[f * feats.size + 14] < 0, `frame ${f}: sin φ should be negative`);
});

test('forces through distances, angles and dihedral cos/sin match finite differences on cpu and wasm', async () => {
  const x0 = gridValues(2 * 5 * 3, 11, -1.5, 1.5);
  const w = tf.tensor1d(gridValues(feats.size, 12, -1, 1));
  const energy = (x: tf.Tensor) => tf.sum(tf.mul(feats.compute(x as tf.Tensor3D), w), 1);
  for (const backend of BACKENDS) {
    await useBackend(backend);
    const minusF = tf.tidy(() => Array.from(tf.grad((x) => tf.sum(energy(x)))(tf.tensor3d(x0, [2, 5, 3])).dataSync()));
    const fd = fdGradient((v) => tf.tidy(() => tf.sum(energy(tf.tensor3d(v, [2, 5, 3]))).dataSync()[0]), x0);
    assertGradClose(`${backend} −F`, minusF, fd);
  }
  w.dispose();
});

test('the force-matching loss gradient through z-scored features matches finite differences on cpu and wasm', async () => {
  const x0 = tf.tensor3d(gridValues(2 * 5 * 3, 21, -1.5, 1.5), [2, 5, 3]);
  const fRef = tf.tensor3d(gridValues(2 * 5 * 3, 22, -1, 1), [2, 5, 3]);
  const z = feats.fitZScore(beads);
  const theta0 = gridValues(feats.size, 23, 0.3, 1.2);
  const loss = (theta: tf.Tensor) => {
    const energy = (x: tf.Tensor) => tf.sum(tf.tanh(tf.mul(z.apply(feats.compute(x as tf.Tensor3D)), theta)));
    return tf.mean(tf.square(tf.add(tf.grad(energy)(x0), fRef)));
  };
  for (const backend of BACKENDS) {
    await useBackend(backend);
    const got = tf.tidy(() => Array.from(tf.grad(loss)(tf.tensor1d(theta0)).dataSync()));
    const fd = fdGradient((v) => tf.tidy(() => loss(tf.tensor1d(v)).dataSync()[0]), theta0);
    assertGradClose(`${backend} ∇θ loss`, got, fd);
  }
  tf.dispose([x0, fRef]);
});

test('z-scores standardise the fitted data and refuse constant or non-finite features', async () => {
  await useBackend('cpu');
  const zs = fitZScore([1, 10, 3, 10, 5, 16], 2, ['a', 'b']);
  assert.deepEqual([...zs.mean], [3, 12]);
  assert.deepEqual([...zs.std], [2, Math.sqrt(12)]);
  const out = tf.tidy(() => zs.apply(tf.tensor2d([1, 10, 5, 16], [2, 2])).dataSync());
  [-1, -2 / Math.sqrt(12), 1, 4 / Math.sqrt(12)].forEach((v, i) => assert.ok(Math.abs(out[i] - v) < 1e-6));
  assert.throws(() => fitZScore([1, 2, 1, 3, 1, 4], 2, ['r(0,1)', 'r(1,2)']), /r\(0,1\) is constant over 3 frames \(value 1\).*leave this feature out/);
  assert.throws(() => fitZScore([1, 2, Number.NaN, 3], 2), /feature 0 is not finite/);
  assert.throws(() => fitZScore([1, 2], 2), /at least 2 frames, got 1/);
  assert.throws(() => zs.apply(tf.zeros([3, 5]) as tf.Tensor2D), /expected features of shape \[batch, 2\]/);
  assert.throws(() => new GeometryFeatures(4, { angles: [[0, 1, 4]] }), /angle 0 is \(0, 1, 4\): bead index 4 does not exist/);
  assert.throws(() => new GeometryFeatures(4, { pairs: [[2, 2]] }), /pair 0 is \(2, 2\): it repeats a bead/);
  assert.throws(() => distances(tf.zeros([2, 4]) as unknown as tf.Tensor3D, [[0, 1]]), /expected bead positions of shape \[batch, 4, 3\], got \[2,4\]/);
  assert.throws(() => feats.computeArray(new Float64Array(14)), /expected \[frames, 5, 3\] bead positions/);
});
