/**
 * Cartesian coordinates of a molecule without its six rigid-body degrees of freedom, for models
 * that generate structures: anchor atom a0 sits at the origin, a1 on the x axis and a2 in the
 * xy plane, and the other 3N − 6 Cartesian components are the reduced coordinates q. Every
 * configuration has such a frame (translate a0 to the origin, rotate a1 onto +x, then about x
 * until a2 lies in the xy plane with y > 0), and a potential that depends on internal geometry
 * only has the same energy in it.
 *
 * Measure: d³ᴺx = d³t dΩ₃ · x₁² |y₂| dq (x₁ the x of a1, y₂ the y of a2), so the Boltzmann
 * density of q is exp(−βU) · J(q) with ln J = 2 ln|x₁| + ln|y₂|, which `logJacobian` returns.
 */

export class RigidFrame {
  /** Reduced coordinates, 3N − 6. */
  readonly dim: number;
  /** Cartesian component (atom·3 + axis) of each reduced coordinate. */
  readonly free: Int32Array;
  /** Reduced index of x of a1 and y of a2. */
  private readonly ix1: number;
  private readonly iy2: number;

  /**
   * @param nAtoms atoms of the molecule (≥ 3).
   * @param anchors three distinct atoms [a0, a1, a2]; bonded ones (a0–a1–a2) keep the frame
   *   from flipping as the molecule moves, since |x₁| and |y₂| then stay away from 0.
   */
  constructor(readonly nAtoms: number, readonly anchors: readonly [number, number, number]) {
    if (!Number.isInteger(nAtoms) || nAtoms < 3) throw new Error(`RigidFrame: a molecule needs at least 3 atoms, got ${nAtoms}`);
    const [a0, a1, a2] = anchors;
    if (new Set(anchors).size !== 3 || anchors.some((a) => !Number.isInteger(a) || a < 0 || a >= nAtoms)) {
      throw new Error(`RigidFrame: anchors must be three distinct atom indices in [0, ${nAtoms}), got [${anchors}]`);
    }
    const fixed = new Set([3 * a0, 3 * a0 + 1, 3 * a0 + 2, 3 * a1 + 1, 3 * a1 + 2, 3 * a2 + 2]);
    const free: number[] = [];
    for (let c = 0; c < 3 * nAtoms; c++) if (!fixed.has(c)) free.push(c);
    this.free = Int32Array.from(free);
    this.dim = free.length;
    this.ix1 = free.indexOf(3 * a1);
    this.iy2 = free.indexOf(3 * a2 + 1);
  }

  /** Cartesian coordinates [batch, N·3] (nm) of reduced ones [batch, dim]. */
  embed(q: ArrayLike<number>, batch: number): Float64Array {
    const n3 = 3 * this.nAtoms;
    const x = new Float64Array(batch * n3);
    for (let b = 0; b < batch; b++) for (let k = 0; k < this.dim; k++) x[b * n3 + this.free[k]] = q[b * this.dim + k];
    return x;
  }

  /** Gradient in q [batch, dim] of a function whose gradient in x is `gx` [batch, N·3]. */
  pullBack(gx: ArrayLike<number>, batch: number): Float64Array {
    const n3 = 3 * this.nAtoms;
    const g = new Float64Array(batch * this.dim);
    for (let b = 0; b < batch; b++) for (let k = 0; k < this.dim; k++) g[b * this.dim + k] = gx[b * n3 + this.free[k]];
    return g;
  }

  /**
   * Reduced coordinates [batch, dim] of configurations x [batch, N·3] in any position and
   * orientation (the rigid motion that brings each into the frame).
   * @throws Error when the anchors of a configuration are collinear.
   */
  reduce(x: ArrayLike<number>, batch: number): Float64Array {
    const n3 = 3 * this.nAtoms;
    const [a0, a1, a2] = this.anchors;
    const q = new Float64Array(batch * this.dim);
    const y = new Float64Array(n3);
    for (let b = 0; b < batch; b++) {
      const o = b * n3;
      const at = (i: number, k: number) => x[o + 3 * i + k] - x[o + 3 * a0 + k];
      const e1 = unit([at(a1, 0), at(a1, 1), at(a1, 2)]);
      const v = [at(a2, 0), at(a2, 1), at(a2, 2)];
      const d = v[0] * e1[0] + v[1] * e1[1] + v[2] * e1[2];
      const perp = [v[0] - d * e1[0], v[1] - d * e1[1], v[2] - d * e1[2]];
      const e2 = unit(perp);
      // A perpendicular part at rounding level is no direction: the frame would not be a rotation.
      if (!e1.every(Number.isFinite) || !(Math.hypot(perp[0], perp[1], perp[2]) > 1e-8 * Math.hypot(v[0], v[1], v[2]))) throw new Error(`RigidFrame.reduce: configuration ${b} has its anchor atoms [${this.anchors}] on one line or on one point`);
      const e3 = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
      for (let i = 0; i < this.nAtoms; i++) {
        const r = [at(i, 0), at(i, 1), at(i, 2)];
        for (const [k, e] of [e1, e2, e3].entries()) y[3 * i + k] = r[0] * e[0] + r[1] * e[1] + r[2] * e[2];
      }
      for (let k = 0; k < this.dim; k++) q[b * this.dim + k] = y[this.free[k]];
    }
    return q;
  }

  /**
   * ln J = 2 ln|x₁| + ln|y₂| of configuration `b` of q, adding ∂ln J/∂q into `grad` (same layout).
   */
  logJacobian(q: ArrayLike<number>, b: number, grad: Float64Array): number {
    const x1 = q[b * this.dim + this.ix1];
    const y2 = q[b * this.dim + this.iy2];
    grad[b * this.dim + this.ix1] += 2 / x1;
    grad[b * this.dim + this.iy2] += 1 / y2;
    return 2 * Math.log(Math.abs(x1)) + Math.log(Math.abs(y2));
  }
}

function unit(v: number[]): number[] {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}
