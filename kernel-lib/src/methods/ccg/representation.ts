/**
 * How back-mapped fine coordinates are built so that they satisfy the CG constraint exactly:
 * a representation turns CG coordinates s and free fine coordinates y into full coordinates x
 * with ξ(x) = s, and the log-Jacobian of that change of variables enters ln q(x | s).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface FineRepresentation {
  /** Dimension of s, of y, and of the full x (all flat). */
  readonly cgDim: number;
  readonly fineDim: number;
  readonly fullDim: number;
  /** x [rows, fullDim] with ξ(x) = s, and ln |∂x/∂y| [rows] (at fixed s). */
  embed(s: tf.Tensor2D, y: tf.Tensor2D): { x: tf.Tensor2D; logJacobian: tf.Tensor1D };
  /** The CG coordinates ξ(x) of full coordinates, [rows, cgDim] (host arrays). */
  project(x: Float64Array, rows: number): Float64Array;
  /**
   * What the density is conditioned on, [rows, contextDim], when not s itself (e.g. features of
   * s that do not change under rigid motions).
   */
  context?(s: tf.Tensor2D): tf.Tensor2D;
  /** Width of `context`'s output (cgDim without one). */
  readonly contextDim?: number;
}

/** The condition of the density for CG coordinates s. */
export function conditionOf(rep: FineRepresentation, s: tf.Tensor2D): tf.Tensor2D {
  return rep.context ? rep.context(s) : s;
}

/**
 * The simplest exact representation: the CG coordinates are some of the full coordinates
 * (ξ(x) = x[cg]), the rest are y, Jacobian 1 — the toys, where x1 is the CG variable.
 * @param fullDim coordinates of x.
 * @param cg indices of x that are s, in the order of s.
 */
export function coordinateSplit(fullDim: number, cg: readonly number[]): FineRepresentation {
  if (!cg.length || new Set(cg).size !== cg.length || cg.some((i) => !Number.isInteger(i) || i < 0 || i >= fullDim)) {
    throw new Error(`coordinateSplit: CG coordinates [${cg.join(', ')}] must be distinct indices into the ${fullDim} coordinates`);
  }
  const fine = [...Array(fullDim).keys()].filter((i) => !cg.includes(i));
  // x = s Pᵀ + y Qᵀ with one-hot placement matrices: differentiable in y (and s).
  const place = (idx: readonly number[]) => {
    const m = new Float32Array(idx.length * fullDim);
    idx.forEach((i, k) => (m[k * fullDim + i] = 1));
    return tf.keep(tf.tensor2d(m, [idx.length, fullDim]));
  };
  const pCg = place(cg);
  const pFine = fine.length ? place(fine) : undefined;
  return {
    cgDim: cg.length,
    fineDim: fine.length,
    fullDim,
    embed: (s, y) => {
      const x = pFine ? tf.add(tf.matMul(s, pCg), tf.matMul(y, pFine)) : tf.matMul(s, pCg);
      return { x: x as tf.Tensor2D, logJacobian: tf.zeros([s.shape[0]]) as tf.Tensor1D };
    },
    project: (x, rows) => {
      const out = new Float64Array(rows * cg.length);
      for (let r = 0; r < rows; r++) cg.forEach((i, k) => (out[r * cg.length + k] = x[r * fullDim + i]));
      return out;
    },
  };
}
