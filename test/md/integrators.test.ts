import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baoab, initState, kineticEnergies, overdamped, verlet } from 'cglab/md/integrators';
import { run } from 'cglab/md/simulate';
import { doubleWell1d, harmonic, UNIT_KT_TEMPERATURE } from 'cglab/physics/toy';
import { kT } from 'cglab/units';

const T = UNIT_KT_TEMPERATURE; // kT = 1 kJ/mol
const m1 = Float64Array.of(1);

/** Upper 1e-4 quantile of χ² with `df` degrees of freedom (Wilson–Hilferty, accurate to <1 % here). */
function chi2Critical(df: number): number {
  const z = 3.719; // standard normal upper 1e-4 quantile
  return df * (1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df))) ** 3;
}

/** χ² of final positions (one independent sample per replica) against Boltzmann bin probabilities. */
function chi2Boltzmann(xs: ArrayLike<number>, energy: (x: number) => number, kt: number, lo: number, hi: number, bins: number): number {
  const w = (hi - lo) / bins;
  const probs = Array.from({ length: bins }, (_, b) => {
    let z = 0;
    for (let k = 0; k < 200; k++) z += Math.exp(-energy(lo + (b + (k + 0.5) / 200) * w) / kt);
    return z;
  });
  const zt = probs.reduce((a, b) => a + b, 0);
  const counts = new Array(bins).fill(0);
  let n = 0;
  for (let i = 0; i < xs.length; i++) {
    const b = Math.floor((xs[i] - lo) / w);
    if (b >= 0 && b < bins) { counts[b]++; n++; }
  }
  return counts.reduce((s, c, b) => s + (c - (n * probs[b]) / zt) ** 2 / ((n * probs[b]) / zt), 0);
}

// Statistical tests below use one sample per independent replica, so χ² is exact in distribution.
// Each fails by chance with probability 1e-4; each also checks that the same samples reject a
// distribution 15 % too hot, which shows the test has power against a real error.
for (const kind of ['baoab', 'overdamped'] as const) {
  test(`${kind}: 1-D double well samples the Boltzmann distribution (χ², 20 bins, p = 1e-4)`, () => {
    const p = doubleWell1d(3);
    const replicas = 5000;
    // Symmetric wells: half the replicas start in each, already the equilibrium split.
    const x0 = Float64Array.from({ length: replicas }, (_, i) => (i % 2 ? 1 : -1));
    const opts = { dt: kind === 'baoab' ? 0.01 : 0.002, temperature: T, friction: kind === 'baoab' ? 1 : 5, masses: m1 };
    const integ = kind === 'baoab' ? baoab(opts) : overdamped(opts);
    const s = initState(p, x0, m1, T, 11);
    run(p, integ, s, { steps: kind === 'baoab' ? 3000 : 5000, saveEvery: 1000 });
    const crit = chi2Critical(19);
    const chi2 = chi2Boltzmann(s.x, (x) => p.energy([x]), kT(T), -2, 2, 20);
    assert.ok(chi2 < crit, `χ² = ${chi2.toFixed(1)} ≥ ${crit.toFixed(1)}`);
    const chi2Hot = chi2Boltzmann(s.x, (x) => p.energy([x]), 1.15 * kT(T), -2, 2, 20);
    assert.ok(chi2Hot > crit, `the test cannot tell a 15 % temperature error: χ² = ${chi2Hot.toFixed(1)}`);
  });
}

test('baoab: harmonic oscillator ⟨x²⟩ = kT/k and kinetic temperature ⟨m v²⟩ = kT (5σ bounds, n = 20000)', () => {
  const k = 4;
  const p = harmonic(k, 1);
  const replicas = 20000;
  const s = initState(p, new Float64Array(replicas), m1, T, 3);
  run(p, baoab({ dt: 0.05, temperature: T, friction: 2, masses: m1 }), s, { steps: 400, saveEvery: 400 });
  const kt = kT(T);
  let x2 = 0;
  for (const x of s.x) x2 += x * x;
  x2 /= replicas;
  const ke = kineticEnergies(p, s, m1).reduce((a, b) => a + b, 0) / replicas;
  // Var of x² for a Gaussian is 2σ⁴: the standard error of ⟨x²⟩ is σ²√(2/n).
  const se = Math.sqrt(2 / replicas);
  assert.ok(Math.abs(x2 / (kt / k) - 1) < 5 * se, `⟨x²⟩ = ${x2} vs ${kt / k}`);
  assert.ok(Math.abs((2 * ke) / kt - 1) < 5 * se, `⟨m v²⟩ = ${2 * ke} vs ${kt}`);
});

test('velocity Verlet conserves energy: drift < 1e-5 and fluctuation < 1e-3 of |E| over 10⁴ steps', () => {
  const p = doubleWell1d(3);
  const s = initState(p, Float64Array.of(1.3, -0.4, 0.2), m1, T, 9);
  const integ = verlet({ dt: 0.002, temperature: T, friction: 1, masses: m1 });
  const total = () => {
    const ke = kineticEnergies(p, s, m1);
    return Array.from(s.energies, (u, r) => u + ke[r]);
  };
  const e0 = total();
  let maxDev = 0;
  for (let block = 0; block < 100; block++) {
    run(p, integ, s, { steps: 100, saveEvery: 100 });
    total().forEach((e, r) => { maxDev = Math.max(maxDev, Math.abs(e - e0[r]) / Math.abs(e0[r])); });
  }
  assert.ok(maxDev < 1e-3, `energy deviation ${maxDev}`);
  const e1 = total();
  e1.forEach((e, r) => assert.ok(Math.abs(e - e0[r]) / Math.abs(e0[r]) < 1e-3));
});

test('bad settings are rejected with the quantity and its unit', () => {
  assert.throws(() => baoab({ dt: 0, temperature: T, friction: 1, masses: m1 }), /dt must be positive \(ps\)/);
  assert.throws(() => baoab({ dt: 0.01, temperature: -1, friction: 1, masses: m1 }), /temperature must be positive \(K\)/);
  assert.throws(() => initState(harmonic(), new Float64Array(2), Float64Array.of(0), T, 1), /mass of particle 0 is 0 amu/);
  assert.throws(() => initState(harmonic(1, 2), new Float64Array(3), m1, T, 1), /expected replicas × 1 particles × 2/);
});
