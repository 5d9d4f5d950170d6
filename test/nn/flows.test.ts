// Normalising flows (nn/flows.ts, nn/coupling.ts): invertibility, exact log-determinants against
// Jacobians, normalisation of the density, maximum-likelihood training, save/load and errors.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { Adam } from 'cglab/nn/adam';
import { buildFlow, Flow, rationalQuadraticSpline, type FlowLayer, type FlowSpec } from 'cglab/nn/flows';
import { decodeParams, encodeParams } from 'cglab/nn/params';
import { Random } from 'cglab/util/random';

before(async () => {
  await useBackend('cpu');
});

type Couplings = FlowSpec['couplings'];
const KINDS: Record<string, Couplings> = {
  affine: ['affine', 'affine', 'affine'],
  spline: ['spline', 'spline', 'spline'],
  mixed: ['spline', 'affine', 'spline', 'affine'],
};

/** A flow far from the identity (outputScale 1), with spline interval [−3, 3] so that 2.5·N(0,1) inputs reach the tails. */
function testFlow(dim: number, couplings: Couplings, contextDim: number, seed: number, extra: Partial<FlowSpec> = {}): Flow {
  return buildFlow({ dim, contextDim, couplings, hidden: [16, 16], outputScale: 1, bound: 3, bins: 6, permutation: 'random', rng: new Random(seed), ...extra });
}

function normals(rng: Random, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * rng.normal()));
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test('inverse(forward(z)) = z and the log-determinants cancel, for affine, spline and mixed flows, with and without context', () => {
  const rng = new Random(11);
  const n = 128;
  for (const [name, couplings] of Object.entries(KINDS)) {
    for (const contextDim of [0, 2]) {
      const flow = testFlow(3, couplings, contextDim, 3 + contextDim);
      // 2.5·N(0, 1): about a quarter of the coordinates lie outside the spline interval [−3, 3];
      // the last rows sit on the interval's ends and far out in the tails.
      const z0 = [...normals(rng, n - 3, 3, 2.5), [3, -3, 0.5], [10, -7, 4], [-1e3, 2e3, 0]];
      const c = contextDim ? tf.tensor2d(normals(rng, n, contextDim)) : undefined;
      const [zBack, ldSum, moved] = tf.tidy(() => {
        const z = tf.tensor2d(z0);
        const f = flow.forward(z, c);
        const b = flow.inverse(f.x, c);
        return [b.z.dataSync(), tf.add(f.logDet, b.logDet).dataSync(), tf.max(tf.abs(tf.sub(f.x, z))).dataSync()[0]];
      });
      // The flow is far from the identity, so a layer whose inverse ignored it would fail.
      assert.ok(moved > 1, `${name}/${contextDim}: the flow barely moves points (${moved})`);
      // float32: each layer rounds values of order 1–10 to ~1e-6 and the inverse undoes it with
      // the same rounding; 1e-5 abs (relative to 1 + |z|, for the ±1e3 tail row) allows ~10
      // roundings. A wrong inverse (e.g. the spline's other quadratic root) is off by O(1).
      const flat = z0.flat();
      flat.forEach((v, i) => assert.ok(Math.abs(zBack[i] - v) <= 1e-5 * (1 + Math.abs(v)), `${name}/${contextDim}: z[${i}] = ${v} came back as ${zBack[i]}`));
      // ln|det ∂x/∂z| + ln|det ∂z/∂x| = 0 up to float32 rounding: the inverse's log-derivative
      // is taken at the recovered point, off by δz ~ 1e-6, which moves ln f' by (f''/f')·δz,
      // and f''/f' reaches ~10–100 in narrow bins: 1e-4. A missing term is off by O(0.1).
      ldSum.forEach((v, i) => assert.ok(Math.abs(v) < 1e-4, `${name}/${contextDim}: row ${i} log-dets add up to ${v}`));
      c?.dispose();
      flow.dispose();
    }
  }
});

test('a spline-only flow is the identity, with zero log-determinant, where every coordinate lies in the tails', () => {
  const flow = testFlow(3, KINDS.spline, 0, 4);
  const z0 = [[10, -7, 4], [3.5, -3.25, 100], [-3, 3, -3]];
  const [x, ld] = tf.tidy(() => {
    const f = flow.forward(tf.tensor2d(z0));
    return [f.x.arraySync(), f.logDet.arraySync()];
  }) as [number[][], number[]];
  // Exact: the tails pass values through untouched (and |x| = B is a knot where the spline is
  // the identity); the random permutations only reorder each row.
  const sorted = (r: number[]) => r.slice().sort((a, b) => a - b);
  assert.deepEqual(x.map(sorted), z0.map((r) => sorted(r.map(Math.fround))));
  ld.forEach((v) => assert.ok(Math.abs(v) < 1e-6, `tail log-det ${v}`));
  flow.dispose();
});

