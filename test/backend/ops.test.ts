import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendName } from 'cglab/backend/select';
import {
  allPairs,
  capAt,
  pairDifferenceMatrix,
  pairDifferences,
  safeNorm,
  SAFE_NORM_EPS,
  shiftedSoftplus,
  tanh,
} from 'cglab/backend/ops';

const BACKENDS: BackendName[] = ['cpu', 'wasm'];
const F32_EPS = 2 ** -23;

const values = (t: tf.Tensor) => Array.from(t.dataSync());

function onEachBackend(name: string, body: (backend: BackendName) => void): void {
  for (const backend of BACKENDS) {
    test(`${backend}: ${name}`, async () => {
      await useBackend(backend);
      tf.tidy(() => body(backend));
    });
  }
}

const WIDE = [-1e4, -100, -20, -9, -1e-6, 0, 1e-6, 9, 20, 100, 1e4, ...Array.from({ length: 801 }, (_, i) => -8 + i / 50)];

onEachBackend('tanh equals tf.tanh to float32 rounding, saturates to ±1, and has the same slope', () => {
  const x = tf.tensor1d(WIDE);
  const ours = values(tanh(x));
  const ref = values(tf.tanh(x));
  // 2·sigmoid(2x) − 1 rounds the sigmoid at 0.5, so its absolute error is ~1 ulp of 1.
  ours.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) <= 2 * F32_EPS, `x = ${WIDE[i]}: ${v} vs ${ref[i]}`));
  assert.deepEqual([ours[0], ours[10]], [-1, 1]);
  const slope = values(tf.grad((u) => tf.sum(tanh(u)))(x));
  slope.forEach((s, i) => assert.ok(Math.abs(s - (1 - ref[i] ** 2)) <= 4 * F32_EPS, `slope at ${WIDE[i]}: ${s}`));
});

onEachBackend('shiftedSoftplus is 0 at 0, ln(1 + eˣ) − ln 2 elsewhere, and finite for large |x|', () => {
  const xs = [-100, -5, -1, 0, 0.5, 3, 30, 100];
  const got = values(shiftedSoftplus(tf.tensor1d(xs)));
  xs.forEach((x, i) => {
    const want = Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - Math.LN2;
    assert.ok(Math.abs(got[i] - want) <= 4 * F32_EPS * Math.max(1, Math.abs(want)), `ssp(${x}) = ${got[i]}, want ${want}`);
  });
  assert.equal(got[3], 0);
});

onEachBackend('capAt equals tf.minimum to one rounding of rc, with derivative 1 below the cap and 0 above', () => {
  const rc = 1.2;
  const d = [-3, 0, 0.1, 1.19, 1.21, 2, 50];
  const capped = values(capAt(tf.tensor1d(d), rc));
  const min = values(tf.minimum(tf.tensor1d(d), rc));
  capped.forEach((v, i) => assert.ok(Math.abs(v - min[i]) <= F32_EPS * Math.max(rc, Math.abs(d[i])), `d = ${d[i]}: ${v} vs ${min[i]}`));
  assert.deepEqual(values(tf.grad((x) => tf.sum(capAt(x, rc)))(tf.tensor1d(d))), d.map((x) => (x < rc ? 1 : 0)));
});

onEachBackend('pairDifferences equals x_j − x_i exactly, for all pairs and for a chosen list', () => {
  const n = 5;
  const x = Array.from({ length: 3 * n * 3 }, (_, i) => Math.fround(Math.sin(1.7 * i) * 2));
  const pick = (b: number, bead: number, c: number) => x[(b * n + bead) * 3 + c];
  for (const pairs of [allPairs(n), [[3, 1], [0, 4], [2, 0]] as [number, number][]]) {
    const got = values(pairDifferences(tf.tensor3d(x, [3, n, 3]), pairDifferenceMatrix(n, pairs)));
    const want = [0, 1, 2].flatMap((b) => pairs.flatMap(([i, j]) => [0, 1, 2].map((c) => Math.fround(pick(b, j, c) - pick(b, i, c)))));
    assert.deepEqual(got, want);
  }
});

test('allPairs lists i < j in row-major order', () => {
  assert.deepEqual(allPairs(4), [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
});

test('pairDifferenceMatrix and pairDifferences reject bad input, saying what was expected', () => {
  assert.throws(() => pairDifferenceMatrix(1), /at least 2 particles, got n = 1/);
  assert.throws(() => pairDifferenceMatrix(3, [[0, 3]]), /pair 0 is \[0, 3\], but indices must be integers in \[0, 3\)/);
  assert.throws(() => pairDifferenceMatrix(3, [[0, 1], [2, 2]]), /pair 1 joins particle 2 to itself/);
  assert.throws(() => pairDifferences(tf.zeros([2, 4, 3]), pairDifferenceMatrix(5)), /expected positions of shape \[batch, 5, 3\].*got \[2,4,3\]/);
});

onEachBackend('safeNorm: the norm away from 0; at 0 √ε, zero gradient and a finite second derivative', () => {
  const v = [
    [3, 4, 0],
    [0.1, 0, 0],
    [0, 0, 0],
  ];
  const got = values(safeNorm(tf.tensor2d(v)));
  assert.ok(Math.abs(got[0] - 5) <= 5 * F32_EPS);
  assert.ok(Math.abs(got[1] - 0.1) <= 0.1 * F32_EPS);
  assert.ok(Math.abs(got[2] - Math.sqrt(SAFE_NORM_EPS)) <= 1e-6 * Math.sqrt(SAFE_NORM_EPS));
  const zero = tf.zeros([1, 3]);
  assert.deepEqual(values(tf.grad((x) => tf.sum(safeNorm(x)))(zero)), [0, 0, 0]);
  // ∂/∂x₀ of the x₀-component of the gradient: 1/√ε at 0.
  const curvature = values(tf.grad((x) => tf.sum(tf.slice(tf.grad((y) => tf.sum(safeNorm(y)))(x), [0, 0], [1, 1])))(zero));
  assert.ok(Math.abs(curvature[0] - 1 / Math.sqrt(SAFE_NORM_EPS)) <= 1e-6 / Math.sqrt(SAFE_NORM_EPS), `curvature ${curvature}`);
});
