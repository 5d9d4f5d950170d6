import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairBasis } from 'cglab/cg/pairBasis';
import { PairBasisSet, type LiquidLayout } from 'cglab/cg/pairBasisSet';
import { Random } from 'cglab/util/random';
import { pairPotential } from 'cglab/physics/pairPotential';
import { bruteForcePairs, forEachPairBrute, maxDiff, randomLiquid, type Box } from '../helpers/periodicPairs.js';

const TYPE_NAMES = ['A', 'B'];
// Three type pairs with different ranges and spacings. Every knot spacing is a whole number of
// 0.002 nm table steps (25, 25, 50), so `tables(θ)` is exact: between two nodes the spline is one
// cubic, which cubic Hermite interpolation reproduces; only rounding separates table and spline.
const SET = new PairBasisSet(TYPE_NAMES, [
  { a: 'A', b: 'A', basis: new PairBasis(0.25, 0.9, 0.05) },
  { a: 'A', b: 'B', basis: new PairBasis(0.2, 1.0, 0.05) },
  { a: 'B', b: 'B', basis: new PairBasis(0.3, 0.8, 0.1) },
]);
// Half the shortest edge (1.15 nm) holds the 1.0 nm cut-off.
const BOX: Box = [2.3, 2.6, 3.1];
const N = 40;

function layoutOf(seed: number, moleculeSize?: number): LiquidLayout {
  const rng = new Random(seed);
  return {
    types: Int32Array.from({ length: N }, () => (rng.uniform() < 0.5 ? 0 : 1)),
    ...(moleculeSize ? { molecule: Int32Array.from({ length: N }, (_, i) => Math.floor(i / moleculeSize)) } : {}),
  };
}

function randomTheta(seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: SET.size }, () => 4 * rng.uniform() - 2);
}

/** U and dU/dr of beads i and j at r from the bases of `set` (undefined: no basis for their types). */
function splinePair(set: PairBasisSet, theta: Float64Array, layout: LiquidLayout, i: number, j: number, r: number) {
  const names = [TYPE_NAMES[layout.types[i]], TYPE_NAMES[layout.types[j]]].sort().join();
  const p = set.pairs.findIndex((q) => [q.a, q.b].sort().join() === names);
  return p < 0 ? undefined : set.pairs[p].basis.potential(set.slice(theta, p), r);
}

/** Energy and forces of U = Σ θ·B straight from the bases (no tables, no neighbour list). */
function reference(set: PairBasisSet, theta: Float64Array, x: Float64Array, layout: LiquidLayout, offset = 0) {
  return bruteForcePairs(x, layout.types.length, BOX, (i, j, r) => splinePair(set, theta, layout, i, j, r), layout.molecule, offset);
}

/** F = A θ of the force design matrix. */
function designForces(set: PairBasisSet, x: Float64Array, layout: LiquidLayout, theta: Float64Array, offset = 0): Float64Array {
  const n = layout.types.length;
  const a = new Float64Array(3 * n * set.size).fill(Number.NaN);
  set.forceDesign(x, BOX, layout, offset, a);
  return Float64Array.from({ length: 3 * n }, (_, row) => theta.reduce((s, t, c) => s + a[row * set.size + c] * t, 0));
}

function statistics(set: PairBasisSet, x: Float64Array, layout: LiquidLayout, offset = 0): Float64Array {
  const phi = new Float64Array(set.size);
  set.addStatistics(x, BOX, layout, offset, phi);
  return phi;
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, k) => s + v * b[k], 0);

