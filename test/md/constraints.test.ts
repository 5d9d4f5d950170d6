import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeConstraints, maxConstraintError, rattleVelocities, shakePositions } from 'cglab/md/constraints';
import { baoab, initState, kineticEnergies, kineticTemperatures, verlet } from 'cglab/md/integrators';
import { run } from 'cglab/md/simulate';
import type { Potential } from 'cglab/physics/potential';

/** A bent triatomic: particle 1 tethered to the origin, angle-like spring between 0 and 2. */
const triatomic: Potential = {
  name: 'triatomic',
  nParticles: 3,
  dim: 3,
  evaluate(x, batch, f, e) {
    for (let b = 0; b < batch; b++) {
      const o = 9 * b;
      let en = 0;
      for (let k = 0; k < 3; k++) {
        // particle 1 in a well of 500 kJ/mol/nm²; 0–2 spring 200 kJ/mol/nm² to rest length 0.16 nm
        f[o + 3 + k] = -500 * x[o + 3 + k];
        en += 250 * x[o + 3 + k] ** 2;
        f[o + k] = 0;
        f[o + 6 + k] = 0;
      }
      const d = [0, 1, 2].map((k) => x[o + k] - x[o + 6 + k]);
      const r = Math.hypot(d[0], d[1], d[2]);
      en += 100 * (r - 0.16) ** 2;
      for (let k = 0; k < 3; k++) {
        const g = (200 * (r - 0.16) * d[k]) / r;
        f[o + k] -= g;
        f[o + 6 + k] += g;
      }
      e[b] = en;
    }
  },
};
const masses = Float64Array.of(1.008, 15.999, 1.008);
const cons = makeConstraints([[0, 1, 0.1], [1, 2, 0.1]], 3);
const start = (replicas: number) => {
  const x = new Float64Array(9 * replicas);
  for (let r = 0; r < replicas; r++) x.set([0.1, 0, 0, 0, 0, 0, -0.03, 0.095, 0], 9 * r);
  return x;
};

test('SHAKE restores distances along the old bond vectors; RATTLE removes bond-parallel velocity', () => {
  const ref = start(1);
  const x = Float64Array.from(ref);
  x[0] += 0.004; x[7] -= 0.003;
  shakePositions(cons, ref, x, masses.map((m) => 1 / m), 1);
  assert.ok(maxConstraintError(cons, x, 3, 1) < 1e-9);
  const v = Float64Array.of(1, 0, 0, 0, 0, 0, 0, 1, 0);
  rattleVelocities(cons, x, v, masses.map((m) => 1 / m), 1);
  for (const [i, j] of [[0, 1], [1, 2]]) {
    const rv = [0, 1, 2].reduce((s, k) => s + (x[3 * i + k] - x[3 * j + k]) * (v[3 * i + k] - v[3 * j + k]), 0);
    assert.ok(Math.abs(rv) < 1e-11);
  }
});

test('BAOAB with constraints keeps them to 1e-9 and samples kinetic temperature with N_dof = 9 − 2', () => {
  const T = 300;
  const replicas = 400;
  const s = initState(triatomic, start(replicas), masses, T, 5, cons);
  const integ = baoab({ dt: 0.001, temperature: T, friction: 5, masses, constraints: cons });
  let sumT = 0;
  let n = 0;
  for (let block = 0; block < 20; block++) {
    run(triatomic, integ, s, { steps: 50, saveEvery: 50 });
    assert.ok(maxConstraintError(cons, s.x, 3, replicas) < 1e-9);
    if (block >= 5) { for (const t of kineticTemperatures(triatomic, s, masses, cons)) { sumT += t; n++; } }
  }
  // Each replica's kinetic temperature is T·χ²₇/7 (sd T·√(2/7)). Treating the 15 blocks as fully
  // correlated leaves 400 independent samples: 5σ = 5·T·√(2/7)/20 ≈ 40 K, while a wrong degree-
  // of-freedom count (9 instead of 7) would be off by 29 % = 86 K.
  const mean = sumT / n;
  assert.ok(Math.abs(mean - T) < 5 * T * Math.sqrt(2 / 7) / Math.sqrt(replicas), `⟨T_kin⟩ = ${mean}`);
});

