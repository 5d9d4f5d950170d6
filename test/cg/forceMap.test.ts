import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertConsistent, basicForceMap, consistencyError, constrainedGroups, deltaForces, hydrogenBondPairs, mappedForceVariance,
  optimalForceMap, projectForces,
} from 'cglab/cg/forceMap';
import { solveSpd } from 'cglab/cg/linalg';
import { centerOfMassMap, groupMap, LinearMap, selectAtomsMap, selectionMap } from 'cglab/cg/linearMap';
import { alanineDipeptideTopology } from 'cglab/datasets/alanineDipeptide';
import { readDataset } from 'cglab/io/dataset';
import { Random } from 'cglab/util/random';
import { fileURLToPath } from 'node:url';

const top = alanineDipeptideTopology();
const hBonds = hydrogenBondPairs(top);

test('H-bond constraint groups of alanine dipeptide: each heavy atom with its hydrogens', () => {
  assert.equal(hBonds.length, 12);
  const groups = constrainedGroups(22, hBonds);
  assert.deepEqual(groups, [[0, 1, 2, 3], [4], [5], [6, 7], [8, 9], [10, 11, 12, 13], [14], [15], [16, 17], [18, 19, 20, 21]]);
  assert.throws(() => constrainedGroups(3, [[0, 3]]), /constraint 0 \(0, 3\) names atom 3, which does not exist among 3 atoms/);
});

