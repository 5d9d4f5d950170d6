// The CG auto-encoder on toys with known answers.
//
// Clusters: atoms of two clusters (interleaved in atom order, so the answer is not the index
// order) sit at their cluster's centre plus isotropic noise of σ per coordinate; the centres move
// independently with spread 1 nm. The best 2-bead map is the clusters, and its least-squares
// decoder puts each atom at its bead, leaving the deviation of an atom from its cluster's mean:
// 3σ²(1 − 1/3) = 2σ² per atom for three atoms per cluster. Any other map mixes the 1-nm motions
// of the two centres into some bead and costs orders of magnitude more.
//
// Forces: an atom that reconstruction can put in either of two beads, bonded stiffly to an atom
// of the other: the force term must move it there.
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'cglab/backend/select';
import { CgAutoencoder } from 'cglab/methods/autograin/autoencoder';
import { fitAutograin, leastSquaresDecoder, reconstructionError } from 'cglab/methods/autograin/train';
import type { AutograinSamples } from 'cglab/methods/autograin/data';
import { makeTopology } from 'cglab/topology/topology';
import { Random } from 'cglab/util/random';

await initBackend('wasm');

const SIGMA = 0.01;
const CLUSTER = [0, 1, 0, 1, 1, 0];

function clusters(frames: number, seed: number): AutograinSamples {
  const rng = new Random(seed);
  const n = CLUSTER.length;
  const positions = new Float32Array(frames * n * 3);
  for (let t = 0; t < frames; t++) {
    const centres = [0, 1].map(() => [rng.normal(), rng.normal(), rng.normal()]);
    const x = CLUSTER.map((k) => centres[k].map((c) => c + SIGMA * rng.normal()));
    const mean = [0, 1, 2].map((c) => x.reduce((s, p) => s + p[c], 0) / n);
    x.forEach((p, i) => p.forEach((v, c) => (positions[(t * n + i) * 3 + c] = v - mean[c])));
  }
  const atoms = CLUSTER.map((_, i) => ({ name: `A${i}`, element: 'C', mass: 12, residue: 'TOY', resid: 1 }));
  return { positions, topology: makeTopology(atoms), masses: new Float64Array(n).fill(12), frames, molecules: 1, perMolecule: false };
}

const sameGroups = (groups: number[][], expected: number[][]) =>
  assert.deepEqual(groups.map((g) => g.join()).sort(), expected.map((g) => g.join()).sort());

test('two independent clusters: the 2-bead map is the clusters, with reconstruction error 2σ² per atom', async () => {
  const data = clusters(2000, 1);
  const fit = await fitAutograin(data, { beads: 2, epochs: 30, seed: 1 });
  sameGroups(fit.groups, [[0, 2, 5], [1, 3, 4]]);
  // 2000 frames × 6 atoms × 3 coordinates of squared Gaussians: the sample mean is within a few
  // percent of 2σ² (relative standard error ≈ 1/√(1800·6·1.5) ≈ 0.8 %).
  for (const e of [fit.reconstruction.train, fit.reconstruction.validation]) assert.ok(Math.abs(e / (2 * SIGMA ** 2) - 1) < 0.05, `reconstruction ${e} nm², expected ${2 * SIGMA ** 2}`);
  // Every epoch is recorded with τ on the schedule 4 exp(−e/0.4E) + 0.2.
  const rec = fit.record.epochs;
  assert.equal(rec.length, 30);
  assert.ok(Math.abs((rec[0].metrics?.tau ?? 0) - 4.2) < 1e-12);
  assert.ok(Math.abs((rec[29].metrics?.tau ?? 0) - (4 * Math.exp(-29 / 12) + 0.2)) < 1e-12);
  assert.ok(Math.abs((rec[29].metrics?.reconstructionA2 ?? 0) - 100 * (rec[29].metrics?.reconstruction ?? 0)) < 1e-12);
  fit.model.dispose();
});

test('the same seed repeats a fit exactly; another seed starts elsewhere', async () => {
  const data = clusters(300, 2);
  const a = await fitAutograin(data, { beads: 3, epochs: 4, seed: 5 });
  const b = await fitAutograin(data, { beads: 3, epochs: 4, seed: 5 });
  const c = await fitAutograin(data, { beads: 3, epochs: 4, seed: 6 });
  assert.deepEqual(a.record.epochs.map((e) => e.trainLoss), b.record.epochs.map((e) => e.trainLoss));
  assert.deepEqual(Array.from(a.model.logits.dataSync()), Array.from(b.model.logits.dataSync()));
  assert.notDeepEqual(a.record.epochs.map((e) => e.trainLoss), c.record.epochs.map((e) => e.trainLoss));
  for (const f of [a, b, c]) f.model.dispose();
});