test('a 1-D conditional flow (couplings that read the context alone) inverts and integrates to 1', () => {
  const flow = buildFlow({ dim: 1, contextDim: 2, couplings: ['spline', 'affine', 'spline'], hidden: [16], outputScale: 0.5, bound: 3, rng: new Random(15) });
  const m = 2000;
  const step = 16 / m;
  const grid = Array.from({ length: m }, (_, i) => [-8 + (i + 0.5) * step]);
  for (const c of [[0.3, -1], [-1.5, 2]]) {
    const [mass, back] = tf.tidy(() => {
      const x = tf.tensor2d(grid);
      const ct = tf.tensor2d(grid.map(() => c));
      const mass = Array.from(tf.exp(flow.logProb(x, ct)).dataSync()).reduce((a, b) => a + b, 0) * step;
      return [mass, flow.inverse(flow.forward(x, ct).x, ct).z.dataSync()];
    }) as [number, Float32Array];
    // Midpoint rule on a 0.008 grid: error ~h²/24·∫|q''| ≈ 1e-5 for a density varying on scales
    // ≳ 0.05 (outputScale 0.5 keeps the random splines' narrowest features about that wide;
    // at outputScale 1 spikes of width ~0.005 defeat this grid); the mass beyond ±8 is that of
    // the base beyond the preimage of ±8 (tiny at this init).
    console.log(`# 1-D, context [${c}]: mass ${mass.toFixed(6)}`);
    assert.ok(Math.abs(mass - 1) < 1e-3, `context [${c}]: mass ${mass}`);
    assert.ok(maxAbs(back, grid.flat()) < 1e-5, `context [${c}]: round trip off by ${maxAbs(back, grid.flat())}`);
  }
  flow.dispose();
});

/** Durkan et al.'s rational-quadratic spline in float64, one value, from the same raw parameters. */
function splineReference(x: number, raw: number[], K: number, B: number, min: number): { y: number; logDeriv: number } {
  if (Math.abs(x) >= B) return { y: x, logDeriv: 0 };
  const knots = (u: number[]) => {
    const m = Math.max(...u);
    const e = u.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const w = e.map((v) => min + (1 - K * min) * (v / s));
    const k = [-B];
    for (let i = 0; i < K - 1; i++) k.push(k[i] + 2 * B * w[i]);
    k.push(B);
    return k;
  };
  const cx = knots(raw.slice(0, K));
  const cy = knots(raw.slice(K, 2 * K));
  const c0 = Math.log(Math.expm1(1 - min));
  const d = [1, ...raw.slice(2 * K).map((u) => min + Math.log1p(Math.exp(u + c0))), 1];
  let k = 0;
  while (k < K - 1 && x > cx[k + 1]) k++;
  const w = cx[k + 1] - cx[k];
  const h = cy[k + 1] - cy[k];
  const s = h / w;
  const xi = (x - cx[k]) / w;
  const den = s + (d[k + 1] + d[k] - 2 * s) * xi * (1 - xi);
  const y = cy[k] + (h * (s * xi * xi + d[k] * xi * (1 - xi))) / den;
  const dnum = s * s * (d[k + 1] * xi * xi + 2 * s * xi * (1 - xi) + d[k] * (1 - xi) ** 2);
  return { y, logDeriv: Math.log(dnum) - 2 * Math.log(den) };
}

