// Forces F = −∇E and the force-matching second derivative ∇θ mean((F_θ − f_ref)²), checked
// against finite differences for every op family cglab differentiates, on cpu and on wasm
// (with the wasm MatMul gradient override installed), and cpu against wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend, type BackendName } from 'cglab/backend/select';
import { allPairs, capAt, pairDifferenceMatrix, pairDifferences, safeNorm, shiftedSoftplus, tanh } from 'cglab/backend/ops';

type Energy = (x: tf.Tensor, theta: tf.Tensor) => tf.Tensor;

interface Case {
  name: string;
  xShape: number[];
  thetaShape: number[];
  energy: Energy;
  /** Values of x to keep 4h away from (relu and capAt corners), so finite differences stay smooth. */
  kinks?: number[];
  backends?: BackendName[];
}

interface Result {
  forces: number[];
  lossGrad: number[];
}

const BACKENDS: BackendName[] = ['cpu', 'wasm'];

// Central differences with one Richardson step, R = (4·D(h/2) − D(h))/3, error O(h⁴) from
// truncation plus ~1.5·δf/h from rounding f (δf, float32 rounding of f accumulated over its
// ops). h = 2⁻⁵ and inputs on a 2⁻¹² grid make x ± h and x ± h/2 exact in float32, so the
// steps are what they say. Allowed error: 1e-3 of the largest derivative (truncation and the
// rounding inside autodiff) plus 100 float32 ulps of |f| divided by h (rounding of f). The
// cases below stay under 1/10 of that; a wrong gradient term is off by far more.
const H = 2 ** -5;
const ULP = 2 ** -24;
const GAP = 4 * H;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Values in [lo, hi) on a 2⁻¹² grid, at least GAP away from every kink. */
function values(n: number, seed: number, lo: number, hi: number, kinks: number[] = []): number[] {
  const rand = mulberry32(seed);
  const out: number[] = [];
  while (out.length < n) {
    const v = Math.round((lo + (hi - lo) * rand()) * 4096) / 4096;
    if (kinks.every((k) => Math.abs(v - k) > GAP)) out.push(v);
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function central(f: (v: number[]) => number, v: number[], k: number, h: number): number {
  const plus = v.slice();
  const minus = v.slice();
  plus[k] = v[k] + h;
  minus[k] = v[k] - h;
  return (f(plus) - f(minus)) / (2 * h);
}

/** Richardson-extrapolated finite-difference gradient of f at v, and the bound on its error. */
function fdGradient(f: (v: number[]) => number, v: number[]): { grad: number[]; roundingBound: number } {
  const grad = v.map((_, k) => (4 * central(f, v, k, H / 2) - central(f, v, k, H)) / 3);
  return { grad, roundingBound: (100 * ULP * Math.abs(f(v))) / H };
}

function assertGradClose(what: string, got: number[], fd: { grad: number[]; roundingBound: number }): void {
  const scale = Math.max(...fd.grad.map(Math.abs));
  const allowed = 1e-3 * scale + fd.roundingBound;
  got.forEach((g, k) => {
    const err = Math.abs(g - fd.grad[k]);
    assert.ok(err <= allowed, `${what}[${k}]: autodiff ${g}, finite differences ${fd.grad[k]} (error ${err} > ${allowed})`);
  });
}

function evaluate(c: Case, backend: BackendName): Result {
  const kinks = c.kinks ?? [];
  const x0 = values(size(c.xShape), 1, -1.5, 1.5, kinks);
  const theta0 = values(size(c.thetaShape), 2, 0.3, 1.2);
  const fRef = values(size(c.xShape), 3, -1, 1);
  const energy = (x: number[], theta: number[]) =>
    tf.tidy(() => c.energy(tf.tensor(x, c.xShape), tf.tensor(theta, c.thetaShape)).dataSync()[0]);
  const forces = (x: tf.Tensor, theta: tf.Tensor) => tf.neg(tf.grad((y) => c.energy(y, theta))(x));
  const loss = (theta: tf.Tensor) => tf.mean(tf.square(tf.sub(forces(tf.tensor(x0, c.xShape), theta), tf.tensor(fRef, c.xShape))));
  const lossAt = (theta: number[]) => tf.tidy(() => loss(tf.tensor(theta, c.thetaShape)).dataSync()[0]);

  const F = tf.tidy(() => Array.from(forces(tf.tensor(x0, c.xShape), tf.tensor(theta0, c.thetaShape)).dataSync()));
  const fdE = fdGradient((x) => energy(x, theta0), x0);
  assertGradClose(`${backend}: −F`, F.map((f) => -f), fdE);

  const lossGrad = tf.tidy(() => Array.from(tf.grad(loss)(tf.tensor(theta0, c.thetaShape)).dataSync()));
  assertGradClose(`${backend}: ∇θ loss`, lossGrad, fdGradient(lossAt, theta0));
  assert.ok(lossGrad.some((g) => Math.abs(g) > 1e-3), `${backend}: the loss gradient vanishes, so the case tests nothing`);
  return { forces: F, lossGrad };
}

function assertBackendsAgree(what: string, a: number[], b: number[]): void {
  // Both float32; kernels differ only in summation order and transcendental approximations
  // (cglab's tanh is tf.tanh on cpu and a sigmoid on wasm): observed ≤ 4e-7 of the scale.
  const scale = Math.max(...a.map(Math.abs));
  a.forEach((v, k) => assert.ok(Math.abs(v - b[k]) <= 1e-5 * scale, `${what}[${k}]: cpu ${v}, wasm ${b[k]}`));
}

function check(c: Case): void {
  test(c.name, async () => {
    const results = new Map<BackendName, Result>();
    for (const backend of c.backends ?? BACKENDS) {
      await useBackend(backend);
      results.set(backend, evaluate(c, backend));
    }
    const cpu = results.get('cpu');
    const wasm = results.get('wasm');
    if (cpu && wasm) {
      assertBackendsAgree('forces', cpu.forces, wasm.forces);
      assertBackendsAgree('∇θ loss', cpu.lossGrad, wasm.lossGrad);
    }
  });
}

test('second derivatives through tanh, sigmoid, exp, sqrt equal the closed forms (tfjs gets them wrong)', async () => {
  // ∂/∂θ ∂/∂x f(θx) = f'(u) + u·f''(u) at u = θx.
  const theta = 1.3;
  const x = 0.7;
  const u = theta * x;
  const t = Math.tanh(u);
  const s = 1 / (1 + Math.exp(-u));
  const cases: [string, (v: tf.Tensor) => tf.Tensor, number][] = [
    ['tf.tanh', tf.tanh, 1 - t * t - 2 * u * t * (1 - t * t)],
    ['cglab tanh', tanh, 1 - t * t - 2 * u * t * (1 - t * t)],
    ['sigmoid', tf.sigmoid, s * (1 - s) * (1 + u * (1 - 2 * s))],
    ['exp', tf.exp, Math.exp(u) * (1 + u)],
    ['sqrt', tf.sqrt, 1 / (2 * Math.sqrt(u)) - u / (4 * u ** 1.5)],
  ];
  for (const backend of BACKENDS) {
    await useBackend(backend);
    for (const [name, f, exact] of cases) {
      const got = tf.tidy(() => tf.grad((th) => tf.grad((y) => f(tf.mul(th, y)))(tf.scalar(x)))(tf.scalar(theta)).dataSync()[0]);
      assert.ok(Math.abs(got - exact) <= 1e-5 * Math.max(1, Math.abs(exact)), `${backend} ${name}: ${got}, exact ${exact}`);
    }
  }
});

const cube = (t: tf.Tensor) => tf.mul(t, tf.square(t));
/** A smooth, non-quadratic scalar of any tensor, so that forces depend non-linearly on x. */
const scalarOf = (t: tf.Tensor) => tf.sum(tf.add(tf.square(t), tf.mul(cube(t), 1 / 3)));

check({
  name: 'matmul: every transpose combination, rank 2',
  xShape: [4, 3],
  thetaShape: [3, 3],
  energy: (x, th) =>
    tf.addN([
      scalarOf(tf.matMul(x, th)),
      scalarOf(tf.matMul(x, th, false, true)),
      scalarOf(tf.matMul(th, x, false, true)),
      scalarOf(tf.matMul(th, x, true, true)),
      scalarOf(tf.mul(tf.matMul(x, x, true, false), th)),
    ]),
});

check({
  name: 'matmul: batched rank 3, batch broadcasting against rank 2 and batch 1',
  xShape: [2, 4, 3],
  thetaShape: [3, 3],
  energy: (x, th) =>
    tf.addN([
      scalarOf(tf.matMul(x, th)),
      scalarOf(tf.matMul(th, x, false, true)),
      scalarOf(tf.matMul(x, tf.reshape(th, [1, 3, 3]), false, true)),
      scalarOf(tf.mul(tf.matMul(x, x, true, false), th)),
    ]),
});

check({
  name: 'add, sub, mul, div with broadcasting',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) => {
    const a = tf.add(tf.mul(x, th), th);
    const b = tf.div(tf.sub(th, x), tf.add(2, tf.square(th)));
    return tf.sum(tf.add(tf.mul(a, b), tf.div(tf.square(x), tf.add(1, tf.square(tf.mul(th, x))))));
  },
});

check({
  name: 'sum and mean over axes, with and without keepDims',
  xShape: [2, 4, 3],
  thetaShape: [3],
  energy: (x, th) =>
    tf.addN([
      tf.sum(tf.square(tf.mean(tf.mul(x, th), 0))),
      tf.mean(cube(tf.sum(x, 1, true))),
      tf.sum(tf.mul(tf.square(tf.mean(x, [0, 1])), th)),
    ]),
});

check({
  name: 'sqrt, square, pow (constant and differentiated exponents)',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) =>
    tf.sum(
      tf.addN([
        tf.sqrt(tf.add(1, tf.square(tf.mul(x, th)))),
        tf.pow(tf.add(1.5, tf.square(x)), th),
        tf.mul(tf.pow(tf.add(2, x), 3), th),
      ]),
    ),
});

