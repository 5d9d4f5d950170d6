/**
 * A tabulated pair potential U(r) for CG liquids: values and forces on uniform nodes from r0 to
 * the cut-off, cubic Hermite interpolation between them (so the force is exactly −dU/dr of the
 * interpolant and dynamics conserve energy), zero at and beyond the cut-off, and a repulsive
 * quadratic wall below r0 where no data reached. Every method that fits a pair potential (FM,
 * IBI, REM, ARCG) produces one; `physics/pairPotential.ts` simulates with it; the CSV and
 * LAMMPS files are samples of it.
 */
import type { PairBasis } from './pairBasis.js';

/** The softest wall allowed below r0, kJ/mol/nm²: dF/dr there is at least this steep. */
export const MIN_WALL_STIFFNESS = 1e4;

/** JSON form of a table (the model folder's `pairs.json` holds one per type pair). */
export interface PairTableJson {
  /** First node, nm. */
  r0: number;
  /** Node spacing, nm. */
  dr: number;
  /** U at the nodes r0 + k·dr, kJ/mol; the last node is the cut-off, where U is 0. */
  u: number[];
  /** F = −dU/dr at the nodes, kJ/mol/nm (positive: repulsive). */
  f: number[];
}

/** A pair potential on nodes r0 + k·dr, k = 0 … n − 1 (nm); the last node is the cut-off. */
export class PairTable {
  readonly u: Float64Array;
  readonly f: Float64Array;
  /** [4(n − 1)] cubic coefficients per interval in t = (r − r_k)/dr: U = a + bt + ct² + dt³. */
  readonly coefficients: Float64Array;
  /** Wall stiffness below r0, kJ/mol/nm². */
  readonly wall: number;

  /**
   * @throws Error for fewer than 2 nodes, a non-positive spacing, non-finite values, or U not
   *   zero at the cut-off (the last node).
   */
  constructor(readonly r0: number, readonly dr: number, u: ArrayLike<number>, f: ArrayLike<number>, what = 'pair table') {
    if (!(r0 >= 0) || !(dr > 0)) throw new Error(`${what}: r0 must be ≥ 0 and dr > 0 (nm), got r0 ${r0}, dr ${dr}`);
    if (u.length < 2 || u.length !== f.length) throw new Error(`${what}: need ≥ 2 nodes with one U and one F each, got ${u.length} U and ${f.length} F`);
    for (let k = 0; k < u.length; k++) {
      if (!Number.isFinite(u[k]) || !Number.isFinite(f[k])) throw new Error(`${what}: U or F at r = ${(r0 + k * dr).toFixed(4)} nm is not finite (${u[k]}, ${f[k]})`);
    }
    const n = u.length;
    if (Math.abs(u[n - 1]) > 1e-9 * (1 + Math.max(...Array.from(u, Math.abs)))) {
      throw new Error(`${what}: U at the cut-off (${(r0 + (n - 1) * dr).toFixed(4)} nm) must be 0, got ${u[n - 1]} kJ/mol`);
    }
    this.u = Float64Array.from(u);
    this.u[n - 1] = 0;
    this.f = Float64Array.from(f);
    this.coefficients = new Float64Array(4 * (n - 1));
    for (let k = 0; k < n - 1; k++) {
      const p0 = this.u[k];
      const p1 = this.u[k + 1];
      const m0 = -this.f[k] * dr;
      const m1 = -this.f[k + 1] * dr;
      this.coefficients.set([p0, m0, -3 * p0 - 2 * m0 + 3 * p1 - m1, 2 * p0 + m0 - 2 * p1 + m1], 4 * k);
    }
    // Continue the interpolant's force slope at r0 (dF/dr = −2c/dr² of the first interval)
    // inwards, so that F is C¹ there, never softer than MIN_WALL_STIFFNESS.
    this.wall = Math.max(MIN_WALL_STIFFNESS, (2 * this.coefficients[2]) / (dr * dr));
  }

  /** Cut-off, nm: the last node. */
  get cutoff(): number {
    return this.r0 + (this.u.length - 1) * this.dr;
  }

