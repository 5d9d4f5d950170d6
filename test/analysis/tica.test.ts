import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tica, ticaProject } from 'cglab/analysis/tica';
import { symmetricEigen } from 'cglab/cg/linalg';
import { Random } from 'cglab/util/random';

test('symmetricEigen: A v = λ v with orthonormal vectors, values descending', () => {
  const n = 6;
  const rng = new Random(3);
  const b = Float64Array.from({ length: n * n }, () => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = b[i * n + j] + b[j * n + i];
  const { values, vectors } = symmetricEigen(a, n);
  for (let k = 0; k < n; k++) {
    if (k > 0) assert.ok(values[k] <= values[k - 1]);
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j] * vectors[k * n + j];
      assert.ok(Math.abs(av - values[k] * vectors[k * n + i]) < 1e-10, `row ${k}`);
    }
    for (let l = 0; l < n; l++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[k * n + i] * vectors[l * n + i];
      assert.ok(Math.abs(dot - (k === l ? 1 : 0)) < 1e-12);
    }
  }
});

/** Independent AR(1) processes s_k(t+1) = φ_k s_k(t) + √(1−φ_k²) ξ (unit variance, autocorrelation φ_k^τ at lag τ). */
function ar1(phis: number[], frames: number, rng: Random): Float64Array {
  const s = new Float64Array(frames * phis.length);
  for (let t = 1; t < frames; t++) phis.forEach((p, k) => (s[t * phis.length + k] = p * s[(t - 1) * phis.length + k] + Math.sqrt(1 - p * p) * rng.normal()));
  return s;
}

test('TICA of linearly mixed AR(1) processes recovers their autocorrelations φ^τ, timescales −τ/ln φ and the slow process', () => {
  const phis = [0.99, 0.5, 0.9];
  const frames = 200_000;
  const rng = new Random(11);
  const s = ar1(phis, frames, rng);
  // Features: a fixed mixing of the three processes, plus a constant feature that whitening drops.
  const mix = [[1, 0.5, -0.3], [0.2, 1, 0.4], [-0.6, 0.3, 1]];
  const x = new Float64Array(frames * 4);
  for (let t = 0; t < frames; t++) {
    for (let i = 0; i < 3; i++) x[t * 4 + i] = mix[i].reduce((v, m, k) => v + m * s[t * 3 + k], 0) + 2;
    x[t * 4 + 3] = 7;
  }
  for (const lag of [1, 5]) {
    const m = tica(x, 4, { lag, dt: 0.5 });
    assert.equal(m.eigenvalues.length, 3, 'the constant feature adds no component');
    const expected = [0.99, 0.9, 0.5].map((p) => p ** lag);
    // Tolerance: ~2 standard errors of the slowest autocorrelation: 200k frames of a process
    // with correlation time 100 frames are ~1000 independent samples, s.e. ≈ √((1 − λ²)/1000) ≤ 0.01
    // at lag 5 (seen here: errors ≤ 0.002).
    m.eigenvalues.forEach((l, k) => assert.ok(Math.abs(l - expected[k]) < 0.01, `lag ${lag}: λ${k} = ${l}, expected ${expected[k]}`));
    assert.ok(Math.abs(m.timescales[0] - (-lag * 0.5) / Math.log(m.eigenvalues[0])) < 1e-9);
    const y = ticaProject(m, x);
    // Projections are mean-free, unit-variance, mutually uncorrelated; the first is the slow process.
    const col = (c: number) => Float64Array.from({ length: frames }, (_, t) => y[t * 3 + c]);
    const slow = Float64Array.from({ length: frames }, (_, t) => s[t * 3]);
    const corr = (p: Float64Array, q: Float64Array) => {
      const mp = p.reduce((a, b) => a + b, 0) / frames;
      const mq = q.reduce((a, b) => a + b, 0) / frames;
      let [pq, pp, qq] = [0, 0, 0];
      for (let t = 0; t < frames; t++) [pq, pp, qq] = [pq + (p[t] - mp) * (q[t] - mq), pp + (p[t] - mp) ** 2, qq + (q[t] - mq) ** 2];
      return pq / Math.sqrt(pp * qq);
    };
    const c0 = col(0);
    assert.ok(Math.abs(c0.reduce((a, b) => a + b, 0) / frames) < 0.05);
    assert.ok(Math.abs(c0.reduce((a, b) => a + b * b, 0) / frames - 1) < 0.05);
    assert.ok(Math.abs(corr(c0, col(1))) < 0.02);
    assert.ok(Math.abs(corr(c0, slow)) > 0.99, `|corr| of the first component with the slow process: ${corr(c0, slow)}`);
  }
});

test('TICA keeps lagged pairs inside each trajectory, and refuses bad settings', () => {
  // One feature: TICA's eigenvalue is then the reversible lag-τ autocorrelation over exactly the
  // lagged pairs used, which the test computes by hand for pairs within each trajectory.
  const rng = new Random(5);
  const lengths = [300, 200, 500];
  const x = new Float64Array(1000);
  let offset = 0;
  for (const n of lengths) {
    let v = 10 * rng.normal();
    for (let t = 0; t < n; t++) x[offset + t] = v = 0.95 * v + rng.normal();
    offset += n;
  }
  const lag = 7;
  const byHand = (starts: number[]) => {
    const mean = starts.reduce((m, t) => m + (x[t] + x[t + lag]) / (2 * starts.length), 0);
    let [c0, ct] = [0, 0];
    for (const t of starts) {
      const [a, b] = [x[t] - mean, x[t + lag] - mean];
      c0 += a * a + b * b;
      ct += 2 * a * b;
    }
    return ct / c0;
  };
  const within: number[] = [];
  offset = 0;
  for (const n of lengths) {
    for (let t = 0; t + lag < n; t++) within.push(offset + t);
    offset += n;
  }
  const all = Array.from({ length: 1000 - lag }, (_, t) => t);
  const apart = tica(x, 1, { lag, trajectoryLengths: lengths });
  assert.ok(Math.abs(apart.eigenvalues[0] - byHand(within)) < 1e-10, `${apart.eigenvalues[0]} vs ${byHand(within)}`);
  assert.ok(Math.abs(tica(x, 1, { lag }).eigenvalues[0] - byHand(all)) < 1e-10);
  assert.ok(Math.abs(byHand(within) - byHand(all)) > 1e-3, 'the boundaries matter for these data');
  assert.throws(() => tica(x, 1, { lag: 0 }), /lag is 0, expected a positive integer/);
  assert.throws(() => tica(x, 1, { lag, trajectoryLengths: [300, 200, 499] }), /add up to 999 frames, but x holds 1000/);
  assert.throws(() => tica(x, 1, { lag: 600, trajectoryLengths: lengths }), /no trajectory is longer than the lag \(600 frames; longest 500\)/);
  assert.throws(() => tica(new Float64Array(12).fill(3), 2, { lag: 1 }), /every feature is constant/);
  assert.throws(() => tica(new Float64Array(7), 2, { lag: 1 }), /7 values are not \[frames, 2\] features/);
  const two = tica(Float64Array.from({ length: 200 }, () => rng.normal()), 2, { lag: 1 });
  assert.throws(() => ticaProject(two, new Float64Array(3)), /3 values are not \[frames, 2\] features \(the model was fitted on 2\)/);
});
