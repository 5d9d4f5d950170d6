// wasm's OpenBLAS products (the native addon) against tfjs-wasm's own and a float64 reference;
// the MatMul gradient (explicit transposes, then plain products) against the flag-passing form
// (tfjs's own formulas) and the reference, on every product kernel, for every transpose
// combination and batch-broadcasting case; the addon's bounds checks; wasm's buffer-sharing Identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendName } from 'cglab/backend/select';
import { installBackendOptimisations, matMulEngine, useExplicitTransposes, useNativeMatMul } from 'cglab/backend/fastops';
import { NATIVE_GEMM_PATH, nativeGemmStatus } from 'cglab/backend/nativeGemm';

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
const shapeA = (p: Product, n = N, k = K) => [...p.batchA, ...(p.tA ? [k, n] : [n, k])];
const shapeB = (p: Product, k = K, m = M) => [...p.batchB, ...(p.tB ? [m, k] : [k, m])];

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

/** matMul(a, b, tA, tB) in float64, with tfjs's batch broadcasting, for n×k by k×m matrices. */
function referenceProduct(p: Product, a: number[], b: number[], [n, k, m] = [N, K, M]): number[] {
  const outBatch = broadcastShape(p.batchA, p.batchB);
  const offset = (batch: number[], idx: number[]) => {
    const s = strides(batch);
    return batch.reduce((o, d, i) => o + (d === 1 ? 0 : idx[idx.length - batch.length + i] * s[i]), 0);
  };
  const aAt = (ob: number, i: number, l: number) => a[ob * n * k + (p.tA ? l * n + i : i * k + l)];
  const bAt = (ob: number, l: number, j: number) => b[ob * k * m + (p.tB ? j * k + l : l * m + j)];
  const out: number[] = [];
  for (let o = 0; o < size(outBatch); o++) {
    const idx = outBatch.map((d, i) => Math.floor(o / strides(outBatch)[i]) % d);
    const oa = offset(p.batchA, idx);
    const ob = offset(p.batchB, idx);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let y = 0;
        for (let l = 0; l < k; l++) y += aAt(oa, i, l) * bAt(ob, l, j);
        out.push(y);
      }
    }
  }
  return out;
}

/** Σ W ∘ matMul(a, b, tA, tB) in float64. */
function weightedProduct(p: Product, a: number[], b: number[], w: number[]): number {
  return referenceProduct(p, a, b).reduce((t, y, i) => t + w[i] * y, 0);
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

/** Product kernels to check: each backend's own, and OpenBLAS on wasm. */
const KERNELS: { backend: BackendName; native: boolean }[] = [
  { backend: 'cpu', native: false },
  { backend: 'wasm', native: false },
  { backend: 'wasm', native: true },
];
const kernelName = (k: { backend: BackendName; native: boolean }) => `${k.backend}${k.native ? ' (OpenBLAS)' : ''}`;

test('setup built the OpenBLAS addon, and selecting wasm runs products on it', async () => {
  const status = nativeGemmStatus();
  assert.ok(status.available, status.reason);
  await useBackend('wasm');
  assert.equal(matMulEngine(), 'OpenBLAS');
});

test('wasm: OpenBLAS and tfjs-wasm products equal the float64 reference exactly', async () => {
  await useBackend('wasm');
  // Sizes past OpenBLAS's and XNNPACK's register blocks; values on a 2⁻⁸ grid in [−1, 1], so
  // every partial sum is a multiple of 2⁻¹⁶ below 2⁸ in magnitude: float32 holds it exactly.
  const [n, k, m] = [37, 53, 29];
  try {
    for (const native of [true, false]) {
      useNativeMatMul(native);
      for (const p of PRODUCTS) {
        const a = grid(size(shapeA(p, n, k)), 4);
        const b = grid(size(shapeB(p, k, m)), 5);
        const got = tf.tidy(() => tf.matMul(tf.tensor(a, shapeA(p, n, k)), tf.tensor(b, shapeB(p, k, m)), p.tA, p.tB).arraySync());
        assert.deepEqual((got as number[]).flat(Infinity), referenceProduct(p, a, b, [n, k, m]), `${native ? 'OpenBLAS' : 'tfjs-wasm'} ${label(p)}`);
      }
    }
    useNativeMatMul(true);
    // Empty inner dimension: zeros; empty outer one: an empty result.
    assert.deepEqual(tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])).arraySync(), [[0, 0, 0], [0, 0, 0]]);
    assert.deepEqual(tf.matMul(tf.zeros([0, 4]), tf.ones([4, 3])).shape, [0, 3]);
    assert.throws(() => tf.matMul(tf.ones([2, 1, 3, 4]), tf.ones([3, 4, 2])), /broadcast only where one of them has a single item/);
  } finally {
    installBackendOptimisations('wasm');
  }
});

test('the OpenBLAS addon refuses matrices outside the heap and malformed arguments', () => {
  type Sgemm = (...args: unknown[]) => void;
  const { sgemm } = createRequire(import.meta.url)(NATIVE_GEMM_PATH) as { sgemm: Sgemm };
  const heap = new ArrayBuffer(4 * 16);
  const f = new Float32Array(heap);
  f.set([1, 2, 3, 4, 5, 6, 7, 8]); // A = [[1, 2], [3, 4]] at 0, B = [[5, 6], [7, 8]] at 16 bytes
  sgemm(heap, 1, 2, 2, 2, 0, 0, false, 16, 0, false, 32);
  assert.deepEqual(Array.from(f.subarray(8, 12)), [19, 22, 43, 50]);
  sgemm(heap, 1, 2, 2, 2, 0, 0, true, 16, 0, true, 48); // Aᵀ Bᵀ = (B A)ᵀ
  assert.deepEqual(Array.from(f.subarray(12, 16)), [23, 31, 34, 46]);
  assert.throws(() => sgemm(heap, 1, 2, 2, 2, 0, 0, false, 16, 0, false, 52), /outside the heap/);
  assert.throws(() => sgemm(heap, 2, 2, 2, 2, 0, 16, false, 16, 0, false, 48), /outside the heap/);
  assert.throws(() => sgemm(heap, 1, 2, 2, 2, 2, 0, false, 16, 0, false, 32), /4-byte aligned/);
  assert.throws(() => sgemm(heap, 1, 2, 2, 2, -4, 0, false, 16, 0, false, 32), /non-negative integers/);
  assert.throws(() => sgemm(heap, 1, 2, 2, 2, 0, 0, false, 16, 0, false), /12 arguments/);
  assert.throws(() => sgemm(new Float32Array(4), 1, 1, 1, 1, 0, 0, false, 0, 0, false, 0), /ArrayBuffer/);
});

for (const { backend, native } of KERNELS) {
  test(`${kernelName({ backend, native })}: MatMul gradient with explicit transposes equals the flag form and the float64 reference`, async () => {
    await useBackend(backend);
    if (backend === 'wasm') assert.equal(useNativeMatMul(native), native);
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

test('explicit transposes go with tfjs-wasm products only; cpu and OpenBLAS keep the flag form', async () => {
  await useBackend('wasm');
  try {
    useNativeMatMul(false);
    assert.ok((await kernelsOfMatMulGradient()).includes('Transpose'));
    useNativeMatMul(true);
    assert.ok(!(await kernelsOfMatMulGradient()).includes('Transpose'));
  } finally {
    installBackendOptimisations('wasm');
  }
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
