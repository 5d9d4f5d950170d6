/**
 * Relative-entropy minimisation (Shell 2008; Chaimovich & Shell 2011), the job of VOTCA's
 * csg_reupdate, on the spline basis: U_θ(R) = θ·φ(R) is linear in θ, so
 *
 *   S_rel(θ) = β θ·⟨φ⟩_ref + ln Z_θ + const,   ∇S = β(⟨φ⟩_ref − ⟨φ⟩_θ),   ∇²S = β² Cov_θ(φ),
 *
 * with ⟨·⟩_ref over the mapped reference frames and ⟨·⟩_θ over a CG run at θ. Each iteration
 * takes a damped Newton step (H + λ·mean diag(H)·I) Δθ = −∇S, shortened so that no
 * coefficient moves by more than `maxStep` kT. The change of S_rel between iterations is
 * measured by integrating the gradient along the step (trapezoid rule, exact for a quadratic
 * S): ΔS ≈ ½(∇S_k + ∇S_{k+1})·(θ_{k+1} − θ_k). A step that raised S_rel is halved from the
 * previous point (and the trust radius with it; an accepted step doubles it again, up to
 * `maxStep`), so the accepted sequence decreases. Converged when the full Newton step is
 * below `tolerance`.
 */
import type { PairBasisSet } from '../../cg/pairBasisSet.js';
import type { PairTable } from '../../cg/pairTable.js';
import type { Rdf } from '../../analysis/rdf.js';
import { uniformWeights, weightedMoments } from '../../analysis/reweight.js';
import { solveSpd } from '../../cg/linalg.js';
import type { LiquidData } from './data.js';
import { kT, liquidRdf, pmfStart, RDF_ERROR_FROM, rdfRecord, rdfRms, sampleIteration, type IterationRecord, type IterativeOptions } from './iterate.js';

/** REM settings. */
export interface RemOptions extends IterativeOptions {
  /** Levenberg damping λ; default 0.05. */
  damping?: number;
  /** Largest change of one coefficient per step, in kT; default 0.5. */
  maxStep?: number;
  /** Stop when the largest step falls below this, in kT; default 0.005. */
  tolerance?: number;
  /** Starting coefficients (default: the potential of mean force, iterate.ts). */
  start?: Float64Array;
}

/** A REM fit. */
export interface RemResult {
  basis: PairBasisSet;
  theta: Float64Array;
  target: Rdf;
  iterations: IterationRecord[];
  /** S_rel of each accepted iterate relative to the start, in units of k_B (extensive). */
  relativeEntropy: number[];
  converged: boolean;
  tables: Map<string, PairTable>;
}

/** Mean of φ over frames, and its covariance when asked. */
export function statistics(set: PairBasisSet, positions: ArrayLike<number>, frames: number, box: (f: number) => ArrayLike<number>, data: Pick<LiquidData, 'types' | 'n'> & { molecule?: Int32Array }, covariance: boolean): { mean: Float64Array; cov?: Float64Array } {
  const rows = set.frameStatistics(positions, frames, box, data);
  const uniform = uniformWeights(frames).weights;
  return covariance ? weightedMoments(rows, frames, set.size, uniform) : { mean: weightedMoments(rows, frames, set.size, uniform).mean };
}

/**
 * Fits pair potentials to the mapped reference by relative-entropy minimisation.
 * @throws Error from the CG runs (an unstable potential) or when the Hessian is singular even
 *   with the damping.
 */
export async function remPairs(data: LiquidData, o: RemOptions): Promise<RemResult> {
  const target = liquidRdf(data.positions, data.frames, data.box, data, o.cutoff, o.bin);
  const start = pmfStart(data, target, o);
  const set = start.set;
  const k = set.size;
  let theta = o.start ? Float64Array.from(o.start) : start.theta;
  if (theta.length !== k) throw new Error(`rem: ${theta.length} starting coefficients for a basis of ${k}`);
  const kt = kT(o.temperature);
  const beta = 1 / kt;
  const ref = statistics(set, data.positions, data.frames, (f) => data.box.subarray(3 * f, 3 * f + 3), data, false).mean;
  const from = o.errorFrom ?? RDF_ERROR_FROM;
  const damping = o.damping ?? 0.05;
  const maxRadius = (o.maxStep ?? 0.5) * kt;
  let radius = maxRadius;
  const tolerance = (o.tolerance ?? 0.005) * kt;
  const iterations: IterationRecord[] = [];
  const relativeEntropy: number[] = [];
  let prev: { theta: Float64Array; grad: Float64Array; s: number } | undefined;
  let tables = set.tables(theta);
  let converged = false;
  for (let it = 0; it < o.iterations && !o.signal?.aborted; it++) {
    const t0 = Date.now();
    const run = await sampleIteration(set, theta, data, o, it);
    if (run.samples.interrupted) break;
    const { samples } = run;
    const cg = statistics(set, samples.positions, samples.frames, () => samples.box, data, true);
    const grad = Float64Array.from(ref, (r, i) => beta * (r - cg.mean[i]));
    const g = liquidRdf(samples.positions, samples.frames, samples.box, data, o.cutoff, o.bin);
    let s = 0;
    if (prev) {
      for (let i = 0; i < k; i++) s += 0.5 * (prev.grad[i] + grad[i]) * (theta[i] - prev.theta[i]);
      s += prev.s;
    }
    const record: IterationRecord = {
      iteration: it, rdfError: rdfRms(g, target, from, o.cutoff), g: rdfRecord(g), frames: samples.frames, seconds: 0,
      relativeEntropy: s, relativeEntropyPerBead: s / data.n, gradientNorm: Math.hypot(...grad),
    };
    const rejected = prev !== undefined && s > prev.s;
    record.accepted = !rejected;
    if (rejected) {
      // Back to half the step from the last accepted point.
      radius /= 2;
      const last = prev as { theta: Float64Array; grad: Float64Array; s: number };
      theta = Float64Array.from(theta, (t, i) => last.theta[i] + 0.5 * (t - last.theta[i]));
      record.seconds = (Date.now() - t0) / 1000;
      iterations.push(record);
      o.onIteration?.(record, run.tables);
      continue;
    }
    tables = run.tables;
    // An accepted step earns back trust lost to rejections.
    if (prev) radius = Math.min(maxRadius, 2 * radius);
    prev = { theta: Float64Array.from(theta), grad, s };
    relativeEntropy.push(s);
    // Damped Newton step on β²·Cov.
    const h = (cg.cov as Float64Array).map((v) => beta * beta * v);
    let diag = 0;
    for (let i = 0; i < k; i++) diag += h[i * k + i] / k;
    for (let i = 0; i < k; i++) h[i * k + i] += damping * diag + 1e-12;
    const step = solveSpd(h, k, Float64Array.from(grad, (v) => -v), 1);
    if (!step) throw new Error('rem: the covariance Hessian is singular even with the damping; sample longer (--ps) or raise the damping');
    const largest = step.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const shrink = largest > radius ? radius / largest : 1;
    record.step = largest * shrink / kt;
    record.seconds = (Date.now() - t0) / 1000;
    iterations.push(record);
    o.onIteration?.(record, tables);
    // Converged when the full Newton step is small, not the trust-limited one.
    if (largest < tolerance) {
      converged = true;
      break;
    }
    theta = Float64Array.from(theta, (t, i) => t + shrink * step[i]);
  }
  const best = prev ? prev.theta : theta;
  return { basis: set, theta: best, target, iterations, relativeEntropy, converged, tables: prev ? tables : set.tables(best) };
}
