#!/usr/bin/env node
// Time a CGnet-like force-matching step on the wasm backend: on tfjs-wasm's own products with
// and without the MatMul gradient override (explicit transposes) and with tf.tanh against
// cglab's tanh; then on the OpenBLAS products (kernel-lib/native), cglab's default.
// Step: pair distances of 6 beads (matmul with the difference matrix), MLP 15 → 5×160 tanh → 1,
// forces −∇E by tf.grad, loss mean((F − f_ref)²), its gradient w.r.t. the weights by
// tf.variableGrads (a second derivative), one Adam update. Usage: node bench/backend.mjs
// (after `npx tsc -b`). Runs in well under a minute.
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../kernel-lib/dist/backend/select.js';
import { installBackendOptimisations, useExplicitTransposes, useNativeMatMul } from '../kernel-lib/dist/backend/fastops.js';
import { pairDifferenceMatrix, pairDifferences, safeNorm, tanh } from '../kernel-lib/dist/backend/ops.js';

const BEADS = 6;
const BATCH = 128;
const WIDTH = 160;
const DEPTH = 5;
const STEPS = 20;

await useBackend('wasm');
const D = pairDifferenceMatrix(BEADS);
const nPairs = D.shape[0];
const x = tf.randomNormal([BATCH, BEADS, 3], 0, 0.5, 'float32', 1);
const fRef = tf.randomNormal([BATCH, BEADS, 3], 0, 1, 'float32', 2);

function makeModel(seed) {
  const sizes = [nPairs, ...Array(DEPTH).fill(WIDTH), 1];
  return sizes.slice(1).map((out, l) => ({
    W: tf.variable(tf.randomNormal([sizes[l], out], 0, 1 / Math.sqrt(sizes[l]), 'float32', seed + l)),
    b: tf.variable(tf.zeros([out])),
  }));
}

function energy(model, activation, positions) {
  let h = safeNorm(pairDifferences(positions, D));
  model.forEach(({ W, b }, l) => {
    h = tf.add(tf.matMul(h, W), b);
    if (l < model.length - 1) h = activation(h);
  });
  return tf.sum(h);
}

function timeSteps(activation, explicitTransposes) {
  useExplicitTransposes(explicitTransposes);
  const model = makeModel(10);
  const optimizer = tf.train.adam(1e-3);
  const step = () =>
    tf.tidy(() => {
      const loss = () => {
        const forces = tf.neg(tf.grad((p) => energy(model, activation, p))(x));
        return tf.mean(tf.square(tf.sub(forces, fRef)));
      };
      const { value, grads } = tf.variableGrads(loss);
      optimizer.applyGradients(grads);
      return value.dataSync()[0];
    });
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const ms = (performance.now() - t0) / STEPS;
  optimizer.dispose();
  model.forEach(({ W, b }) => tf.dispose([W, b]));
  return ms;
}

useNativeMatMul(false);
const variants = [];
for (const [tanhName, activation] of [
  ['tf.tanh', tf.tanh],
  ['cglab tanh', tanh],
]) {
  for (const explicit of [false, true]) {
    variants.push({ tanhName, explicit, ms: timeSteps(activation, explicit) });
  }
}
installBackendOptimisations('wasm');
const native = useNativeMatMul(true) ? timeSteps(tanh, false) : undefined;

const ms = (t, e) => variants.find((v) => v.tanhName === t && v.explicit === e).ms;
console.log(`wasm, force-matching step, ${BEADS} beads, batch ${BATCH}, MLP ${DEPTH}×${WIDTH}, ${STEPS} steps each`);
for (const v of variants) {
  console.log(`  tfjs-wasm products, ${v.tanhName.padEnd(10)}  MatMul gradient ${v.explicit ? 'explicit transposes' : 'transpose flags    '}  ${v.ms.toFixed(1).padStart(7)} ms/step`);
}
console.log(`  override speed-up: ${(ms('tf.tanh', false) / ms('tf.tanh', true)).toFixed(2)}× with tf.tanh, ` +
  `${(ms('cglab tanh', false) / ms('cglab tanh', true)).toFixed(2)}× with cglab tanh`);
console.log(`  cglab tanh speed-up: ${(ms('tf.tanh', true) / ms('cglab tanh', true)).toFixed(2)}× with the override, ` +
  `${(ms('tf.tanh', false) / ms('cglab tanh', false)).toFixed(2)}× without`);
console.log(`  both together: ${(ms('tf.tanh', false) / ms('cglab tanh', true)).toFixed(2)}×`);
console.log(native === undefined
  ? '  OpenBLAS products: not built (node kernel-lib/native/build.mjs)'
  : `  OpenBLAS products, cglab tanh, transpose flags: ${native.toFixed(1)} ms/step, ${(ms('cglab tanh', true) / native).toFixed(2)}× faster than the best tfjs-wasm variant`);