test('the rational-quadratic spline matches a float64 transcription of Durkan et al., forward and inverse', () => {
  const rng = new Random(21);
  const K = 5;
  const B = 2;
  const R = 400;
  const settings = { bins: K, bound: B, minBinWidth: 1e-3, minBinHeight: 1e-3, minDerivative: 1e-3 };
  const raw = normals(rng, R, 3 * K - 1, 1.5);
  const xs = Array.from({ length: R }, () => 5 * rng.uniform() - 2.5);
  const [y, ld, xBack, ldInv] = tf.tidy(() => {
    const r = tf.tensor2d(raw);
    const f = rationalQuadraticSpline(tf.tensor1d(xs), r, settings);
    const b = rationalQuadraticSpline(f.out, r, settings, true);
    return [f.out.dataSync(), f.logDet.dataSync(), b.out.dataSync(), b.logDet.dataSync()];
  });
  let inside = 0;
  xs.forEach((x, i) => {
    const want = splineReference(x, raw[i], K, B, 1e-3);
    if (Math.abs(x) < B) inside++;
    // float32 knots (cumulative sums of 5 softmax terms) and ~20 ops: ~1e-6 of values ≤ 2;
    // log-derivatives of order 1–5 to ~1e-5. A wrong bin or formula is off by ≥ 1e-2.
    assert.ok(Math.abs(y[i] - want.y) < 1e-5, `x = ${x}: spline ${y[i]}, reference ${want.y}`);
    assert.ok(Math.abs(ld[i] - want.logDeriv) < 2e-5, `x = ${x}: log-derivative ${ld[i]}, reference ${want.logDeriv}`);
    // The inverse is as good as float32 y allows: y holds x only to a few ulps of |y| ≤ 2
    // (≤ 2.4e-7 each), which the inverse magnifies by 1/f'(x) (f' reaches 1e-4 with raw
    // parameters of scale 1.5): allowed δx = 1e-6 + 5e-7/f'. Its log-derivative, taken where the
    // inverse lands, then moves by κ·δx, κ = d ln f'/dx (up to ~1e3 in the narrowest bins).
    const slope = Math.exp(want.logDeriv);
    const dx = 1e-6 + 5e-7 / slope;
    const kappa = (splineReference(x + 1e-7, raw[i], K, B, 1e-3).logDeriv - splineReference(x - 1e-7, raw[i], K, B, 1e-3).logDeriv) / 2e-7;
    assert.ok(Math.abs(xBack[i] - x) < dx, `x = ${x}: inverse gave ${xBack[i]} (slope ${slope})`);
    assert.ok(Math.abs(ldInv[i] + ld[i]) < 2e-5 + Math.abs(kappa) * dx, `x = ${x}: inverse log-derivative ${ldInv[i]} against ${-ld[i]} (slope ${slope}, κ ${kappa})`);
  });
  assert.ok(inside > 250 && inside < R, `${inside} of ${R} points inside the interval`);
});

/** ln |det| of a small matrix by Gaussian elimination with partial pivoting, float64. */
function logAbsDet(a: number[][]): number {
  const m = a.map((r) => r.slice());
  const n = m.length;
  let sum = 0;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i][k]) > Math.abs(m[p][k])) p = i;
    [m[k], m[p]] = [m[p], m[k]];
    sum += Math.log(Math.abs(m[k][k]));
    for (let i = k + 1; i < n; i++) {
      const f = m[i][k] / m[k][k];
      for (let j = k; j < n; j++) m[i][j] -= f * m[k][j];
    }
  }
  return sum;
}

