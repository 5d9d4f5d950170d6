import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from 'cglab/backend/select';
import { embeddedTarget } from 'cglab/methods/embedded/modelDir';
import { fitEmbedded, weightedSamples } from 'cglab/methods/embedded/train';
import { BOLTZMANN } from 'cglab/units';
import { Random } from 'cglab/util/random';

before(async () => {
  await initBackend();
});

/** x1 of the barrier top of x⁴/4 − 3x² + x (the middle root of x³ − 6x + 1). */
const BARRIER = 0.167449;
const u1 = (x: number) => x ** 4 / 4 - 3 * x * x + x;
const LO = -5;
const HI = 5;
const BINS = 60;

/** Exact marginal of x1 by midpoint quadrature (2·10⁵ points on [−5, 5], where the density ends below e⁻²⁵). */
function exactMarginal(kT: number): { left: number; bins: Float64Array } {
  const n = 200_000;
  const h = (HI - LO) / n;
  const bins = new Float64Array(BINS);
  let z = 0;
  let left = 0;
  for (let k = 0; k < n; k++) {
    const x = LO + (k + 0.5) * h;
    const p = Math.exp(-u1(x) / kT);
    z += p;
    if (x < BARRIER) left += p;
    bins[Math.min(BINS - 1, Math.floor(((x - LO) / (HI - LO)) * BINS))] += p;
  }
  return { left: left / z, bins: bins.map((p) => p / z) };
}

test('embedded physics on the 2-D double well: mode weights, x2 variance, x1 histogram and importance weights against quadrature', async () => {
  const target = embeddedTarget('double-well-2d');
  const kT = BOLTZMANN * target.temperature;
  assert.ok(Math.abs(kT - 3) < 1e-9, `kT = ${kT}`);
  const exact = exactMarginal(kT);
  assert.ok(Math.abs(exact.left - 0.8165) < 5e-4, `quadrature left-mode weight ${exact.left}`);

  const t0 = Date.now();
  const fit = await fitEmbedded(target, { seed: 1 });
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(fit.complete, `not complete: a = ${fit.a} after ${fit.steps} steps`);
  assert.equal(fit.a, 1);
  assert.equal(fit.stages.at(-1)?.a, 1);
  // The ladder rises from aStart = 1e-4.
  assert.equal(fit.stages[0].a, 1e-4);
  assert.ok(fit.stages.every((s, k) => k === 0 || s.a >= fit.stages[k - 1].a));

  const n = 100_000;
  const { q } = fit.model.sample(n, new Random(7));
  let left = 0;
  let m2 = 0;
  let s2 = 0;
  const counts = new Float64Array(BINS);
  for (let i = 0; i < n; i++) {
    const x1 = q[2 * i];
    const x2 = q[2 * i + 1];
    if (x1 < BARRIER) left++;
    m2 += x2;
    s2 += x2 * x2;
    if (x1 >= LO && x1 < HI) counts[Math.floor(((x1 - LO) / (HI - LO)) * BINS)]++;
  }
  left /= n;
  m2 /= n;
  const var2 = s2 / n - m2 * m2;
  let kl = 0;
  for (let b = 0; b < BINS; b++) {
    const p = exact.bins[b];
    if (p > 0) kl += p * Math.log(p / Math.max(counts[b] / n, 1e-8));
  }
  const w = weightedSamples(fit.model, target, n, new Random(8));
  let leftW = 0;
  for (let i = 0; i < n; i++) if (w.q[2 * i] < BARRIER) leftW += w.weights[i];

  console.log(`embedded double-well-2d (seed 1, ${fit.steps} steps, ${fit.stages.length} rungs, ${seconds.toFixed(1)} s): left-mode weight ${left.toFixed(4)} (exact ${exact.left.toFixed(4)}), ` +
    `x2 variance ${var2.toFixed(4)} (kT ${kT}), KL(exact‖model) of x1 ${kl.toFixed(4)}, ESS ${(w.ess * 100).toFixed(1)} %, reweighted left-mode weight ${leftW.toFixed(4)}`);

  // Mode weight: the sampling error of 10⁵ draws is √(0.82·0.18/10⁵) = 0.0012; 0.02 is the
  // model's own bias that we accept (the reverse KL starves the smaller mode first).
  assert.ok(Math.abs(left - exact.left) < 0.02, `left-mode weight ${left}, exact ${exact.left}`);
  // x2 is an independent harmonic coordinate of variance kT: sampling error √(2/10⁵) = 0.45 %, the rest is the fit's.
  assert.ok(Math.abs(var2 / kT - 1) < 0.05, `x2 variance ${var2}, kT ${kT}`);
  // The bin-count noise alone adds ~(bins − 1)/(2n) = 3·10⁻⁴ to the KL; 0.03 is a visible mismatch of shape.
  assert.ok(kl < 0.03, `KL(exact ‖ model) = ${kl}`);
  // Importance weights: a model close to the target keeps most of its samples, and reweighting
  // corrects what bias the mode weight has.
  assert.ok(w.ess > 0.5, `ESS ${w.ess}`);
  assert.ok(Math.abs(leftW - exact.left) < 0.02, `reweighted left-mode weight ${leftW}, exact ${exact.left}`);
  fit.model.dispose();
});
