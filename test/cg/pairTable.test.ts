import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairBasis } from 'cglab/cg/pairBasis';
import { MIN_WALL_STIFFNESS, PairTable } from 'cglab/cg/pairTable';
import { Random } from 'cglab/util/random';
import { lj, morse } from '../helpers/pairFunctions.js';

/** A table of seeded random U and F on 21 nodes 0.01 nm apart from 0.3 nm (U = 0 at the cut-off). */
function randomTable(seed: number): PairTable {
  const rng = new Random(seed);
  const n = 21;
  const u = Array.from({ length: n }, (_, k) => (k === n - 1 ? 0 : 4 * rng.uniform() - 2));
  const f = Array.from({ length: n }, () => 200 * rng.uniform() - 100);
  return new PairTable(0.3, 0.01, u, f);
}

function at(table: PairTable, r: number): [number, number] {
  const out = new Float64Array(2);
  table.evaluate(r, out);
  return [out[0], out[1]];
}

/** Seeded distances in [lo, hi). */
function distances(lo: number, hi: number, count: number, seed: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: count }, () => lo + (hi - lo) * rng.uniform());
}

test('pair table: exact U and F at the nodes, and a cubic (zero at the cut-off) reproduced everywhere', () => {
  for (let seed = 0; seed < 3; seed++) {
    const t = randomTable(seed);
    for (let k = 0; k < t.u.length - 1; k++) {
      const [u, f] = at(t, t.r0 + k * t.dr);
      // r0 + k·dr may land a rounding below the node (t ≈ 1 of the interval before): 1e-12.
      assert.ok(Math.abs(u - t.u[k]) < 1e-12 && Math.abs(f - t.f[k]) < 1e-10, `seed ${seed}, node ${k}: (${u}, ${f}) vs (${t.u[k]}, ${t.f[k]})`);
    }
  }
  // Cubic Hermite interpolation is exact for cubics: p(r) = (c − r)(1 + 2r − 5r²), p(c) = 0.
  const c = 0.9;
  const p = (r: number) => ({ u: (c - r) * (1 + 2 * r - 5 * r * r), du: -(1 + 2 * r - 5 * r * r) + (c - r) * (2 - 10 * r) });
  const t = PairTable.fromFunction(p, 0.3, c, 0.05);
  for (const r of distances(0.3, c, 200, 4)) {
    const [u, f] = at(t, r);
    assert.ok(Math.abs(u - p(r).u) < 1e-13 && Math.abs(f + p(r).du) < 1e-12, `r ${r}: (${u}, ${f}) vs (${p(r).u}, ${-p(r).du})`);
  }
});

test('pair table: F is −dU/dr of the interpolant, between and across nodes', () => {
  // Central differences of step e = 1e-8 nm. With |U| ≤ 2, |F·dr| ≤ 1 the cubic's coefficients
  // are ≤ 15, so |U'''| ≤ 6·10/dr³ = 6e7 (truncation e²/6·|U'''| ≈ 1e-9) and U'' ≤ 9e5 on either
  // side of a node, where a straddling difference errs by ≤ e·|jump|/4 ≈ 5e-3; rounding
  // 4e-16/e ≈ 4e-8. Forces are O(100): 2e-2 still catches a wrong sign, factor or interval.
  const e = 1e-8;
  for (let seed = 0; seed < 3; seed++) {
    const t = randomTable(seed);
    for (const r of distances(t.r0 + e, t.cutoff - e, 300, 20 + seed)) {
      const fd = -(at(t, r + e)[0] - at(t, r - e)[0]) / (2 * e);
      const [, f] = at(t, r);
      assert.ok(Math.abs(f - fd) < 2e-2, `seed ${seed}, r ${r}: F ${f}, −dU/dr ${fd}`);
    }
  }
});

test('pair table: U and F are 0 at and beyond the cut-off, F tends to f[n − 1] from inside', () => {
  const t = randomTable(1);
  for (const r of [t.cutoff, t.cutoff + 1e-12, t.cutoff + 0.3, 10]) assert.deepEqual(at(t, r), [0, 0], `r ${r}`);
  const [u, f] = at(t, t.cutoff - 1e-10);
  // U = O(F·δ) = 1e-8 at δ = 1e-10; F within O(δ·U'') of f[n − 1].
  assert.ok(Math.abs(u) < 1e-7, `U just inside the cut-off ${u}`);
  assert.ok(Math.abs(f - t.f[t.f.length - 1]) < 1e-3, `F just inside the cut-off ${f}, f[n − 1] ${t.f[t.f.length - 1]}`);
  assert.notEqual(t.f[t.f.length - 1], 0);
});

