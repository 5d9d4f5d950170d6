import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RigidFrame } from 'cglab/physics/rigidFrame';
import { Random } from 'cglab/util/random';

const nAtoms = 5;
const anchors: [number, number, number] = [3, 1, 4]; // not 0, 1, 2: the indexing must follow the anchors
const frame = new RigidFrame(nAtoms, anchors);
const batch = 6;

/** `batch` random configurations [batch, nAtoms·3]: atoms within ~1 nm of a random offset. */
function configurations(seed: number): Float64Array {
  const rng = new Random(seed);
  const x = new Float64Array(batch * nAtoms * 3);
  for (let b = 0; b < batch; b++) {
    const offset = [5 * rng.normal(), 5 * rng.normal(), 5 * rng.normal()];
    for (let i = 0; i < nAtoms; i++) for (let k = 0; k < 3; k++) x[(b * nAtoms + i) * 3 + k] = offset[k] + rng.normal();
  }
  return x;
}

const dist = (x: ArrayLike<number>, b: number, i: number, j: number) => {
  const o = b * nAtoms * 3;
  return Math.hypot(x[o + 3 * i] - x[o + 3 * j], x[o + 3 * i + 1] - x[o + 3 * j + 1], x[o + 3 * i + 2] - x[o + 3 * j + 2]);
};

test('reduce then embed is a rigid motion into the frame: distances kept, a0 at 0, a1 on +x, a2 in the xy plane with y > 0', () => {
  assert.equal(frame.dim, 3 * nAtoms - 6);
  const x = configurations(1);
  const q = frame.reduce(x, batch);
  assert.equal(q.length, batch * frame.dim);
  const y = frame.embed(q, batch);
  const [a0, a1, a2] = anchors;
  for (let b = 0; b < batch; b++) {
    const o = b * nAtoms * 3;
    // Every distance of the 5 atoms, to rounding of coordinates of order 10 nm.
    for (let i = 0; i < nAtoms; i++) for (let j = i + 1; j < nAtoms; j++) {
      assert.ok(Math.abs(dist(y, b, i, j) - dist(x, b, i, j)) < 1e-9, `config ${b}, atoms ${i}-${j}: ${dist(y, b, i, j)} vs ${dist(x, b, i, j)}`);
    }
    assert.deepEqual([...y.subarray(o + 3 * a0, o + 3 * a0 + 3)], [0, 0, 0]);
    assert.ok(y[o + 3 * a1] > 0, `a1 at x = ${y[o + 3 * a1]}`);
    assert.equal(y[o + 3 * a1 + 1], 0);
    assert.equal(y[o + 3 * a1 + 2], 0);
    assert.ok(Math.abs(y[o + 3 * a1] - dist(x, b, a0, a1)) < 1e-9);
    assert.ok(y[o + 3 * a2 + 1] > 0, `a2 at y = ${y[o + 3 * a2 + 1]}`);
    assert.equal(y[o + 3 * a2 + 2], 0);
    // A proper rotation, not a reflection: the chirality of a non-anchor atom is kept (the sign
    // of the triple product of a1 − a0, a2 − a0, i − a0).
    const chirality = (z: ArrayLike<number>, i: number) => {
      const v = (j: number) => [0, 1, 2].map((k) => z[o + 3 * j + k] - z[o + 3 * a0 + k]);
      const [u, w, r] = [v(a1), v(a2), v(i)];
      return Math.sign(r[0] * (u[1] * w[2] - u[2] * w[1]) + r[1] * (u[2] * w[0] - u[0] * w[2]) + r[2] * (u[0] * w[1] - u[1] * w[0]));
    };
    assert.equal(chirality(y, 0), chirality(x, 0));
  }
  // The frame is a function of the internal geometry: reducing its own output returns q, and a
  // moved and rotated copy of x reduces to the same q.
  const again = frame.reduce(y, batch);
  for (let k = 0; k < q.length; k++) assert.ok(Math.abs(again[k] - q[k]) < 1e-12);
  const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
  const moved = Float64Array.from(x);
  for (let p = 0; p < batch * nAtoms; p++) {
    const [px, py, pz] = [x[3 * p], x[3 * p + 1], x[3 * p + 2]];
    moved[3 * p] = c * px - s * pz + 1.5;
    moved[3 * p + 1] = py - 2;
    moved[3 * p + 2] = s * px + c * pz + 0.25;
  }
  const qm = frame.reduce(moved, batch);
  for (let k = 0; k < q.length; k++) assert.ok(Math.abs(qm[k] - q[k]) < 1e-9, `component ${k}: ${qm[k]} vs ${q[k]}`);
});

