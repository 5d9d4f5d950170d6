// CCG on the coupled 2-D toy E = x1⁴/4 − 3x1² + x1 + (1 + x1²)(x2 − x1²/2)²/2, CG variable
// s = x1. Given s, x2 is Gaussian with mean s²/2 and variance kT/(1 + s²), so the exact free
// energy is F(s) = x1⁴/4 − 3x1² + x1 + ½kT ln(1 + s²) − ½kT ln(2πkT) (physics/toy.ts
// coupled2dPmf plus the constant), including across the barrier near s = 0.17. A conditional
// Gaussian back-mapping can be exact here, so the bound and the importance-weighted estimate
// must both land on it, from training at fixed s only (no trajectory ever crosses the barrier).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from 'cglab/backend/select';
import { coordinateSplit } from 'cglab/methods/ccg/representation';
import { fitBackmapping } from 'cglab/methods/ccg/train';
import { freeEnergies } from 'cglab/methods/ccg/freeEnergy';
import { buildFlow } from 'cglab/nn/flows';
import { GaussianMlp } from 'cglab/nn/gaussianMlp';
import { coupled2dTensor } from 'cglab/physics/tensor';
import { coupled2d, coupled2dPmf } from 'cglab/physics/toy';
import { BOLTZMANN } from 'cglab/units';
import { Random } from 'cglab/util/random';

await initBackend('wasm');

test('coupled 2-D toy: F(x1) from fixed-x1 back-mapping within 0.1 kT of the exact PMF over [−2.5, 2.5], with the mean force', async () => {
  const p = coupled2d();
  const T = p.temperature;
  const kT = BOLTZMANN * T;
  const grid = Float64Array.from({ length: 51 }, (_, i) => -2.5 + 0.1 * i);
  const rep = coordinateSplit(2, [0]);
  const q = new GaussianMlp(1, 1, { hidden: [32, 32], rng: new Random(1) });
  const fit = await fitBackmapping(q, rep, coupled2dTensor, T, { contexts: grid, steps: 2000, seed: 1 });
  assert.equal(fit.steps, 2000);
  const est = freeEnergies(q, rep, coupled2dTensor, T, grid, { samples: 2000 });
  const c0 = -0.5 * kT * Math.log(2 * Math.PI * kT);
  const h = 1e-4;
  let worstF = 0;
  let worstForce = 0;
  for (let i = 0; i < grid.length; i++) {
    const exact = coupled2dPmf(grid[i], T) + c0;
    const dF = (coupled2dPmf(grid[i] + h, T) - coupled2dPmf(grid[i] - h, T)) / (2 * h);
    // The absolute free energy, constant included: nothing is aligned after the fact.
    assert.ok(Math.abs(est.freeEnergy[i] - exact) < 0.1 * kT, `s = ${grid[i].toFixed(1)}: F ${est.freeEnergy[i]} vs exact ${exact} kJ/mol`);
    // The bound is above F up to its sampling noise (2000 samples of a ~1 kT spread: ~0.03 kT).
    assert.ok(est.bound[i] > est.freeEnergy[i] - 0.05 * kT, `s = ${grid[i].toFixed(1)}: bound ${est.bound[i]} below F ${est.freeEnergy[i]}`);
    assert.ok(est.ess[i] > 0.5, `s = ${grid[i].toFixed(1)}: ESS ${est.ess[i]}`);
    worstF = Math.max(worstF, Math.abs(est.freeEnergy[i] - exact) / kT);
    worstForce = Math.max(worstForce, Math.abs(est.meanForce[i] + dF) / kT);
  }
  // The mean force is an average of fluctuating instantaneous forces (spread of several kT per
  // unit of s), so 2000 samples leave ~0.1 kT of noise: 0.4 kT bounds it with room.
  assert.ok(worstForce < 0.4, `mean force off by ${worstForce} kT per unit of s`);
  assert.ok(worstF < 0.05, `F off by ${worstF} kT`);
});

test('the same from a conditional normalising flow (affine + spline couplings): any ConditionalDensity back-maps', async () => {
  const T = coupled2d().temperature;
  const kT = BOLTZMANN * T;
  const grid = Float64Array.from({ length: 51 }, (_, i) => -2.5 + 0.1 * i);
  const rep = coordinateSplit(2, [0]);
  const q = buildFlow({ dim: 1, contextDim: 1, couplings: ['affine', 'spline'], hidden: [32, 32], rng: new Random(1) });
  q.checkFinite = false;
  await fitBackmapping(q, rep, coupled2dTensor, T, { contexts: grid, steps: 1500, seed: 1 });
  const est = freeEnergies(q, rep, coupled2dTensor, T, grid, { samples: 2000 });
  const c0 = -0.5 * kT * Math.log(2 * Math.PI * kT);
  grid.forEach((s, i) => {
    const exact = coupled2dPmf(s, T) + c0;
    assert.ok(Math.abs(est.freeEnergy[i] - exact) < 0.1 * kT, `s = ${s.toFixed(1)}: F ${est.freeEnergy[i]} vs exact ${exact} kJ/mol (ESS ${est.ess[i]})`);
  });
  q.dispose();
});

test('bad input: contexts of the wrong width, a density of another shape', async () => {
  const rep = coordinateSplit(2, [0]);
  const q = new GaussianMlp(1, 1, { hidden: [4], rng: new Random(1) });
  await assert.rejects(fitBackmapping(q, rep, coupled2dTensor, 300, { contexts: new Float64Array(0) }), /contexts have 0 values, expected \[n, 1\] CG configurations/);
  await assert.rejects(fitBackmapping(new GaussianMlp(2, 1, { hidden: [4] }), rep, coupled2dTensor, 300, { contexts: Float64Array.of(0) }), /the density maps 2 → 1 coordinates, the representation 1 context values → 1 fine/);
  assert.throws(() => coordinateSplit(2, [2]), /CG coordinates \[2\] must be distinct indices into the 2 coordinates/);
  assert.throws(() => freeEnergies(q, rep, coupled2dTensor, 300, Float64Array.of()), /s has 0 values, expected \[m, 1\] CG configurations/);
});
