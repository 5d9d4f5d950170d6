import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairBasis } from 'cglab/cg/pairBasis';
import { Random } from 'cglab/util/random';

// 0.3 … 1.1 nm in 8 intervals of 0.1 nm: functions k0 … k0 + 3 all exist on the first 5.
const BASIS = new PairBasis(0.3, 1.1, 0.1);

function randomTheta(basis: PairBasis, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: basis.size }, () => 4 * rng.uniform() - 2);
}

/** `count` distances spread over [lo, hi), seeded. */
function distances(lo: number, hi: number, count: number, seed: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => lo + (hi - lo) * rng.uniform());
}

/** The unit vector e_k: its potential is basis function k alone. */
const unit = (basis: PairBasis, k: number) => Float64Array.from({ length: basis.size }, (_, i) => (i === k ? 1 : 0));

test('pair basis: size, knot spacing and knots, with the spacing rounded to whole intervals', () => {
  assert.equal(BASIS.size, 8);
  assert.ok(Math.abs(BASIS.h - 0.1) < 1e-15, `h ${BASIS.h}`);
  // 0.7 / 0.09 = 7.78 intervals → 8 of 0.0875 nm.
  const b = new PairBasis(0.3, 1.0, 0.09);
  assert.equal(b.size, 8);
  assert.ok(Math.abs(b.h - 0.0875) < 1e-15, `h ${b.h}`);
  const knots = b.knots();
  assert.equal(knots.length, 9);
  assert.equal(knots[0], 0.3);
  assert.ok(Math.abs(knots[8] - 1.0) < 1e-15, `last knot ${knots[8]}`);
});

test('pair basis: partition of unity wherever all four functions exist, less than one where some were dropped', () => {
  const v = new Float64Array(4);
  const d = new Float64Array(4);
  const ones = new Float64Array(BASIS.size).fill(1);
  // Intervals 0 … size − 4 meet functions j … j + 3 ≤ size − 1: r in [rMin, rMin + (size − 3)h).
  const full = BASIS.rMin + (BASIS.size - 3) * BASIS.h;
  for (const r of [BASIS.rMin, ...distances(BASIS.rMin, full, 200, 1)]) {
    const k0 = BASIS.evaluate(r, v, d);
    assert.ok(k0 >= 0 && k0 + 3 < BASIS.size, `r ${r}: k0 ${k0}`);
    // Sums of four O(1) terms: rounding only.
    assert.ok(Math.abs(v[0] + v[1] + v[2] + v[3] - 1) < 1e-14, `r ${r}: Σ B = ${v[0] + v[1] + v[2] + v[3]}`);
    assert.ok(Math.abs(d[0] + d[1] + d[2] + d[3]) < 1e-12, `r ${r}: Σ B' = ${d[0] + d[1] + d[2] + d[3]}`);
    const p = BASIS.potential(ones, r);
    assert.ok(Math.abs(p.u - 1) < 1e-14 && Math.abs(p.du) < 1e-12, `r ${r}: U of θ = 1 is ${p.u}, dU/dr ${p.du}`);
  }
  // In the last three intervals the dropped functions are missing: Σ B < 1 (it falls to 0).
  for (const r of distances(full, BASIS.cutoff, 50, 2)) {
    const k0 = BASIS.evaluate(r, v, d);
    assert.ok(k0 + 3 >= BASIS.size, `r ${r}: k0 ${k0}`);
    const sum = v[0] + v[1] + v[2] + v[3];
    assert.ok(sum < 1 - 1e-6 && sum > 0, `r ${r}: Σ B = ${sum}`);
  }
});

test('pair basis: every function is non-negative, C² across the knots, and its slope is the derivative of its value', () => {
  // Central differences of step e: truncation e²/6·|B'''| ≤ e²/(2h³) = 5e-10, rounding 1e-16/e ≈ 1e-10;
  // slopes are O(1/h) = O(10), so 1e-7 is far below any wrong slope.
  const e = 1e-6;
  for (let k = 0; k < BASIS.size; k++) {
    const th = unit(BASIS, k);
    for (const r of distances(BASIS.rMin + e, BASIS.cutoff - e, 60, 10 + k)) {
      const p = BASIS.potential(th, r);
      assert.ok(p.u >= 0 && p.u <= 2 / 3 + 1e-15, `B_${k}(${r}) = ${p.u}`);
      const fd = (BASIS.potential(th, r + e).u - BASIS.potential(th, r - e).u) / (2 * e);
      assert.ok(Math.abs(p.du - fd) < 1e-7, `B_${k}'(${r}): slope ${p.du}, finite differences ${fd}`);
    }
    // Across each interior knot, value, slope and second derivative agree from both sides: at
    // ±1e-9 nm, B and B' differ by at most 2e-9·|B'| ≈ 2e-8 and 2e-9·|B''| ≈ 2e-7.
    for (let i = 1; i < BASIS.size; i++) {
      const knot = BASIS.rMin + i * BASIS.h;
      const dl = 1e-9;
      const left = BASIS.potential(th, knot - dl);
      const right = BASIS.potential(th, knot + dl);
      assert.ok(Math.abs(left.u - right.u) < 1e-7, `B_${k} jumps at knot ${i}: ${left.u} vs ${right.u}`);
      assert.ok(Math.abs(left.du - right.du) < 1e-6, `B_${k}' jumps at knot ${i}: ${left.du} vs ${right.du}`);
      const s = 1e-5;
      const d2l = (BASIS.potential(th, knot - dl).du - BASIS.potential(th, knot - s).du) / (s - dl);
      const d2r = (BASIS.potential(th, knot + s).du - BASIS.potential(th, knot + dl).du) / (s - dl);
      // One-sided differences of B' over s: error s/2·|B'''| ≤ 3s/(2h³) = 0.015 each; B'' is
      // O(1/h²) = 100, so a C¹-only join would jump by tens.
      assert.ok(Math.abs(d2l - d2r) < 0.1, `B_${k}'' jumps at knot ${i}: ${d2l} vs ${d2r}`);
    }
  }
});