/** dF/dr of the table at r from the left and from the right, over a step s. */
function forceSlopes(t: PairTable, r: number, s: number): { left: number; right: number } {
  return { left: (at(t, r)[1] - at(t, r - s)[1]) / s, right: (at(t, r + s)[1] - at(t, r)[1]) / s };
}

test('pair table: below r0 the wall continues U, F and dF/dr of the interpolant (C¹), and F = −dU/dr there', () => {
  // Lennard-Jones from 0.25 nm (σ 0.3 nm): the interpolant is steep there, 2c/dr² ≈ U'' ≈ 1e5 > MIN_WALL_STIFFNESS.
  const t = PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9);
  const c2 = t.coefficients[2];
  assert.ok((2 * c2) / t.dr ** 2 > 5 * MIN_WALL_STIFFNESS, `interpolant's dF/dr at r0: ${(-2 * c2) / t.dr ** 2}`);
  assert.ok(Math.abs(t.wall - (2 * c2) / t.dr ** 2) < 1e-9 * t.wall, `wall ${t.wall}, 2c/dr² ${(2 * c2) / t.dr ** 2}`);
  // Values: continuous at r0 (the wall's limit is u[0], f[0]; the interpolant's too).
  const [u0, f0] = at(t, t.r0);
  const [uw, fw] = at(t, t.r0 - 1e-12);
  assert.ok(Math.abs(uw - u0) < 1e-9 * Math.abs(u0) && Math.abs(fw - f0) < 1e-9 * Math.abs(f0), `U, F across r0: (${uw}, ${fw}) vs (${u0}, ${f0})`);
  // Slopes: one-sided differences over s = 1e-6 nm err by s/2·|F''| ≈ 1e-6/2·|U'''| ≈ 3 inside,
  // 0 on the quadratic wall; dF/dr is ≈ −1e5 here, so 1e-4 relative separates C¹ from a kink.
  const sl = forceSlopes(t, t.r0, 1e-6);
  assert.ok(Math.abs(sl.left + t.wall) < 1e-6 * t.wall, `wall dF/dr ${sl.left}, −wall ${-t.wall}`);
  assert.ok(Math.abs(sl.left - sl.right) < 1e-4 * t.wall, `dF/dr at r0: wall ${sl.left}, interpolant ${sl.right}`);
  // The wall is repulsive and F = −dU/dr holds on it (U is quadratic there: central differences exact to rounding).
  const e = 1e-6;
  for (const r of [0.24, 0.2, 0.1, 0]) {
    const [u, f] = at(t, r);
    const fd = -(at(t, r + e)[0] - at(t, r - e)[0]) / (2 * e);
    assert.ok(f > f0 && u > u0, `wall at ${r}: U ${u}, F ${f}`);
    assert.ok(Math.abs(f - fd) < 1e-6 * Math.abs(f), `wall at ${r}: F ${f}, −dU/dr ${fd}`);
  }
});

test('pair table: a soft or concave interpolant at r0 gets the floor stiffness MIN_WALL_STIFFNESS', () => {
  // Morse beyond its minimum (r0 0.4 nm, re 0.32 nm): U'' < 0 at r0, so 2c/dr² < 0.
  const soft = PairTable.fromFunction(morse(2, 15, 0.32), 0.4, 1.0);
  assert.ok(soft.coefficients[2] < 0, `c of the first interval ${soft.coefficients[2]}`);
  const zero = new PairTable(0.3, 0.01, new Float64Array(30), new Float64Array(30));
  for (const [what, t] of [['Morse beyond re', soft], ['zero table', zero]] as const) {
    assert.equal(t.wall, MIN_WALL_STIFFNESS, what);
    const [, f0] = at(t, t.r0);
    // The wall's F is linear in r: exact up to rounding.
    const [, f] = at(t, t.r0 - 0.01);
    assert.ok(Math.abs(f - (f0 + MIN_WALL_STIFFNESS * 0.01)) < 1e-9, `${what}: F 0.01 nm inside r0 is ${f}, expected ${f0 + 100}`);
  }
});