test('pair basis set: offsets, size, cut-off, names, slices and tables of the three type pairs', () => {
  assert.deepEqual(SET.offsets, [0, 13, 29]);
  assert.equal(SET.size, 34);
  assert.equal(SET.cutoff, 1.0);
  assert.deepEqual([0, 1, 2].map((p) => SET.pairName(p)), ['A-A', 'A-B', 'B-B']);
  const theta = randomTheta(1);
  const s = SET.slice(theta, 1);
  assert.equal(s.length, 16);
  assert.equal(s[0], theta[13]);
  assert.equal(s[15], theta[28]);
  const tables = SET.tables(theta);
  assert.deepEqual([...tables.keys()], ['A-A', 'A-B', 'B-B']);
  assert.deepEqual([...tables.values()].map((t) => [t.r0, Math.round(t.cutoff * 1e9) / 1e9, t.u.length]), [[0.25, 0.9, 326], [0.2, 1.0, 401], [0.3, 0.8, 251]]);
});

test('pair basis set: forceDesign(x)·θ equals brute-force spline forces and the pair potential of tables(θ), with and without exclusions', () => {
  // Beads ≥ 0.31 nm apart: every pair is above the bases' rMin (≤ 0.3 nm), where the tables'
  // walls (not part of the basis) would differ.
  const x = randomLiquid(N, BOX, 0.31, 2);
  for (const moleculeSize of [undefined, 4]) {
    const layout = layoutOf(3, moleculeSize);
    for (let seed = 0; seed < 2; seed++) {
      const theta = randomTheta(10 + seed);
      const what = `θ seed ${seed}${moleculeSize ? ', molecules of 4' : ''}`;
      const got = designForces(SET, x, layout, theta);
      const ref = reference(SET, theta, x, layout);
      // Same sums in another order: rounding, 1e-12 of the largest force.
      const d = maxDiff(got, ref.forces);
      assert.ok(d.scale > 1, `${what}: forces vanish (${d.scale})`);
      assert.ok(d.err < 1e-12 * d.scale, `${what}: design forces differ from brute force by ${d.err} (largest ${d.scale})`);
      // Tables on the knot-aligned 0.002 nm grid are the spline up to rounding (see SET): 1e-10.
      const p = pairPotential({ box: BOX, types: layout.types, typeNames: TYPE_NAMES, tables: SET.tables(theta), molecule: layout.molecule });
      const forces = new Float64Array(3 * N);
      const energies = new Float64Array(1);
      p.evaluate(x, 1, forces, energies);
      const t = maxDiff(got, forces);
      assert.ok(t.err < 1e-10 * t.scale, `${what}: design forces differ from the pair potential's by ${t.err} (largest ${t.scale})`);
      assert.ok(Math.abs(dot(statistics(SET, x, layout), theta) - energies[0]) < 1e-10 * (1 + Math.abs(energies[0])), `${what}: θ·φ vs the pair potential's energy ${energies[0]}`);
    }
  }
});

test('pair basis set: addStatistics(x)·θ equals the brute-force Σ_pairs U(r), accumulates, and leaves out molecules’ own pairs', () => {
  const x = randomLiquid(N, BOX, 0.31, 4);
  const layout = layoutOf(5);
  const withMolecules = layoutOf(5, 4);
  const theta = randomTheta(6);
  const phi = statistics(SET, x, layout);
  const energy = reference(SET, theta, x, layout).energy;
  // Sums of a few hundred O(1) terms: 1e-12 relative.
  assert.ok(Math.abs(dot(phi, theta) - energy) < 1e-12 * (1 + Math.abs(energy)), `θ·φ ${dot(phi, theta)}, brute force ${energy}`);
  // B-splines are non-negative, so are their sums over pairs.
  assert.ok(phi.every((v) => v >= 0), `φ has negative entries: ${phi}`);
  const phiMol = statistics(SET, x, withMolecules);
  const energyMol = reference(SET, theta, x, withMolecules).energy;
  assert.ok(Math.abs(dot(phiMol, theta) - energyMol) < 1e-12 * (1 + Math.abs(energyMol)), `with molecules: θ·φ ${dot(phiMol, theta)}, brute force ${energyMol}`);
  assert.ok(Math.abs(energyMol - energy) > 1e-3, `the exclusions change nothing here (${energyMol} vs ${energy})`);
  // "Adds": a second call doubles.
  SET.addStatistics(x, BOX, layout, 0, phi);
  assert.ok(Math.abs(dot(phi, theta) - 2 * energy) < 1e-12 * (1 + Math.abs(energy)), 'a second addStatistics does not add');
});