test('pair basis: U, dU/dr and d²U/dr² vanish at the cut-off for any θ', () => {
  const { h, cutoff } = BASIS;
  for (let seed = 0; seed < 5; seed++) {
    const th = randomTheta(BASIS, 100 + seed);
    const scale = Math.max(...Array.from(th, Math.abs)) / h ** 3;
    // Inside the last interval only B_{size−1} = θ(δ/h)³/6 remains (δ = cut-off − r): U = O(δ³),
    // U' = O(δ²), U'' = O(δ); a kept function beyond the cut-off would add O(1) terms.
    for (const delta of [1e-2 * h, 1e-3 * h, 1e-4 * h]) {
      const r = cutoff - delta;
      const p = BASIS.potential(th, r);
      const e = delta / 10;
      const d2 = (BASIS.potential(th, r + e).du - BASIS.potential(th, r - e).du) / (2 * e);
      assert.ok(Math.abs(p.u) <= 1.001 * (scale * delta ** 3) / 6 + 1e-15, `θ seed ${seed}: U(cut-off − ${delta}) = ${p.u}`);
      assert.ok(Math.abs(p.du) <= 1.001 * (scale * delta ** 2) / 2 + 1e-13, `θ seed ${seed}: U'(cut-off − ${delta}) = ${p.du}`);
      assert.ok(Math.abs(d2) <= 1.01 * scale * delta + 1e-6, `θ seed ${seed}: U''(cut-off − ${delta}) = ${d2}`);
    }
    const at = BASIS.potential(th, cutoff);
    assert.deepEqual([at.u, at.du], [0, 0], `θ seed ${seed}: at the cut-off`);
  }
});

test('pair basis: evaluate gives k0 inside [rMin, cutoff) and −1 outside, where the potential is 0', () => {
  const v = new Float64Array(4);
  const d = new Float64Array(4);
  assert.equal(BASIS.evaluate(BASIS.rMin, v, d), 0);
  assert.equal(BASIS.evaluate(0.3 + 2.5 * BASIS.h, v, d), 2);
  assert.equal(BASIS.evaluate(BASIS.cutoff - 1e-12, v, d), BASIS.size - 1);
  const th = randomTheta(BASIS, 7);
  for (const r of [BASIS.rMin - 1e-12, 0, 0.1, BASIS.cutoff, BASIS.cutoff + 1e-12, 5, -1, Number.NaN, Infinity]) {
    assert.equal(BASIS.evaluate(r, v, d), -1, `r ${r}`);
    assert.deepEqual(BASIS.potential(th, r), { u: 0, du: 0 }, `potential at r ${r}`);
  }
});

test('pair basis: fit reproduces a potential of the span: its own coefficients, and (cut-off − r)³', () => {
  for (let seed = 0; seed < 3; seed++) {
    const th = randomTheta(BASIS, 200 + seed);
    const fitted = BASIS.fit((r) => BASIS.potential(th, r).u);
    // A well-conditioned least-squares problem with an exact solution: rounding only.
    th.forEach((t, k) => assert.ok(Math.abs(fitted[k] - t) < 1e-10, `seed ${seed}: θ_${k} fitted ${fitted[k]}, true ${t}`));
  }
  // (c − r)³ is a cubic with U = U' = U'' = 0 at c, hence a spline of the basis.
  const b = new PairBasis(0.25, 0.9, 0.05);
  const cube = (r: number) => (b.cutoff - r) ** 3;
  const th = b.fit(cube);
  for (const r of distances(b.rMin, b.cutoff, 200, 3)) {
    const p = b.potential(th, r);
    assert.ok(Math.abs(p.u - cube(r)) < 1e-11, `U(${r}) = ${p.u}, (c − r)³ = ${cube(r)}`);
    assert.ok(Math.abs(p.du + 3 * (b.cutoff - r) ** 2) < 1e-9, `U'(${r}) = ${p.du}`);
  }
});

test('pair basis: bad ranges, spacings and too few intervals are refused with the values found', () => {
  assert.throws(() => new PairBasis(-0.1, 1, 0.1), /need 0 ≤ rMin < cutoff and a positive spacing \(nm\), got rMin -0\.1, cutoff 1, spacing 0\.1/);
  assert.throws(() => new PairBasis(0.5, 0.5, 0.1), /need 0 ≤ rMin < cutoff.*got rMin 0\.5, cutoff 0\.5/);
  assert.throws(() => new PairBasis(0.6, 0.5, 0.1), /need 0 ≤ rMin < cutoff/);
  assert.throws(() => new PairBasis(0.3, 1, 0), /positive spacing.*spacing 0$/);
  assert.throws(() => new PairBasis(0.3, 1, -0.1), /positive spacing/);
  assert.throws(() => new PairBasis(Number.NaN, 1, 0.1), /got rMin NaN/);
  assert.throws(() => new PairBasis(0.3, Number.NaN, 0.1), /cutoff NaN/);
  assert.throws(() => new PairBasis(0.3, 0.6, 0.1), /\[0\.3, 0\.6\] nm holds 3 knot intervals of 0\.1 nm, at least 4 are needed/);
  assert.throws(() => new PairBasis(0.3, 1, 1), /holds 1 knot intervals/);
  // 4 intervals is enough.
  assert.equal(new PairBasis(0.3, 0.7, 0.1).size, 4);
});
