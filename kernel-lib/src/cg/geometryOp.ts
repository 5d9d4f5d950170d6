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
import type { HostForces } from './energyTerm.js';

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
  // Scalar arithmetic throughout: this runs for every feature of every frame at each force
  // evaluation, where small 3-vector arrays cost more than the geometry itself.
  const put = (k: number, slot: number, gx: number, gy: number, gz: number) => {
    const g = (k * M + slot) * 3;
    grad[g] = gx;
    grad[g + 1] = gy;
    grad[g + 2] = gz;
  };
  for (let f = 0; f < frames; f++) {
    const o = f * nBeads * 3;
    let kk = f * size;
    for (const [i, j] of t.pairs) {
      const oi = o + 3 * i, oj = o + 3 * j;
      const dx = x[oj] - x[oi];
      const dy = x[oj + 1] - x[oi + 1];
      const dz = x[oj + 2] - x[oi + 2];
      const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
      const inv = 1 / Math.max(r, TINY);
      values[kk] = r;
      put(kk, 0, -dx * inv, -dy * inv, -dz * inv);
      put(kk, 1, dx * inv, dy * inv, dz * inv);
      kk++;
    }
    for (const [i, j, l] of t.angles) {
      // θ = atan2(s, c), s = |a × b|, c = a·b: ∂θ/∂a = (c a/|a|² − b)/s, ∂θ/∂b = (c b/|b|² − a)/s.
      const oi = o + 3 * i, oj = o + 3 * j, ol = o + 3 * l;
      const ax = x[oi] - x[oj], ay = x[oi + 1] - x[oj + 1], az = x[oi + 2] - x[oj + 2];
      const bx = x[ol] - x[oj], by = x[ol + 1] - x[oj + 1], bz = x[ol + 2] - x[oj + 2];
      const c = ax * bx + ay * by + az * bz;
      const cx = ay * bz - az * by, cy = az * bx - ax * bz, cz = ax * by - ay * bx;
      const s = Math.max(Math.sqrt(cx * cx + cy * cy + cz * cz), TINY);
      values[kk] = Math.atan2(s, c);
      const ca = c / (ax * ax + ay * ay + az * az), cb = c / (bx * bx + by * by + bz * bz);
      const gax = (ca * ax - bx) / s, gay = (ca * ay - by) / s, gaz = (ca * az - bz) / s;
      const gbx = (cb * bx - ax) / s, gby = (cb * by - ay) / s, gbz = (cb * bz - az) / s;
      put(kk, 0, gax, gay, gaz);
      put(kk, 1, -(gax + gbx), -(gay + gby), -(gaz + gbz));
      put(kk, 2, gbx, gby, gbz);
      kk++;
    }
    for (const [i, j, l, m] of t.dihedrals) {
      // IUPAC φ (as analysis/geometry.ts) with b1 = xj − xi, b2 = xk − xj, b3 = xl − xk,
      // n1 = b1 × b2, n2 = b2 × b3: ∂φ/∂xi = −|b2| n1/|n1|², ∂φ/∂xl = |b2| n2/|n2|², and the
      // middle beads from translation and rotation invariance (Blondel & Karplus 1996).
      const oi = o + 3 * i, oj = o + 3 * j, ol = o + 3 * l, om = o + 3 * m;
      const b1x = x[oj] - x[oi], b1y = x[oj + 1] - x[oi + 1], b1z = x[oj + 2] - x[oi + 2];
      const b2x = x[ol] - x[oj], b2y = x[ol + 1] - x[oj + 1], b2z = x[ol + 2] - x[oj + 2];
      const b3x = x[om] - x[ol], b3y = x[om + 1] - x[ol + 1], b3z = x[om + 2] - x[ol + 2];
      const n1x = b1y * b2z - b1z * b2y, n1y = b1z * b2x - b1x * b2z, n1z = b1x * b2y - b1y * b2x;
      const n2x = b2y * b3z - b2z * b3y, n2y = b2z * b3x - b2x * b3z, n2z = b2x * b3y - b2y * b3x;
      const r22 = b2x * b2x + b2y * b2y + b2z * b2z;
      const r2 = Math.sqrt(r22);
      const phi = Math.atan2(r2 * (b1x * n2x + b1y * n2y + b1z * n2z), n1x * n2x + n1y * n2y + n1z * n2z);
      const s1 = -r2 / Math.max(n1x * n1x + n1y * n1y + n1z * n1z, TINY);
      const s2 = r2 / Math.max(n2x * n2x + n2y * n2y + n2z * n2z, TINY);
      const gix = n1x * s1, giy = n1y * s1, giz = n1z * s1;
      const glx = n2x * s2, gly = n2y * s2, glz = n2z * s2;
      const p1 = (b1x * b2x + b1y * b2y + b1z * b2z) / r22;
      const p3 = (b3x * b2x + b3y * b2y + b3z * b2z) / r22;
      const gjx = glx * p3 - gix * (1 + p1), gjy = gly * p3 - giy * (1 + p1), gjz = glz * p3 - giz * (1 + p1);
      const gkx = gix * p1 - glx * (1 + p3), gky = giy * p1 - gly * (1 + p3), gkz = giz * p1 - glz * (1 + p3);
      // cos φ, then sin φ: the chain rule scales the same four bead gradients.
      const cos = Math.cos(phi), sin = Math.sin(phi);
      values[kk] = cos;
      values[kk + 1] = sin;
      for (let c = 0; c < 2; c++, kk++) {
        const w = c === 0 ? -sin : cos;
        put(kk, 0, gix * w, giy * w, giz * w);
        put(kk, 1, gjx * w, gjy * w, gjz * w);
        put(kk, 2, gkx * w, gky * w, gkz * w);
        put(kk, 3, glx * w, gly * w, glz * w);
      }
    }
  }
  return { values, jac: { frames, nBeads, size, beads, grad } };
}

