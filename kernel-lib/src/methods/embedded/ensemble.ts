/**
 * Predictive uncertainty by repeated fits: the same training from different seeds gives models
 * that differ where the force field alone does not pin the answer down at the effort spent
 * (the weight of a mode the reverse KL is slow to fill, say); the spread of an observable over
 * them is its error bar. The fit with the lowest bound — closest to the Boltzmann density in
 * KL, since the bound exceeds −ln Z by exactly that — is the one to use.
 */
import { Random } from '../../util/random.js';
import type { EmbeddedTarget } from './target.js';
import { fitEmbedded, weightedSamples, type EmbeddedFit, type EmbeddedOptions } from './train.js';

/** Fits of one target from seeds `seed`, `seed + 1`, …. */
export interface EmbeddedEnsemble {
  fits: EmbeddedFit[];
  /** [fits] mean bound of each fit's own samples at a = 1, kT. */
  bounds: number[];
  /** Index of the fit with the lowest bound. */
  best: number;
}

/**
 * `count` fits of `target` (seeds opts.seed ?? 1 upwards), each judged by the mean bound of
 * `samples` of its own draws at a = 1.
 * @param onFit called after each fit with its index.
 */
export async function fitEnsemble(target: EmbeddedTarget, count: number, opts: EmbeddedOptions = {}, samples = 4096, onFit?: (k: number, fit: EmbeddedFit, bound: number) => void): Promise<EmbeddedEnsemble> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`fitEnsemble: the number of fits must be a positive integer, got ${count}`);
  const seed = opts.seed ?? 1;
  const fits: EmbeddedFit[] = [];
  const bounds: number[] = [];
  for (let k = 0; k < count && !opts.signal?.aborted; k++) {
    const fit = await fitEmbedded(target, { ...opts, seed: seed + k });
    const { bound } = weightedSamples(fit.model, target, samples, new Random(seed + k + 1000));
    fits.push(fit);
    bounds.push(bound.reduce((a, b) => a + b, 0) / samples);
    onFit?.(k, fit, bounds[k]);
  }
  const best = bounds.reduce((b, v, k) => (v < bounds[b] ? k : b), 0);
  return { fits, bounds, best };
}

/** An observable over the fits of an ensemble. */
export interface Spread {
  /** [fits] its value for each model. */
  values: number[];
  mean: number;
  /** Standard deviation over the fits (n − 1). */
  sd: number;
}

/**
 * The observable `f` of `n` samples of each fit's model, with its mean and spread over fits.
 * @param f reads generated coordinates q [n, dim] and returns a number.
 */
export function observableSpread(ensemble: EmbeddedEnsemble, n: number, f: (q: Float64Array, n: number) => number, seed = 7): Spread {
  const values = ensemble.fits.map((fit, k) => f(fit.model.sample(n, new Random(seed + k)).q, n));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : NaN;
  return { values, mean, sd };
}
