import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { dihedral, dihedrals } from 'cglab/analysis/geometry';
import { useBackend } from 'cglab/backend/select';
import { featureHostForces } from 'cglab/cg/geometryOp';
import { selectAtomsMap } from 'cglab/cg/linearMap';
import {
  FourierDihedralPairs, FourierDihedrals, fitChainPriors, HarmonicAngles, HarmonicBonds, nonBondedPairs, priorFromConfig, Repulsion, type Prior,
} from 'cglab/cg/priors';
import { readDataset } from 'cglab/io/dataset';
import type { Quad } from 'cglab/cg/features';
import { Random } from 'cglab/util/random';
import { kT } from 'cglab/units';
import { assertGradClose, fdGradient, gridValues } from '../helpers/finiteDifferences.js';

const T = 300;
const KT = kT(T);

function unitVector(rng: Random): [number, number, number] {
  const v = [rng.normal(), rng.normal(), rng.normal()];
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

test('harmonic bond: sampled at known k and r0, the refit recovers both within 5 standard errors', () => {
  // r ~ N(r0, kT/k), the distribution the prior's Boltzmann factor implies; random directions.
  const [k, r0, n] = [5000, 0.38, 20000];
  const rng = new Random(5);
  const x = new Float64Array(n * 6);
  for (let t = 0; t < n; t++) {
    const r = r0 + Math.sqrt(KT / k) * rng.normal();
    const u = unitVector(rng);
    for (let d = 0; d < 3; d++) x[6 * t + 3 + d] = r * u[d];
  }
  const fit = HarmonicBonds.fit(x, 2, [[0, 1]], { temperature: T });
  // k̂ = kT/s² with (n−1)s²/σ² ~ χ²(n−1): relative standard error √(2/(n−1)) ≈ 1 %.
  const seK = k * Math.sqrt(2 / (n - 1));
  assert.ok(Math.abs(fit.k[0] - k) < 5 * seK, `k: fitted ${fit.k[0]}, true ${k} (5 SE = ${5 * seK})`);
  const seR = Math.sqrt(KT / k / n);
  assert.ok(Math.abs(fit.r0[0] - r0) < 5 * seR, `r0: fitted ${fit.r0[0]}, true ${r0} (5 SE = ${5 * seR})`);
});

test('harmonic angle: sampled at known k and θ0, the refit recovers both within 5 standard errors', () => {
  const [k, theta0, n] = [100, 1.9, 20000];
  const rng = new Random(6);
  const x = new Float64Array(n * 9);
  for (let t = 0; t < n; t++) {
    const th = theta0 + Math.sqrt(KT / k) * rng.normal();
    x.set([0.38, 0, 0, 0, 0, 0, 0.38 * Math.cos(th), 0.38 * Math.sin(th), 0], 9 * t);
  }
  const fit = HarmonicAngles.fit(x, 3, [[0, 1, 2]], { temperature: T });
  const seK = k * Math.sqrt(2 / (n - 1));
  assert.ok(Math.abs(fit.k[0] - k) < 5 * seK, `k: fitted ${fit.k[0]}, true ${k} (5 SE = ${5 * seK})`);
  assert.ok(Math.abs(fit.theta0[0] - theta0) < 5 * Math.sqrt(KT / k / n), `θ0: fitted ${fit.theta0[0]}, true ${theta0}`);
});

/** Four beads with bonds 0.38 nm, bond angles 100°, and the far bead turned by ψ about the 1–2 axis. */
function quadAt(psi: number): number[] {
  const [b, a] = [0.38, (100 * Math.PI) / 180];
  return [b * Math.cos(a), b * Math.sin(a), 0, 0, 0, 0, b, 0, 0, b - b * Math.cos(a), b * Math.sin(a) * Math.cos(psi), b * Math.sin(a) * Math.sin(psi)];
}
// Whether turning by ψ gives dihedral +ψ or −ψ in the IUPAC convention.
const SENSE = Math.sign(dihedral(quadAt(0.5), 0, 1, 2, 3));

/** Four beads whose dihedral is φ (IUPAC sign). */
const quadWithDihedral = (phi: number) => quadAt(SENSE * phi);

test('Fourier dihedral: sampled from exp(−U/kT), the fitted series reproduces U within 0.1 kT', () => {
  // U(φ) = 3 cos φ − 2 sin 2φ + 1.5 cos 3φ kJ/mol; coefficients [c0, a1, b1, a2, b2, a3, b3].
  const truth = new FourierDihedrals([[0, 1, 2, 3]], [[0, 3, 0, 0, -2, 1.5, 0]]);
  const uMin = Math.min(...Array.from({ length: 720 }, (_, i) => truth.value(0, -Math.PI + (i * Math.PI) / 360)));
  const rng = new Random(7);
  const n = 40000;
  const x = new Float64Array(n * 12);
  for (let t = 0; t < n; ) {
    const phi = -Math.PI + 2 * Math.PI * rng.uniform();
    if (rng.uniform() < Math.exp(-(truth.value(0, phi) - uMin) / KT)) x.set(quadWithDihedral(phi), 12 * t++);
  }
  assert.ok(Math.abs(dihedral(quadWithDihedral(2.5), 0, 1, 2, 3) - 2.5) < 1e-12);
  const fit = FourierDihedrals.fit(x, 4, [[0, 1, 2, 3]], { temperature: T, harmonics: 3 });
  // Compare U up to its constant: the c0 offset of −kT ln p is arbitrary. Over seeds 1–10 of
  // this sampler the largest deviation on the grid was 0.06–0.14 kJ/mol and the largest
  // coefficient error 0.07 kJ/mol (sampling noise plus 6° binning); the bounds are about twice
  // that, while a sign or kT mistake is off by kJ/mol.
  const grid = Array.from({ length: 72 }, (_, i) => -Math.PI + (i + 0.5) * (Math.PI / 36));
  const dev = grid.map((p) => fit.value(0, p) - fit.coefficients[0][0] - truth.value(0, p));
  const worst = Math.max(...dev.map(Math.abs));
  assert.ok(worst < 0.1 * KT, `fitted U(φ) deviates by up to ${worst} kJ/mol from the truth`);
  [3, 0, 0, -2, 1.5, 0].forEach((c, m) => assert.ok(Math.abs(fit.coefficients[0][m + 1] - c) < 0.15, `coefficient ${m + 1}: ${fit.coefficients[0][m + 1]} vs ${c}`));
});

test('repulsion: σ is the low quantile of each pair distance, and U(σ) = 1 kJ/mol', async () => {
  const rng = new Random(8);
  const n = 5000;
  const x = new Float64Array(n * 6);
  for (let t = 0; t < n; t++) x[6 * t + 3] = 0.5 + 0.2 * rng.uniform();
  const fit = Repulsion.fit(x, 2, [[0, 1]], { quantile: 0.01, exponent: 8 });
  // Uniform on [0.5, 0.7]: the 1 % quantile is 0.502 nm; its standard error √(q(1−q)/n)·0.2 ≈ 3e-4 nm.
  assert.ok(Math.abs(fit.sigma[0] - 0.502) < 0.0015, `σ = ${fit.sigma[0]}`);
  await useBackend('cpu');
  const u = tf.tidy(() => fit.energy(tf.tensor3d([0, 0, 0, fit.sigma[0], 0, 0, 0, 0, 0, fit.sigma[0] / 2, 0, 0], [2, 2, 3])).dataSync());
  assert.ok(Math.abs(u[0] - 1) < 1e-5 && Math.abs(u[1] - 256) < 1e-3, `U(σ) = ${u[0]}, U(σ/2) = ${u[1]}`);
});

test('prior forces match finite differences on cpu and wasm, and their host evaluation (for simulation) gives the same', async () => {
  const priors: Prior[] = [
    new HarmonicBonds([[0, 1], [1, 2], [2, 3]], [1.0, 1.2, 0.9], [3, 2, 4]),
    new HarmonicAngles([[0, 1, 2], [1, 2, 3]], [1.9, 2.1], [2, 3]),
    new Repulsion([[0, 3], [0, 4], [1, 4]], [0.9, 0.8, 1.1], 6),
    new FourierDihedrals([[0, 1, 2, 3], [1, 2, 3, 4]], [[0.3, 1, -0.5, 0.7, 0.2, -0.3, 0.4], [0, -0.6, 0.9, 0.1, -0.4, 0.5, 0.2]]),
    new FourierDihedralPairs([[[0, 1, 2, 3], [1, 2, 3, 4]]], [[0.4, -0.7, 0.3, 1.1, -0.2, 0.5, 0.6, -0.3, 0.8, 0.1, -0.5, 0.2, 0.3, -0.4, 0.9, -0.6]]),
  ];
  const x0 = gridValues(2 * 5 * 3, 31, -1.5, 1.5);
  const total = (x: tf.Tensor3D) => tf.addN(priors.map((p) => tf.sum(p.energy(x))));
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    for (const p of priors) {
      const got = tf.tidy(() => Array.from(tf.grad((x) => tf.sum(p.energy(x as tf.Tensor3D)))(tf.tensor3d(x0, [2, 5, 3])).dataSync()));
      const fd = fdGradient((v) => tf.tidy(() => tf.sum(p.energy(tf.tensor3d(v, [2, 5, 3]))).dataSync()[0]), x0);
      assertGradClose(`${backend} ${p.kind} −F`, got, fd);
      // On the host, in float64: the same energies and forces to float32 rounding (tfjs's output).
      const [energies, forces] = [new Float64Array([10, 20]), new Float64Array(x0.length).fill(1)];
      featureHostForces([p.hostFeatureEnergy!()!]).add(Float64Array.from(x0), 2, forces, energies);
      const e = tf.tidy(() => Array.from(p.energy(tf.tensor3d(x0, [2, 5, 3])).dataSync()));
      const scale = Math.max(...got.map(Math.abs));
      forces.forEach((f, i) => assert.ok(Math.abs(1 - f - got[i]) <= 1e-6 * scale, `${backend} ${p.kind} host ∂E/∂x ${i}: ${1 - f} vs ${got[i]}`));
      energies.forEach((v, i) => assert.ok(Math.abs(v - [10, 20][i] - e[i]) <= 1e-6 * Math.max(1, Math.abs(e[i])), `${backend} ${p.kind} host energy ${i}`));
    }
    const e = tf.tidy(() => total(tf.tensor3d(x0, [2, 5, 3])).dataSync()[0]);
    assert.ok(Number.isFinite(e));
  }
  // All at once, as a model's Potential evaluates them (the dihedrals the series and the pair
  // couplings share are evaluated once): the sum of each alone.
  const [eAll, fAll, eSum, fSum] = [new Float64Array(2), new Float64Array(x0.length), new Float64Array(2), new Float64Array(x0.length)];
  featureHostForces(priors.map((p) => p.hostFeatureEnergy!()!)).add(Float64Array.from(x0), 2, fAll, eAll);
  for (const p of priors) featureHostForces([p.hostFeatureEnergy!()!]).add(Float64Array.from(x0), 2, fSum, eSum);
  fAll.forEach((f, i) => assert.ok(Math.abs(f - fSum[i]) <= 1e-12 * Math.max(...fSum.map(Math.abs)), `together, force ${i}: ${f} vs ${fSum[i]}`));
  eAll.forEach((v, i) => assert.ok(Math.abs(v - eSum[i]) <= 1e-12 * Math.abs(eSum[i]), `together, energy ${i}: ${v} vs ${eSum[i]}`));
});

