/**
 * Toy CG models with exact answers, for checking ARCG (methods/arcg) against quadrature:
 *
 * - `anharmonicBasis`: one mapped coordinate x (nm) in U_θ = θ₁ s² + θ₂ s⁴, s = x/a. REM's
 *   answer for a reference sample is exact here: the θ whose ⟨φ⟩_θ, by quadrature, equals the
 *   sample's mean φ (`gridRem`).
 * - `hiddenSiteBasis`: the mapped coordinate x tethered by a spring to a virtual site v in a
 *   double well, U_θ(x, v) = θ₁ (v²/a² − 1)² + θ₂ ((x − v)/a)². The marginal of x is bimodal
 *   although U is harmonic in x; REM cannot fit θ (U at a mapped x needs v, which no atom
 *   gives), ARCG can. The exact marginal p_θ(x) = ∫ e^{−βU} dv / Z is computed on a grid
 *   (`hiddenSiteMarginal`), and with it the KL of any fit.
 *
 * Reference samples are drawn exactly from grid densities by inverse CDF (`sampleGrid`).
 * Lengths in nm, θ in kJ/mol.
 */
import { solveSpd } from '../cg/linalg.js';
import type { LinearBasis } from '../physics/basisPotential.js';
import { Random } from '../util/random.js';

/** Length scale a of both toys, nm. */
export const TOY_LENGTH = 0.1;

/** U = θ₁ s² + θ₂ s⁴, s = x/a, one particle in one dimension. */
export function anharmonicBasis(a = TOY_LENGTH): LinearBasis {
  return {
    name: 'anharmonic bead', size: 2, nParticles: 1, dim: 1, names: ['θ₁ (x/a)²', 'θ₂ (x/a)⁴'],
    evaluate(x, offset, phi, gradient) {
      const s = x[offset] / a;
      phi[0] = s * s;
      phi[1] = s * s * s * s;
      if (gradient) {
        gradient[0] = (2 * s) / a;
        gradient[1] = (4 * s * s * s) / a;
      }
    },
  };
}

/** U = θ₁ (v²/a² − 1)² + θ₂ ((x − v)/a)² over (x, v): particle 0 is mapped, particle 1 virtual. */
export function hiddenSiteBasis(a = TOY_LENGTH): LinearBasis {
  return {
    name: 'bead on a hidden double-well site', size: 2, nParticles: 2, dim: 1, names: ['θ₁ (v²/a² − 1)² (virtual well)', 'θ₂ ((x − v)/a)² (tether)'],
    evaluate(x, offset, phi, gradient) {
      const s = x[offset] / a;
      const t = x[offset + 1] / a;
      const w = t * t - 1;
      phi[0] = w * w;
      phi[1] = (s - t) ** 2;
      if (gradient) {
        gradient[0] = 0;
        gradient[1] = (4 * w * t) / a;
        gradient[2] = (2 * (s - t)) / a;
        gradient[3] = (-2 * (s - t)) / a;
      }
    },
  };
}

/** A density tabulated on a uniform grid. */
export interface GridDensity {
  /** [G] grid points, nm. */
  x: Float64Array;
  /** [G] density, 1/nm, integrating to 1 (trapezoid). */
  p: Float64Array;
}

/** A uniform grid of `points` from `from` to `to`, nm. */
export function uniformGrid(from: number, to: number, points: number): Float64Array {
  return Float64Array.from({ length: points }, (_, i) => from + ((to - from) * i) / (points - 1));
}

/** Normalises exp(log p) given at the grid points (trapezoid rule). */
export function gridDensity(x: Float64Array, logp: Float64Array): GridDensity {
  const l = logp;
  const m = l.reduce((a, b) => Math.max(a, b), -Infinity);
  const p = l.map((v) => Math.exp(v - m));
  const h = x[1] - x[0];
  let z = 0;
  p.forEach((v, i) => (z += (i === 0 || i === p.length - 1 ? 0.5 : 1) * v * h));
  return { x, p: p.map((v) => v / z) };
}

