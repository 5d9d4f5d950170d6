// The Z-matrix back-mapping representation of alanine dipeptide (methods/ccg/zMatrix.ts) on the
// 400-frame fixture: every non-bead atom placed once from bonded heavy atoms, constrained X–H
// lengths held, encode ∘ embed the identity to float32 precision with the beads exactly at s,
// the log-Jacobian against the determinant of the numerical Jacobian, and context features
// that do not change when the molecule is rotated and moved.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'cglab/backend/select';
import { symmetricEigen } from 'cglab/cg/linalg';
import { getSystem } from 'cglab/datasets/systems';
import { readDataset } from 'cglab/io/dataset';
import { fitZMatrix, zMatrix, zMatrixRepresentation } from 'cglab/methods/ccg/zMatrix';
import { BUILTIN_MAPS, resolveMap } from 'cglab/methods/forcematching/mapping';
import { bondedTuples } from 'cglab/methods/forcematching/model';

const data = readDataset(fileURLToPath(new URL('../../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const top = data.topology!;
const frames = Float64Array.from(data.positions);
const system = getSystem('alanine-dipeptide');
const lengths = new Map<string, number>();
const c = system.constraints!;
for (let k = 0; k < c.distances.length; k++) {
  const [i, j] = [c.pairs[2 * k], c.pairs[2 * k + 1]].sort((a, b) => a - b);
  lengths.set(`${i}-${j}`, c.distances[k]);
}
const beadsOf = (name: string) => {
  const r = resolveMap(BUILTIN_MAPS[name], top, name);
  return { placed: Array.from({ length: r.map.nBeads }, (_, b) => r.map.support(b)[0]), features: bondedTuples(r.topology) };
};

before(async () => {
  await initBackend();
});

test('backbone5 and backbone6: every other atom placed once from bonded heavy atoms, X–H lengths held, methyl hydrogens relative to the first', () => {
  for (const [name, generated, dims] of [['backbone5', 17, 39], ['backbone6', 16, 36]] as const) {
    const { placed, features } = beadsOf(name);
    const entries = zMatrix(top, placed, lengths);
    assert.equal(entries.length, generated);
    assert.deepEqual(new Set([...placed, ...entries.map((e) => e.atom)]).size, 22);
    const isH = (i: number) => top.atoms[i].element === 'H';
    for (const e of entries) {
      assert.ok(top.bonds.some(([i, j]) => (i === e.atom && j === e.bond) || (j === e.atom && i === e.bond)), `${top.atoms[e.atom].name} is bonded to its bond atom`);
      for (const ref of [e.angle, e.dihedral]) assert.ok(!isH(ref), `${top.atoms[e.atom].name} refers to heavy atoms only`);
      assert.equal(e.length !== undefined, isH(e.atom), `${top.atoms[e.atom].name}: a fixed length exactly for the constrained X–H bonds`);
    }
    const methyl = entries.filter((e) => top.atoms[e.atom].name === 'HB2' || top.atoms[e.atom].name === 'HB3');
    assert.ok(methyl.every((e) => e.relativeTo !== undefined && top.atoms[entries[e.relativeTo].atom].name === 'HB1'));
    const rep = fitZMatrix(22, placed, entries, features, frames);
    assert.equal(rep.fineDim, dims);
    assert.equal(rep.cgDim, 3 * placed.length);
  }
});

test('encode then embed gives the frames back, beads exactly at s; a saved config rebuilds the same representation', () => {
  const { placed, features } = beadsOf('backbone5');
  const rep = fitZMatrix(22, placed, zMatrix(top, placed, lengths), features, frames);
  const rows = 400;
  const y = rep.encode(frames, rows);
  const s = rep.project(frames, rows);
  for (let j = 0; j < rep.fineDim; j++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += y[r * rep.fineDim + j] / rows;
    assert.ok(Math.abs(m) < 1e-6, `variable ${j} is standardised (mean ${m})`);
  }
  const again = zMatrixRepresentation(JSON.parse(JSON.stringify(rep.config())));
  for (const r of [rep, again]) {
    const x = tf.tidy(() => r.embed(tf.tensor2d(Float32Array.from(s), [rows, 15]), tf.tensor2d(Float32Array.from(y), [rows, r.fineDim])).x.dataSync());
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - frames[i]));
    // Constrained X–H lengths come back as the constraint lengths, which the frames hold to SHAKE's tolerance.
    assert.ok(worst < 2e-5, `largest deviation ${worst} nm`);
    for (let f = 0; f < rows; f++) for (const [b, a] of placed.entries()) for (let d = 0; d < 3; d++) assert.equal(x[(f * 22 + a) * 3 + d], Math.fround(s[f * 15 + 3 * b + d]));
  }
});

test('the log-Jacobian is ln |det ∂x/∂y| of the numerical Jacobian (all bonds free: a square map)', () => {
  const { placed, features } = beadsOf('backbone5');
  const rep = fitZMatrix(22, placed, zMatrix(top, placed), features, frames);
  const gen = [...Array(22).keys()].filter((a) => !placed.includes(a)).flatMap((a) => [3 * a, 3 * a + 1, 3 * a + 2]);
  const d = rep.fineDim;
  assert.equal(gen.length, d);
  for (const frame of [0, 123]) {
    const y0 = rep.encode(frames.subarray(frame * 66, (frame + 1) * 66), 1);
    const s0 = rep.project(frames.subarray(frame * 66, (frame + 1) * 66), 1);
    // d copies of one point; row r of the gradient of Σ_r x[r, gen[r]] is row gen[r] of the Jacobian.
    const pickOut = tf.tensor2d(Float32Array.from({ length: d * 66 }, (_, i) => (gen[Math.floor(i / 66)] === i % 66 ? 1 : 0)), [d, 66]);
    const s = tf.tile(tf.tensor2d(Float32Array.from(s0), [1, 15]), [d, 1]) as tf.Tensor2D;
    const jac = tf.tidy(() => tf.grad((y: tf.Tensor) => tf.sum(tf.mul(rep.embed(s, y as tf.Tensor2D).x, pickOut)))(tf.tile(tf.tensor2d(Float32Array.from(y0), [1, d]), [d, 1])).dataSync());
    const logJ = tf.tidy(() => rep.embed(tf.tensor2d(Float32Array.from(s0), [1, 15]), tf.tensor2d(Float32Array.from(y0), [1, d])).logJacobian.dataSync()[0]);
    const jtj = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) jtj[i * d + j] += jac[k * d + i] * jac[k * d + j];
    const logDet = 0.5 * symmetricEigen(jtj, d).values.reduce((acc, v) => acc + Math.log(v), 0);
    // float32 derivatives: ~1e-6 relative per entry; the sum of 51 logarithms to ~1e-3.
    assert.ok(Math.abs(logDet - logJ) < 2e-3, `frame ${frame}: numerical ${logDet}, representation ${logJ}`);
    pickOut.dispose();
    s.dispose();
  }
});

