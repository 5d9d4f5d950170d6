import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fesMse, jsDivergence, klBreakdown, klDivergence, klDivergenceCommon } from 'cglab/analysis/divergence';
import { judgePhiPsi } from 'cglab/analysis/ramachandran';
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

test('klBreakdown: KL over every bin p populates with q floored, its unvisited part and per-region parts', () => {
  // p = (0.25, 0.25, 0.5, 0), q = (0.5, 0.5, 0, 0) → the third bin is unvisited: 0.5 ln(0.5/1e-6).
  const r = klBreakdown([1, 1, 2, 0], [1, 1, 0, 3], { regions: ['a', 'a', 'b', 'b'] });
  const visited = 2 * 0.25 * Math.log(0.25 / 0.2);
  const unvisited = 0.5 * Math.log(0.5 / 1e-6);
  assert.ok(Math.abs(r.kl - (visited + unvisited)) < 1e-12, `${r.kl}`);
  assert.deepEqual(r.unvisited, { bins: 1, mass: 0.5, kl: unvisited });
  assert.ok(Math.abs(r.regions.a.kl - visited) < 1e-12 && r.regions.b.kl === unvisited);
  assert.deepEqual([r.regions.a.p, r.regions.b.q], [0.5, 0.6]);
  assert.equal(r.coverage, 0.5);
  assert.equal(r.common, 0, 'over the bins both populate the two agree');
  // A larger floor lowers the penalty; identical histograms give 0 with nothing unvisited.
  assert.ok(klBreakdown([1, 1, 2, 0], [1, 1, 0, 3], { floor: 1e-3 }).kl < r.kl);
  const same = klBreakdown([3, 0, 1], [6, 0, 2]);
  assert.deepEqual([same.kl, same.unvisited.bins, same.coverage], [0, 0, 1]);
  assert.throws(() => klBreakdown([1], [1, 2]), /histograms have 1 and 2 bins/);
  assert.throws(() => klBreakdown([1], [1], { floor: 0 }), /floor 0, expected a probability/);
  assert.throws(() => klBreakdown([1, 2], [1, 2], { regions: ['a'] }), /1 region labels for 2 bins/);
});

test('judgePhiPsi: a model that never reaches φ > 0 pays for it in the φ > 0 basin and the unvisited bins', () => {
  // Reference: 90 % in αR around (−70°, −30°), 10 % at φ > 0 around (60°, 40°); model: αR only.
  const ref = { phi: [] as number[], psi: [] as number[] };
  const model = { phi: [] as number[], psi: [] as number[] };
  for (let i = 0; i < 1000; i++) {
    const [dx, dy] = [(i % 10) - 4.5, Math.floor(i / 10) % 10 - 4.5];
    const left = i >= 100;
    ref.phi.push(left ? -70 + dx : 60 + dx);
    ref.psi.push(left ? -30 + dy : 40 + dy);
    model.phi.push(-70 + dx);
    model.psi.push(-30 + dy);
  }
  const j = judgePhiPsi(ref, model);
  assert.ok(Math.abs(j.populations.reference['phi>0'] - 0.1) < 1e-12 && j.populations.model['phi>0'] === 0);
  assert.ok(Math.abs(j.unvisited.mass - 0.1) < 1e-12);
  assert.ok(Math.abs(j.regions['phi>0'].kl - j.unvisited.kl) < 1e-12, 'φ > 0 is the unvisited part');
  // φ > 0: 0.1 ln(p_bin / 1e-6) over its bins; αR: 0.9 ln(0.9) from renormalising, exactly.
  assert.ok(Math.abs(j.regions.alphaR.kl - 0.9 * Math.log(0.9)) < 1e-9, `${j.regions.alphaR.kl}`);
  assert.ok(j.kl > 0.5 && j.common < 1e-12 && Math.abs(j.coverage - 0.9) < 1e-12);
  assert.equal(j.ratio.model, Infinity);
});