/** The exact marginal of x under `hiddenSiteBasis` at θ, on grid `x` (v integrated over the same range on `vPoints` points). */
export function hiddenSiteMarginal(theta: ArrayLike<number>, kT: number, x: Float64Array, vPoints = 801, a = TOY_LENGTH): GridDensity {
  const v = uniformGrid(x[0], x[x.length - 1], vPoints);
  const beta = 1 / kT;
  const well = Float64Array.from(v, (y) => theta[0] * ((y * y) / (a * a) - 1) ** 2);
  const logs = Float64Array.from(x, (xi) => {
    // log ∫ exp(−βU) dv by log-sum-exp over the v grid.
    let m = -Infinity;
    const e = Float64Array.from(v, (y, j) => {
      const s = -beta * (well[j] + theta[1] * ((xi - y) / a) ** 2);
      m = Math.max(m, s);
      return s;
    });
    let sum = 0;
    e.forEach((s) => (sum += Math.exp(s - m)));
    return m + Math.log(sum);
  });
  return gridDensity(x, logs);
}

/** `n` exact samples of a grid density (inverse CDF, linear within grid cells). */
export function sampleGrid(d: GridDensity, n: number, seed: number): Float64Array {
  const h = d.x[1] - d.x[0];
  const cdf = new Float64Array(d.x.length);
  for (let i = 1; i < d.x.length; i++) cdf[i] = cdf[i - 1] + 0.5 * (d.p[i - 1] + d.p[i]) * h;
  const total = cdf[cdf.length - 1];
  const rng = new Random(seed);
  return Float64Array.from({ length: n }, () => {
    const u = rng.uniform() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] <= u) lo = mid;
      else hi = mid;
    }
    const f = cdf[hi] > cdf[lo] ? (u - cdf[lo]) / (cdf[hi] - cdf[lo]) : 0.5;
    return d.x[lo] + f * h;
  });
}

/** KL(p‖q) = ∫ p ln(p/q) dx of two densities on the same grid, nats (trapezoid; points where p = 0 add nothing). */
export function gridKl(p: GridDensity, q: GridDensity): number {
  const h = p.x[1] - p.x[0];
  let s = 0;
  p.p.forEach((pi, i) => {
    if (pi > 0) s += (i === 0 || i === p.p.length - 1 ? 0.5 : 1) * pi * Math.log(pi / Math.max(q.p[i], 1e-300)) * h;
  });
  return s;
}

/**
 * REM's exact answer for a one-coordinate linear model on a grid: θ with ⟨φ⟩_θ = `target`
 * (the reference's mean φ), by Newton's method on the convex S_rel(θ), moments by quadrature.
 * @param phi the basis functions of x.
 * @throws Error when Newton's method does not converge in 100 steps.
 */
export function gridRem(phi: (x: number) => number[], target: ArrayLike<number>, kT: number, x: Float64Array, start: ArrayLike<number>): Float64Array {
  const k = target.length;
  const table = Array.from(x, phi);
  const theta = Float64Array.from(start);
  const beta = 1 / kT;
  for (let it = 0; it < 100; it++) {
    const d = gridDensity(x, Float64Array.from(table, (f) => -beta * f.reduce((s, v, i) => s + theta[i] * v, 0)));
    const h = x[1] - x[0];
    const mean = new Float64Array(k);
    const second = new Float64Array(k * k);
    table.forEach((f, g) => {
      const w = d.p[g] * h * (g === 0 || g === x.length - 1 ? 0.5 : 1);
      for (let i = 0; i < k; i++) {
        mean[i] += w * f[i];
        for (let j = 0; j < k; j++) second[i * k + j] += w * f[i] * f[j];
      }
    });
    // ∇S = β(target − ⟨φ⟩_θ), ∇²S = β² Cov_θ(φ).
    const grad = Float64Array.from(mean, (m, i) => beta * (target[i] - m));
    const hess = Float64Array.from(second, (s, q) => beta * beta * (s - mean[Math.floor(q / k)] * mean[q % k]));
    const step = solveSpd(hess, k, grad.map((g) => -g), 1);
    if (!step) throw new Error('gridRem: singular covariance');
    theta.forEach((t, i) => (theta[i] = t + step[i]));
    if (Math.max(...step.map(Math.abs)) < 1e-10 * (1 + Math.max(...theta.map(Math.abs)))) return theta;
  }
  throw new Error('gridRem: Newton did not converge in 100 steps');
}
