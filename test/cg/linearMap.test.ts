import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import {
  assertPositionMap, centerOfGeometryMap, centerOfMassMap, groupMap, LinearMap, positionMap, residueAtomMap, selectAtomsMap,
  selectionMap,
} from 'cglab/cg/linearMap';
import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';

const top = alanineDipeptideTopology();
const x = buildAlanineDipeptide(-70, 140);
const BACKBONE = [4, 6, 8, 14, 16];

test('backbone selection picks C, N, CA, C, N of alanine dipeptide in order, from a selection or a residue dictionary', () => {
  const m = selectAtomsMap(top, { name: ['N', 'CA', 'C'] });
  assert.equal(m.nBeads, 5);
  assert.equal(m.nAtoms, 22);
  assert.deepEqual([...Array(5).keys()].map((i) => m.support(i)), BACKBONE.map((a) => [a]));
  const dict = residueAtomMap(top, [
    { residue: 'ACE', atoms: ['C'] }, { residue: 'ALA', atoms: ['N'] }, { residue: 'ALA', atoms: ['CA'] },
    { residue: 'ALA', atoms: ['C'] }, { residue: 'NME', atoms: ['N'] },
  ]);
  assert.deepEqual(dict.matrix, m.matrix);
  const r = m.apply(x);
  assert.ok(r instanceof Float64Array);
  BACKBONE.forEach((a, k) => assert.deepEqual([...r.subarray(3 * k, 3 * k + 3)], [...x.subarray(3 * a, 3 * a + 3)]));
});

test('centre-of-mass and centre-of-geometry beads are the weighted means of their atoms', () => {
  const cb = [10, 11, 12, 13];
  const com = residueAtomMap(top, [{ residue: 'ALA', atoms: ['CB', 'HB1', 'HB2', 'HB3'] }]);
  const cog = centerOfGeometryMap(22, [cb]);
  assert.deepEqual(com.matrix, centerOfMassMap(top, [cb]).matrix);
  const mass = cb.map((a) => top.atoms[a].mass);
  const total = mass.reduce((s, v) => s + v, 0);
  const [rc, rg] = [com.apply(x), cog.apply(x)];
  for (let d = 0; d < 3; d++) {
    const wantCom = cb.reduce((s, a, k) => s + (mass[k] / total) * x[3 * a + d], 0);
    const wantCog = cb.reduce((s, a) => s + x[3 * a + d] / 4, 0);
    assert.ok(Math.abs(rc[d] - wantCom) < 1e-12, `COM ${d}: ${rc[d]} vs ${wantCom}`);
    assert.ok(Math.abs(rg[d] - wantCog) < 1e-12, `COG ${d}: ${rg[d]} vs ${wantCog}`);
  }
  assert.ok(Math.abs(rc[0] - rg[0]) > 1e-3, 'mass weighting makes a difference here, so the test can tell them apart');
});

test('batches map frame by frame and keep float32; tensors give the same as arrays', async () => {
  const m = groupMap(22, [[0, 1, 2, 3, 4, 5], BACKBONE, [16, 17, 18]], { weighting: 'geometry' });
  const frames = Float32Array.from([...buildAlanineDipeptide(-70, 140), ...buildAlanineDipeptide(60, -50)]);
  const out = m.apply(frames);
  assert.ok(out instanceof Float32Array);
  assert.equal(out.length, 2 * 3 * 3);
  const second = m.apply(frames.subarray(66));
  assert.deepEqual([...out.subarray(9)], [...second]);
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const t = tf.tidy(() => m.applyTensor(tf.tensor3d(frames, [2, 22, 3])).dataSync());
    t.forEach((v, i) => assert.ok(Math.abs(v - out[i]) < 1e-6, `${backend} [${i}]: ${v} vs ${out[i]}`));
  }
});

test('compose applies the inner map first; transposing twice gives the map back', () => {
  const beads = selectionMap(22, BACKBONE);
  const pairs = centerOfGeometryMap(5, [[0, 1], [2], [3, 4]]);
  const composed = pairs.compose(beads);
  assert.equal(composed.nBeads, 3);
  assert.equal(composed.nAtoms, 22);
  assert.deepEqual(composed.apply(x), pairs.apply(beads.apply(x)));
  assertPositionMap(composed);
  const t = beads.transpose();
  assert.equal(t.nRows, 22);
  assert.equal(t.at(8, 2), 1);
  assert.deepEqual(t.transpose().matrix, beads.matrix);
  assert.throws(() => beads.compose(pairs), /reads 22 particles but the inner map produces 3/);
});

test('invalid maps and mismatched data fail with messages saying what to fix', () => {
  assert.throws(() => positionMap([[0.5, 0.4]]), /bead 0's weights sum to 0\.9.*expected 1/);
  assert.throws(() => selectionMap(22, [4, 22]), /atom index 22 does not exist; expected an integer in 0\.\.21/);
  assert.throws(() => selectionMap(22, [4, 4]), /atom 4 is selected twice/);
  assert.throws(() => groupMap(22, [[0, 1]]), /needs masses/);
  assert.throws(() => centerOfGeometryMap(22, [[0, 1], []]), /group 1 is empty/);
  assert.throws(() => centerOfMassMap(top, [[0, 1, 2, 3]], { requireAll: true }), /atoms 4, 5, .*21 belong to no bead/);
  assert.throws(() => residueAtomMap(top, [{ residue: 'GLY', atoms: ['CA'] }]), /no such residue; the topology has ACE 1, ALA 2, NME 3/);
  assert.throws(() => residueAtomMap(top, [{ residue: 'ALA', atoms: ['CG'] }]), /no atom 'CG'; the residue has N, H, CA, HA, CB/);
  const twoAla = { atoms: [...top.atoms, { ...top.atoms[8], resid: 3 }], bonds: [] };
  assert.throws(() => residueAtomMap(twoAla, [{ residue: 'ALA', atoms: ['CA'] }]), /occurs as residues 2, 3: give resid/);
  assert.equal(residueAtomMap(twoAla, [{ residue: 'ALA', resid: 3, atoms: ['CA'] }]).support(0)[0], 22);
  const m = selectionMap(22, BACKBONE);
  assert.throws(() => m.apply(new Float64Array(20 * 3)), /expected \[frames, 22, 3\].*got 60: this map is for 22 particles/);
  assert.throws(() => m.applyTensor(tf.zeros([2, 20, 3])), /expected a tensor of shape \[batch, 22, 3\]/);
  assert.throws(() => new LinearMap([1, Number.NaN], 1, 2), /entry \[0, 1\] is NaN/);
});
