/**
 * Internal coordinates (distances, angles, dihedral cos/sin) of a batch of bead configurations
 * as ONE tfjs op, evaluated on the host in float64 with its analytic Jacobian.
 *
 * Why: built from elementwise tensor ops, the features of a 5-bead CGnet take ~400 kernel
 * launches per force evaluation, and at the batch sizes of CG simulation and training the
 * launches, not the arithmetic, set the time. Here the forward pass is one op; its gradient
 * (dx = Jᵀ dy) is one op; and that gradient's own gradient with respect to dy (dy' = J v, needed
 * because force-matching losses are differentiated in the network's parameters through dy) is
 * one op again — the two products are each other's adjoints, so any order of derivatives in the
 * upstream quantities is available.
 *
 * What is not: J is fixed once computed, so derivatives of J itself in x (second derivatives of
 * the features in positions, i.e. Hessians of energies) come out as zero. Nothing in cglab needs
 * them; forces and the parameter gradients of force losses are exact.
 *
 * The Jacobian is stored sparsely: each feature depends on at most four beads.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Which coordinates, as bead tuples; features come out in this order: pairs, angles, then (cos, sin) per dihedral. */
export interface GeometryTuples {
  pairs: ReadonlyArray<readonly [number, number]>;
  angles: ReadonlyArray<readonly [number, number, number]>;
  dihedrals: ReadonlyArray<readonly [number, number, number, number]>;
}

/** Slots per feature: a dihedral involves four beads. */
const M = 4;
/** Floor of |a × b| and |n1|, |n2| (nm², nm⁴ scale), so collinear beads give finite gradients. */
const TINY = 1e-12;

/** Sparse Jacobian of `size` features over `frames` frames: beads [size × M] (−1 unused), grad [frames × size × M × 3]. */
interface Jacobian {
  frames: number;
  nBeads: number;
  size: number;
  beads: Int32Array;
  grad: Float64Array;
}

/** Features and Jacobian of every frame of x [frames, nBeads, 3] (flat). */
function evaluate(x: ArrayLike<number>, frames: number, nBeads: number, t: GeometryTuples): { values: Float64Array; jac: Jacobian } {
  const size = t.pairs.length + t.angles.length + 2 * t.dihedrals.length;
  const beads = new Int32Array(size * M).fill(-1);
  let k = 0;
  for (const p of t.pairs) beads.set(p, M * k++);
  for (const a of t.angles) beads.set(a, M * k++);
  for (const q of t.dihedrals) {
    beads.set(q, M * k++);
    beads.set(q, M * k++);
  }
  const values = new Float64Array(frames * size);
  const grad = new Float64Array(frames * size * M * 3);
  const v = (i: number, o: number) => [x[o + 3 * i], x[o + 3 * i + 1], x[o + 3 * i + 2]];
  for (let f = 0; f < frames; f++) {
    const o = f * nBeads * 3;
    let kk = f * size;
    const put = (slot: number, g: number[]) => grad.set(g, ((kk * M) + slot) * 3);
    for (const [i, j] of t.pairs) {
      const d = sub(v(j, o), v(i, o));
      const r = Math.sqrt(dot(d, d));
      const u = scale(d, 1 / Math.max(r, TINY));
      values[kk] = r;
      put(0, scale(u, -1));
      put(1, u);
      kk++;
    }
    for (const [i, j, l] of t.angles) {
      // θ = atan2(s, c), s = |a × b|, c = a·b: ∂θ/∂a = (c a/|a|² − b)/s, ∂θ/∂b = (c b/|b|² − a)/s.
      const a = sub(v(i, o), v(j, o));
      const b = sub(v(l, o), v(j, o));
      const c = dot(a, b);
      const s = Math.max(norm(cross(a, b)), TINY);
      values[kk] = Math.atan2(s, c);
      const ga = scale(sub(scale(a, c / dot(a, a)), b), 1 / s);
      const gb = scale(sub(scale(b, c / dot(b, b)), a), 1 / s);
      put(0, ga);
      put(1, scale(add(ga, gb), -1));
      put(2, gb);
      kk++;
    }
    for (const [i, j, l, m] of t.dihedrals) {
      // IUPAC φ (as analysis/geometry.ts) with b1 = xj − xi, b2 = xk − xj, b3 = xl − xk,
      // n1 = b1 × b2, n2 = b2 × b3: ∂φ/∂xi = −|b2| n1/|n1|², ∂φ/∂xl = |b2| n2/|n2|², and the
      // middle beads from translation and rotation invariance (Blondel & Karplus 1996).
      const b1 = sub(v(j, o), v(i, o));
      const b2 = sub(v(l, o), v(j, o));
      const b3 = sub(v(m, o), v(l, o));
      const n1 = cross(b1, b2);
      const n2 = cross(b2, b3);
      const r2 = norm(b2);
      const phi = Math.atan2(r2 * dot(b1, n2), dot(n1, n2));
      const q1 = Math.max(dot(n1, n1), TINY);
      const q2 = Math.max(dot(n2, n2), TINY);
      const gi = scale(n1, -r2 / q1);
      const gl = scale(n2, r2 / q2);
      const p1 = dot(b1, b2) / (r2 * r2);
      const p3 = dot(b3, b2) / (r2 * r2);
      const gj = sub(scale(gl, p3), scale(gi, 1 + p1));
      const gk = sub(scale(gi, p1), scale(gl, 1 + p3));
      const [cos, sin] = [Math.cos(phi), Math.sin(phi)];
      values[kk] = cos;
      [gi, gj, gk, gl].forEach((g, slot) => put(slot, scale(g, -sin)));
      kk++;
      values[kk] = sin;
      [gi, gj, gk, gl].forEach((g, slot) => put(slot, scale(g, cos)));
      kk++;
    }
  }
  return { values, jac: { frames, nBeads, size, beads, grad } };
}