test('basic force maps: a selection picks its atom (with constrained hydrogens), a COM bead sums its group', () => {
  const m = selectAtomsMap(top, { name: ['N', 'CA', 'C'] });
  const plain = basicForceMap(m);
  assert.deepEqual(plain.matrix, m.matrix);
  const aware = basicForceMap(m, { constraints: hBonds });
  assert.deepEqual([...Array(5).keys()].map((b) => aware.support(b)), [[4], [6, 7], [8, 9], [14], [16, 17]]);
  assertConsistent(aware, m, { constraints: hBonds });
  assert.throws(() => assertConsistent(plain, m, { constraints: hBonds }), /weights bead 1's constrained atoms 6, 7 unequally/);

  const com = centerOfMassMap(top, [[4, 5], [8, 9, 10]]);
  const sum = basicForceMap(com);
  assert.deepEqual(sum.toRows().map((r) => r.flatMap((v, i) => (v === 1 ? [i] : []))), [[4, 5], [8, 9, 10]]);
  assert.ok(consistencyError(sum, com) < 1e-15);
  const f = Float32Array.from({ length: 2 * 66 }, (_, i) => Math.sin(i));
  const fcg = projectForces(sum, f);
  assert.ok(fcg instanceof Float32Array);
  assert.ok(Math.abs(fcg[3 * 3 + 1] - (f[66 + 25] + f[66 + 28] + f[66 + 31])) < 1e-5, 'frame 1, bead 1, y: sum of atoms 8, 9, 10');
  assert.throws(() => basicForceMap(centerOfMassMap(top, [[8], [10]]), { constraints: [[8, 10]] }), /atom 8 \(constrained to atom 10\) belongs to beads 0 and 1/);
});

test('delta forces subtract the prior forces frame by frame, and refuse mismatched arrays', () => {
  const d = deltaForces(Float32Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(0.5, 0, 1, 1, 1, 1));
  assert.deepEqual([...d], [0.5, 2, 2, 3, 4, 5]);
  assert.ok(d instanceof Float32Array);
  assert.throws(() => deltaForces(new Float32Array(6), new Float32Array(9)), /mapped forces have 6 values but prior forces 9/);
});

// A linear toy where the mean force is known exactly: U = ½ Σ_d x_dᵀ K x_d (x_d the d-th
// components of n atoms), optionally with linear constraints x = P q. R = M x is Gaussian with
// covariance kT·M P K'⁻¹ Pᵀ Mᵀ (K' = Pᵀ K P), so the mean force is −kT Σ_R⁻¹ R exactly. The
// data hold −K x, without the constraint forces, like the alanine data.
const KT = 2.5;
const K = [
  [30, -10, 2, 0],
  [-10, 25, -8, 3],
  [2, -8, 20, -6],
  [0, 3, -6, 15],
];

function matmul(a: number[][], b: number[][]): number[][] {
  return a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const transpose = (a: number[][]) => a[0].map((_, j) => a.map((r) => r[j]));
function inverse(a: number[][]): number[][] {
  const n = a.length;
  const eye = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  const x = solveSpd(Float64Array.from(a.flat()), n, eye, n) as Float64Array;
  return a.map((_, i) => Array.from(x.subarray(i * n, (i + 1) * n)));
}
function cholesky(a: number[][]): number[][] {
  const l = a.map((r) => r.map(() => 0));
  for (let j = 0; j < a.length; j++) {
    l[j][j] = Math.sqrt(a[j][j] - l[j].slice(0, j).reduce((s, v) => s + v * v, 0));
    for (let i = j + 1; i < a.length; i++) l[i][j] = (a[i][j] - l[i].slice(0, j).reduce((s, v, k) => s + v * l[j][k], 0)) / l[j][j];
  }
  return l;
}

/** Frames of the toy: positions and forces [frames, n, 3], and the exact mean-force matrix. */
function gaussianToy(p: number[][], m: LinearMap, frames: number, seed: number) {
  const kq = matmul(transpose(p), matmul(K, p));
  const cov = inverse(kq).map((r) => r.map((v) => KT * v));
  const l = cholesky(cov);
  const rng = new Random(seed);
  const n = K.length;
  const x = new Float64Array(frames * n * 3);
  const f = new Float64Array(frames * n * 3);
  for (let t = 0; t < frames; t++) {
    for (let d = 0; d < 3; d++) {
      const z = l.map(() => rng.normal());
      const q = l.map((r) => r.reduce((s, v, k) => s + v * z[k], 0));
      const xi = p.map((r) => r.reduce((s, v, k) => s + v * q[k], 0));
      xi.forEach((v, i) => {
        x[(t * n + i) * 3 + d] = v;
        f[(t * n + i) * 3 + d] = -K[i].reduce((s, kij, j) => s + kij * xi[j], 0);
      });
    }
  }
  const mp = matmul(m.toRows(), p);
  const sigmaR = matmul(mp, matmul(cov, transpose(mp)));
  const meanForce = inverse(sigmaR).map((r) => r.map((v) => -KT * v));
  return { x, f, meanForce };
}

/**
 * Least-squares fit F ≈ C R over frames and components, with each coefficient's standard
 * error from the residual variance (ordinary regression, components pooled as samples).
 */
function regress(r: Float64Array, fcg: Float64Array, beads: number) {
  const samples = r.length / beads;
  const rr = Array.from({ length: beads }, () => new Array<number>(beads).fill(0));
  const fr = Array.from({ length: beads }, () => new Array<number>(beads).fill(0));
  const at = (a: Float64Array, s: number, i: number) => a[Math.floor(s / 3) * 3 * beads + 3 * i + (s % 3)];
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < beads; i++) {
      for (let j = 0; j < beads; j++) {
        rr[i][j] += at(r, s, i) * at(r, s, j);
        fr[i][j] += at(fcg, s, i) * at(r, s, j);
      }
    }
  }
  const rrInv = inverse(rr);
  const c = matmul(fr, rrInv);
  const resid = new Array<number>(beads).fill(0);
  for (let s = 0; s < samples; s++) {
    for (let i = 0; i < beads; i++) {
      const pred = c[i].reduce((acc, v, j) => acc + v * at(r, s, j), 0);
      resid[i] += (at(fcg, s, i) - pred) ** 2 / (samples - beads);
    }
  }
  const se = c.map((row, i) => row.map((_, j) => Math.sqrt(resid[i] * rrInv[j][j])));
  return { c, se, noise: resid.reduce((a, b) => a + b, 0) / beads };
}

/** Mean-force coefficients within 5 standard errors of the exact ones (a 6e-7 false-alarm rate each). */
function assertMeanForce(what: string, fit: ReturnType<typeof regress>, exact: number[][]): void {
  exact.forEach((row, i) => row.forEach((v, j) => {
    const err = Math.abs(fit.c[i][j] - v);
    assert.ok(err <= 5 * fit.se[i][j], `${what}: mean-force coefficient [${i}][${j}] = ${fit.c[i][j]}, exact ${v} (error ${err} > 5 SE = ${5 * fit.se[i][j]})`);
  }));
}

