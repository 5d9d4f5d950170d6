import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fccLattice, lennardJones } from 'cglab/physics/lj';
import { energiesAndForces } from 'cglab/physics/potential';
import { Random } from 'cglab/util/random';

const sigma = 0.34;
const epsilon = 0.996;

/** Brute-force reference: every pair, minimum image, shifted cut-off. */
function bruteEnergy(x: Float64Array, n: number, box: number[], rc: number): number {
  const shift = 4 * epsilon * ((sigma / rc) ** 12 - (sigma / rc) ** 6);
  let e = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    const d = [0, 1, 2].map((k) => { const v = x[3 * i + k] - x[3 * j + k]; return v - box[k] * Math.round(v / box[k]); });
    const r = Math.hypot(d[0], d[1], d[2]);
    if (r < rc) e += 4 * epsilon * ((sigma / r) ** 12 - (sigma / r) ** 6) - shift;
  }
  return e;
}

test('pair at the minimum 2^(1/6)σ has energy −ε − U(rc)', () => {
  const rc = 2.5 * sigma;
  const p = lennardJones({ n: 2, box: [3, 3, 3], sigma, epsilon, cutoff: rc });
  const r = 2 ** (1 / 6) * sigma;
  const { energies, forces } = energiesAndForces(p, Float64Array.of(1, 1, 1, 1 + r, 1, 1));
  const shift = 4 * epsilon * ((1 / 2.5) ** 12 - (1 / 2.5) ** 6);
  assert.ok(Math.abs(energies[0] - (-epsilon - shift)) < 1e-12);
  for (const f of forces) assert.ok(Math.abs(f) < 1e-10);
});

test('cell-list Verlet neighbours give the brute-force energy, across the periodic boundary, after moves', () => {
  const n = 256;
  const L = 3.2; // 8 cells per edge at rc + skin ≈ 0.95 nm → cell lists are used
  const box: [number, number, number] = [L, L * 1.1, L * 0.95];
  const rc = 2.5 * sigma;
  const p = lennardJones({ n, box, sigma, epsilon, cutoff: rc });
  const rng = new Random(3);
  const x = fccLattice(n, L * 0.95);
  for (let i = 0; i < x.length; i++) x[i] += 0.02 * rng.normal();
  for (let step = 0; step < 30; step++) {
    const { energies } = energiesAndForces(p, x);
    const ref = bruteEnergy(x, n, box, rc);
    assert.ok(Math.abs(energies[0] - ref) < 1e-9 * Math.abs(ref), `step ${step}: ${energies[0]} vs ${ref}`);
    for (let i = 0; i < x.length; i++) x[i] += 0.01 * rng.normal();
  }
  assert.ok(p.neighbourBuilds > 1 && p.neighbourBuilds < 30, `${p.neighbourBuilds} rebuilds`);
});

test('forces are −∇U (central differences, h = 1e-6 nm)', () => {
  const n = 32;
  const p = lennardJones({ n, box: [1.6, 1.6, 1.6], sigma, epsilon, cutoff: 0.75 });
  const rng = new Random(5);
  const x = fccLattice(n, 1.6);
  for (let i = 0; i < x.length; i++) x[i] += 0.01 * rng.normal();
  const { forces } = energiesAndForces(p, x);
  for (const i of [0, 7, 40, 95]) {
    const h = 1e-6;
    const xp = Float64Array.from(x); xp[i] += h;
    const xm = Float64Array.from(x); xm[i] -= h;
    const fd = -(energiesAndForces(p, xp).energies[0] - energiesAndForces(p, xm).energies[0]) / (2 * h);
    assert.ok(Math.abs(fd - forces[i]) < 1e-4 * (1 + Math.abs(fd)), `${i}: ${forces[i]} vs ${fd}`);
  }
});

test('a cut-off longer than half the box is rejected', () => {
  assert.throws(() => lennardJones({ n: 10, box: [1, 1, 1], sigma, epsilon, cutoff: 0.6 }), /at most half the shortest box edge \(0\.5 nm\)/);
});
