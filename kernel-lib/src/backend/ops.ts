/**
 * Differentiable building blocks that cglab's models use instead of the raw tfjs ops: each
 * has finite first and second derivatives (forces, and the parameter gradient of a force-
 * matching loss) on every backend, and takes the fastest route the active backend offers.
 * Avoid in models: `tf.minimum`/`tf.clipByValue` (no gradient in cglab; use `capAt`),
 * `tf.gather` (no gradient on wasm; use `pairDifferences` or another constant-matrix product),
 * `tf.norm` (NaN gradient at 0; use `safeNorm`), `tf.einsum` (no gradient anywhere). The
 * kernels that do have gradients are listed in `gradients.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
// The ops here exist to be differentiated, so loading them loads the gradients too.
import './gradients.js';

/**
 * tanh(x), elementwise, any shape. On wasm computed as 2·sigmoid(2x) − 1, because wasm's
 * sigmoid kernel is several times faster than its tanh; elsewhere `tf.tanh`, which is the
 * faster of the two there. The forms differ by at most ~1.2e-7 absolute (float32 rounding of
 * the sigmoid near 0.5), and both saturate to exactly ±1 for large |x| without NaN.
 */
export function tanh<T extends tf.Tensor>(x: T): T {
  if (tf.getBackend() !== 'wasm') return tf.tanh(x);
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1) as T;
}

/**
 * Shifted softplus ssp(x) = ln(1 + eˣ) − ln 2, elementwise, any shape: SchNet's activation,
 * zero at 0 and ≈ x − ln 2 for large x. `tf.softplus` is already the cheapest stable form on
 * both cpu and wasm (exp/log compositions are slower), so this only shifts it.
 */
export function shiftedSoftplus<T extends tf.Tensor>(x: T): T {
  return tf.sub(tf.softplus(x), Math.LN2) as T;
}

/** Every unordered pair (i, j) with i < j of n particles, in row-major order: n(n−1)/2 pairs. */
export function allPairs(n: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
  return pairs;
}

/**
 * The constant difference matrix D, shape [nPairs, n]: row p is +1 at column j and −1 at
 * column i for pairs[p] = [i, j], so D·x gives x_j − x_i. Build it once per topology and reuse.
 * @param n number of particles (beads).
 * @param pairs particle index pairs, each in [0, n) and i ≠ j; defaults to `allPairs(n)`.
 */
export function pairDifferenceMatrix(n: number, pairs: ReadonlyArray<readonly [number, number]> = allPairs(n)): tf.Tensor2D {
  if (!Number.isInteger(n) || n < 2) throw new Error(`pairDifferenceMatrix: expected at least 2 particles, got n = ${n}`);
  const d = new Float32Array(pairs.length * n);
  pairs.forEach(([i, j], p) => {
    for (const k of [i, j]) {
      if (!Number.isInteger(k) || k < 0 || k >= n) {
        throw new Error(`pairDifferenceMatrix: pair ${p} is [${i}, ${j}], but indices must be integers in [0, ${n})`);
      }
    }
    if (i === j) throw new Error(`pairDifferenceMatrix: pair ${p} joins particle ${i} to itself`);
    d[p * n + i] = -1;
    d[p * n + j] = 1;
  });
  return tf.tensor2d(d, [pairs.length, n]);
}

/**
 * Pair difference vectors r_ij = x_j − x_i as one matrix product with the constant matrix from
 * `pairDifferenceMatrix`: faster than gathering, and differentiable on every backend (gather's
 * gradient is missing on wasm). Exact: each output is one float32 subtraction.
 * @param x positions, shape [batch, n, 3] (or [n, 3]), any length unit.
 * @param D difference matrix, shape [nPairs, n].
 * @returns differences, shape [batch, nPairs, 3] (or [nPairs, 3]), in x's unit.
 */
export function pairDifferences<T extends tf.Tensor>(x: T, D: tf.Tensor2D): T {
  if (x.rank < 2 || x.shape[x.rank - 2] !== D.shape[1]) {
    throw new Error(`pairDifferences: expected positions of shape [batch, ${D.shape[1]}, 3] for this difference matrix, got [${x.shape}]`);
  }
  return tf.matMul(D, x) as T;
}

/**
 * min(d, rc) written as rc − relu(rc − d): `tf.minimum` has no second derivative in tfjs, relu
 * does. Equal to min(d, rc) up to one float32 rounding of rc − d; derivative 1 below rc, 0 above.
 * @param d any shape, any unit.
 * @param rc the cap, in d's unit.
 */
export function capAt<T extends tf.Tensor>(d: T, rc: number): T {
  return tf.sub(rc, tf.relu(tf.sub(rc, d))) as T;
}

/**
 * Default ε of `safeNorm`, in squared length units (nm² for positions): the relative change it
 * makes, ε/(2d²), is below float32 resolution (6e-8) for any d > 3e-3 nm, far closer than CG
 * beads come, while the gradient stays 0 and the second derivative (1/√ε = 1e6 nm⁻¹) finite
 * at d = 0.
 */
export const SAFE_NORM_EPS = 1e-12;

/**
 * Euclidean norm over the last axis, √(Σ x² + ε): unlike `tf.norm`, whose gradient is NaN at
 * x = 0 (coincident beads, self-pairs, padding), its gradient is finite everywhere.
 * @param x shape [..., k], any unit u.
 * @param eps ε in u²; see `SAFE_NORM_EPS`.
 * @returns shape [...], in u.
 */
export function safeNorm(x: tf.Tensor, eps: number = SAFE_NORM_EPS): tf.Tensor {
  return tf.sqrt(tf.add(tf.sum(tf.square(x), -1), eps));
}
