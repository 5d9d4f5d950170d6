import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coupled2d, coupled2dPmf, doubleWell1d, doubleWell2d, harmonic, mullerBrown } from 'cglab/physics/toy';
import { energiesAndForces } from 'cglab/physics/potential';
import { Random } from 'cglab/util/random';

test('toy forces are −∇U (central differences, h = 1e-5: error O(h²) ≈ 1e-8 relative)', () => {
  const rng = new Random(7);
  for (const p of [doubleWell1d(), doubleWell2d(), coupled2d(), mullerBrown(), harmonic(2.5, 3)]) {
    for (let trial = 0; trial < 20; trial++) {
      const x = Float64Array.from({ length: p.dim }, () => (p.name === 'muller-brown' ? -1 + 2 * rng.uniform() : -3 + 6 * rng.uniform()));
      const { energies, forces } = energiesAndForces(p, x);
      assert.equal(energies[0], p.energy(x));
      for (let k = 0; k < p.dim; k++) {
        const h = 1e-5;
        const xp = Float64Array.from(x); xp[k] += h;
        const xm = Float64Array.from(x); xm[k] -= h;
        const fd = -(p.energy(xp) - p.energy(xm)) / (2 * h);
        assert.ok(Math.abs(fd - forces[k]) <= 1e-6 * (1 + Math.abs(fd)), `${p.name} dim ${k}: ${forces[k]} vs ${fd}`);
      }
    }
  }
});

test('2-D double well is E = x1⁴/4 − 3x1² + x1 + x2²/2', () => {
  assert.equal(doubleWell2d().energy([2, 1]), 4 - 12 + 2 + 0.5);
});

test('Müller–Brown minima have the published energies', () => {
  const mb = mullerBrown();
  // Published minima: (−0.558, 1.442) −146.70, (0.623, 0.028) −108.17, (−0.050, 0.467) −80.77.
  assert.ok(Math.abs(mb.energy([-0.558, 1.442]) + 146.7) < 0.05);
  assert.ok(Math.abs(mb.energy([0.623, 0.028]) + 108.17) < 0.05);
  assert.ok(Math.abs(mb.energy([-0.05, 0.467]) + 80.77) < 0.05);
});

test('coupled-2d PMF equals −kT ln ∫ exp(−U/kT) dx2 (numerical quadrature)', () => {
  const p = coupled2d();
  const T = p.temperature;
  const kt = 0.008314462618 * T;
  const F = (x1: number) => {
    let z = 0;
    const h = 0.001;
    for (let x2 = -30; x2 < 40; x2 += h) z += Math.exp(-p.energy([x1, x2]) / kt) * h;
    return -kt * Math.log(z);
  };
  const ref = F(0) - coupled2dPmf(0, T);
  for (const x1 of [-2.5, -1, 0.5, 2]) assert.ok(Math.abs(F(x1) - coupled2dPmf(x1, T) - ref) < 1e-6, `x1 = ${x1}`);
});

test('a batch whose length is not a multiple of the configuration size is an error', () => {
  assert.throws(() => energiesAndForces(doubleWell2d(), new Float64Array(3)), /not a multiple of 1 particles × 2/);
});