test('the context (bead bond lengths, angles, dihedrals) does not change when the molecule is rotated and moved', () => {
  const { placed, features } = beadsOf('backbone6');
  const rep = fitZMatrix(22, placed, zMatrix(top, placed, lengths), features, frames);
  const s = rep.project(frames, 10);
  const [a, b] = [0.7, -1.3];
  const rot = [Math.cos(a), -Math.sin(a), 0, Math.sin(a) * Math.cos(b), Math.cos(a) * Math.cos(b), -Math.sin(b), Math.sin(a) * Math.sin(b), Math.cos(a) * Math.sin(b), Math.cos(b)];
  const moved = new Float64Array(s.length);
  for (let p = 0; p < s.length / 3; p++) for (let i = 0; i < 3; i++) moved[3 * p + i] = rot[3 * i] * s[3 * p] + rot[3 * i + 1] * s[3 * p + 1] + rot[3 * i + 2] * s[3 * p + 2] + [1.5, -2, 0.25][i];
  const ctx = (v: Float64Array) => tf.tidy(() => rep.context(tf.tensor2d(Float32Array.from(v), [10, rep.cgDim])).dataSync());
  const [c0, c1] = [ctx(s), ctx(moved)];
  assert.equal(c0.length, 10 * rep.contextDim);
  for (let i = 0; i < c0.length; i++) assert.ok(Math.abs(c0[i] - c1[i]) < 1e-3, `feature ${i % rep.contextDim}: ${c0[i]} vs ${c1[i]}`);
});