test('log-determinants equal ln|det J| of the Jacobian by autodiff and by central differences, D = 2..4, both directions', () => {
  const rng = new Random(31);
  const n = 12;
  // h = 2⁻⁸ on inputs of a 2⁻¹² grid: z ± h exact. Central differences err by h²/6·f''' (≲ 1e-4
  // here) inside a bin and by up to h/4·|jump of f''| ≈ 1e-3·|f''| where z ± h straddles a knot
  // (the spline is only C¹), plus float32 rounding of outputs of order 1–10, ~1e-6/(2h) ≈ 1e-4
  // per entry, relatively more for small entries: 5e-3 on ln|det| of up to 4×4 Jacobians (worst
  // seen 2.9e-3; h = 2⁻⁷ or 2⁻⁹ do worse, by truncation or rounding). Autodiff has no truncation
  // error: 2e-5 covers float32 rounding of log-dets ≤ 5 over ~10 layers (worst seen 8e-7).
  // A missing or wrong log-det term is off by O(0.1–1).
  const h = 2 ** -8;
  let worstAd = 0;
  let worstFd = 0;
  for (const dim of [2, 3, 4]) {
    for (const [name, couplings] of Object.entries({ spline: KINDS.spline, mixed: KINDS.mixed })) {
      for (const contextDim of [0, 2]) {
        const flow = testFlow(dim, couplings, contextDim, 100 * dim + contextDim);
        const z0 = normals(rng, n, dim, 1.5).map((r) => r.map((v) => Math.round(v * 4096) / 4096));
        const c = contextDim ? tf.tensor2d(normals(rng, n, contextDim)) : undefined;
        for (const inverse of [false, true]) {
          const map = (v: tf.Tensor2D) => (inverse ? flow.inverse(v, c).z : flow.forward(v, c).x);
          const where = `D=${dim} ${name} ctx=${contextDim} ${inverse ? 'inverse' : 'forward'}`;
          const [logDet, jacAd] = tf.tidy(() => {
            const v = tf.tensor2d(z0);
            const ld = (inverse ? flow.inverse(v, c).logDet : flow.forward(v, c).logDet).arraySync();
            // Row i of every row's Jacobian: ∇_v Σ_rows out[:, i] (rows are independent).
            const rowsOfJ = Array.from({ length: dim }, (_, i) => tf.grad((u: tf.Tensor) => tf.sum(tf.slice(map(u as tf.Tensor2D), [0, i], [n, 1])))(v).arraySync() as number[][]);
            return [ld, rowsOfJ];
          }) as [number[], number[][][]];
          const shifted = (k: number, s: number) =>
            tf.tidy(() => map(tf.tensor2d(z0.map((r) => r.map((v, j) => (j === k ? v + s : v))))).arraySync()) as number[][];
          const fdCols = Array.from({ length: dim }, (_, k) => {
            const plus = shifted(k, h);
            const minus = shifted(k, -h);
            return plus.map((r, b) => r.map((v, i) => (v - minus[b][i]) / (2 * h)));
          });
          for (let b = 0; b < n; b++) {
            const jAd = Array.from({ length: dim }, (_, i) => jacAd[i][b]);
            const jFd = Array.from({ length: dim }, (_, i) => Array.from({ length: dim }, (_, k) => fdCols[k][b][i]));
            const ad = Math.abs(logAbsDet(jAd) - logDet[b]);
            const fd = Math.abs(logAbsDet(jFd) - logDet[b]);
            worstAd = Math.max(worstAd, ad);
            worstFd = Math.max(worstFd, fd);
            assert.ok(ad < 2e-5, `${where} row ${b}: log-det ${logDet[b]}, autodiff Jacobian ${logAbsDet(jAd)}`);
            assert.ok(fd < 5e-3, `${where} row ${b}: log-det ${logDet[b]}, central differences ${logAbsDet(jFd)}`);
          }
          // The log-dets vary (a constant or zero log-det would not be tested by a trivial flow).
          assert.ok(Math.max(...logDet) - Math.min(...logDet) > 0.1, `${where}: log-dets [${logDet}] hardly vary`);
        }
        c?.dispose();
        flow.dispose();
      }
    }
  }
  console.log(`# worst |ln|det J| − logDet|: autodiff ${worstAd.toExponential(2)}, central differences ${worstFd.toExponential(2)}`);
});

/** ∫ q on [−6, 6]² by the midpoint rule on a 200 × 200 grid (in chunks), with the grid's density values. */
function gridMass(flow: Flow, context?: number[]): { mass: number; density: Float32Array } {
  const m = 200;
  const step = 12 / m;
  const density = new Float32Array(m * m);
  const rows = 40;
  for (let i0 = 0; i0 < m; i0 += rows) {
    tf.tidy(() => {
      const pts = Array.from({ length: rows * m }, (_, k) => [-6 + (i0 + Math.floor(k / m) + 0.5) * step, -6 + ((k % m) + 0.5) * step]);
      const c = context ? tf.tensor2d(Array.from({ length: rows * m }, () => context)) : undefined;
      density.set(tf.exp(flow.logProb(tf.tensor2d(pts), c)).dataSync(), i0 * m);
    });
  }
  return { mass: density.reduce((a, b) => a + b, 0) * step * step, density };
}

/** Fraction of 20 000 samples outside [−6, 6]²: the mass the grid cannot see. */
function massOutside(flow: Flow, context?: number[]): number {
  const n = 20000;
  const x = tf.tidy(() => flow.sample(n, new Random(7), context ? tf.tensor2d(Array.from({ length: n }, () => context)) : undefined).x.dataSync());
  let out = 0;
  for (let i = 0; i < n; i++) if (Math.abs(x[2 * i]) > 6 || Math.abs(x[2 * i + 1]) > 6) out++;
  return out / n;
}