test('velocity Verlet with constraints conserves energy (relative deviation < 2e-4 over 2000 steps)', () => {
  const s = initState(triatomic, start(4), masses, 300, 2, cons);
  const integ = verlet({ dt: 0.0005, temperature: 300, friction: 1, masses, constraints: cons });
  const total = () => { const ke = kineticEnergies(triatomic, s, masses); return Array.from(s.energies, (u, r) => u + ke[r]); };
  const e0 = total();
  let worst = 0;
  for (let b = 0; b < 40; b++) {
    run(triatomic, integ, s, { steps: 50, saveEvery: 50 });
    total().forEach((e, r) => { worst = Math.max(worst, Math.abs(e - e0[r]) / Math.abs(e0[r])); });
  }
  assert.ok(maxConstraintError(cons, s.x, 3, 4) < 1e-9);
  assert.ok(worst < 2e-4, `energy deviation ${worst}`);
});

test('bad constraints are rejected', () => {
  assert.throws(() => makeConstraints([[0, 3, 0.1]], 3), /constraint 0 \(0, 3\) must join two distinct atoms in 0\.\.2/);
  assert.throws(() => makeConstraints([[0, 1, 0]], 3), /distance 0 nm, expected > 0/);
});

test('constrained BAOAB samples the exact angle distribution of a rigid triatomic, Fixman factor included (χ², p = 1e-4)', () => {
  // Two rigid 0.1 nm bonds 0–1 and 1–2 with a light centre (masses 16, 1, 16): the angle θ has
  // density ∝ sin θ · exp(−βU(θ)) · √det Z(θ), where Z is the constraints' mass metric,
  // det Z = (1/m0 + 1/m1)(1/m1 + 1/m2) − cos²θ / m1², which varies threefold over θ here — a
  // wrong constraint treatment (e.g. a velocity correction off by 2×) shows up at once.
  const m = Float64Array.of(16, 1, 16);
  const T = 300;
  const beta = 1 / (0.008314462618 * T);
  const replicas = 3000;
  const s = initState(triatomic, start(replicas), m, T, 17, cons);
  // 3 ps from one starting angle at the production time step, 2 fs (χ² ≈ 20 measured; 15 after 6 ps).
  run(triatomic, baoab({ dt: 0.002, temperature: T, friction: 5, masses: m, constraints: cons }), s, { steps: 1500, saveEvery: 1500 });
  const U = (th: number) => { const r = 0.1 * Math.sqrt(2 - 2 * Math.cos(th)); return 100 * (r - 0.16) ** 2; };
  const detZ = (th: number) => (1 / 16 + 1) * (1 + 1 / 16) - Math.cos(th) ** 2;
  const bins = 20;
  const density = (th: number, withFixman: boolean) => Math.sin(th) * Math.exp(-beta * U(th)) * (withFixman ? Math.sqrt(detZ(th)) : 1);
  const probs = (withFixman: boolean) => {
    const p = Array.from({ length: bins }, (_, b) => {
      let z = 0;
      for (let k = 0; k < 100; k++) z += density(((b + (k + 0.5) / 100) * Math.PI) / bins, withFixman);
      return z;
    });
    const tot = p.reduce((a, c) => a + c, 0);
    return p.map((v) => v / tot);
  };
  const counts = new Array(bins).fill(0);
  for (let r = 0; r < replicas; r++) {
    const o = 9 * r;
    const a = [0, 1, 2].map((k) => s.x[o + k] - s.x[o + 3 + k]);
    const b = [0, 1, 2].map((k) => s.x[o + 6 + k] - s.x[o + 3 + k]);
    const th = Math.acos((a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (Math.hypot(...a) * Math.hypot(...b)));
    counts[Math.min(bins - 1, Math.floor((th / Math.PI) * bins))]++;
  }
  const chi2 = (p: number[]) => counts.reduce((acc, c, b) => acc + (c - replicas * p[b]) ** 2 / (replicas * p[b]), 0);
  // χ² critical value for 19 degrees of freedom at p = 1e-4 (Wilson–Hilferty): 49.4.
  assert.ok(chi2(probs(true)) < 49.4, `χ² = ${chi2(probs(true)).toFixed(1)} against the exact density`);
  assert.ok(chi2(probs(false)) > 49.4, 'the test cannot tell the Fixman factor: it has no power');
});