test('pair table: fromBasis takes the spline at the nodes (and equals it between them when knots fall on nodes)', () => {
  const basis = new PairBasis(0.3, 1.0, 0.05);
  const rng = new Random(9);
  const theta = Float64Array.from({ length: basis.size }, () => 4 * rng.uniform() - 2);
  const t = PairTable.fromBasis(basis, theta);
  assert.equal(t.r0, 0.3);
  assert.equal(t.u.length, 351);
  assert.ok(Math.abs(t.cutoff - 1.0) < 1e-12, `cut-off ${t.cutoff}`);
  for (let k = 0; k < t.u.length; k++) {
    const p = basis.potential(theta, t.r0 + k * t.dr);
    assert.ok(Math.abs(t.u[k] - p.u) < 1e-14 && Math.abs(t.f[k] + p.du) < 1e-12, `node ${k}: (${t.u[k]}, ${t.f[k]}) vs (${p.u}, ${-p.du})`);
  }
  // Knots every 25 nodes: the spline is one cubic per node interval, which Hermite reproduces;
  // only rounding remains (1e-12 of F ~ 100).
  for (const r of distances(0.3, 1.0, 300, 5)) {
    const p = basis.potential(theta, r);
    const [u, f] = at(t, r);
    assert.ok(Math.abs(u - p.u) < 1e-12 && Math.abs(f + p.du) < 1e-10, `r ${r}: (${u}, ${f}) vs (${p.u}, ${-p.du})`);
  }
  assert.throws(() => PairTable.fromBasis(basis, theta.subarray(1)), /pair table: 13 coefficients for a basis of 14 functions/);
});

test('pair table: fromFunction tabulates U − U(cut-off) and −dU/dr, within the Hermite error bound between nodes', () => {
  const fn = morse(2, 15, 0.32);
  const [r0, cutoff] = [0.24, 0.8];
  const t = PairTable.fromFunction(fn, r0, cutoff);
  const shift = fn(cutoff).u;
  assert.ok(Math.abs(shift) > 1e-4, `the shift ${shift} must matter for this test`);
  assert.equal(t.u.length, 281);
  for (let k = 0; k < t.u.length; k++) {
    const p = fn(r0 + k * t.dr);
    assert.ok(Math.abs(t.u[k] - (p.u - shift)) < 1e-12 && Math.abs(t.f[k] + p.du) < 1e-12, `node ${k}: (${t.u[k]}, ${t.f[k]})`);
  }
  // Cubic Hermite on dr = 0.002: |ΔU| ≤ dr⁴/384·max|U''''|, |ΔF| ≤ (√3/216)·dr³·max|U''''|, with
  // U'''' = D·a⁴(16e² − 2e), e = exp(−a(r − re)) ≤ e^1.2 from r0: max|U''''| ≤ 1.9e7 kJ/mol/nm⁴.
  const u4 = 2 * 15 ** 4 * (16 * Math.exp(2.4) + 2 * Math.exp(1.2));
  const [boundU, boundF] = [(t.dr ** 4 / 384) * u4, (Math.sqrt(3) / 216) * t.dr ** 3 * u4];
  for (const r of distances(r0, cutoff, 400, 6)) {
    const p = fn(r);
    const [u, f] = at(t, r);
    assert.ok(Math.abs(u - (p.u - shift)) <= boundU, `r ${r}: U ${u} vs ${p.u - shift} (bound ${boundU})`);
    assert.ok(Math.abs(f + p.du) <= boundF, `r ${r}: F ${f} vs ${-p.du} (bound ${boundF})`);
  }
  // A range that is not a whole number of dr: the spacing is rounded, the cut-off kept.
  const odd = PairTable.fromFunction(fn, 0.25, 0.8051);
  assert.ok(Math.abs(odd.cutoff - 0.8051) < 1e-12 && Math.abs(odd.dr - 0.5551 / 278) < 1e-15, `cut-off ${odd.cutoff}, dr ${odd.dr}`);
  assert.equal(odd.u[odd.u.length - 1], 0);
});

test('pair table: sample() rows every step from 0.1 nm inside r0 to the cut-off, last row U 0 and F f[n − 1]', () => {
  const t = PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9);
  const rows = t.sample();
  // 0.15 … 0.9 nm every 0.002 nm.
  assert.equal(rows.r.length, 376);
  assert.ok(Math.abs(rows.r[0] - 0.15) < 1e-12 && Math.abs(rows.r[375] - 0.9) < 1e-12, `rows ${rows.r[0]} … ${rows.r[375]}`);
  for (let i = 0; i < rows.r.length - 1; i++) {
    assert.ok(Math.abs(rows.r[i + 1] - rows.r[i] - 0.002) < 1e-12, `spacing at row ${i}`);
    const [u, f] = at(t, rows.r[i]);
    assert.ok(u === rows.u[i] && f === rows.f[i], `row ${i} (r ${rows.r[i]}): (${rows.u[i]}, ${rows.f[i]}) vs evaluate (${u}, ${f})`);
  }
  assert.equal(rows.u[375], 0);
  assert.equal(rows.f[375], t.f[t.f.length - 1]);
  assert.notEqual(rows.f[375], 0);
  // From 0 the rows start one step out (r = 0 is never a row); a coarser step and a chosen start.
  assert.ok(Math.abs(t.sample(0.002, 0).r[0] - 0.002) < 1e-15);
  const coarse = t.sample(0.01, 0.3);
  assert.equal(coarse.r.length, 61);
  assert.ok(Math.abs(coarse.r[0] - 0.3) < 1e-12 && Math.abs(coarse.r[60] - 0.9) < 1e-12);
});

