import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'cglab/backend/select';
import { gumbelNoise, gumbelSoftmax, straightThrough } from 'cglab/nn/gumbelSoftmax';
import { Random } from 'cglab/util/random';

await initBackend('wasm');

test('argmax(ℓ + g) of Gumbel noise samples softmax(ℓ): frequencies within 4 standard errors', () => {
  const logits = [0.5, -1, 2, 0];
  const z = logits.map(Math.exp);
  const p = z.map((v) => v / z.reduce((s, w) => s + w, 0));
  const n = 40000;
  const counts = new Float64Array(4);
  const g = gumbelNoise(new Random(7), 4 * n);
  for (let t = 0; t < n; t++) {
    let best = 0;
    for (let k = 1; k < 4; k++) if (logits[k] + g[4 * t + k] > logits[best] + g[4 * t + best]) best = k;
    counts[best]++;
  }
  p.forEach((pk, k) => assert.ok(Math.abs(counts[k] / n - pk) < 4 * Math.sqrt((pk * (1 - pk)) / n), `category ${k}: ${counts[k] / n} vs ${pk}`));
});

test('the soft sample tends to the one-hot of argmax(ℓ + g) as τ → 0, and its gradient is the softmax Jacobian (finite differences)', () => {
  const l = tf.tensor2d([[0.3, -0.2, 0.9], [1.1, 0.4, -0.5]]);
  const g = tf.tensor2d(gumbelNoise(new Random(3), 6), [2, 3]);
  const cold = gumbelSoftmax(l, g, 0.001).arraySync() as number[][];
  const lg = tf.add(l, g).arraySync() as number[][];
  cold.forEach((row, i) => {
    const k = lg[i].indexOf(Math.max(...lg[i]));
    row.forEach((v, j) => assert.ok(Math.abs(v - (j === k ? 1 : 0)) < 1e-6, `row ${i}: ${row}`));
  });
  // d/dℓ of Σ w ⊙ softmax((ℓ + g)/τ) against central differences, τ = 0.7.
  const w = tf.tensor2d([[1, -2, 0.5], [0.3, 0.8, -1]]);
  const f = (x: tf.Tensor) => tf.sum(tf.mul(w, gumbelSoftmax(x, g, 0.7))) as tf.Scalar;
  const grad = tf.grad(f)(l).arraySync() as number[][];
  const h = 1e-2;
  const base = l.arraySync() as number[][];
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) {
      const shifted = (d: number) => f(tf.tensor2d(base.map((r, a) => r.map((v, b) => (a === i && b === j ? v + d : v))))).dataSync()[0];
      const fd = (shifted(h) - shifted(-h)) / (2 * h);
      assert.ok(Math.abs(fd - grad[i][j]) < 2e-3, `[${i}, ${j}]: autodiff ${grad[i][j]}, finite differences ${fd}`);
    }
  }
});

test('straight-through: the value of the hard sample, the gradient of the soft one', () => {
  const l = tf.tensor2d([[0.3, -0.2, 0.9]]);
  const g = tf.zeros([1, 3]);
  const hard = tf.tensor2d([[0, 0, 1]]);
  const w = tf.tensor2d([[1, -2, 0.5]]);
  assert.deepEqual(Array.from(straightThrough(gumbelSoftmax(l, g, 1), hard).dataSync()), [0, 0, 1]);
  const st = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, straightThrough(gumbelSoftmax(x, g, 1), hard))) as tf.Scalar)(l).dataSync();
  const soft = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, gumbelSoftmax(x, g, 1))) as tf.Scalar)(l).dataSync();
  st.forEach((v, k) => assert.ok(Math.abs(v - soft[k]) < 1e-7, `${v} vs ${soft[k]}`));
  assert.throws(() => straightThrough(gumbelSoftmax(l, g, 1), tf.zeros([3, 1])), /hard is \[3,1\], soft is \[1,3\]/);
  assert.throws(() => gumbelSoftmax(l, g, 0), /temperature τ is 0, expected > 0/);
});
