import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mbar } from 'cglab/analysis/mbar';
import { Random } from 'cglab/util/random';

// Three 1-D harmonic states u_k(x) = κ_k (x − μ_k)² / 2 (reduced units), sampled exactly: their
// reduced free energies are f_k = −ln √(2π/κ_k), so f_k − f_0 = ln √(κ_k/κ_0) whatever μ_k.
test('MBAR recovers the free energies of harmonic states and reweights to an unsampled one', () => {
  const rng = new Random(7);
  const states = [{ kappa: 1, mu: 0 }, { kappa: 4, mu: 0.8 }, { kappa: 0.5, mu: -0.5 }];
  const counts = [20_000, 10_000, 15_000];
  const x = new Float64Array(counts.reduce((a, b) => a + b, 0));
  let at = 0;
  states.forEach(({ kappa, mu }, k) => {
    for (let i = 0; i < counts[k]; i++) x[at++] = mu + rng.normal() / Math.sqrt(kappa);
  });
  const u = (kappa: number, mu: number): Float64Array => x.map((v) => (kappa * (v - mu) ** 2) / 2);
  const res = mbar(states.map(({ kappa, mu }) => u(kappa, mu)), counts);
  // The statistical error of f_k from ~10⁴ samples with this overlap is ~0.01; 0.03 allowed.
  states.forEach(({ kappa }, k) => {
    const exact = 0.5 * Math.log(kappa / states[0].kappa);
    assert.ok(Math.abs(res.freeEnergies[k] - exact) < 0.03, `f_${k} = ${res.freeEnergies[k]}, exact ${exact}`);
  });
  // Reweighted to a state none of the runs sampled, κ = 2 about 0.3: ⟨x⟩ = 0.3, ⟨(x − 0.3)²⟩ = 0.5.
  const target = u(2, 0.3);
  const w = target.map((v, n) => Math.exp(-v - res.logMixture[n]));
  const sum = w.reduce((a, b) => a + b, 0);
  const mean = w.reduce((s, wn, n) => s + wn * x[n], 0) / sum;
  const variance = w.reduce((s, wn, n) => s + wn * (x[n] - 0.3) ** 2, 0) / sum;
  assert.ok(Math.abs(mean - 0.3) < 0.02 && Math.abs(variance - 0.5) < 0.02, `reweighted ⟨x⟩ ${mean}, variance ${variance}`);
  // Σ_n exp(−u_k − logMixture) = exp(−f_k): the weights of every sampled state sum to one.
  states.forEach(({ kappa, mu }, k) => {
    const total = u(kappa, mu).reduce((s, v, n) => s + Math.exp(-v - res.logMixture[n] + res.freeEnergies[k]), 0);
    assert.ok(Math.abs(total - 1) < 1e-6, `state ${k}: weights sum to ${total}`);
  });
  assert.throws(() => mbar([u(1, 0), u(4, 0.8)], [20_000, 10_000]), /counts \[20000, 10000\] must be positive integers summing to the 45000 pooled samples/);
  assert.throws(() => mbar([u(1, 0), x.subarray(1)], [20_000, 24_999]), /reduced\[1\] has 44999 samples, reduced\[0\] 45000/);
});
