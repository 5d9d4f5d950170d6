import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fesMse, jsDivergence, klDivergence, klDivergenceCommon } from 'cglab/analysis/divergence';
import { fes2d, histogram2d } from 'cglab/analysis/fes';

test('KL of identical histograms is 0, of disjoint ones large; KL of known distributions', () => {
  assert.ok(Math.abs(klDivergence([1, 2, 3], [2, 4, 6])) < 1e-9);
  assert.ok(klDivergence([1, 0], [0, 1]) > 10);
  // p = (1/2, 1/2), q = (1/4, 3/4): KL = ½ ln 2 + ½ ln(2/3)
  assert.ok(Math.abs(klDivergence([1, 1], [1, 3]) - (0.5 * Math.log(2) + 0.5 * Math.log(2 / 3))) < 1e-6);
});

test('JS is symmetric and at most ln 2', () => {
  assert.ok(Math.abs(jsDivergence([1, 3], [2, 1]) - jsDivergence([2, 1], [1, 3])) < 1e-15);
  assert.ok(Math.abs(jsDivergence([1, 0], [0, 1]) - Math.LN2) < 1e-15);
});

test('FES MSE ignores a constant offset and unshared bins', () => {
  assert.ok(Math.abs(fesMse([0, 1, 2, NaN], [5, 6, 7, 1])) < 1e-15);
  assert.ok(Math.abs(fesMse([0, 2], [0, 0]) - 1) < 1e-15);
  assert.ok(Number.isNaN(fesMse([NaN], [1])));
  assert.throws(() => klDivergence([1], [1, 2]), /use one shared grid/);
});

test('2-D histogram is row-major with x outer', () => {
  const g = { min: 0, max: 2, bins: 2 };
  assert.deepEqual(Array.from(histogram2d([0.5, 1.5, 1.5], [1.5, 0.5, 0.7], g, g)), [0, 1, 2, 0]);
  const f = fes2d([0.5, 1.5, 1.5], [1.5, 0.5, 0.7], g, g, 300);
  assert.equal(f.F[2], 0);
  assert.ok(Number.isNaN(f.F[0]));
});

test('KL over commonly populated bins renormalises there and reports the coverage', () => {
  const r = klDivergenceCommon([1, 1, 2], [1, 3, 0]);
  // common bins 0 and 1: p = (1/2, 1/2), q = (1/4, 3/4)
  assert.ok(Math.abs(r.kl - (0.5 * Math.log(2) + 0.5 * Math.log(2 / 3))) < 1e-12);
  assert.equal(r.coverage, 0.5);
  assert.equal(klDivergenceCommon([0, 0], [1, 1]).coverage, 0);
});
