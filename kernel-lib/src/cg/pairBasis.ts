/**
 * A linear basis for pair potentials U(r) = Σₖ θₖ Bₖ(r): uniform cubic B-splines on
 * [rMin, cutoff]. The functions whose support would cross the cut-off are left out, so every
 * U of the basis vanishes at the cut-off with its first and second derivatives: no shift or
 * switch is needed, and forces are continuous. Force matching (linear in θ), relative entropy
 * minimisation (the basis values are REM's sufficient statistics) and ARCG's linear critic all
 * work in it.
 */
import { solveSpd } from './linalg.js';

/** A uniform cubic B-spline basis on [rMin, cutoff]. */
export class PairBasis {
  /** Number of basis functions (= number of knot intervals). */
  readonly size: number;
  /** Knot spacing, nm. */
  readonly h: number;

  /**
   * @param rMin inner end, nm: below it the basis is undefined (the data do not reach there).
   * @param cutoff outer end, nm: U and its first two derivatives vanish there.
   * @param spacing wanted knot spacing, nm (rounded so that a whole number of intervals fits).
   * @throws Error when the range holds fewer than 4 intervals or the values are not positive.
   */
  constructor(readonly rMin: number, readonly cutoff: number, spacing: number) {
    if (!(rMin >= 0) || !(cutoff > rMin) || !(spacing > 0)) {
      throw new Error(`pair basis: need 0 ≤ rMin < cutoff and a positive spacing (nm), got rMin ${rMin}, cutoff ${cutoff}, spacing ${spacing}`);
    }
    const m = Math.round((cutoff - rMin) / spacing);
    if (m < 4) throw new Error(`pair basis: [${rMin}, ${cutoff}] nm holds ${m} knot intervals of ${spacing} nm, at least 4 are needed`);
    this.size = m;
    this.h = (cutoff - rMin) / m;
  }

  /**
   * The basis functions that are non-zero at r: they are k0 … k0 + 3, with `values[i]` = B(r)
   * and `slopes[i]` = dB/dr (1/nm) of function k0 + i; entries for indices outside
   * 0 … size − 1 are zero (those functions were dropped at the cut-off or lie below rMin).
   * @returns k0, or −1 when r is outside [rMin, cutoff)
   */
  evaluate(r: number, values: Float64Array, slopes: Float64Array): number {
    if (!(r >= this.rMin) || r >= this.cutoff) return -1;
    const s = (r - this.rMin) / this.h;
    const j = Math.min(this.size - 1, Math.floor(s));
    const u = s - j;
    const w = 1 - u;
    const u2 = u * u;
    const u3 = u2 * u;
    values[0] = (w * w * w) / 6;
    values[1] = (3 * u3 - 6 * u2 + 4) / 6;
    values[2] = (-3 * u3 + 3 * u2 + 3 * u + 1) / 6;
    values[3] = u3 / 6;
    const ih = 1 / this.h;
    slopes[0] = -0.5 * w * w * ih;
    slopes[1] = (1.5 * u2 - 2 * u) * ih;
    slopes[2] = (-1.5 * u2 + u + 0.5) * ih;
    slopes[3] = 0.5 * u2 * ih;
    // Function index i (0-based) has support [rMin + (i − 3)h, rMin + (i + 1)h]: the interval j
    // meets functions j … j + 3 in that numbering. Those beyond size − 1 were dropped.
    for (let q = 0; q < 4; q++) {
      if (j + q >= this.size) {
        values[q] = 0;
        slopes[q] = 0;
      }
    }
    return j;
  }

  /** U(r) and dU/dr (kJ/mol/nm) of coefficients θ (kJ/mol) at r; zero outside [rMin, cutoff). */
  potential(theta: ArrayLike<number>, r: number): { u: number; du: number } {
    const v = new Float64Array(4);
    const d = new Float64Array(4);
    const k0 = this.evaluate(r, v, d);
    let u = 0;
    let du = 0;
    if (k0 >= 0) {
      for (let q = 0; q < 4 && k0 + q < this.size; q++) {
        u += theta[k0 + q] * v[q];
        du += theta[k0 + q] * d[q];
      }
    }
    return { u, du };
  }

  /** Knot positions rMin + i·h for i = 0 … size, nm (where coefficients are naturally reported). */
  knots(): Float64Array {
    return Float64Array.from({ length: this.size + 1 }, (_, i) => this.rMin + i * this.h);
  }

  /**
   * Coefficients θ of the least-squares spline fit of U(r) on 8 points per knot interval: how
   * IBI and REM put a tabulated potential (or its correction) on the basis.
   * @throws Error when U is not finite at a fitting point, or the fit is singular.
   */
  fit(u: (r: number) => number): Float64Array {
    // Normal equations of a least-squares fit on 8 points per interval.
    const n = this.size;
    const a = new Float64Array(n * n);
    const b = new Float64Array(n);
    const v = new Float64Array(4);
    const d = new Float64Array(4);
    for (let s = 0; s < 8 * n; s++) {
      const r = this.rMin + ((s + 0.5) / 8) * this.h;
      const k0 = this.evaluate(r, v, d);
      const target = u(r);
      if (!Number.isFinite(target)) throw new Error(`pair basis: the potential to fit is ${target} at r = ${r.toFixed(4)} nm`);
      for (let p = 0; p < 4 && k0 + p < n; p++) {
        b[k0 + p] += v[p] * target;
        for (let q = 0; q < 4 && k0 + q < n; q++) a[(k0 + p) * n + k0 + q] += v[p] * v[q];
      }
    }
    const theta = solveSpd(a, n, b, 1);
    if (!theta) throw new Error('pair basis: the fit of a tabulated potential is singular');
    return theta;
  }
}