test('a run stopped after 2 epochs and resumed from its checkpoint ends exactly where an uninterrupted run does', async () => {
  const data = clusters(300, 6);
  const dir = mkdtempSync(join(tmpdir(), 'cglab-autograin-resume-'));
  try {
    const opts = { beads: 3, epochs: 5, seed: 3 };
    const straight = await fitAutograin(data, { ...opts, checkpointDir: join(dir, 'a') });
    const ac = new AbortController();
    const first = await fitAutograin(data, { ...opts, checkpointDir: join(dir, 'b'), signal: ac.signal, onProgress: (p) => { if (p.kind === 'epoch' && p.epoch === 2) ac.abort(); } });
    assert.equal(first.record.stoppedBy, 'interrupted');
    const resumed = await fitAutograin(data, { ...opts, checkpointDir: join(dir, 'b'), resume: true });
    assert.equal(resumed.record.resumedFrom, 2);
    assert.deepEqual(resumed.record.epochs.map((e) => e.trainLoss), straight.record.epochs.map((e) => e.trainLoss));
    assert.deepEqual(Array.from(resumed.model.logits.dataSync()), Array.from(straight.model.logits.dataSync()));
    for (const f of [straight, first, resumed]) f.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the force term decides what reconstruction leaves open: an atom midway between two clusters joins the atom whose force cancels its own', async () => {
  // Atoms 0, 2 at centre A and 1, 3 at centre B (σ noise); atom 4 at the midpoint of A and B,
  // where either bead reconstructs it about equally well. Forces: atoms 1 and 4 equal and
  // opposite (a stiff bond), everything else unit noise, so only a bead holding both cancels it.
  const frames = 2000;
  const n = 5;
  const run = async (seed: number, rho: number) => {
    const rng = new Random(10 + seed);
    const positions = new Float32Array(frames * n * 3);
    const forces = new Float32Array(frames * n * 3);
    for (let t = 0; t < frames; t++) {
      const centres = [0, 1].map(() => [rng.normal(), rng.normal(), rng.normal()]);
      const x = [0, 1, 0, 1].map((k) => centres[k].map((c) => c + SIGMA * rng.normal()));
      x.push([0, 1, 2].map((c) => (centres[0][c] + centres[1][c]) / 2 + SIGMA * rng.normal()));
      const mean = [0, 1, 2].map((c) => x.reduce((s, p) => s + p[c], 0) / n);
      x.forEach((p, i) => p.forEach((v, c) => (positions[(t * n + i) * 3 + c] = v - mean[c])));
      for (let c = 0; c < 3; c++) {
        const f = 100 * rng.normal();
        for (let i = 0; i < n; i++) forces[(t * n + i) * 3 + c] = rng.normal();
        forces[(t * n + 1) * 3 + c] += f;
        forces[(t * n + 4) * 3 + c] -= f;
      }
    }
    const atoms = Array.from({ length: n }, (_, i) => ({ name: `A${i}`, element: 'C', mass: 12, residue: 'TOY', resid: 1 }));
    const data: AutograinSamples = { positions, forces, topology: makeTopology(atoms), masses: new Float64Array(n).fill(12), frames, molecules: 1, perMolecule: false };
    const fit = await fitAutograin(data, { beads: 2, epochs: 30, seed, rho });
    fit.model.dispose();
    return fit;
  };
  // Without the force term, geometry alone puts atom 4 with atoms 0, 2 here, leaving the stiff
  // pair's force (~1e4 (kJ/mol/nm)² per component) in both beads.
  const free = await run(1, 0);
  assert.notEqual(free.assignment[4], free.assignment[1]);
  assert.ok((free.force as number) > 5e3, `mapped force without the term: ${free.force}`);
  // With ρ = 1e-4 nm²/(kJ/mol/nm)², ρ⟨F²⟩ of a split pair (≈ 1) outweighs any reconstruction
  // difference (≲ 1e-3 nm² here), in every seed.
  for (const seed of [1, 2, 3]) {
    const fit = await run(seed, 1e-4);
    assert.equal(fit.assignment[4], fit.assignment[1], `seed ${seed}: ${JSON.stringify(fit.groups)}`);
    assert.ok((fit.force as number) < 3, `seed ${seed}: mapped force ${fit.force} (kJ/mol/nm)², expected the noise's ≈ 2.4`);
  }
});

test('every bead keeps an atom: a hard assignment never leaves one empty, and bead positions stay finite', () => {
  const data = clusters(50, 4);
  const model = new CgAutoencoder(6, data.masses, { seed: 1 });
  // Logits that send every atom to bead 0: the repaired assignment still fills all six beads.
  const toBeadZero = new Float32Array(36);
  for (let i = 0; i < 6; i++) toBeadZero[6 * i] = 10;
  model.logits.assign(tf.tensor2d(toBeadZero, [6, 6]));
  const a = model.hardAssignment();
  assert.deepEqual([...a].sort(), [0, 1, 2, 3, 4, 5]);
  const d = leastSquaresDecoder(model, a, data.positions);
  const e = reconstructionError(model, a, d, data.positions).mean;
  assert.ok(e < 1e-9, `six one-atom beads reconstruct exactly, got ${e}`);
  model.dispose();
});

test('the variational decoder learns σ: its maximum-likelihood value is the RMS residual per coordinate', async () => {
  const data = clusters(1000, 5);
  const fit = await fitAutograin(data, { beads: 2, epochs: 20, seed: 1, decoder: 'variational' });
  sameGroups(fit.groups, [[0, 2, 5], [1, 3, 4]]);
  // Residual per coordinate of an atom against its cluster mean: σ² (1 − 1/3).
  const sigma = Array.from((fit.model.logStd as tf.Variable).dataSync(), (l) => Math.exp(l));
  for (const s of sigma) assert.ok(Math.abs(s / (SIGMA * Math.sqrt(2 / 3)) - 1) < 0.05, `σ ${s}`);
  fit.model.dispose();
});
