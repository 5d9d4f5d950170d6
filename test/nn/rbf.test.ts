import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { cosineCutoff, GaussianRbf } from 'cglab/nn/rbf';

test('Gaussian RBFs: evenly spaced centres up to the cutoff, γ = 1/(2Δ²), values exp(−γ(d − μ)²)', async () => {
  const rbf = new GaussianRbf({ n: 5, cutoff: 1.0, start: 0.2 });
  assert.deepEqual(Array.from(rbf.centers, (c) => Math.round(c * 1e12) / 1e12), [0.2, 0.4, 0.6, 0.8, 1.0]);
  assert.ok(Math.abs(rbf.gamma - 12.5) < 1e-9);
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const y = tf.tidy(() => rbf.apply(tf.tensor2d([[0.4, 0.5]])).arraySync()) as number[][][];
    assert.deepEqual([y.length, y[0].length, y[0][0].length], [1, 2, 5]);
    rbf.centers.forEach((c, k) => assert.ok(Math.abs(y[0][1][k] - Math.exp(-12.5 * (0.5 - c) ** 2)) < 1e-6, `${backend} k=${k}`));
    assert.ok(Math.abs(y[0][0][1] - 1) < 1e-7);
  }
  assert.throws(() => new GaussianRbf({ n: 5, cutoff: 0.1, start: 0.2 }), /expected 0 ≤ start < cutoff \(nm\), got start 0\.2, cutoff 0\.1/);
  assert.throws(() => new GaussianRbf({ n: 1, cutoff: 1 }), /n is 1, expected an integer ≥ 2/);
});

test('the cosine cutoff falls from 1 to 0 with zero slope at the cutoff and stays 0 beyond', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const d = tf.tensor1d([0, 0.5, 0.999, 1.0, 1.5]);
    const [f, g] = tf.tidy(() => [cosineCutoff(d, 1).dataSync(), tf.grad((x) => cosineCutoff(x, 1))(d).dataSync()]);
    [1, 0.5, 0, 0, 0].forEach((v, i) => assert.ok(Math.abs(f[i] - v) < 1e-5, `${backend} f(${i}) = ${f[i]}`));
    assert.ok(Math.abs(g[1] + Math.PI / 2) < 1e-5, `slope at rc/2 is −π/2, got ${g[1]}`);
    assert.ok(Math.abs(g[2]) < 1e-2 && g[3] === 0 && g[4] === 0, `slopes near and beyond rc: ${g[2]}, ${g[3]}, ${g[4]}`);
    d.dispose();
  }
  assert.throws(() => cosineCutoff(tf.zeros([1]), 0), /the cutoff must be a positive distance \(nm\), got 0/);
});