test('Gaussian toy: basic and optimal force maps estimate the exact mean force, the optimal one with less noise', () => {
  // Bead 0 at the centre of mass of atoms 0 and 1, bead 1 on atom 2; atom 3 is integrated out.
  const m = groupMap(4, [[0, 1], [2]], { masses: [12, 4, 14, 1] });
  const identity = K.map((r, i) => r.map((_, j) => (i === j ? 1 : 0)));
  const fitData = gaussianToy(identity, m, 4000, 1);
  const { x, f, meanForce } = gaussianToy(identity, m, 20000, 2);
  const r = m.apply(x);
  const basic = regress(r, projectForces(basicForceMap(m), f), 2);
  const optimalMap = optimalForceMap(m, fitData.f);
  assert.ok(consistencyError(optimalMap, m) < 1e-10);
  const optimal = regress(r, projectForces(optimalMap, f), 2);
  assertMeanForce('basic', basic, meanForce);
  assertMeanForce('optimal', optimal, meanForce);
  assert.ok(optimal.noise < 0.5 * basic.noise, `noise: optimal ${optimal.noise}, basic ${basic.noise}`);
});

test('Gaussian toy with a constraint: only a constraint-aware map estimates the mean force (constraint forces leak otherwise)', () => {
  // Atoms 0 and 1 move together (x0 = x1, a rigid pair); bead 0 selects atom 0, bead 1 atom 2.
  const p = [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const m = selectionMap(4, [0, 2]);
  const constraints: [number, number][] = [[0, 1]];
  const { x, f, meanForce } = gaussianToy(p, m, 20000, 3);
  const r = m.apply(x);
  const unaware = regress(r, projectForces(basicForceMap(m), f), 2);
  const leak = Math.abs(unaware.c[0][0] - meanForce[0][0]) / unaware.se[0][0];
  assert.ok(leak > 20, `the constraint-unaware map should be visibly biased, is off by ${leak} SE only`);
  const aware = basicForceMap(m, { constraints });
  assert.deepEqual(aware.support(0), [0, 1]);
  assertMeanForce('constraint-aware basic', regress(r, projectForces(aware, f), 2), meanForce);
  const optimalMap = optimalForceMap(m, gaussianToy(p, m, 4000, 4).f, { constraints });
  assertConsistent(optimalMap, m, { constraints, tolerance: 1e-10 });
  assertMeanForce('constraint-aware optimal', regress(r, projectForces(optimalMap, f), 2), meanForce);
});

const data = readDataset(fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));

test('alanine dipeptide backbone: the optimal map is consistent, respects H-bond constraints and cuts the noise on unseen frames', () => {
  assert.equal(data.nFrames, 400);
  const forces = data.forces as Float32Array;
  const m = selectAtomsMap(data.topology ?? top, { name: ['N', 'CA', 'C'] });
  const half = (data.nFrames / 2) * 66;
  // Fit on replica 0, judge on replica 1: an independent trajectory.
  const [fit, held] = [forces.subarray(0, half), forces.subarray(half)];
  const g = optimalForceMap(m, fit, { constraints: hBonds });
  assertConsistent(g, m, { constraints: hBonds, tolerance: 1e-9 });
  const basic = mappedForceVariance(basicForceMap(m, { constraints: hBonds }), held);
  const optimal = mappedForceVariance(g, held);
  // Measured: 1.23e6 → 6.9e5 (kJ/mol/nm)², a 44 % reduction; the bound leaves room for other data.
  assert.ok(optimal < 0.75 * basic, `mapped-force variance on held-out frames: optimal ${optimal}, basic ${basic}`);

  // Locality: only the bead's own atoms and their constraint partners → the basic map itself.
  const own = [[4], [6, 7], [8, 9], [14], [16, 17]];
  const local = optimalForceMap(m, fit, { constraints: hBonds, allowed: own });
  const basicMatrix = basicForceMap(m, { constraints: hBonds }).matrix;
  local.matrix.forEach((v, i) => assert.ok(Math.abs(v - basicMatrix[i]) < 1e-12, `local optimal map [${i}]: ${v} vs ${basicMatrix[i]}`));
  assert.throws(() => optimalForceMap(m, fit, { constraints: hBonds, allowed: [[4], [6], [8, 9], [14], [16, 17]] }), /none of bead 1's atoms \(6\) is allowed/);
  assert.throws(() => optimalForceMap(m, forces.subarray(0, 2 * 66)), /2 frames give 6 force samples per atom, fewer than the 22 weights/);
  assert.throws(() => optimalForceMap(m, forces.subarray(0, 100)), /forces have 100 values, expected \[frames, 22, 3\]/);
});