test('the density of a randomly initialised 2-D flow integrates to 1 on [−6, 6]², unconditional and for two contexts', async () => {
  // On wasm: 3 grids of 40 000 points and 60 000 samples take ~1 s there, ~15 s on cpu.
  await useBackend('wasm');
  try {
    // scaleBound 1 and bound 4 keep most of the random flow's mass inside the grid; samples
    // check that (under 2e-3 outside, so the grid must hold 1 − 2e-3 of the mass). The midpoint
    // rule on a 0.06 grid errs by ~h²/24·∫|∇²q| ≈ 1e-3 for densities that vary on scales ≳ 0.3.
    // A log-det with a wrong sign or a missing term changes the mass by far more than 1e-2.
    const flow = testFlow(2, KINDS.mixed, 0, 41, { scaleBound: 1, bound: 4 });
    const { mass } = gridMass(flow);
    const outside = massOutside(flow);
    console.log(`# unconditional: grid mass ${mass.toFixed(5)}, sampled mass outside ${outside}`);
    assert.ok(outside < 2e-3, `${outside} of the samples fall outside the grid`);
    assert.ok(Math.abs(mass - 1) < 1e-2, `mass ${mass}`);
    flow.dispose();

    const cond = testFlow(2, KINDS.mixed, 2, 42, { scaleBound: 1, bound: 4 });
    const contexts = [[1.5, -1], [0.5, 1]];
    const grids = contexts.map((c) => gridMass(cond, c));
    contexts.forEach((c, k) => {
      const out = massOutside(cond, c);
      console.log(`# context [${c}]: grid mass ${grids[k].mass.toFixed(5)}, sampled mass outside ${out}`);
      assert.ok(out < 2e-3, `context [${c}]: ${out} of the samples fall outside the grid`);
      assert.ok(Math.abs(grids[k].mass - 1) < 1e-2, `context [${c}]: mass ${grids[k].mass}`);
    });
    // The two densities differ (∫|q_a − q_b| well above 0), so the context is read.
    const l1 = grids[0].density.reduce((s, v, i) => s + Math.abs(v - grids[1].density[i]), 0) * (12 / 200) ** 2;
    console.log(`# ∫|q(·|c1) − q(·|c2)| = ${l1.toFixed(3)}`);
    assert.ok(l1 > 0.2, `∫|q(·|c1) − q(·|c2)| = ${l1}: the context hardly matters`);
    cond.dispose();
  } finally {
    await useBackend('cpu');
  }
});

/** Maximum-likelihood training on fresh batches drawn by `draw`; returns nothing, trains `flow` in place. */
function train(flow: Flow, draw: (n: number) => number[][], steps: number, lr: (k: number) => number, batch = 256): void {
  const params = flow.parameters();
  const adam = new Adam(params);
  const byVariable = new Map(Object.entries(params).map(([n, v]) => [v.name, n]));
  for (let k = 0; k < steps; k++) {
    const x = tf.tensor2d(draw(batch));
    const { grads, value } = tf.variableGrads(() => tf.neg(tf.mean(flow.logProb(x))) as tf.Scalar, Object.values(params));
    adam.apply(Object.fromEntries(Object.entries(grads).map(([v, g]) => [byVariable.get(v) as string, g])), lr(k));
    tf.dispose([x, value, ...Object.values(grads)]);
  }
  adam.dispose();
}

const meanNll = (flow: Flow, x: number[][]) => tf.tidy(() => -tf.mean(flow.logProb(tf.tensor2d(x))).dataSync()[0]);

test('maximum likelihood on a correlated 2-D Gaussian reaches its entropy within 0.05 nats; on two moons it beats the best Gaussian', async () => {
  // On wasm, cglab's training backend (several times faster than cpu here).
  await useBackend('wasm');
  try {
    trainingSanity();
  } finally {
    await useBackend('cpu');
  }
});