test('pair basis set: addVirial(x)·θ equals the brute-force Σ_pairs r·dU/dr', () => {
  const x = randomLiquid(N, BOX, 0.31, 12);
  const layout = layoutOf(13, 4);
  const theta = randomTheta(14);
  const psi = new Float64Array(SET.size);
  SET.addVirial(x, BOX, layout, 0, psi);
  let virial = 0;
  forEachPairBrute(x, N, BOX, (i, j, _d, r) => {
    virial += r * (splinePair(SET, theta, layout, i, j, r)?.du ?? 0);
  }, layout.molecule);
  // Sums of a few hundred O(10) terms: 1e-12 relative.
  assert.ok(Math.abs(virial) > 1, `the virial ${virial} is too small to test anything`);
  assert.ok(Math.abs(dot(psi, theta) - virial) < 1e-12 * Math.abs(virial), `θ·ψ ${dot(psi, theta)}, brute force ${virial}`);
});

test('pair basis set: configurations read at an offset, one after another in one box, and a pair without a basis', () => {
  // Two frames back to back: the neighbour list cached for this box must follow each frame.
  const x = new Float64Array(6 * N);
  x.set(randomLiquid(N, BOX, 0.31, 7));
  x.set(randomLiquid(N, BOX, 0.31, 8), 3 * N);
  const layout = layoutOf(9, 2);
  const theta = randomTheta(10);
  for (const frame of [1, 0, 1]) {
    const off = 3 * N * frame;
    const ref = reference(SET, theta, x, layout, off);
    const d = maxDiff(designForces(SET, x, layout, theta, off), ref.forces);
    assert.ok(d.err < 1e-12 * d.scale, `frame ${frame}: design forces differ by ${d.err}`);
    assert.ok(Math.abs(dot(statistics(SET, x, layout, off), theta) - ref.energy) < 1e-12 * (1 + Math.abs(ref.energy)), `frame ${frame}: θ·φ`);
  }
  // Only A-A has a basis: A-B and B-B pairs do not interact.
  const onlyAA = new PairBasisSet(TYPE_NAMES, [SET.pairs[0]]);
  const thAA = theta.slice(0, 13);
  const refAA = reference(onlyAA, thAA, x, layout);
  assert.ok(Math.abs(dot(statistics(onlyAA, x, layout), thAA) - refAA.energy) < 1e-12 * (1 + Math.abs(refAA.energy)), 'A-A only: θ·φ');
  assert.ok(Math.abs(refAA.energy - reference(SET, theta, x, layout).energy) > 1e-3, 'the other pairs contribute nothing here');
});

test('pair basis set: refuses unknown types, a pair given twice, and a box under twice the cut-off', () => {
  const b = new PairBasis(0.2, 1.0, 0.05);
  assert.throws(() => new PairBasisSet(TYPE_NAMES, [{ a: 'A', b: 'C', basis: b }]), /^Error: pair basis set: pair A-C names a type not in A, B$/);
  assert.throws(
    () => new PairBasisSet(TYPE_NAMES, [{ a: 'A', b: 'B', basis: b }, { a: 'B', b: 'A', basis: b }]),
    /^Error: pair basis set: pair B-A given twice$/,
  );
  const x = randomLiquid(N, BOX, 0.31, 11);
  const small: Box = [1.9, 2.6, 3.1];
  assert.throws(() => SET.addStatistics(x, small, layoutOf(1), 0, new Float64Array(SET.size)), /^Error: pair basis set: cutoff 1 nm must be positive and at most half the shortest box edge \(0\.95 nm\)$/);
  assert.throws(() => SET.forceDesign(x, [2.3, 0, 3.1], layoutOf(1), 0, new Float64Array(3 * N * SET.size)), /^Error: pair basis set: box edge y must be a positive finite length \(nm\), got 0$/);
});