check({
  name: 'exp and log',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) => tf.sum(tf.add(tf.exp(tf.neg(tf.mul(th, tf.square(x)))), tf.log(tf.add(1, tf.square(tf.mul(th, x)))))),
});

check({
  name: 'sigmoid, tf.tanh and cglab tanh',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) => {
    const u = tf.mul(tf.add(x, 0.25), th);
    return tf.sum(tf.addN([tf.sigmoid(u), tf.mul(tf.tanh(u), x), tf.mul(tanh(tf.mul(u, 2)), tf.square(x))]));
  },
});

check({
  name: 'relu and capAt, away from their corners',
  xShape: [4, 3],
  thetaShape: [3],
  kinks: [0.2, -0.4],
  energy: (x, th) => tf.sum(tf.add(tf.mul(tf.square(tf.relu(tf.sub(x, 0.2))), th), tf.mul(cube(capAt(x, -0.4)), th))),
});

check({
  name: 'clipByValue, away from its bounds (zero gradient where clipped)',
  xShape: [4, 3],
  thetaShape: [3],
  kinks: [-0.5, 0.6],
  energy: (x, th) => tf.sum(tf.mul(cube(tf.clipByValue(x, -0.5, 0.6)), th)),
});

check({
  name: 'softplus and shifted softplus',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) => tf.sum(tf.add(tf.mul(tf.softplus(tf.mul(x, th)), x), shiftedSoftplus(tf.mul(tf.square(x), th)))),
});

