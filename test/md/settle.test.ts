// SETTLE against what it replaces: SHAKE and RATTLE iterated to 1e-14 solve the same equations
// (corrections along the old bond vectors; no velocity along any bond), so on the same input
// both must land on the same positions and velocities, to the iteration's tolerance.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxConstraintError, rattleVelocities, shakePositions, type Constraints } from 'cglab/md/constraints';
import { Random } from 'cglab/util/random';
import { SPCE, spceConstraints, waterLattice } from 'cglab/physics/water';

const MOLECULES = 64;
const box: [number, number, number] = [1.3, 1.3, 1.3];

function setup() {
  const rng = new Random(5);
  const ref = waterLattice(MOLECULES, box, () => rng.uniform());
  const masses = new Float64Array(3 * MOLECULES).map((_, i) => (i % 3 === 0 ? SPCE.mO : SPCE.mH));
  const invM = masses.map((m) => 1 / m);
  const withSettle = spceConstraints(MOLECULES);
  const plain: Constraints = { pairs: withSettle.pairs, distances: withSettle.distances };
  return { rng, ref, invM, withSettle, plain };
}

test('SETTLE positions equal SHAKE converged to 1e-14 after a 2 fs-sized random move, and hold the geometry to 1e-12', () => {
  const { rng, ref, invM, withSettle, plain } = setup();
  // Thermal atoms move ~0.005 nm in 2 fs (H at 300 K: ~2.7 nm/ps); 0.01 nm is a hard case.
  const moved = ref.map((v) => v + 0.01 * rng.normal());
  const a = Float64Array.from(moved);
  const b = Float64Array.from(moved);
  shakePositions(withSettle, ref, a, invM, 1);
  shakePositions(plain, ref, b, invM, 1, { tolerance: 1e-14, maxIterations: 100000 });
  assert.ok(maxConstraintError(withSettle, a, 3 * MOLECULES, 1) < 1e-12);
  let worst = 0;
  a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
  assert.ok(worst < 1e-10, `SETTLE and SHAKE differ by ${worst} nm`);
});

test('SETTLE velocities equal RATTLE converged to 1e-14 and have no component along any bond', () => {
  const { rng, ref, invM, withSettle, plain } = setup();
  const v0 = ref.map(() => rng.normal());
  const a = Float64Array.from(v0);
  const b = Float64Array.from(v0);
  rattleVelocities(withSettle, ref, a, invM, 1);
  rattleVelocities(plain, ref, b, invM, 1, { tolerance: 1e-14, maxIterations: 100000 });
  let worst = 0;
  a.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
  assert.ok(worst < 1e-10, `SETTLE and RATTLE velocities differ by ${worst} nm/ps`);
  const { pairs } = withSettle;
  for (let k = 0; k < pairs.length / 2; k++) {
    const [i, j] = [3 * pairs[2 * k], 3 * pairs[2 * k + 1]];
    let rv = 0;
    for (let d = 0; d < 3; d++) rv += (ref[i + d] - ref[j + d]) * (a[i + d] - a[j + d]);
    assert.ok(Math.abs(rv) < 1e-12, `constraint ${k}: r·v = ${rv}`);
  }
});

test('SETTLE keeps the centre of mass of each molecule where the unconstrained move put it', () => {
  const { rng, ref, invM, withSettle } = setup();
  const moved = ref.map((v) => v + 0.01 * rng.normal());
  const a = Float64Array.from(moved);
  shakePositions(withSettle, ref, a, invM, 1);
  for (let m = 0; m < MOLECULES; m++) {
    for (let d = 0; d < 3; d++) {
      const com = (x: Float64Array) => [0, 1, 2].reduce((s, k) => s + x[9 * m + 3 * k + d] / invM[3 * m + k], 0);
      assert.ok(Math.abs(com(a) - com(moved)) < 1e-12);
    }
  }
});