function trainingSanity(): void {
  const rng = new Random(51);
  // x = μ + L ε with Σ = L Lᵀ = [[4, 2.4], [2.4, 2.25]] (correlation 0.8).
  const mu = [1, -2];
  const L = [[2, 0], [1.2, 0.9]];
  const gauss = (n: number) =>
    Array.from({ length: n }, () => {
      const e = [rng.normal(), rng.normal()];
      return [mu[0] + L[0][0] * e[0], mu[1] + L[1][0] * e[0] + L[1][1] * e[1]];
    });
  const logDetSigma = 2 * Math.log(L[0][0] * L[1][1]);
  const entropy = Math.log(2 * Math.PI * Math.E) + 0.5 * logDetSigma;
  const exactLogP = (x: number[]) => {
    const e0 = (x[0] - mu[0]) / L[0][0];
    const e1 = (x[1] - mu[1] - L[1][0] * e0) / L[1][1];
    return -0.5 * (e0 * e0 + e1 * e1) - Math.log(2 * Math.PI) - 0.5 * logDetSigma;
  };
  const held = gauss(4000);
  const flow = buildFlow({ dim: 2, couplings: ['affine', 'affine', 'affine', 'affine'], hidden: [16, 16], rng: new Random(52) });
  const before = meanNll(flow, held);
  train(flow, gauss, 300, (k) => (k < 200 ? 1e-2 : 2e-3));
  const after = meanNll(flow, held);
  // KL(p‖q) on the same held-out points: mean(ln p − ln q), whose sampling error (~0.005) is far
  // below that of the NLL itself (sd of ln p is 1 nat per sample: ±0.016 over 4000).
  const kl = after + held.reduce((s, x) => s + exactLogP(x), 0) / held.length;
  console.log(`# Gaussian: held-out NLL ${before.toFixed(3)} → ${after.toFixed(3)} nats, entropy ${entropy.toFixed(3)}, KL estimate ${kl.toFixed(4)}`);
  assert.ok(before - after > 0.5, `NLL ${before} → ${after}: training hardly helped`);
  assert.ok(Math.abs(after - entropy) < 0.05, `held-out NLL ${after} vs entropy ${entropy}`);
  assert.ok(kl < 0.05, `KL estimate ${kl}`);
  flow.dispose();

  // Two moons (radius 1, noise 0.1): far from Gaussian, so a flow that fits it must beat the
  // maximum-likelihood Gaussian (the entropy of the sample covariance's normal) clearly.
  const moons = (n: number) =>
    Array.from({ length: n }, () => {
      const t = Math.PI * rng.uniform();
      const upper = rng.uniform() < 0.5;
      const x = upper ? Math.cos(t) : 1 - Math.cos(t);
      const y = upper ? Math.sin(t) : 0.5 - Math.sin(t);
      return [2 * (x - 0.5) + 0.1 * rng.normal(), 2 * (y - 0.25) + 0.1 * rng.normal()];
    });
  const heldMoons = moons(4000);
  const mean = [0, 1].map((k) => heldMoons.reduce((s, x) => s + x[k], 0) / heldMoons.length);
  const cov = [0, 1].map((i) => [0, 1].map((j) => heldMoons.reduce((s, x) => s + (x[i] - mean[i]) * (x[j] - mean[j]), 0) / heldMoons.length));
  const gaussNll = Math.log(2 * Math.PI * Math.E) + 0.5 * Math.log(cov[0][0] * cov[1][1] - cov[0][1] ** 2);
  const spline = buildFlow({ dim: 2, couplings: ['spline', 'spline', 'spline', 'spline'], hidden: [32, 32], bins: 8, bound: 4, rng: new Random(53) });
  const moonsBefore = meanNll(spline, heldMoons);
  train(spline, moons, 300, (k) => (k < 200 ? 1e-2 : 3e-3));
  const moonsAfter = meanNll(spline, heldMoons);
  console.log(`# two moons: held-out NLL ${moonsBefore.toFixed(3)} → ${moonsAfter.toFixed(3)} nats, best Gaussian ${gaussNll.toFixed(3)}`);
  assert.ok(moonsBefore - moonsAfter > 1, `NLL ${moonsBefore} → ${moonsAfter}`);
  assert.ok(moonsAfter < gaussNll - 0.3, `flow NLL ${moonsAfter} does not beat the best Gaussian (${gaussNll}) by 0.3 nats`);
  spline.dispose();
}

