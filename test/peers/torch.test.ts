// CGnet and CGSchNet against an independent PyTorch implementation (torch_models.py, PyTorch
// 1.13 under /usr/bin/python3) with the same weights, exported through cglab's parameter file:
// energies, forces and the force-matching loss gradient in every parameter, at the models'
// published sizes, on real alanine-dipeptide backbone beads, on cpu and wasm, through tfjs and
// through the simulation path (asPotential).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { chainFeatures, GeometryFeatures } from 'cglab/cg/features';
import { basicForceMap, hydrogenBondPairs, projectForces } from 'cglab/cg/forceMap';
import { selectAtomsMap } from 'cglab/cg/linearMap';
import { fitChainPriors } from 'cglab/cg/priors';
import { readDataset } from 'cglab/io/dataset';
import { cgnet, cgschnet, EnergyModel } from 'cglab/nn/energyModel';
import { gridParameters } from '../helpers/models.js';

const SCRIPT = fileURLToPath(new URL('../../../test/peers/torch_models.py', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const data = readDataset(fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const map = selectAtomsMap(data.topology!, { name: ['N', 'CA', 'C'] });
const beads = map.apply(data.positions);
const BATCH = 8;
// Frames 50 apart, so they differ in conformation.
const frames = Array.from({ length: BATCH }, (_, k) => 50 * k);
const pick = (a: Float32Array, per: number) => Float32Array.from(frames.flatMap((f) => Array.from(a.subarray(f * per, (f + 1) * per))));
const R = pick(beads, 15);
const fRef = pick(projectForces(basicForceMap(map, { constraints: hydrogenBondPairs(data.topology!) }), data.forces!), 15);
const SHAPE: [number, number, number] = [BATCH, 5, 3];

interface Result {
  energy: number[];
  /** Energy of each term, by name. */
  terms: Record<string, number[]>;
  forces: number[];
  /** Forces of the network term alone (the priors' stiff bonds dominate the total). */
  netForces: number[];
  loss: number;
  grads: Record<string, number[]>;
}

/** Largest |a − b| over the largest |b|: the error relative to the array's scale. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let scale = 0;
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / scale;
}

function torchResults(model: EnergyModel, name: string): { float64: Result; float32: Result } {
  const modelPath = join(dir, `${name}.json`);
  const dataPath = join(dir, `${name}-data.json`);
  model.save(modelPath);
  writeFileSync(dataPath, JSON.stringify({ positions: Array.from(R), forces: Array.from(fRef), shape: SHAPE }));
  return JSON.parse(execFileSync('/usr/bin/python3', [SCRIPT, modelPath, dataPath], { encoding: 'utf8', maxBuffer: 1 << 28 }));
}

function ours(model: EnergyModel): Result {
  return tf.tidy(() => {
    const x = tf.tensor3d(R, SHAPE);
    const f = tf.tensor3d(fRef, SHAPE);
    const { energy, forces } = model.energyAndForces(x);
    const terms = Object.fromEntries(Object.entries(model.termEnergies(x)).map(([n, e]) => [n, Array.from(e.dataSync())]));
    const netForces = Array.from(tf.neg(tf.grad((r: tf.Tensor) => model.terms.net.energy(r as tf.Tensor3D))(x)).dataSync());
    const { value, grads } = tf.variableGrads(() => model.forceMatchingLoss(x, f), model.variables);
    const named = Object.fromEntries(Object.entries(model.parameters()).map(([n, v]) => [n, grads[v.name] ? Array.from(grads[v.name].dataSync()) : new Array<number>(v.size).fill(0)]));
    return { energy: Array.from(energy.dataSync()), terms, forces: Array.from(forces.dataSync()), netForces, loss: value.dataSync()[0], grads: named };
  });
}

// Our float32 against PyTorch float64 (exact to ~1e-15), errors relative to each array's
// largest value. Measured on cpu and wasm: energies (total and per term) ≤ 2.3e-6, forces
// (total and network alone) ≤ 3.1e-6, loss ≤ 3.1e-7, loss gradients ≤ 1.7e-5 — as close as
// PyTorch's own float32 run gets (1.5e-6, 2.8e-6, 1.8e-5 for energies, forces, gradients).
// The bounds allow 4–6× that; a wrong term or derivative is off by 1e-2 or more.
const TOLERANCE = { energy: 1e-5, forces: 2e-5, loss: 1e-5, grads: 1e-4 };

function compare(what: string, got: Result, want: Result, reference32: Result): void {
  const report = (key: string, e: number, e32: number) => `${what} ${key}: relative error ${e.toExponential(2)} (PyTorch float32: ${e32.toExponential(2)})`;
  const pairs: [string, number[], number[], number[], number][] = [
    ['energy', got.energy, want.energy, reference32.energy, TOLERANCE.energy],
    ['forces', got.forces, want.forces, reference32.forces, TOLERANCE.forces],
    ['network forces', got.netForces, want.netForces, reference32.netForces, TOLERANCE.forces],
    ...Object.keys(want.terms).map((t): [string, number[], number[], number[], number] => [`${t} energy`, got.terms[t], want.terms[t], reference32.terms[t], TOLERANCE.energy]),
  ];
  assert.deepEqual(Object.keys(got.terms), Object.keys(want.terms));
  for (const [key, a, b, b32, tol] of pairs) {
    const e = relError(a, b);
    assert.ok(e <= tol, report(key, e, relError(b32, b)));
  }
  const eLoss = Math.abs(got.loss - want.loss) / want.loss;
  assert.ok(eLoss <= TOLERANCE.loss, report('loss', eLoss, Math.abs(reference32.loss - want.loss) / want.loss));
  assert.deepEqual(Object.keys(got.grads).sort(), Object.keys(want.grads).sort());
  for (const [name, g] of Object.entries(want.grads)) {
    if (g.every((v) => v === 0)) {
      assert.ok(got.grads[name].every((v) => v === 0), `${what} ${name}: PyTorch finds no gradient, we do`);
      continue;
    }
    const e = relError(got.grads[name], g);
    assert.ok(e <= TOLERANCE.grads, report(`∂loss/∂${name}`, e, relError(reference32.grads[name], g)));
  }
}

function checkModel(key: string, name: string, build: () => EnergyModel): void {
  test(`${name}: energies, forces and loss gradients equal PyTorch's with the same weights`, async () => {
    await useBackend('cpu');
    const model = build();
    const torch = torchResults(model, key);
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      compare(`${backend} ${name}`, ours(model), torch.float64, torch.float32);
      // The simulation path (asPotential: CGSchNet's network on the host, nn/schnetHost.ts), with the same bounds.
      const evaluate = (m: EnergyModel) => {
        const [energy, forces] = [new Float64Array(BATCH), new Float64Array(R.length)];
        m.asPotential().evaluate(Float64Array.from(R), BATCH, forces, energy);
        return { energy, forces };
      };
      const [all, net] = [evaluate(model), evaluate(new EnergyModel(5, { net: model.terms.net }))];
      for (const [key, got, want, tol] of [
        ['energy', all.energy, torch.float64.energy, TOLERANCE.energy],
        ['forces', all.forces, torch.float64.forces, TOLERANCE.forces],
        ['network forces', net.forces, torch.float64.netForces, TOLERANCE.forces],
      ] as const) {
        const e = relError(got, want);
        assert.ok(e <= tol, `${backend} ${name} asPotential ${key}: relative error ${e.toExponential(2)}`);
      }
    }
    model.dispose();
  });
}

const feats = new GeometryFeatures(5, chainFeatures(5));
const priors = fitChainPriors(beads, 5, { temperature: 300, dihedrals: { harmonics: 2, bins: 36 } });

checkModel('cgnet', 'CGnet (5 × 160 tanh, z-scored distances, angles, dihedral cos/sin, with priors)', () => {
  const m = cgnet({ features: feats, zscore: feats.fitZScore(beads), priors });
  gridParameters(m.parameters(), 500);
  return m;
});

checkModel('cgschnet', 'CGSchNet (128 features, 3 interactions, 50 RBFs, 1 nm cutoff, tanh, with priors)', () => {
  const m = cgschnet({ beadTypes: [0, 1, 2, 0, 1], features: 128, interactions: 3, rbf: 50, cutoff: 1.0, priors });
  gridParameters(m.parameters(), 600);
  return m;
});
