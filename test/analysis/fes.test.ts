import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binOf, density1d, fes1d, histogram1d } from 'cglab/analysis/fes';
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

test('density1d integrates to 1 over the grid and reports the fraction of samples inside it', () => {
  // Bond lengths of a harmonic bond at 300 K: Gaussian about 0.153 nm, σ = √(kT/k).
  const k = 2e5;
  const sigma = Math.sqrt(kT(300) / k);
  const values = Float64Array.from({ length: 20000 }, (_, i) => 0.153 + sigma * Math.SQRT2 * inverseErf(2 * ((i + 0.5) / 20000) - 1));
  const grid = { min: 0.153 - 3 * sigma, max: 0.153 + 3 * sigma, bins: 30 };
  const d = density1d(values, grid);
  const width = (grid.max - grid.min) / grid.bins;
  assert.ok(Math.abs(d.density.reduce((s, v) => s + v * width, 0) - 1) < 1e-12);
  assert.ok(Math.abs(d.inside - 0.9973) < 1e-3, `fraction within ±3σ: ${d.inside}`);
  // The middle bin's density is the Gaussian's peak (renormalised to the grid) within the bin's curvature.
  const peak = 1 / (sigma * Math.sqrt(2 * Math.PI) * 0.9973);
  assert.ok(Math.abs(d.density[15] / peak - 1) < 0.01, `${d.density[15]} vs ${peak}`);
});

/** erf⁻¹ by Newton's method on erf (Abramowitz–Stegun 7.1.26 is too coarse here; use a series). */
function inverseErf(y: number): number {
  const erf = (x: number) => {
    // Maclaurin series, converges for all x; |x| ≤ 3 here.
    let [term, sum] = [x, x];
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  let x = 0;
  for (let i = 0; i < 50; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}