test('save and load round-trip the architecture and weights: identical logProb and samples', () => {
  const rng = new Random(61);
  const flow = testFlow(3, KINDS.mixed, 2, 62);
  const x = tf.tensor2d(normals(rng, 50, 3, 2));
  const c = tf.tensor2d(normals(rng, 50, 2));
  const eps = tf.tensor2d(normals(rng, 50, 3));
  const dir = mkdtempSync(join(tmpdir(), 'cglab-flow-'));
  try {
    const path = join(dir, 'flow.json');
    flow.save(path);
    for (const back of [Flow.load(path), Flow.decode(flow.encode())]) {
      assert.deepEqual(back.config(), flow.config());
      const [a, b] = [flow, back].map((f) => tf.tidy(() => [f.logProb(x, c).dataSync(), f.sample(50, eps, c).x.dataSync()]));
      // Same ops on the same float32 weights: bit for bit.
      assert.deepEqual(Array.from(b[0]), Array.from(a[0]));
      assert.deepEqual(Array.from(b[1]), Array.from(a[1]));
      back.dispose();
    }
    const file = decodeParams(flow.encode());
    assert.equal(file.config.model, 'cglab-flow');
    assert.deepEqual((file.config.layers as { kind: string }[]).map((l) => l.kind), ['spline', 'permutation', 'affine', 'permutation', 'spline', 'permutation', 'affine']);
    // A file missing a tensor, or with a config of another dimension, is refused by name.
    const tensors = new Map(file.tensors);
    tensors.delete('layer2/net/layer1/bias');
    assert.throws(() => Flow.decode(encodeParams(file.config, tensors), 'f.json'), /f\.json: .*missing: layer2\/net\/layer1\/bias/);
    assert.throws(() => Flow.decode(encodeParams({ ...file.config, dim: 4 }, file.tensors), 'f.json'), /f\.json: layer 0: mask has 3 entries, the flow has dimension 4/);
    assert.throws(() => Flow.decode(encodeParams({ model: 'cglab-energy-model' }, {}), 'f.json'), /not a flow/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    tf.dispose([x, c, eps]);
    flow.dispose();
  }
});

test('sample(n, rng) returns ln q that logProb reproduces, and sampleWithLogProb is the ConditionalDensity view', () => {
  const flow = testFlow(3, KINDS.mixed, 2, 71);
  const rng = new Random(72);
  const c = tf.tensor2d(normals(rng, 40, 2));
  const [lpSample, lpEval] = tf.tidy(() => {
    const s = flow.sample(40, new Random(73), c);
    return [s.logProb.dataSync(), flow.logProb(s.x, c).dataSync()];
  });
  // Forward and inverse log-dets agree to ~1e-5 (first test); ln N(z) of z recovered to 1e-5.
  assert.ok(maxAbs(lpSample, lpEval) < 1e-4, `sample's ln q and logProb differ by ${maxAbs(lpSample, lpEval)}`);
  const [y, lpA, lpB] = tf.tidy(() => {
    const eps = tf.tensor2d(normals(new Random(74), 40, 3));
    const a = flow.sampleWithLogProb(c, eps);
    const b = flow.sample(40, eps, c);
    return [tf.max(tf.abs(tf.sub(a.y, b.x))).dataSync()[0], a.logProb.dataSync(), b.logProb.dataSync()];
  }) as [number, Float32Array, Float32Array];
  assert.equal(y, 0);
  assert.deepEqual(Array.from(lpA), Array.from(lpB));
  assert.equal(flow.dim, 3);
  assert.equal(flow.contextDim, 2);
  c.dispose();
  flow.dispose();
});

test('every parameter of a spline-and-affine flow gets a finite, non-zero gradient of the NLL', () => {
  const flow = testFlow(3, KINDS.mixed, 2, 81);
  const rng = new Random(82);
  const x = tf.tensor2d(normals(rng, 64, 3, 1.5));
  const c = tf.tensor2d(normals(rng, 64, 2));
  const params = flow.parameters();
  assert.equal(Object.keys(params).length, 4 * 3 * 2, 'four couplings × three dense layers × (weight, bias)');
  const { grads, value } = tf.variableGrads(() => tf.neg(tf.mean(flow.logProb(x, c))) as tf.Scalar, Object.values(params));
  for (const [name, g] of Object.entries(grads)) {
    const v = g.dataSync();
    assert.ok(v.every(Number.isFinite), `${name}: non-finite gradient`);
    assert.ok(v.some((e) => e !== 0), `${name}: zero gradient`);
  }
  tf.dispose([x, c, value, ...Object.values(grads)]);
  flow.dispose();
});

test('the same flow on wasm gives cpu\'s log-densities and trains (every op it differentiates has a wasm gradient)', async () => {
  const rng = new Random(91);
  const x0 = normals(rng, 30, 3, 2);
  const c0 = normals(rng, 30, 2);
  const run = () => {
    const flow = testFlow(3, KINDS.mixed, 2, 92);
    const x = tf.tensor2d(x0);
    const c = tf.tensor2d(c0);
    const lp = tf.tidy(() => flow.logProb(x, c).dataSync());
    const w = flow.parameters()['layer0/net/layer0/weight'];
    const { grads, value } = tf.variableGrads(() => tf.neg(tf.mean(flow.logProb(x, c))) as tf.Scalar, Object.values(flow.parameters()));
    const g = grads[w.name].dataSync().slice();
    tf.dispose([x, c, value, ...Object.values(grads)]);
    flow.dispose();
    return { lp, g };
  };
  const cpu = run();
  await useBackend('wasm');
  try {
    const wasm = run();
    // Same float32 formulas, different summation orders and exp/log implementations: ~1e-6 relative.
    assert.ok(maxAbs(cpu.lp, wasm.lp) < 1e-4, `cpu and wasm log-densities differ by ${maxAbs(cpu.lp, wasm.lp)}`);
    const scale = Math.max(...Array.from(cpu.g, Math.abs));
    assert.ok(maxAbs(cpu.g, wasm.g) < 1e-3 * scale, `cpu and wasm gradients differ by ${maxAbs(cpu.g, wasm.g)} (scale ${scale})`);
  } finally {
    await useBackend('cpu');
  }
});

test('wrong shapes, missing or unexpected contexts, and non-finite results give errors that say what and where', () => {
  const flow = testFlow(2, KINDS.mixed, 0, 101);
  const cond = testFlow(2, KINDS.mixed, 3, 102);
  const x = tf.tensor2d([[0.1, 0.2], [0.3, -0.4]]);
  try {
    assert.throws(() => flow.logProb(tf.zeros([2, 3]) as tf.Tensor2D), /Flow\.inverse: expected x of shape \[batch, 2\], got \[2,3\]/);
    assert.throws(() => flow.forward(tf.zeros([4]) as unknown as tf.Tensor2D), /Flow\.forward: expected z of shape \[batch, 2\], got \[4\]/);
    assert.throws(() => flow.logProb(x, tf.zeros([2, 3]) as tf.Tensor2D), /unconditional, but a context of shape \[2,3\] was given/);
    assert.throws(() => cond.logProb(x), /conditional: give a context of shape \[2, 3\]/);
    // A zero-width context is no context (the ConditionalDensity view of an unconditional flow).
    assert.doesNotThrow(() => tf.tidy(() => flow.logProb(x, tf.zeros([2, 0]) as tf.Tensor2D)));
    assert.throws(() => cond.logProb(x, tf.zeros([2, 2]) as tf.Tensor2D), /expected a context of shape \[2, 3\], got \[2,2\]/);
    assert.throws(() => cond.logProb(x, tf.zeros([5, 3]) as tf.Tensor2D), /expected a context of shape \[2, 3\], got \[5,3\]/);
    assert.throws(() => flow.sample(3, tf.zeros([2, 2]) as tf.Tensor2D), /3 samples asked for, but the noise has shape \[2,2\]/);
    assert.throws(() => flow.logProb(tf.tensor2d([[0, Infinity]])), /Flow\.inverse: the input has non-finite values/);
    assert.throws(() => buildFlow({ dim: 1, couplings: ['affine'] }), /leaves the conditioner no input/);
    assert.throws(() => buildFlow({ dim: 2, couplings: ['spline'], bins: 1 }), /bins must be an integer ≥ 2/);
    // A diverged weight in layer 2 (the second coupling; layer 1 is a permutation): its outputs
    // become NaN, and the error names that layer.
    const w = flow.parameters()['layer2/net/layer0/weight'];
    tf.tidy(() => w.assign(tf.fill(w.shape, NaN)));
    assert.throws(() => flow.forward(x), /Flow\.forward: layer 2 \(affine coupling\) gave non-finite outputs/);
    assert.throws(() => flow.logProb(x), /Flow\.inverse: layer 2 \(affine coupling\) gave non-finite outputs/);
    // A layer whose log-determinant alone goes non-finite is named as such.
    const bad: FlowLayer = {
      kind: 'spline',
      dim: 2,
      forward: (v) => ({ out: tf.clone(v), logDet: tf.fill([v.shape[0]], -Infinity) as tf.Tensor1D }),
      inverse: (v) => ({ out: tf.clone(v), logDet: tf.fill([v.shape[0]], Infinity) as tf.Tensor1D }),
      parameters: () => ({}),
      config: () => ({ kind: 'spline', mask: [1, 0], hidden: [], activation: 'tanh', contextDim: 0, bins: 2, bound: 1, minBinWidth: 0.1, minBinHeight: 0.1, minDerivative: 0.1 }),
      dispose: () => undefined,
    };
    const withBad = new Flow(2, [bad], 0);
    assert.throws(() => withBad.forward(x), /layer 0 \(spline coupling\) gave non-finite log-determinants/);
    withBad.checkFinite = false;
    assert.doesNotThrow(() => tf.dispose(Object.values(withBad.forward(x))));
  } finally {
    x.dispose();
    flow.dispose();
    cond.dispose();
  }
});