check({
  name: 'sin, cos, atan2',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) => {
    const [a, b] = tf.split(x, [2, 2], 0);
    return tf.add(tf.sum(tf.mul(tf.sin(tf.mul(x, th)), tf.cos(x))), tf.sum(tf.mul(tf.atan2(a, tf.add(b, 2)), th)));
  },
});

check({
  name: 'pair differences by matmul, safeNorm and tf.norm',
  xShape: [2, 4, 3],
  thetaShape: [6],
  energy: (x, th) => {
    const r = pairDifferences(x, pairDifferenceMatrix(4));
    const d = safeNorm(r);
    return tf.add(tf.sum(tf.mul(tf.square(tf.sub(d, 1)), th)), tf.sum(tf.mul(tf.norm(r, 'euclidean', -1), th)));
  },
});

check({
  name: 'concat, slice, reshape, transpose, stack, unstack, split, pad, tile',
  xShape: [4, 3],
  thetaShape: [6],
  energy: (x, th) => {
    const joined = tf.concat([tf.slice(x, [0, 0], [4, 2]), tf.transpose(tf.slice(x, [1, 1], [2, 2]))], 0); // [6, 2]
    const rows = tf.unstack(tf.reshape(tf.pad(joined, [[1, 1], [1, 0]]), [12, 2]));
    const picked = tf.stack([rows[1], rows[6], rows[3]], 1); // [2, 3]
    const [left, right] = tf.split(tf.tile(tf.expandDims(th, 0), [2, 1]), 2, 1); // [2, 3] each
    return tf.addN([scalarOf(joined), scalarOf(tf.matMul(picked, tf.reshape(left, [3, 2]))), tf.sum(tf.mul(cube(picked), right))]);
  },
});

check({
  name: 'gather (cpu only: wasm has no UnsortedSegmentSum)',
  xShape: [2, 4, 3],
  thetaShape: [3],
  backends: ['cpu'],
  energy: (x, th) => {
    const i = tf.tensor1d([0, 2, 3], 'int32');
    const j = tf.tensor1d([1, 1, 0], 'int32');
    return scalarOf(tf.mul(tf.sub(tf.gather(x, j, 1), tf.gather(x, i, 1)), th));
  },
});