test('pair table: toJSON/fromJSON round trip through JSON text', () => {
  const t = PairTable.fromFunction(morse(2, 15, 0.32), 0.24, 0.8);
  const back = PairTable.fromJSON(JSON.parse(JSON.stringify(t.toJSON())), 'pairs.json: tables.CG-CG');
  assert.equal(back.r0, t.r0);
  assert.equal(back.dr, t.dr);
  // Bit for bit, except that JSON writes −0 (F at the Morse minimum) as 0: compare with ===.
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
    assert.equal(a.length, b.length, `${what}: length`);
    for (let k = 0; k < b.length; k++) assert.ok(a[k] === b[k], `${what}[${k}]: ${a[k]} vs ${b[k]}`);
  };
  same(back.u, t.u, 'u');
  same(back.f, t.f, 'f');
  same(back.coefficients, t.coefficients, 'coefficients');
  assert.equal(back.wall, t.wall);
  for (const r of [0.1, 0.3, 0.5123, 0.79999]) same(at(back, r), at(t, r), `U, F at ${r}`);
});

test('pair table: fromJSON names the field and what it expected', () => {
  const what = 'model/pairs.json: tables.A-B';
  const good = { r0: 0.3, dr: 0.1, u: [1, 0], f: [2, 0] };
  const shape = /^Error: model\/pairs\.json: tables\.A-B: expected \{r0, dr \(nm\), u \(kJ\/mol\), f \(kJ\/mol\/nm\)\} with u and f arrays of numbers$/;
  for (const bad of [null, 3, 'table', {}, { ...good, r0: '0.3' }, { ...good, dr: undefined }, { ...good, u: '1,0' }, { ...good, f: { 0: 2, 1: 0 } }]) {
    assert.throws(() => PairTable.fromJSON(bad, what), (e: Error) => shape.test(String(e)), `input ${JSON.stringify(bad)}`);
  }
  // JSON turns NaN into null: the constructor's check, under the caller's name.
  assert.throws(() => PairTable.fromJSON({ ...good, u: [null, 0] }, what), /^Error: model\/pairs\.json: tables\.A-B: U or F at r = 0\.3000 nm is not finite \(null, 2\)$/);
  assert.throws(() => PairTable.fromJSON({ ...good, u: [1, 0.5] }, what), /^Error: model\/pairs\.json: tables\.A-B: U at the cut-off \(0\.4000 nm\) must be 0, got 0\.5 kJ\/mol$/);
  assert.doesNotThrow(() => PairTable.fromJSON(good, what));
});

test('pair table: the constructor refuses bad ranges, node counts, non-finite values and U ≠ 0 at the cut-off', () => {
  assert.throws(() => new PairTable(-0.1, 0.01, [1, 0], [0, 0]), /^Error: pair table: r0 must be ≥ 0 and dr > 0 \(nm\), got r0 -0\.1, dr 0\.01$/);
  assert.throws(() => new PairTable(0.3, 0, [1, 0], [0, 0]), /got r0 0\.3, dr 0$/);
  assert.throws(() => new PairTable(Number.NaN, 0.01, [1, 0], [0, 0]), /got r0 NaN/);
  assert.throws(() => new PairTable(0.3, 0.01, [0], [0]), /need ≥ 2 nodes with one U and one F each, got 1 U and 1 F/);
  assert.throws(() => new PairTable(0.3, 0.01, [1, 0], [0, 0, 0]), /got 2 U and 3 F/);
  assert.throws(() => new PairTable(0.3, 0.01, [1, 2, 0], [0, Infinity, 0]), /U or F at r = 0\.3100 nm is not finite \(2, Infinity\)/);
  assert.throws(() => new PairTable(0.3, 0.01, [1, 2, 0.01], [0, 0, 0], 'CG-CG'), /^Error: CG-CG: U at the cut-off \(0\.3200 nm\) must be 0, got 0\.01 kJ\/mol$/);
  // Rounding-sized U at the cut-off (1e-9 of the largest U) is accepted and set to exactly 0.
  const t = new PairTable(0.3, 0.01, [100, 2, 5e-8], [0, 0, 0]);
  assert.equal(t.u[2], 0);
});
