/**
 * Tempering ladders: a target exp(−a βU) whose inverse-temperature factor a rises from a small
 * start to 1, in steps chosen where the samples of the present stage still describe the next:
 * the Kish effective sample size of the weights exp(−Δa βU) over them stays at a set fraction
 * (the adaptive rule of sequential Monte Carlo samplers). A stage ends when its loss has
 * settled ({@link Plateau}).
 */
import { boltzmannWeights } from '../analysis/reweight.js';

/** Options of {@link nextTemperingFactor}. */
export interface TemperingStepOptions {
  /** Effective sample size of the reweighted samples, as a fraction of their number; default 0.5. */
  targetEss?: number;
  /** Largest ratio a'/a; default 10. */
  maxFactor?: number;
  /** The factor the ladder ends at; default 1. */
  end?: number;
}

/** The next rung: factor a' and the ESS fraction of the present samples reweighted to it. */
export interface TemperingStep {
  a: number;
  ess: number;
}

/**
 * The largest a' in (a, min(end, maxFactor·a)] at which samples of exp(−a βU) keep an ESS
 * fraction ≥ `targetEss` when reweighted to exp(−a' βU), by bisection on a'.
 * @param betaU [samples] βU of samples at the present stage (dimensionless).
 * @throws Error for a non-finite βU, or an `a` outside (0, end).
 */
export function nextTemperingFactor(betaU: ArrayLike<number>, a: number, opts: TemperingStepOptions = {}): TemperingStep {
  const target = opts.targetEss ?? 0.5;
  const end = opts.end ?? 1;
  const maxFactor = opts.maxFactor ?? 10;
  if (!(a > 0 && a < end)) throw new Error(`nextTemperingFactor: a = ${a}, expected 0 < a < ${end}`);
  if (!(target > 0 && target < 1)) throw new Error(`nextTemperingFactor: targetEss = ${target}, expected a fraction in (0, 1)`);
  if (!(maxFactor > 1)) throw new Error(`nextTemperingFactor: maxFactor = ${maxFactor}, expected > 1`);
  const essAt = (next: number) => temperingEss(betaU, a, next);
  const top = Math.min(end, maxFactor * a);
  const essTop = essAt(top);
  if (essTop >= target) return { a: top, ess: essTop };
  let lo = a;
  let hi = top;
  for (let k = 0; k < 60; k++) {
    const mid = 0.5 * (lo + hi);
    if (essAt(mid) >= target) lo = mid;
    else hi = mid;
  }
  return { a: lo, ess: essAt(lo) };
}

/**
 * Kish ESS fraction of samples of exp(−a βU) reweighted to exp(−next · βU).
 * @param betaU [samples] βU of the samples.
 */
export function temperingEss(betaU: ArrayLike<number>, a: number, next: number): number {
  return boltzmannWeights(Float64Array.from(betaU, (u) => (next - a) * u), 1).ess / betaU.length;
}

/**
 * Decides when a noisy loss has stopped falling: it compares the means of the last two windows
 * of `window` values and calls the loss settled when the later one is not lower by more than
 * two standard errors of the difference. A loss that rises counts as settled here — a slow
 * drift at one tempering factor should not hold the ladder — and {@link Plateau.rise} measures
 * how far it has risen, for a caller that must tell a blow-up from a drift.
 */
export class Plateau {
  private values: number[] = [];

  /** @param window values per window (e.g. training steps). */
  constructor(readonly window: number) {
    if (!Number.isInteger(window) || window < 2) throw new Error(`Plateau: window must be an integer ≥ 2, got ${window}`);
  }

  /** Values since the last `reset`. */
  get count(): number {
    return this.values.length;
  }

  /** Add a value; true when the last two full windows show no significant decrease. */
  push(v: number): boolean {
    this.values.push(v);
    const w = this.window;
    if (this.values.length < 2 * w || this.values.length % w !== 0) return false;
    const last = stats(this.values.slice(-w));
    const prev = stats(this.values.slice(-2 * w, -w));
    return prev.mean - last.mean <= 2 * Math.hypot(prev.se, last.se);
  }

  /**
   * How far the last full window's mean lies above the lowest window mean since the reset:
   * the rise and its size in standard errors of the difference; undefined before two windows.
   */
  rise(): { lowest: number; last: number; rise: number; z: number } | undefined {
    const w = this.window;
    const n = Math.floor(this.values.length / w);
    if (n < 2) return undefined;
    const windows = Array.from({ length: n }, (_, k) => stats(this.values.slice(k * w, (k + 1) * w)));
    const last = windows[n - 1];
    const lowest = windows.slice(0, -1).reduce((b, x) => (x.mean < b.mean ? x : b));
    const rise = last.mean - lowest.mean;
    return { lowest: lowest.mean, last: last.mean, rise, z: rise / Math.hypot(lowest.se, last.se) };
  }

  /** Mean of the last window (NaN before one is full). */
  lastMean(): number {
    return this.values.length < this.window ? NaN : stats(this.values.slice(-this.window)).mean;
  }

  reset(): void {
    this.values = [];
  }
}

function stats(v: number[]): { mean: number; se: number } {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1);
  return { mean, se: Math.sqrt(variance / v.length) };
}