check({
  name: 'gatherND and scatterND (repeated indices add up), as SchNet picks and sums pairs',
  xShape: [4, 3],
  thetaShape: [3],
  energy: (x, th) => {
    const of = tf.tensor2d([[1], [3], [1], [0], [2]], [5, 1], 'int32');
    const onto = tf.tensor2d([[0], [2], [2], [1], [0]], [5, 1], 'int32');
    const picked = tf.gatherND(x, of); // [5, 3]
    return scalarOf(tf.scatterND(onto, tf.mul(cube(picked), th), [3, 3]));
  },
});

test('gather on wasm: differentiating it is a clear error naming the way out', async () => {
  await useBackend('wasm');
  assert.throws(
    () => tf.grad((x) => tf.sum(tf.gather(x, tf.tensor1d([0, 0], 'int32'))))(tf.ones([2, 3])),
    /gather has no gradient on the 'wasm' backend.*tf\.gatherND/,
  );
});

// Geometry the way CG priors and CGnet features compute it: bond vectors as pair differences,
// angles and dihedrals by atan2 (finite derivatives at 0 and π, unlike acos).
const dot = (u: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(u, v), -1);
function cross(u: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const [u0, u1, u2] = tf.split(u, 3, -1);
  const [v0, v1, v2] = tf.split(v, 3, -1);
  return tf.concat(
    [tf.sub(tf.mul(u1, v2), tf.mul(u2, v1)), tf.sub(tf.mul(u2, v0), tf.mul(u0, v2)), tf.sub(tf.mul(u0, v1), tf.mul(u1, v0))],
    -1,
  );
}
/** Angle between u and v, radians, shape [...]. */
const angle = (u: tf.Tensor, v: tf.Tensor) => tf.atan2(safeNorm(cross(u, v)), dot(u, v));
/** Dihedral of consecutive bond vectors b1, b2, b3 (IUPAC sign), radians in (−π, π]. */
function dihedral(b1: tf.Tensor, b2: tf.Tensor, b3: tf.Tensor): tf.Tensor {
  const n1 = cross(b1, b2);
  const n2 = cross(b2, b3);
  return tf.atan2(tf.div(dot(cross(n1, n2), b2), safeNorm(b2)), dot(n1, n2));
}

check({
  name: 'CG prior on 5 beads: harmonic bonds and angles, Fourier dihedrals',
  xShape: [2, 5, 3],
  thetaShape: [6],
  energy: (x, th) => {
    const p = (i: number) => tf.slice(th, [i], [1]);
    const bonds = pairDifferences(x, pairDifferenceMatrix(5, [[0, 1], [1, 2], [2, 3], [3, 4]])); // [B, 4, 3]
    const b = (i: number) => tf.squeeze(tf.slice(bonds, [0, i, 0], [-1, 1, 3]), [1]);
    const lengths = safeNorm(bonds);
    const angles = tf.stack([0, 1, 2].map((i) => angle(tf.neg(b(i)), b(i + 1))), 1);
    const phi = tf.stack([dihedral(b(0), b(1), b(2)), dihedral(b(1), b(2), b(3))], 1);
    return tf.addN([
      tf.sum(tf.mul(p(0), tf.square(tf.sub(lengths, p(1))))),
      tf.sum(tf.mul(p(2), tf.square(tf.sub(angles, tf.mul(p(3), 2))))),
      tf.sum(tf.add(tf.mul(p(4), tf.cos(phi)), tf.mul(p(5), tf.sin(tf.mul(phi, 2))))),
    ]);
  },
});

const BEADS = 5;
const LAYERS = [allPairs(BEADS).length, 8, 8, 1];
const MLP_SIZE = LAYERS.slice(1).reduce((n, out, l) => n + (LAYERS[l] + 1) * out, 0);

check({
  name: 'CGnet-like: pair distances → MLP with cglab tanh → energy',
  xShape: [2, BEADS, 3],
  thetaShape: [MLP_SIZE],
  energy: (x, th) => {
    let h: tf.Tensor = safeNorm(pairDifferences(x, pairDifferenceMatrix(BEADS))); // [B, 10]
    let at = 0;
    LAYERS.slice(1).forEach((out, l) => {
      const inp = LAYERS[l];
      const W = tf.reshape(tf.slice(th, [at], [inp * out]), [inp, out]);
      const bias = tf.slice(th, [at + inp * out], [out]);
      at += (inp + 1) * out;
      // Parameters come from values in [0.3, 1.2); centre them so units do not saturate.
      h = tf.add(tf.matMul(h, tf.sub(W, 0.75)), tf.sub(bias, 0.75));
      if (l < LAYERS.length - 2) h = tanh(h);
    });
    return tf.sum(h);
  },
});
