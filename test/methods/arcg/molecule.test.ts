import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internalBasis } from 'cglab/cg/internalBasis';
import { replicaFrames, simulateReplicas } from 'cglab/md/replicas';
import { basisPotential } from 'cglab/physics/basisPotential';
import { buildMoleculeModel, moleculeFit } from 'cglab/methods/arcg/molecule';

const T = 300;
// A 4-bead chain with known terms: bonds and angles harmonic, one dihedral term −3 cos φ kJ/mol.
const trueTerms = [
  { kind: 'bond', beads: [0, 1], q0: 0.15, scale: 0.01 },
  { kind: 'bond', beads: [1, 2], q0: 0.15, scale: 0.01 },
  { kind: 'bond', beads: [2, 3], q0: 0.15, scale: 0.01 },
  { kind: 'angle', beads: [0, 1, 2], q0: 1.9, scale: 0.1 },
  { kind: 'angle', beads: [1, 2, 3], q0: 1.9, scale: 0.1 },
  { kind: 'dihedral', beads: [0, 1, 2, 3], order: 1 },
] as const;
const trueBasis = internalBasis(4, trueTerms as never);
// θ: u² coefficients 5 kJ/mol (k = 2·5/scale²), u coefficients 0, dihedral (cos, sin) = (−3, 0).
const thetaStar = Float64Array.of(5, 0, 5, 0, 5, 0, 5, 0, 5, 0, -3, 0);
const start = Float64Array.of(0, 0, 0, 0.15, 0, 0, 0.2, 0.14, 0, 0.35, 0.15, 0.05);
// Reference frames: Langevin replicas of the known model, 50 ps each, a frame every 0.1 ps after 1 ps.
const run = await simulateReplicas(basisPotential(trueBasis, thetaStar), { starts: start, replicas: 16, masses: new Float64Array(4).fill(12), temperature: T, dt: 0.002, ps: 51, saveEveryPs: 0.1, seed: 9 });
const positions = replicaFrames(run, 10);
const data = { positions, frames: positions.length / 12, nBeads: 4, masses: new Float64Array(4).fill(12), temperature: T, source: 'test chain' };

test('molecule spec: chain terms from the data, virtual-site terms need q0 and scale, errors name the term', () => {
  const m = buildMoleculeModel({}, data);
  // 3 bonds + 2 angles (2 functions each) + 1 dihedral of order 2 (4 functions).
  assert.equal(m.basis.size, 14);
  assert.equal(m.features.size, 14, 'a linear critic sees every mapped term');
  const v = buildMoleculeModel({ virtualSites: [{ name: 'V', mass: 15, near: 1 }], terms: [{ kind: 'bond', beads: [1, 4], q0: 0.15, scale: 0.01 }] }, data);
  assert.equal(v.nBeads, 5);
  assert.equal(v.basis.size, 16);
  assert.equal(v.features.size, 14, 'the critic does not see the virtual site');
  assert.throws(() => buildMoleculeModel({ virtualSites: [{ name: 'V', mass: 15, near: 1 }], terms: [{ kind: 'bond', beads: [1, 4] }] }, data), /term 6 \(bond 1-4\): a term on a virtual site needs q0 and scale/);
  assert.throws(() => buildMoleculeModel({ terms: [{ kind: 'angle', beads: [0, 1, 7] }] }, data), /term 6 \(angle 0-1-7\): bead 7 is not among the 4 mapped beads and 0 virtual sites/);
  assert.throws(() => buildMoleculeModel({ critic: { kind: 'quadratic' as never } }, data), /critic.kind 'quadratic' is not one of linear, mlp/);
});

test('ARCG on a chain with known terms recovers the dihedral and the bond stiffness (linear critic = REM)', async () => {
  const fit = await moleculeFit({ iterations: 25, sampling: { replicas: 16, ps: 10 } }, data, { seed: 3 });
  const k = fit.model.basis.names.indexOf('dihedral 0-1-2-3 cos 1φ');
  const err = fit.thetaError[k];
  // The dihedral's cos φ coefficient: −3 kJ/mol in the data's model; within 3σ + 0.3 kJ/mol (the data's own sampling error).
  assert.ok(Math.abs(fit.theta[k] + 3) < 3 * err + 0.3, `cos φ coefficient ${fit.theta[k]} ± ${err}`);
  // Bond 0-1's stiffness 2θ₁/scale² against the true 2·5/0.01² = 1e5 kJ/mol/nm², within 3σ of
  // θ₁ plus 5 % for the data's own spread (measured: 8.8e4, θ₁ = 1.14 ± 0.07 kJ/mol, 16 × 10 ps per iteration).
  const bond = fit.model.terms[0] as { scale: number };
  const stiffness = (2 * fit.theta[0]) / bond.scale ** 2;
  assert.ok(Math.abs(stiffness / 1e5 - 1) < (3 * fit.thetaError[0]) / fit.theta[0] + 0.05, `bond stiffness ${stiffness}, θ₁ ${fit.theta[0]} ± ${fit.thetaError[0]}`);
});
