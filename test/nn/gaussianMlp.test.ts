import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { GaussianMlp } from 'cglab/nn/gaussianMlp';
import { Random } from 'cglab/util/random';

before(async () => {
  await useBackend('cpu');
});

const rows = 7;
const nIn = 3;
const nOut = 4;

/** [rows, n] standard normal draws times `scale`. */
function draws(rng: Random, n: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: n }, () => scale * rng.normal()));
}

test('logProb is the diagonal Gaussian log density of the moments, row by row', () => {
  const rng = new Random(2);
  // outputScale 1: moments that vary visibly with c, so a mix-up of rows or dimensions shows.
  const g = new GaussianMlp(nIn, nOut, { hidden: [8, 8], rng, outputScale: 1, meanInit: [0.5, -1, 2, 0], logStdInit: [-0.5, 0, 0.3, 1] });
  const c = draws(rng, nIn);
  const y = draws(rng, nOut, 2);
  const [mean, logStd, lp] = tf.tidy(() => {
    const ct = tf.tensor2d(c);
    const m = g.moments(ct);
    return [m.mean.arraySync(), m.logStd.arraySync(), g.logProb(tf.tensor2d(y), ct).arraySync()];
  }) as [number[][], number[][], number[]];
  assert.equal(lp.length, rows);
  // The log-std head is not constant (else a swap of the two heads could pass).
  assert.ok(Math.abs(logStd[0][0] - logStd[1][0]) > 1e-3);
  for (let i = 0; i < rows; i++) {
    let want = 0;
    for (let k = 0; k < nOut; k++) {
      const sd = Math.exp(logStd[i][k]);
      want += -0.5 * ((y[i][k] - mean[i][k]) / sd) ** 2 - logStd[i][k] - 0.5 * Math.log(2 * Math.PI);
    }
    // float32: ~1e-7 relative per operation over a dozen operations on values of order 10.
    assert.ok(Math.abs(lp[i] - want) < 1e-4 * (1 + Math.abs(want)), `row ${i}: logProb ${lp[i]}, by hand ${want}`);
  }
  g.dispose();
});

test('sample with given ε is μ + exp(ln σ) ⊙ ε, and returns the moments it used', () => {
  const rng = new Random(3);
  const g = new GaussianMlp(nIn, nOut, { hidden: [8], rng, outputScale: 1, logStdInit: -0.7 });
  const c = draws(rng, nIn);
  const eps = draws(rng, nOut);
  const [y, mean, logStd, mean2] = tf.tidy(() => {
    const ct = tf.tensor2d(c);
    const s = g.sample(ct, tf.tensor2d(eps));
    return [s.y.arraySync(), s.mean.arraySync(), s.logStd.arraySync(), g.moments(ct).mean.arraySync()];
  }) as number[][][];
  for (let i = 0; i < rows; i++) {
    for (let k = 0; k < nOut; k++) {
      // float32 rounding of exp and of the product: a few ulps of values of order 1.
      const want = mean[i][k] + Math.exp(logStd[i][k]) * eps[i][k];
      assert.ok(Math.abs(y[i][k] - want) < 1e-5, `[${i}][${k}]: ${y[i][k]} vs ${want}`);
      assert.equal(mean[i][k], mean2[i][k]);
    }
  }
  g.dispose();
});

test('meanInit and logStdInit set the start: exactly so with outputScale 0, nearly so by default', () => {
  const rng = new Random(4);
  const meanInit = [1.25, -3, 0.1, 7];
  const logStdInit = [-2, 0.5, 0, 1.5];
  const c = tf.tensor2d(draws(rng, nIn, 3));
  const exact = new GaussianMlp(nIn, nOut, { hidden: [16], rng, meanInit, logStdInit, outputScale: 0 });
  const [m0, s0] = tf.tidy(() => {
    const m = exact.moments(c);
    return [m.mean.arraySync(), m.logStd.arraySync()];
  }) as number[][][];
  for (let i = 0; i < rows; i++) {
    // Zero output weights leave the bias alone: equal to the float32 of each value.
    assert.deepEqual(m0[i], meanInit.map(Math.fround));
    assert.deepEqual(s0[i], logStdInit.map(Math.fround));
  }
  // One number for every log σ.
  const scalar = new GaussianMlp(nIn, nOut, { hidden: [16], rng, logStdInit: -1.5, outputScale: 0 });
  const s1 = tf.tidy(() => scalar.moments(c).logStd.arraySync()) as number[][];
  assert.ok(s1.every((row) => row.every((v) => v === Math.fround(-1.5))));
  // The default outputScale 0.1 starts near, not at, the initial values (the weights are live).
  const near = new GaussianMlp(nIn, nOut, { hidden: [16], rng, meanInit, logStdInit });
  const m2 = tf.tidy(() => near.moments(c).mean.arraySync()) as number[][];
  let largest = 0;
  for (let i = 0; i < rows; i++) for (let k = 0; k < nOut; k++) largest = Math.max(largest, Math.abs(m2[i][k] - meanInit[k]));
  assert.ok(largest > 0 && largest < 1, `largest distance from meanInit ${largest}`);
  // Defaults: mean 0, ln σ 0.
  const plain = new GaussianMlp(nIn, nOut, { rng, outputScale: 0 });
  const [m3, s3] = tf.tidy(() => {
    const m = plain.moments(c);
    return [m.mean.arraySync(), m.logStd.arraySync()];
  }) as number[][][];
  assert.ok(m3.flat().every((v) => v === 0) && s3.flat().every((v) => v === 0));
  assert.deepEqual(plain.hidden, [64, 64]);
  for (const g of [exact, scalar, near, plain]) g.dispose();
  c.dispose();
});

test('meanInit or logStdInit of the wrong length is refused', () => {
  assert.throws(() => new GaussianMlp(2, 3, { hidden: [4], meanInit: [0, 1] }), /GaussianMlp: meanInit has 2 values, expected 3/);
  assert.throws(() => new GaussianMlp(2, 3, { hidden: [4], meanInit: [0, 1, 2, 3] }), /meanInit has 4 values, expected 3/);
  assert.throws(() => new GaussianMlp(2, 3, { hidden: [4], logStdInit: [0, 1] }), /GaussianMlp: logStdInit has 2 values, expected 3/);
});
