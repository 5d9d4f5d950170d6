import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PairTable } from 'cglab/cg/pairTable';
import { Random } from 'cglab/util/random';
import { pairPotential, tableOf } from 'cglab/physics/pairPotential';
import { lj, morse } from '../helpers/pairFunctions.js';
import { bruteForcePairs, forEachPairBrute, maxDiff, randomLiquid, type Box } from '../helpers/periodicPairs.js';

const TYPE_NAMES = ['A', 'B'];
// A-A and A-B interact (different functions and cut-offs; A-B keyed in the other order), B-B not.
const TABLES = new Map([
  ['A-A', PairTable.fromFunction(lj(0.3, 1.2), 0.25, 0.9)],
  ['B-A', PairTable.fromFunction(morse(2, 15, 0.32), 0.24, 1.0)],
]);
// Orthorhombic, not cubic; half the shortest edge (1.05 nm) just holds the 1.0 nm cut-off.
const BOX: Box = [2.1, 2.5, 2.9];

function randomTypes(n: number, seed: number): Int32Array {
  const rng = new Random(seed);
  return Int32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 0 : 1));
}

/** The reference: Σ over pairs of the table of their types, nearest image by search. */
function reference(x: Float64Array, types: Int32Array, box: Box, molecule?: Int32Array, offset = 0) {
  const out = new Float64Array(2);
  return bruteForcePairs(x, types.length, box, (i, j, r) => {
    const t = tableOf(TABLES, TYPE_NAMES[types[i]], TYPE_NAMES[types[j]]);
    if (!t || r >= t.cutoff) return undefined;
    t.evaluate(r, out);
    return { u: out[0], du: -out[1] };
  }, molecule, offset);
}

function evaluate(p: ReturnType<typeof pairPotential>, x: Float64Array, batch = 1) {
  const forces = new Float64Array(x.length);
  const energies = new Float64Array(batch);
  p.evaluate(x, batch, forces, energies);
  return { forces, energies };
}

test('pair potential: energies equal the brute-force minimum-image sum, per configuration of a batch, with and without exclusions', () => {
  const n = 48;
  const types = randomTypes(n, 1);
  const x = new Float64Array(6 * n);
  x.set(randomLiquid(n, BOX, 0.2, 2));
  x.set(randomLiquid(n, BOX, 0.2, 3), 3 * n);
  // The configurations must exercise every case: pairs of each type pair within the cut-off,
  // interacting pairs on the wall below r0, A-A pairs beyond their table (0.9 nm) but within 1 nm.
  const count = new Map<string, number>();
  const add = (key: string) => count.set(key, (count.get(key) ?? 0) + 1);
  for (const off of [0, 3 * n]) {
    forEachPairBrute(x, n, BOX, (i, j, _d, r) => {
      const key = [TYPE_NAMES[types[i]], TYPE_NAMES[types[j]]].sort().join('-');
      if (r < 1.0) add(key);
      if (key !== 'B-B' && r < 0.25) add('wall');
      if (key === 'A-A' && r >= 0.9 && r < 1.0) add('A-A beyond 0.9');
    }, undefined, off);
  }
  for (const key of ['A-A', 'A-B', 'B-B']) assert.ok((count.get(key) ?? 0) > 10, `pairs ${key} within the cut-off: ${count.get(key)}`);
  for (const key of ['wall', 'A-A beyond 0.9']) assert.ok((count.get(key) ?? 0) > 0, `no pairs of the case '${key}'`);

  const molecule = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 3));
  for (const mol of [undefined, molecule]) {
    const p = pairPotential({ box: BOX, types, typeNames: TYPE_NAMES, tables: TABLES, molecule: mol });
    assert.equal(p.cutoff, 1.0);
    const got = evaluate(p, x, 2);
    for (let b = 0; b < 2; b++) {
      const ref = reference(x, types, BOX, mol, 3 * n * b);
      // Sums of a few hundred O(10) terms in another order: 1e-11 relative.
      const what = `configuration ${b}${mol ? ', molecules of 3' : ''}`;
      assert.ok(Math.abs(got.energies[b] - ref.energy) < 1e-11 * (1 + Math.abs(ref.energy)), `${what}: energy ${got.energies[b]}, brute force ${ref.energy}`);
      const f = maxDiff(got.forces.subarray(3 * n * b, 3 * n * (b + 1)), ref.forces);
      assert.ok(f.err < 1e-11 * f.scale, `${what}: forces differ by ${f.err} (largest ${f.scale})`);
    }
  }
  // The exclusions matter here: the intramolecular pairs change the energy.
  const all = reference(x, types, BOX).energy;
  const excluded = reference(x, types, BOX, molecule).energy;
  assert.ok(Math.abs(all - excluded) > 1e-3, `energy with exclusions ${excluded}, without ${all}`);
});

