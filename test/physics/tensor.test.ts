import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { coupled2dTensor, doubleWell1dTensor, doubleWell2dTensor, tensorEnergyOf } from 'cglab/physics/tensor';
import { coupled2d, doubleWell1d, doubleWell2d } from 'cglab/physics/toy';
import { energiesAndForces } from 'cglab/physics/potential';
import { getSystem } from 'cglab/datasets/systems';

const pts = [[-2.3, 1.1], [0.4, -0.7], [1.9, 2.2], [0, 0]];

for (const backend of ['cpu', 'wasm'] as const) {
  test(`${backend}: exact toy tensor forms match the flat energies and forces (float32: 1e-5 relative)`, async () => {
    await useBackend(backend);
    for (const [tensorForm, flat, dim] of [[doubleWell2dTensor, doubleWell2d(), 2], [coupled2dTensor, coupled2d(), 2], [doubleWell1dTensor(3), doubleWell1d(3), 1]] as const) {
      const xs = pts.map((p) => p.slice(0, dim));
      const x = tf.tensor2d(xs);
      const e = await tensorForm(x).data();
      const g = await tf.grad((y: tf.Tensor) => tf.sum(tensorForm(y as tf.Tensor2D)))(x).data();
      const ref = energiesAndForces(flat, Float64Array.from(xs.flat()));
      ref.energies.forEach((v, i) => assert.ok(Math.abs(e[i] - v) < 1e-5 * (1 + Math.abs(v)), `${flat.name} E ${e[i]} vs ${v}`));
      ref.forces.forEach((v, i) => assert.ok(Math.abs(-g[i] - v) < 1e-5 * (1 + Math.abs(v)), `${flat.name} F ${-g[i]} vs ${v}`));
    }
  });

  test(`${backend}: second derivatives of the coupled system are exact (Hessian diagonal vs differences of forces)`, async () => {
    await useBackend(backend);
    const x = tf.tensor2d([[0.8, 0.5]]);
    // ∂/∂x of Σ_k ∂U/∂x_k gives the row sums of the Hessian.
    const grad = (y: tf.Tensor) => tf.grad((z: tf.Tensor) => tf.sum(coupled2dTensor(z as tf.Tensor2D)))(y);
    const hsum = await tf.grad((y: tf.Tensor) => tf.sum(grad(y)))(x).data();
    const p = coupled2d();
    const h = 1e-5;
    const fAt = (a: number, b: number) => energiesAndForces(p, Float64Array.of(a, b)).forces;
    for (let k = 0; k < 2; k++) {
      const xp = [0.8, 0.5]; xp[k] += h;
      const xm = [0.8, 0.5]; xm[k] -= h;
      const fp = fAt(xp[0], xp[1]);
      const fm = fAt(xm[0], xm[1]);
      const ref = -((fp[0] + fp[1]) - (fm[0] + fm[1])) / (2 * h);
      assert.ok(Math.abs(hsum[k] - ref) < 1e-4 * (1 + Math.abs(ref)), `${hsum[k]} vs ${ref}`);
    }
  });
}

test('any potential gets a tensor form whose gradient is −F (alanine dipeptide force field)', async () => {
  await useBackend('wasm');
  const sys = getSystem('alanine-dipeptide');
  const U = tensorEnergyOf(sys.potential);
  const x = tf.tensor2d(Array.from(sys.positions), [1, 66]);
  const e = (await U(x).data())[0];
  const g = await tf.grad((y: tf.Tensor) => tf.sum(U(y as tf.Tensor2D)))(x).data();
  const ref = energiesAndForces(sys.potential, Float64Array.from(x.dataSync()));
  assert.ok(Math.abs(e - ref.energies[0]) < 1e-4 * Math.abs(ref.energies[0]));
  ref.forces.forEach((v, i) => assert.ok(Math.abs(-g[i] - v) < 1e-3 * (1 + Math.abs(v))));
  assert.throws(() => U(tf.zeros([1, 65]) as tf.Tensor2D), /needs x of shape \[batch, 66\]/);
});

test('an energy cap: unchanged below it, cap + ln(1 + U − cap) above with forces scaled to match, and a non-finite energy as cap + 1000 with no force', async () => {
  await useBackend('cpu');
  const p = doubleWell1d(3);
  const poisoned = { ...p, name: 'poisoned', evaluate(x: Float64Array, batch: number, f: Float64Array, e: Float64Array) {
    p.evaluate(x, batch, f, e);
    for (let b = 0; b < batch; b++) if (x[b] > 10) e[b] = NaN;
  } };
  const cap = 5;
  const u = tensorEnergyOf(poisoned, { cap });
  const xs = [0.5, 1.4, 2, 11];
  const { value, grad } = tf.tidy(() => {
    const x = tf.tensor2d(xs, [4, 1]);
    return { value: u(x).dataSync(), grad: tf.grad((v: tf.Tensor) => tf.sum(u(v as tf.Tensor2D)))(x).dataSync() };
  });
  xs.forEach((x, k) => {
    const raw = 3 * (x * x - 1) ** 2;
    const draw = 12 * x * (x * x - 1);
    if (x > 10) {
      assert.equal(value[k], cap + 1000);
      assert.ok(grad[k] === 0, `no force where the energy is not finite: ${grad[k]}`);
    } else if (raw <= cap) {
      assert.ok(Math.abs(value[k] - raw) < 1e-5 && Math.abs(grad[k] - draw) < 1e-4, `x = ${x}: below the cap`);
    } else {
      assert.ok(Math.abs(value[k] - (cap + Math.log1p(raw - cap))) < 1e-5, `x = ${x}: ${value[k]}`);
      assert.ok(Math.abs(grad[k] - draw / (1 + raw - cap)) < 1e-4, `x = ${x}: gradient ${grad[k]}`);
    }
  });
  assert.throws(() => tensorEnergyOf(p, { cap: Infinity }), /the energy cap must be a finite energy \(kJ\/mol\), got Infinity/);
});