  /** Writes U (kJ/mol) to out[0] and F = −dU/dr (kJ/mol/nm) to out[1] at distance r (nm). */
  evaluate(r: number, out: Float64Array | number[]): void {
    const s = (r - this.r0) / this.dr;
    if (s < 0) {
      const d = this.r0 - r;
      out[0] = this.u[0] + this.f[0] * d + 0.5 * this.wall * d * d;
      out[1] = this.f[0] + this.wall * d;
      return;
    }
    const k = Math.floor(s);
    if (k >= this.u.length - 1) {
      out[0] = 0;
      out[1] = 0;
      return;
    }
    const t = s - k;
    const c = this.coefficients;
    const o = 4 * k;
    out[0] = c[o] + t * (c[o + 1] + t * (c[o + 2] + t * c[o + 3]));
    out[1] = -(c[o + 1] + t * (2 * c[o + 2] + 3 * t * c[o + 3])) / this.dr;
  }

  /**
   * Rows r, U, F every `step` nm from `from` (default: 0.1 nm inside r0, on the step's grid, at
   * least one step) to the cut-off: what the CSV and LAMMPS files hold. The last row is the
   * cut-off with U = 0 and the force's inside limit f[n − 1] (`evaluate` gives 0 at the cut-off
   * itself, but readers interpolate between rows, and every pair they see is inside it).
   */
  sample(step = 0.002, from?: number): { r: Float64Array; u: Float64Array; f: Float64Array } {
    const first = Math.max(1, Math.round((from ?? this.r0 - 0.1) / step));
    const last = Math.round(this.cutoff / step);
    const n = Math.max(0, last - first + 1);
    const r = new Float64Array(n);
    const u = new Float64Array(n);
    const f = new Float64Array(n);
    const out = [0, 0];
    for (let i = 0; i < n; i++) {
      r[i] = (first + i) * step;
      if (i === n - 1) {
        u[i] = 0;
        f[i] = this.f[this.f.length - 1];
        continue;
      }
      this.evaluate(r[i], out);
      u[i] = out[0];
      f[i] = out[1];
    }
    return { r, u, f };
  }

  /** The spline U = Σ θₖBₖ of `basis` on nodes every `dr` nm from basis.rMin to its cut-off. */
  static fromBasis(basis: PairBasis, theta: ArrayLike<number>, dr = 0.002): PairTable {
    if (theta.length !== basis.size) throw new Error(`pair table: ${theta.length} coefficients for a basis of ${basis.size} functions`);
    const n = Math.max(2, Math.round((basis.cutoff - basis.rMin) / dr) + 1);
    const step = (basis.cutoff - basis.rMin) / (n - 1);
    const u = new Float64Array(n);
    const f = new Float64Array(n);
    for (let k = 0; k < n - 1; k++) {
      const p = basis.potential(theta, basis.rMin + k * step);
      u[k] = p.u;
      f[k] = -p.du;
    }
    return new PairTable(basis.rMin, step, u, f);
  }

  /** Tabulates `fn` (U and dU/dr at r) on nodes every `dr` nm from r0 to the cut-off, shifted so U(cut-off) = 0. */
  static fromFunction(fn: (r: number) => { u: number; du: number }, r0: number, cutoff: number, dr = 0.002): PairTable {
    const n = Math.max(2, Math.round((cutoff - r0) / dr) + 1);
    const step = (cutoff - r0) / (n - 1);
    const shift = fn(cutoff).u;
    const u = new Float64Array(n);
    const f = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const p = fn(r0 + k * step);
      u[k] = p.u - shift;
      f[k] = -p.du;
    }
    u[n - 1] = 0;
    return new PairTable(r0, step, u, f);
  }

  toJSON(): PairTableJson {
    return { r0: this.r0, dr: this.dr, u: Array.from(this.u), f: Array.from(this.f) };
  }

  /** @param what names the file and field in errors (e.g. "model/pairs.json: tables.CG-CG"). */
  static fromJSON(o: unknown, what: string): PairTable {
    const j = o as Partial<PairTableJson>;
    if (!j || typeof j !== 'object' || typeof j.r0 !== 'number' || typeof j.dr !== 'number' || !Array.isArray(j.u) || !Array.isArray(j.f)) {
      throw new Error(`${what}: expected {r0, dr (nm), u (kJ/mol), f (kJ/mol/nm)} with u and f arrays of numbers`);
    }
    return new PairTable(j.r0, j.dr, j.u, j.f, what);
  }
}
