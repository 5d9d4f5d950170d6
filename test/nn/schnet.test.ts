import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { SchNet } from 'cglab/nn/schnet';
import { gridValues } from '../helpers/finiteDifferences.js';
import { gridParameters } from '../helpers/models.js';

const TYPES = [0, 1, 2, 1, 0];
const OPTS = { features: 8, interactions: 2, rbf: 8, cutoff: 1.2, activation: 'ssp' as const, nTypes: 3 };
const X = gridValues(5 * 3, 51, -0.4, 0.4);

function energyOf(net: SchNet, x: number[]): number[] {
  return tf.tidy(() => Array.from(net.energy(tf.tensor3d(x, [x.length / (3 * net.nBeads), net.nBeads, 3])).dataSync()));
}

test('SchNet energies do not change under rotation, translation, or swapping two beads of the same type', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const net = new SchNet({ beadTypes: TYPES, ...OPTS });
    gridParameters(net.parameters(), 7);
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    const moved = Array.from({ length: 5 }, (_, i) => {
      const [x, y, z] = X.slice(3 * i, 3 * i + 3);
      return [c * x - s * y + 0.3, s * x + c * y - 1.1, z + 2.0];
    }).flat();
    const swapped = [...X.slice(12, 15), ...X.slice(3, 12), ...X.slice(0, 3)];
    const [e, eMoved, eSwapped] = energyOf(net, [...X, ...moved, ...swapped]);
    assert.ok(Math.abs(e) > 1e-2, 'the energy is not trivially zero');
    assert.ok(Math.abs(eMoved - e) < 1e-5 * Math.max(1, Math.abs(e)), `${backend} rotated + translated: ${eMoved} vs ${e}`);
    assert.ok(Math.abs(eSwapped - e) < 1e-5 * Math.max(1, Math.abs(e)), `${backend} swapped beads 0 and 4: ${eSwapped} vs ${e}`);
    const other = [...X.slice(3, 6), ...X.slice(0, 3), ...X.slice(6)];
    assert.ok(Math.abs(energyOf(net, other)[0] - e) > 1e-4, 'swapping beads of different types does change it');
  }
});

test('beads beyond the cutoff do not interact: the energy of two far-apart pieces is the sum of their energies', async () => {
  await useBackend('cpu');
  const whole = new SchNet({ beadTypes: TYPES, ...OPTS });
  gridParameters(whole.parameters(), 8);
  const pieceA = new SchNet({ beadTypes: TYPES.slice(0, 2), ...OPTS });
  const pieceB = new SchNet({ beadTypes: TYPES.slice(2), ...OPTS });
  for (const piece of [pieceA, pieceB]) {
    const target = piece.parameters();
    for (const [name, v] of Object.entries(whole.parameters())) target[name].assign(v);
  }
  const apart = X.map((v, i) => (i >= 6 && i % 3 === 0 ? v + 5 : v));
  const [eWhole] = energyOf(whole, apart);
  const [eA] = energyOf(pieceA, apart.slice(0, 6));
  const [eB] = energyOf(pieceB, apart.slice(6));
  assert.ok(Math.abs(eWhole - (eA + eB)) < 1e-5 * Math.abs(eWhole), `${eWhole} vs ${eA} + ${eB}`);
  assert.ok(Math.abs(energyOf(whole, X)[0] - eWhole) > 1e-3, 'within the cutoff the pieces do interact');
});

test('SchNet settings are checked', () => {
  assert.throws(() => new SchNet({ beadTypes: [0] }), /beadTypes must list the type of each of at least 2 beads/);
  assert.throws(() => new SchNet({ beadTypes: [0, 3], nTypes: 3 }), /bead 1 has type 3, expected an integer in 0\.\.2/);
  assert.throws(() => new SchNet({ beadTypes: [0, 1], activation: 'relu' as never }), /SchNet: activation is "relu", expected one of tanh, ssp, linear/);
  assert.throws(() => new SchNet({ beadTypes: [0, 1], interactions: 0 }), /interactions is 0, expected a positive integer/);
});
