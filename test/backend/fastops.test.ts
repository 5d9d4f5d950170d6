// The wasm MatMul gradient (explicit transposes, then plain products) against the flag-passing
// form (tfjs's own formulas) and against a float64 reference, for every transpose combination
// and batch-broadcasting case; wasm's buffer-sharing Identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendName } from 'cglab/backend/select';
import { installBackendOptimisations, useExplicitTransposes } from 'cglab/backend/fastops';

const BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** Logical product [...batchA] [n,k] × [...batchB] [k,m]; stored shapes follow the flags. */
interface Product {
  batchA: number[];
  batchB: number[];
  tA: boolean;
  tB: boolean;
}
const N = 3;
const K = 4;
const M = 2;
const shapeA = (p: Product) => [...p.batchA, ...(p.tA ? [K, N] : [N, K])];
const shapeB = (p: Product) => [...p.batchB, ...(p.tB ? [M, K] : [K, M])];

// tfjs's forward BatchMatMul broadcasts only a batch of one (or none) against any batch; it
// silently returns a short buffer for e.g. [2,1]×[3], so such products are not cases here.
const BATCHES: [number[], number[]][] = [
  [[], []],
  [[2], [2]],
  [[2], []],
  [[], [2]],
  [[1], [3]],
  [[2, 3], [2, 3]],
  [[1, 1], [2, 3]],
  [[2, 3], []],
];
const PRODUCTS: Product[] = BATCHES.flatMap(([batchA, batchB]) =>
  [false, true].flatMap((tA) => [false, true].map((tB) => ({ batchA, batchB, tA, tB }))),
);
const label = (p: Product) => `[${p.batchA}]×[${p.batchB}] tA=${p.tA} tB=${p.tB}`;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const strides = (shape: number[]) => shape.map((_, i) => size(shape.slice(i + 1)));

/** Deterministic values on a 2⁻⁸ grid in [−1, 1], so float32 holds them exactly. */
function grid(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(256 * Math.sin(seed * 12.9898 + i * 78.233)) / 256);
}

function broadcastShape(a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[i - r + a.length] ?? 1;
    const y = b[i - r + b.length] ?? 1;
    return Math.max(x, y);
  });
}

/** Σ W ∘ matMul(a, b, tA, tB) in float64, with tfjs's batch broadcasting. */
function weightedProduct(p: Product, a: number[], b: number[], w: number[]): number {
  const outBatch = broadcastShape(p.batchA, p.batchB);
  const offset = (batch: number[], idx: number[]) => {
    const s = strides(batch);
    return batch.reduce((o, d, i) => o + (d === 1 ? 0 : idx[idx.length - batch.length + i] * s[i]), 0);
  };
  const aAt = (ob: number, i: number, k: number) => a[ob * N * K + (p.tA ? k * N + i : i * K + k)];
  const bAt = (ob: number, k: number, j: number) => b[ob * K * M + (p.tB ? j * K + k : k * M + j)];
  let total = 0;
  for (let o = 0; o < size(outBatch); o++) {
    const idx = outBatch.map((d, i) => Math.floor(o / strides(outBatch)[i]) % d);
    const oa = offset(p.batchA, idx);
    const ob = offset(p.batchB, idx);
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < M; j++) {
        let y = 0;
        for (let k = 0; k < K; k++) y += aAt(oa, i, k) * bAt(ob, k, j);
        total += w[(o * N + i) * M + j] * y;
      }
    }
  }
  return total;
}

/** Exact gradients of the bilinear weighted product: unit steps, in float64. */
function referenceGradients(p: Product, a: number[], b: number[], w: number[]): [number[], number[]] {
  const base = weightedProduct(p, a, b, w);
  const step = (v: number[], k: number) => v.map((x, i) => (i === k ? x + 1 : x));
  return [
    a.map((_, k) => weightedProduct(p, step(a, k), b, w) - base),
    b.map((_, k) => weightedProduct(p, a, step(b, k), w) - base),
  ];
}

function tfGradients(p: Product, a: number[], b: number[], w: number[]): [number[], number[]] {
  return tf.tidy(() => {
    const W = tf.tensor(w, [...broadcastShape(p.batchA, p.batchB), N, M]);
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(W, tf.matMul(x, y, p.tA, p.tB)));
    const [ga, gb] = tf.grads(f)([tf.tensor(a, shapeA(p)), tf.tensor(b, shapeB(p))]);
    assert.deepEqual([ga.shape, gb.shape], [shapeA(p), shapeB(p)]);
    return [Array.from(ga.dataSync()), Array.from(gb.dataSync())];
  });
}

function assertClose(what: string, got: number[], want: number[], rel: number): void {
  const scale = Math.max(...want.map(Math.abs));
  got.forEach((g, k) => assert.ok(Math.abs(g - want[k]) <= rel * scale, `${what}[${k}]: ${g} vs ${want[k]}`));
}

for (const backend of BACKENDS) {
  test(`${backend}: MatMul gradient with explicit transposes equals the flag form and the float64 reference`, async () => {
    await useBackend(backend);
    try {
      for (const p of PRODUCTS) {
        const a = grid(size(shapeA(p)), 1);
        const b = grid(size(shapeB(p)), 2);
        const w = grid(size(broadcastShape(p.batchA, p.batchB)) * N * M, 3);
        const [refA, refB] = referenceGradients(p, a, b, w);
        useExplicitTransposes(false);
        const [flagA, flagB] = tfGradients(p, a, b, w);
        useExplicitTransposes(true);
        const [explicitA, explicitB] = tfGradients(p, a, b, w);
        // Grid inputs and ≤ 12-term sums: float32 is exact to ~1e-7 of the scale.
        assertClose(`${label(p)} flags ∂a`, flagA, refA, 1e-6);
        assertClose(`${label(p)} flags ∂b`, flagB, refB, 1e-6);
        assertClose(`${label(p)} explicit ∂a`, explicitA, flagA, 1e-6);
        assertClose(`${label(p)} explicit ∂b`, explicitB, flagB, 1e-6);
      }
    } finally {
      installBackendOptimisations(backend);
    }
  });
}

async function kernelsOfMatMulGradient(): Promise<string[]> {
  const a = tf.ones([3, 4]);
  const b = tf.ones([4, 2]);
  const info = await tf.profile(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]));
  tf.dispose([a, b]);
  return info.kernels.map((k) => k.name);
}

test('selecting a backend installs explicit transposes on wasm only', async () => {
  await useBackend('wasm');
  assert.ok((await kernelsOfMatMulGradient()).includes('Transpose'));
  await useBackend('cpu');
  assert.ok(!(await kernelsOfMatMulGradient()).includes('Transpose'));
});

test('wasm: a clone shares its buffer and outlives the original; gradients through saved inputs still hold', async () => {
  await useBackend('wasm');
  const backend = tf.backend() as unknown as { refCount(id: tf.DataId): number };
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  assert.equal(backend.refCount(x.dataId), 2, 'the clone shares the buffer (one reference each)');
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  assert.equal(backend.refCount(y.dataId), 1);
  y.dispose();
  const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
  assert.deepEqual(s.dataSync(), ['a', 'b']);
  s.dispose();
  // Multiply saves both inputs (cloned); d²/dx² of x·x·x at 2 is 6x = 12.
  const d2 = tf.grad(tf.grad((v: tf.Tensor) => tf.mul(tf.mul(v, v), v)))(tf.scalar(2));
  assert.equal(d2.dataSync()[0], 12);
});
