/**
 * Local energy minimisation (L-BFGS with a backtracking line search) of one configuration.
 * Constraints are held by a stiff harmonic penalty during the search and imposed exactly by
 * SHAKE at the end, the way OpenMM's LocalEnergyMinimizer treats them.
 */
import type { Potential } from '../physics/potential.js';
import { shakePositions, type Constraints } from './constraints.js';

/** How far to minimise. */
export interface MinimizeOptions {
  /** Stop when the largest force component is below this, kJ/mol/nm. Default 10 (OpenMM's). */
  tolerance?: number;
  maxIterations?: number;
  constraints?: Constraints;
  /** Masses, amu: needed with constraints (SHAKE is mass-weighted). */
  masses?: Float64Array;
}

/** Result of `minimize`. */
export interface MinimizeResult {
  /** [nParticles·dim] minimised coordinates, nm. */
  x: Float64Array;
  /** Potential energy at x, kJ/mol. */
  energy: number;
  /** Largest component of the force, kJ/mol/nm, with forces along constraints balanced by them. */
  maxForce: number;
  iterations: number;
  converged: boolean;
}

/** Penalty stiffness for constraints during the search, kJ/mol/nm². */
const PENALTY = 2e5;

/**
 * Minimise the energy of one configuration `x0` (copied) of `p`.
 */
export function minimize(p: Potential, x0: Float64Array, options: MinimizeOptions = {}): MinimizeResult {
  const tol = options.tolerance ?? 10;
  const maxIt = options.maxIterations ?? 2000;
  const c = options.constraints;
  if (c && !options.masses) throw new Error('minimize: constraints need masses (amu) for SHAKE');
  const n = x0.length;
  if (n !== p.nParticles * p.dim) throw new Error(`minimize: ${p.name} needs ${p.nParticles * p.dim} coordinates, got ${n}`);
  const fBuf = new Float64Array(n);
  const eBuf = new Float64Array(1);
  // Energy and gradient of U + penalty, and the gradient's largest component: at a constrained
  // minimum the penalty cancels force along the constraints, so that is the convergence test.
  const evalAt = (x: Float64Array, g: Float64Array): [number, number] => {
    p.evaluate(x, 1, fBuf, eBuf);
    for (let i = 0; i < n; i++) g[i] = -fBuf[i];
    let e = eBuf[0];
    if (c) {
      for (let k = 0; k < c.distances.length; k++) {
        const i = 3 * c.pairs[2 * k];
        const j = 3 * c.pairs[2 * k + 1];
        const d = [x[i] - x[j], x[i + 1] - x[j + 1], x[i + 2] - x[j + 2]];
        const r = Math.hypot(d[0], d[1], d[2]);
        const dr = r - c.distances[k];
        e += 0.5 * PENALTY * dr * dr;
        for (let a = 0; a < 3; a++) {
          g[i + a] += (PENALTY * dr * d[a]) / r;
          g[j + a] -= (PENALTY * dr * d[a]) / r;
        }
      }
    }
    return [e, g.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0)];
  };

  const m = 10;
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let [e, maxF] = evalAt(x, g);
  let it = 0;
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
  for (; it < maxIt && maxF > tol; it++) {
    // Two-loop recursion: d = −H g.
    const q = Float64Array.from(g);
    const alpha: number[] = [];
    for (let k = S.length - 1; k >= 0; k--) {
      const a = dot(S[k], q) / dot(Y[k], S[k]);
      alpha[k] = a;
      for (let i = 0; i < n; i++) q[i] -= a * Y[k][i];
    }
    const gamma = S.length ? dot(S[S.length - 1], Y[Y.length - 1]) / dot(Y[Y.length - 1], Y[Y.length - 1]) : 1e-4;
    for (let i = 0; i < n; i++) q[i] *= gamma;
    for (let k = 0; k < S.length; k++) {
      const b = dot(Y[k], q) / dot(Y[k], S[k]);
      for (let i = 0; i < n; i++) q[i] += S[k][i] * (alpha[k] - b);
    }
    let slope = -dot(g, q);
    if (!(slope < 0)) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      for (let i = 0; i < n; i++) q[i] = 1e-4 * g[i];
      slope = -dot(g, q);
    }
    let step = 1;
    const xNew = new Float64Array(n);
    const gNew = new Float64Array(n);
    let eNew = 0;
    let maxFNew = 0;
    for (let ls = 0; ; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] - step * q[i];
      [eNew, maxFNew] = evalAt(xNew, gNew);
      if (eNew <= e + 1e-4 * step * slope) break;
      step *= 0.5;
      if (ls > 40) {
        return finish(x, maxF, it, false);
      }
    }
    const s = xNew.map((v, i) => v - x[i]);
    const y = gNew.map((v, i) => v - g[i]);
    if (dot(s, y) > 1e-12) {
      S.push(s);
      Y.push(y);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    x = xNew;
    g = gNew;
    e = eNew;
    maxF = maxFNew;
  }
  return finish(x, maxF, it, maxF <= tol);

  function finish(xf: Float64Array, maxForce: number, iterations: number, converged: boolean): MinimizeResult {
    if (c && options.masses) shakePositions(c, Float64Array.from(xf), xf, options.masses.map((mm) => 1 / mm), 1);
    p.evaluate(xf, 1, fBuf, eBuf);
    return { x: xf, energy: eBuf[0], maxForce, iterations, converged };
  }
}
