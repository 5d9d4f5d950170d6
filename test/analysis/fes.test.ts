import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binOf, fes1d, histogram1d } from 'cglab/analysis/fes';
import { kT } from 'cglab/units';

test('histogram drops values outside [min, max) and bins the rest', () => {
  const g = { min: 0, max: 1, bins: 4 };
  assert.deepEqual(Array.from(histogram1d([-0.1, 0, 0.3, 0.3, 0.99, 1], g)), [1, 2, 0, 1]);
  assert.equal(binOf(g, 1), -1);
});

test('F = −kT ln p with minimum 0 and NaN for empty bins', () => {
  const T = 300;
  const f = fes1d([0.1, 0.1, 0.1, 0.1, 0.6, 0.6], { min: 0, max: 1, bins: 4 }, T);
  assert.equal(f.F[0], 0);
  assert.ok(Number.isNaN(f.F[1]));
  assert.ok(Math.abs(f.F[2] - kT(T) * Math.log(2)) < 1e-12);
  assert.deepEqual(Array.from(f.centers), [0.125, 0.375, 0.625, 0.875]);
});

test('bad grids are rejected', () => {
  assert.throws(() => fes1d([1], { min: 1, max: 0, bins: 3 }, 300), /max > min/);
});
