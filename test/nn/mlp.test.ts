import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { activate, Dense, MLP } from 'cglab/nn/mlp';
import { Random } from 'cglab/util/random';

test('a dense layer computes act(x W + b) on the last axis of 2-D and 3-D inputs', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const layer = new Dense(2, 3, { activation: 'tanh' });
    tf.tidy(() => {
      layer.weight.assign(tf.tensor2d([[1, -2, 0.5], [0.25, 1, -1]]));
      layer.bias!.assign(tf.tensor1d([0.1, 0, -0.2]));
    });
    const x = [[0.3, -0.4], [1, 2]];
    const want = x.map(([a, b]) => [a * 1 + b * 0.25 + 0.1, a * -2 + b + 0, a * 0.5 - b - 0.2].map(Math.tanh));
    const y2 = tf.tidy(() => layer.apply(tf.tensor2d(x)).arraySync()) as number[][];
    const y3 = tf.tidy(() => layer.apply(tf.tensor3d([x, x])).arraySync()) as number[][][];
    want.forEach((row, i) => row.forEach((v, j) => {
      assert.ok(Math.abs(y2[i][j] - v) < 1e-6, `${backend} [${i}][${j}]: ${y2[i][j]} vs ${v}`);
      assert.ok(Math.abs(y3[1][i][j] - v) < 1e-6);
    }));
    assert.deepEqual(Object.keys(layer.parameters()), ['weight', 'bias']);
    assert.deepEqual(Object.keys(new Dense(2, 3, { bias: false }).parameters()), ['weight']);
  }
});

test('activations: tanh, shifted softplus (0 at 0, x − ln 2 for large x), linear', async () => {
  await useBackend('cpu');
  const x = tf.tensor1d([0, 1, 30]);
  const [t, s, l] = tf.tidy(() => (['tanh', 'ssp', 'linear'] as const).map((a) => activate(x, a).dataSync()));
  assert.ok(Math.abs(t[1] - Math.tanh(1)) < 1e-6);
  assert.equal(s[0], 0);
  assert.ok(Math.abs(s[1] - (Math.log1p(Math.E) - Math.LN2)) < 1e-6);
  assert.ok(Math.abs(s[2] - (30 - Math.LN2)) < 1e-5);
  assert.deepEqual([...l], [0, 1, 30]);
  assert.throws(() => activate(x, 'relu' as never), /unknown activation 'relu': expected one of tanh, ssp, linear/);
  x.dispose();
});

test('an MLP chains its layers: hidden activation everywhere but the output; Glorot-uniform start, seeded', async () => {
  await useBackend('cpu');
  const mlp = new MLP([4, 8, 8, 1], { activation: 'ssp', rng: new Random(3) });
  assert.deepEqual(mlp.layers.map((l) => l.activation), ['ssp', 'ssp', 'linear']);
  assert.deepEqual(Object.keys(mlp.parameters()), ['layer0/weight', 'layer0/bias', 'layer1/weight', 'layer1/bias', 'layer2/weight', 'layer2/bias']);
  const w = mlp.layers[0].weight.dataSync();
  const limit = Math.sqrt(6 / 12);
  assert.ok(w.every((v) => Math.abs(v) <= limit) && Math.max(...w.map(Math.abs)) > 0.8 * limit, 'weights fill ±√(6/(in+out))');
  const same = new MLP([4, 8, 8, 1], { activation: 'ssp', rng: new Random(3) });
  assert.deepEqual(same.layers[2].weight.dataSync(), mlp.layers[2].weight.dataSync());
  const out = tf.tidy(() => mlp.apply(tf.ones([5, 4])).shape);
  assert.deepEqual(out, [5, 1]);
  assert.throws(() => mlp.apply(tf.ones([5, 3])), /expected inputs with last axis 4, got shape \[5,3\]/);
  assert.throws(() => new MLP([4]), /at least 2 entries/);
  assert.throws(() => new Dense(0, 3), /number of inputs must be a positive integer, got 0/);
});