/** Jᵀ dy: dy [frames, size] → [frames, nBeads, 3]. */
function transposeProduct(jac: Jacobian, dy: ArrayLike<number>): Float32Array {
  const { frames, nBeads, size, beads, grad } = jac;
  const out = new Float64Array(frames * nBeads * 3);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < size; k++) {
      const w = dy[f * size + k];
      if (w === 0) continue;
      for (let a = 0; a < M; a++) {
        const i = beads[k * M + a];
        if (i < 0) continue;
        const g = ((f * size + k) * M + a) * 3;
        const o = (f * nBeads + i) * 3;
        out[o] += w * grad[g];
        out[o + 1] += w * grad[g + 1];
        out[o + 2] += w * grad[g + 2];
      }
    }
  }
  return Float32Array.from(out);
}

/** J v: v [frames, nBeads, 3] → [frames, size]. */
function product(jac: Jacobian, v: ArrayLike<number>): Float32Array {
  const { frames, nBeads, size, beads, grad } = jac;
  const out = new Float32Array(frames * size);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < size; k++) {
      let s = 0;
      for (let a = 0; a < M; a++) {
        const i = beads[k * M + a];
        if (i < 0) continue;
        const g = ((f * size + k) * M + a) * 3;
        const o = (f * nBeads + i) * 3;
        s += grad[g] * v[o] + grad[g + 1] * v[o + 1] + grad[g + 2] * v[o + 2];
      }
      out[f * size + k] = s;
    }
  }
  return out;
}

/** dx = Jᵀ dy as a differentiable op in dy; its gradient is J applied to the upstream gradient. */
function transposeOp(jac: Jacobian): (dy: tf.Tensor2D) => tf.Tensor3D {
  return custom((dy) => ({
    value: tf.tensor3d(transposeProduct(jac, dy.dataSync()), [jac.frames, jac.nBeads, 3]),
    gradFunc: (g) => productOp(jac)(g as tf.Tensor3D),
  }));
}

/** y = J v as a differentiable op in v; its gradient is Jᵀ applied to the upstream gradient. */
function productOp(jac: Jacobian): (v: tf.Tensor3D) => tf.Tensor2D {
  return custom((v) => ({
    value: tf.tensor2d(product(jac, v.dataSync()), [jac.frames, jac.size]),
    gradFunc: (g) => transposeOp(jac)(g as tf.Tensor2D),
  }));
}

/** tf.customGrad for a one-input op, typed. */
function custom<I extends tf.Tensor, O extends tf.Tensor>(f: (input: tf.Tensor) => { value: O; gradFunc: (dy: tf.Tensor) => tf.Tensor }): (input: I) => O {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (input: I) => O;
}

/**
 * The features of `tuples` for bead positions x [batch, nBeads, 3] (nm), as [batch, size]:
 * distances (nm), angles (rad), then cos φ, sin φ per dihedral. Differentiable in x (first
 * order; see the module note).
 */
export function geometryFeatures(x: tf.Tensor3D, tuples: GeometryTuples): tf.Tensor2D {
  const [frames, nBeads] = x.shape;
  const op = custom<tf.Tensor3D, tf.Tensor2D>((input) => {
    const { values, jac } = evaluate(input.dataSync(), frames, nBeads, tuples);
    return {
      value: tf.tensor2d(Float32Array.from(values), [frames, jac.size]),
      gradFunc: (dy) => transposeOp(jac)(dy as tf.Tensor2D),
    };
  });
  return op(x);
}

/** Per-frame energies (kJ/mol) and their derivatives in each feature, from feature values [frames, size]. */
export type FeatureEnergyFn = (values: Float64Array, frames: number, size: number) => { energy: Float64Array; dEdv: Float64Array };

/**
 * An energy that is a function of the features of `tuples` alone (a prior), evaluated on the
 * host in float64: [batch] kJ/mol from bead positions x [batch, nBeads, 3] (nm). One op
 * forward, Jᵀ ∂E/∂v backward; differentiable in x to first order (see the module note).
 */
export function featureEnergy(x: tf.Tensor3D, tuples: GeometryTuples, fn: FeatureEnergyFn): tf.Tensor1D {
  const [frames, nBeads] = x.shape;
  const op = custom<tf.Tensor3D, tf.Tensor1D>((input) => {
    const { values, jac } = evaluate(input.dataSync(), frames, nBeads, tuples);
    const { energy, dEdv } = fn(values, frames, jac.size);
    return {
      value: tf.tensor1d(Float32Array.from(energy)),
      gradFunc: (dy) => transposeOp(jac)(tf.mul(tf.reshape(dy, [frames, 1]), tf.tensor2d(Float32Array.from(dEdv), [frames, jac.size])) as tf.Tensor2D),
    };
  });
  return op(x);
}

type V = number[];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a: V, b: V): V => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: V, s: number): V => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a: V, b: V) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const norm = (a: V) => Math.sqrt(dot(a, a));
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