const data = readDataset(fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const beads = selectAtomsMap(data.topology!, { name: ['N', 'CA', 'C'] }).apply(data.positions);

test('chain priors fitted on alanine dipeptide backbone beads: AMBER bond lengths, finite stiffness, saved and rebuilt', async () => {
  const priors = fitChainPriors(beads, 5, { temperature: T, dihedrals: { harmonics: 2, bins: 36 } });
  assert.deepEqual(Object.keys(priors), ['bonds', 'angles', 'repulsion', 'dihedrals']);
  const bonds = priors.bonds as HarmonicBonds;
  // C–N 0.1335, N–CA 0.1449, CA–C 0.1522, C–N 0.1335 nm (ff99SB equilibrium lengths).
  [0.1335, 0.1449, 0.1522, 0.1335].forEach((r, i) => assert.ok(Math.abs(bonds.r0[i] - r) < 0.003, `bond ${i}: r0 ${bonds.r0[i]}`));
  bonds.k.forEach((k) => assert.ok(k > 1e4 && k < 1e6, `bond stiffness ${k} kJ/mol/nm²`));
  assert.deepEqual(priors.repulsion.tuples, [[0, 3], [0, 4], [1, 4]]);
  await useBackend('cpu');
  const x = tf.tensor3d(beads.subarray(0, 4 * 15), [4, 5, 3]);
  for (const [name, p] of Object.entries(priors)) {
    const copy = priorFromConfig(p.kind, JSON.parse(JSON.stringify(p.config())))!;
    const [a, b] = tf.tidy(() => [p.energy(x).dataSync(), copy.energy(x).dataSync()]);
    assert.deepEqual(b, a, `${name} rebuilt from its config`);
    a.forEach((v) => assert.ok(Number.isFinite(v)));
  }
  // Bonds near their mean cost about ½kT each on average over the data.
  const mean = tf.tidy(() => tf.mean(priors.bonds.energy(tf.tensor3d(beads, [400, 5, 3]))).dataSync()[0]);
  assert.ok(Math.abs(mean / 4 - KT / 2) < 0.05 * KT, `mean bond energy ${mean / 4} kJ/mol per bond, ½kT = ${KT / 2}`);
  x.dispose();
});

test('fits that cannot succeed say which term failed and why, never NaN', () => {
  const rigid = new Float64Array(20 * 6);
  for (let t = 0; t < 20; t++) rigid.set([0, 0, 0, 0.3, 0, 0], 6 * t);
  assert.throws(() => HarmonicBonds.fit(rigid, 2, [[0, 1]], { temperature: T }), /HarmonicBonds\.fit: bond \(0, 1\): zero variance over 20 frames \(all 0\.300000 nm\).*leave it out of the prior/);
  assert.throws(() => HarmonicBonds.fit(rigid.subarray(0, 30), 2, [[0, 1]], { temperature: T }), /5 frames are too few to fit a variance; give at least 10/);
  assert.throws(() => HarmonicAngles.fit(beads, 5, [[0, 1, 5]], { temperature: T }), /tuple 0 \(0, 1, 5\) names bead 5, which does not exist among 5/);
  assert.throws(() => Repulsion.fit(beads, 5, [[0, 4]], { quantile: 0.001 }), /400 frames are too few to estimate the 0\.001 quantile of a distance; give at least 1000 frames/);
  const oneBin = new Float64Array(30 * 12);
  for (let t = 0; t < 30; t++) oneBin.set(quadWithDihedral(1 + 0.001 * t), 12 * t);
  assert.throws(() => FourierDihedrals.fit(oneBin, 4, [[0, 1, 2, 3]], { temperature: T }), /dihedral \(0, 1, 2, 3\): only 1 of 60 histogram bins hold samples \(30 frames\), fewer than the 7 coefficients/);
  assert.throws(() => new HarmonicBonds([[0, 1]], [0.3], [Number.NaN]), /k\[0\] is NaN, expected a positive finite number/);
  assert.throws(() => HarmonicBonds.fit(new Float64Array(7), 2, [[0, 1]], { temperature: T }), /expected bead positions \[frames, 2, 3\]/);
  assert.deepEqual(nonBondedPairs(6, [[0, 1], [1, 2], [3, 4], [4, 5]]), [[0, 3], [0, 4], [0, 5], [1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]]);
});

test('dihedral-pair couplings: energy is the 2-D series of (φ, ψ), rebuilt from its config, bad input named', async () => {
  const [phiQuad, psiQuad]: Quad[] = [[0, 1, 2, 3], [1, 2, 3, 4]];
  const pairs: [Quad, Quad][] = [[phiQuad, psiQuad]];
  // K = 1: U = a cos φ cos ψ + b cos φ sin ψ + c sin φ cos ψ + d sin φ sin ψ.
  const term = new FourierDihedralPairs(pairs, [[1.5, -0.5, 0.25, 2]]);
  const [phi, psi] = [0.7, -2.1];
  const want = 1.5 * Math.cos(phi) * Math.cos(psi) - 0.5 * Math.cos(phi) * Math.sin(psi) + 0.25 * Math.sin(phi) * Math.cos(psi) + 2 * Math.sin(phi) * Math.sin(psi);
  assert.ok(Math.abs(term.value(0, phi, psi) - want) < 1e-12);
  await useBackend('cpu');
  const x = Float32Array.from(gridValues(3 * 5 * 3, 7, -1.5, 1.5));
  const angles = [phiQuad, psiQuad].map((q) => dihedrals(x, 5, q));
  const copy = priorFromConfig(term.kind, JSON.parse(JSON.stringify(term.config())))!;
  const [u, v] = tf.tidy(() => [term.energy(tf.tensor3d(x, [3, 5, 3])).dataSync(), copy.energy(tf.tensor3d(x, [3, 5, 3])).dataSync()]);
  assert.deepEqual(v, u);
  u.forEach((e, f) => assert.ok(Math.abs(e - term.value(0, angles[0][f], angles[1][f])) < 1e-4, `frame ${f}: ${e} vs ${term.value(0, angles[0][f], angles[1][f])}`));
  assert.throws(() => new FourierDihedralPairs(pairs, [[1, 2, 3]]), /expected 4K² coefficients per pair \(K = 1, 2, …\), got 3/);
  assert.throws(() => new FourierDihedralPairs([[[0, 1, 2, 3]]] as never, [[1, 2, 3, 4]]), /expected a list of quadruple pairs/);
});
