import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimize } from 'cglab/md/minimize';
import { makeConstraints, maxConstraintError } from 'cglab/md/constraints';
import { mullerBrown, harmonic } from 'cglab/physics/toy';
import type { Potential } from 'cglab/physics/potential';

test('finds the Müller–Brown minimum nearest the start', () => {
  const r = minimize(mullerBrown(), Float64Array.of(-0.4, 1.2), { tolerance: 1e-6 });
  assert.ok(r.converged);
  assert.ok(Math.abs(r.energy + 146.699) < 1e-3, `${r.energy}`);
  assert.ok(Math.abs(r.x[0] + 0.558) < 1e-3 && Math.abs(r.x[1] - 1.442) < 1e-3);
});

test('a 3-D harmonic well minimises to the origin', () => {
  const r = minimize(harmonic(100, 3), Float64Array.of(0.3, -0.2, 0.5), { tolerance: 1e-8 });
  assert.ok(r.converged && r.maxForce <= 1e-8);
  for (const v of r.x) assert.ok(Math.abs(v) < 1e-9);
});

test('constraints hold exactly after minimisation and the constrained optimum is found', () => {
  // Two particles pulled to x = ±0.2 nm by springs but constrained 0.1 nm apart: optimum at ±0.05.
  const p: Potential = {
    name: 'pair', nParticles: 2, dim: 3,
    evaluate(x, batch, f, e) {
      e[0] = 0;
      const targets = [-0.2, 0, 0, 0.2, 0, 0];
      for (let i = 0; i < 6; i++) { f[i] = -50 * (x[i] - targets[i]); e[0] += 25 * (x[i] - targets[i]) ** 2; }
    },
  };
  const c = makeConstraints([[0, 1, 0.1]], 2);
  const r = minimize(p, Float64Array.of(-0.02, 0.01, 0, 0.03, -0.01, 0), { constraints: c, masses: Float64Array.of(1, 1), tolerance: 1e-3 });
  assert.ok(r.converged);
  assert.ok(maxConstraintError(c, r.x, 2, 1) < 1e-9);
  assert.ok(Math.abs(r.x[0] + 0.05) < 1e-4 && Math.abs(r.x[3] - 0.05) < 1e-4, `${Array.from(r.x)}`);
});
