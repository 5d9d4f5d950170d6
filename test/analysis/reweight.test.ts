import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boltzmannGradient, boltzmannWeights, meanCovariance, uniformWeights, weightedMoments } from 'cglab/analysis/reweight';
import { Random } from 'cglab/util/random';

const kT = 2.5;
const beta = 1 / kT;

/** n exact samples of U = k x²/2 at kT. */
function gaussian(k: number, n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const s = Math.sqrt(kT / k);
  return Float64Array.from({ length: n }, () => s * rng.normal());
}

test('the covariance estimator gives ∂E[x²]/∂k = −kT/k² of a harmonic well, within its standard error', () => {
  // U = k x²/2: ∂U/∂k = x²/2, E[x²] = kT/k.
  const k = 4;
  const x = gaussian(k, 200000, 1);
  const g = x.map((v) => v * v);
  const dU = x.map((v) => (v * v) / 2);
  const est = boltzmannGradient(g, dU, 1, uniformWeights(x.length).weights, beta, 10);
  const exact = -kT / (k * k);
  assert.ok(Math.abs(est.gradient[0] - exact) < 4 * est.stdError[0], `${est.gradient[0]} vs ${exact} ± ${est.stdError[0]}`);
  // The error is a real spread: a few per cent of the value at this sample size, not zero.
  assert.ok(est.stdError[0] > 1e-4 * Math.abs(exact) && est.stdError[0] < 0.05 * Math.abs(exact), `${est.stdError[0]}`);
});

test('reweighting samples of k = 4 to k = 5 recovers E[x²] = kT/5, and the effective size falls below the count', () => {
  const x = gaussian(4, 100000, 2);
  const w = boltzmannWeights(x.map((v) => (v * v) / 2), beta); // ΔU = (5 − 4) x²/2
  const m = weightedMoments(x.map((v) => v * v), x.length, 1, w.weights);
  // E[x²] under k = 5 is 0.5; the sampling error of a weighted mean of 1e5 samples is ~0.3 %.
  assert.ok(Math.abs(m.mean[0] - kT / 5) < 0.01 * (kT / 5), `${m.mean[0]}`);
  assert.ok(w.ess < x.length && w.ess > 0.8 * x.length, `${w.ess}`);
  assert.ok(Math.abs(w.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.throws(() => boltzmannWeights([0, NaN], beta), /sample 1 is NaN/);
});

test('the block covariance of a mean equals the variance of the mean of independent samples', () => {
  const x = gaussian(1, 50000, 3);
  const c = meanCovariance(x, x.length, 1, uniformWeights(x.length).weights, 50);
  const expected = kT / x.length;
  // The block estimate with 50 blocks has a relative spread of √(2/49) ≈ 0.2.
  assert.ok(Math.abs(c[0] / expected - 1) < 0.6, `${c[0]} vs ${expected}`);
  assert.ok(Number.isNaN(meanCovariance(x, x.length, 1, uniformWeights(x.length).weights, 1)[0]));
});