test('pullBack of a Cartesian gradient picks its free components', () => {
  const [a0, a1, a2] = anchors;
  // Fixed by the frame: all of a0, y and z of a1, z of a2; the rest in Cartesian order.
  const fixed = new Set([3 * a0, 3 * a0 + 1, 3 * a0 + 2, 3 * a1 + 1, 3 * a1 + 2, 3 * a2 + 2]);
  const free = Array.from({ length: 3 * nAtoms }, (_, c) => c).filter((c) => !fixed.has(c));
  const rng = new Random(2);
  const gx = Float64Array.from({ length: batch * nAtoms * 3 }, () => rng.normal());
  const g = frame.pullBack(gx, batch);
  assert.equal(g.length, batch * free.length);
  for (let b = 0; b < batch; b++) for (const [k, c] of free.entries()) assert.equal(g[b * frame.dim + k], gx[b * nAtoms * 3 + c]);
  // embed is its transpose: ⟨gx, embed(q)⟩ = ⟨pullBack(gx), q⟩.
  const q = Float64Array.from({ length: batch * frame.dim }, () => rng.normal());
  const xq = frame.embed(q, batch);
  const lhs = gx.reduce((acc, v, i) => acc + v * xq[i], 0);
  const rhs = g.reduce((acc, v, i) => acc + v * q[i], 0);
  assert.ok(Math.abs(lhs - rhs) < 1e-12 * (1 + Math.abs(lhs)));
});

test('logJacobian is 2 ln|x₁| + ln|y₂| and adds its gradient, which matches finite differences', () => {
  const [, a1, a2] = anchors;
  const q = frame.reduce(configurations(3), batch);
  const x = frame.embed(q, batch);
  const grad = new Float64Array(q.length).fill(0.5); // it adds into grad: start off zero
  const h = 1e-6;
  for (let b = 0; b < batch; b++) {
    const o = b * nAtoms * 3;
    const lj = frame.logJacobian(q, b, grad);
    assert.ok(Math.abs(lj - (2 * Math.log(x[o + 3 * a1]) + Math.log(x[o + 3 * a2 + 1]))) < 1e-12);
    for (let k = 0; k < frame.dim; k++) {
      const plus = Float64Array.from(q);
      const minus = Float64Array.from(q);
      plus[b * frame.dim + k] += h;
      minus[b * frame.dim + k] -= h;
      const scratch = new Float64Array(q.length);
      const fd = (frame.logJacobian(plus, b, scratch) - frame.logJacobian(minus, b, scratch)) / (2 * h);
      // Central differences: truncation ~h²·|f'''| ≈ 1e-12/|x|³ for coordinates of order 1 nm,
      // rounding ~1e-16/h = 1e-10; 1e-6 leaves room for a short anchor distance.
      assert.ok(Math.abs(grad[b * frame.dim + k] - 0.5 - fd) < 1e-6 * (1 + Math.abs(fd)), `config ${b}, q${k}: ${grad[b * frame.dim + k] - 0.5} vs ${fd}`);
    }
  }
  // Only x₁ and y₂ carry a gradient: two components per configuration.
  const nonzero = [...grad].filter((g) => g !== 0.5).length;
  assert.equal(nonzero, 2 * batch);
});

test('reduce refuses collinear or coincident anchors, naming the configuration', () => {
  const x = configurations(4);
  const [a0, a1, a2] = anchors;
  // Configuration 2: the anchors on a line along x, where the arithmetic is exact.
  const line = Float64Array.from(x);
  const o = 2 * nAtoms * 3;
  line.set([1, 2, 3], o + 3 * a0);
  line.set([2, 2, 3], o + 3 * a1);
  line.set([4, 2, 3], o + 3 * a2);
  assert.throws(() => frame.reduce(line, batch), /RigidFrame\.reduce: configuration 2 has its anchor atoms \[3,1,4\] on one line or on one point/);
  const point = Float64Array.from(x);
  for (let k = 0; k < 3; k++) point[3 * a1 + k] = point[3 * a0 + k];
  assert.throws(() => frame.reduce(point, batch), /configuration 0 has its anchor atoms .* on one line or on one point/);
});

// Anchors on a line in general position leave a perpendicular part of rounding size (~1e-16 nm),
// which normalised would give an e2 not orthogonal to e1 (a2 landed 1.23 nm off the axis before
// reduce compared it with the anchors' distance).
test('reduce refuses anchors collinear up to rounding (general position)', () => {
  const f = new RigidFrame(3, [0, 1, 2]);
  const x0 = [0.1, 0.2, 0.3];
  const d = [0.3, -0.7, 0.45];
  const x = Float64Array.from([...x0, ...x0.map((v, k) => v + d[k]), ...x0.map((v, k) => v + 2.5 * d[k])]);
  assert.throws(() => f.reduce(x, 1), /on one line/);
});

test('bad anchors and too few atoms are refused', () => {
  const bad = /RigidFrame: anchors must be three distinct atom indices in \[0, 5\), got/;
  for (const a of [[0, 0, 1], [0, 1, 5], [-1, 1, 2], [0, 1.5, 2], [2, 1, 2]] as [number, number, number][]) assert.throws(() => new RigidFrame(5, a), bad, `anchors [${a}]`);
  assert.throws(() => new RigidFrame(2, [0, 1, 2]), /RigidFrame: a molecule needs at least 3 atoms, got 2/);
  assert.equal(new RigidFrame(3, [2, 0, 1]).dim, 3);
});