/**
 * The features of `tuples` (as {@link geometryFeatures}) of frames x [frames, nBeads, 3] on the
 * host, in float64, with `addGradient(dy, out)` adding Jᵀ dy to out [frames, nBeads, 3]: the
 * chain rule for any function of the features (dy its derivatives [frames, size]).
 */
export function hostGeometry(x: ArrayLike<number>, frames: number, nBeads: number, tuples: GeometryTuples): { values: Float64Array; size: number; addGradient: (dy: ArrayLike<number>, out: Float64Array) => void } {
  const { values, jac } = evaluate(x, frames, nBeads, tuples);
  return { values, size: jac.size, addGradient: (dy, out) => addTransposeProduct(jac, dy, out) };
}

/** Jᵀ dy: dy [frames, size] → [frames, nBeads, 3]. */
function transposeProduct(jac: Jacobian, dy: ArrayLike<number>): Float32Array {
  const out = new Float64Array(jac.frames * jac.nBeads * 3);
  addTransposeProduct(jac, dy, out);
  return Float32Array.from(out);
}

/** out += Jᵀ dy, out [frames, nBeads, 3]. */
function addTransposeProduct(jac: Jacobian, dy: ArrayLike<number>, out: Float64Array): void {
  const { frames, nBeads, size, beads, grad } = jac;
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

/** An energy of the features of `tuples` alone (as {@link featureEnergy}), for evaluation on the host. */
export interface FeatureHostEnergy {
  tuples: GeometryTuples;
  fn: FeatureEnergyFn;
}

/**
 * Energies of {@link featureEnergy}'s kind for simulation, outside tfjs, all in float64: adds
 * each frame's energy (kJ/mol) and the forces −Jᵀ ∂E/∂v (kJ/mol/nm) at bead positions
 * x [batch, nBeads, 3] (nm). The energies share one geometry pass: the features they have in
 * common (a model's priors and its CGnet features name the same bonds, angles and dihedrals) are
 * evaluated once, each energy reads its own from them, and the forces are one product.
 */
export function featureHostForces(energies: readonly FeatureHostEnergy[]): HostForces {
  const union = { pairs: [] as (readonly [number, number])[], angles: [] as (readonly [number, number, number])[], dihedrals: [] as (readonly [number, number, number, number])[] };
  // Where each distinct tuple is in the union's list of its kind, added when first seen.
  const seen = new Map<string, number>();
  const indexOf = (kind: keyof typeof union, t: readonly number[]): number => {
    const key = `${kind}:${t.join(',')}`;
    if (!seen.has(key)) {
      seen.set(key, union[kind].length);
      (union[kind] as (readonly number[])[]).push(t);
    }
    return seen.get(key)!;
  };
  const positions = energies.map(({ tuples }) => ({
    pairs: tuples.pairs.map((t) => indexOf('pairs', t)),
    angles: tuples.angles.map((t) => indexOf('angles', t)),
    dihedrals: tuples.dihedrals.map((t) => indexOf('dihedrals', t)),
  }));
  // Each energy's features, in its own order, as feature indices of the union.
  const [nPairs, nAngles] = [union.pairs.length, union.angles.length];
  const gathers = positions.map((p) => Int32Array.from([...p.pairs, ...p.angles.map((a) => nPairs + a), ...p.dihedrals.flatMap((d) => [nPairs + nAngles + 2 * d, nPairs + nAngles + 2 * d + 1])]));
  return {
    add(x, batch, forces, energiesOut) {
      const { values, jac } = evaluate(x, batch, x.length / (3 * batch), union);
      const size = jac.size;
      const dEdvAll = new Float64Array(batch * size);
      energies.forEach((e, t) => {
        const gather = gathers[t];
        const own = gather.length;
        const v = new Float64Array(batch * own);
        for (let f = 0; f < batch; f++) for (let k = 0; k < own; k++) v[f * own + k] = values[f * size + gather[k]];
        const { energy, dEdv } = e.fn(v, batch, own);
        for (let f = 0; f < batch; f++) {
          energiesOut[f] += energy[f];
          for (let k = 0; k < own; k++) dEdvAll[f * size + gather[k]] -= dEdv[f * own + k];
        }
      });
      addTransposeProduct(jac, dEdvAll, forces);
    },
  };
}