test('pair potential: forces are −∇E by central finite differences, with and without exclusions', () => {
  const n = 30;
  const types = randomTypes(n, 4);
  // Down to 0.2 nm: some pairs on the walls below r0.
  const x = randomLiquid(n, BOX, 0.2, 5);
  const molecule = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 2));
  for (const mol of [undefined, molecule]) {
    const p = pairPotential({ box: BOX, types, typeNames: TYPE_NAMES, tables: TABLES, molecule: mol });
    const { forces } = evaluate(p, x);
    const energy = (y: Float64Array) => evaluate(p, y).energies[0];
    // Step e = 1e-6 nm (far below the 0.05 nm that would rebuild the list): truncation
    // e²/6·|U'''| ≲ 1e-6 for U''' ≲ 6e6 kJ/mol/nm³ (LJ at r0; the walls are quadratic); U'' of
    // the Hermite interpolant jumps by ≲ 2 at nodes (another ≲ e); rounding of an O(1e3) sum,
    // ~1e-12/e = 1e-6. Forces reach O(1e3) on the walls.
    const e = 1e-6;
    const fd = new Float64Array(3 * n);
    for (let k = 0; k < 3 * n; k++) {
      const y = Float64Array.from(x);
      y[k] = x[k] + e;
      const up = energy(y);
      y[k] = x[k] - e;
      fd[k] = -(up - energy(y)) / (2 * e);
    }
    const d = maxDiff(forces, fd);
    assert.ok(d.scale > 10, `finite-difference forces vanish (largest ${d.scale}), the check would test nothing`);
    assert.ok(d.err < 1e-5 + 1e-7 * d.scale, `${mol ? 'with' : 'without'} exclusions: forces differ from −∇E by ${d.err} (largest ${d.scale})`);
  }
});

test('pair potential: stays exact over many steps of displacements, through Verlet list rebuilds (cell lists)', () => {
  // 3.7 × 4.1 × 4.6 nm with cut-off + skin 1.1 nm: 3 × 3 × 4 cells, so the cell path is used.
  const box: Box = [3.7, 4.1, 4.6];
  const n = 150;
  const types = randomTypes(n, 6);
  const molecule = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 5));
  const x = randomLiquid(n, box, 0.27, 7);
  const x0 = Float64Array.from(x);
  const p = pairPotential({ box, types, typeNames: TYPE_NAMES, tables: TABLES, molecule, skin: 0.1 });
  const rng = new Random(8);
  for (let step = 0; step < 20; step++) {
    const got = evaluate(p, x);
    const ref = reference(x, types, box, molecule);
    assert.ok(Math.abs(got.energies[0] - ref.energy) < 1e-11 * (1 + Math.abs(ref.energy)), `step ${step}: energy ${got.energies[0]}, brute force ${ref.energy}`);
    const f = maxDiff(got.forces, ref.forces);
    assert.ok(f.err < 1e-11 * f.scale, `step ${step}: forces differ by ${f.err} (largest ${f.scale})`);
    // 0.02 nm per coordinate per step (skin/2 = 0.05 nm): the list goes stale within a few steps.
    for (let k = 0; k < 3 * n; k++) x[k] += 0.02 * rng.normal();
  }
  // A list built at the start and never rebuilt would miss pairs: some pair is now within the
  // cut-off that was beyond cut-off + skin then.
  let entered = 0;
  const r0 = new Map<number, number>();
  forEachPairBrute(x0, n, box, (i, j, _d, r) => r0.set(i * n + j, r), molecule);
  forEachPairBrute(x, n, box, (i, j, _d, r) => {
    if (r < 1.0 && (r0.get(i * n + j) as number) >= 1.1) entered++;
  }, molecule);
  assert.ok(entered > 0, 'no pair entered the cut-off from beyond the skin: the test would not need a rebuild');
});

test('pair potential: refuses table keys that are not two of its types, a cut-off over half the box, bad type indices', () => {
  const types = Int32Array.from([0, 1, 1, 0]);
  const opts = { box: BOX, types, typeNames: TYPE_NAMES, tables: TABLES };
  const lj09 = TABLES.get('A-A') as PairTable;
  for (const key of ['A-C', 'A-B-A', 'AB', 'a-A']) {
    assert.throws(
      () => pairPotential({ ...opts, tables: new Map([[key, lj09]]) }),
      new RegExp(`^Error: pair potential: table '${key}' does not name two bead types 'A-B' of A, B$`),
    );
  }
  assert.throws(() => pairPotential({ ...opts, tables: new Map() }), /^Error: pair potential: no tables given$/);
  assert.throws(
    () => pairPotential({ ...opts, box: [1.9, 2.5, 2.9] }),
    /^Error: pair potential: cutoff 1 nm must be positive and at most half the shortest box edge \(0\.95 nm\)$/,
  );
  // The cut-off is the largest table's: without the 1.0 nm A-B table, 1.9 nm holds the 0.9 nm A-A.
  assert.equal(pairPotential({ ...opts, box: [1.9, 2.5, 2.9], tables: new Map([['A-A', lj09]]) }).cutoff, 0.9);
  assert.throws(() => pairPotential({ ...opts, types: Int32Array.from([0, 1, 2, 0]) }), /^Error: pair potential: bead 2 has type index 2, expected 0 … 1$/);
  assert.throws(() => pairPotential({ ...opts, types: Int32Array.from([0, -1]) }), /bead 1 has type index -1/);
});
