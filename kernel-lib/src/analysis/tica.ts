/**
 * Time-lagged independent component analysis (TICA; Pérez-Hernández et al. 2013, Schwantes &
 * Pande 2013): the linear combinations of features that decorrelate slowest. With mean-free
 * features, instantaneous covariance C0 and time-lagged covariance Cτ, both symmetrised over
 * forward and backward pairs (the reversible estimator, as deeptime's default), TICA solves
 * Cτ v = λ C0 v. λ is the autocorrelation of component v at lag τ; for a process that relaxes
 * exponentially its implied timescale is t = −τ / ln λ.
 *
 * C0 is whitened through its eigendecomposition, dropping directions with eigenvalue below
 * `epsilon` times the largest (features that are constant or linearly dependent), then the
 * whitened Cτ is diagonalised.
 */
import { symmetricEigen } from '../cg/linalg.js';

/** Options of {@link tica}. */
export interface TicaOptions {
  /** Lag τ in frames (≥ 1). */
  lag: number;
  /** Frames of each trajectory, in order, when `x` holds several one after another: lagged pairs never cross from one to the next. Default: one trajectory. */
  trajectoryLengths?: readonly number[];
  /** Components to keep; default all that survive whitening. */
  dim?: number;
  /** Time between frames, ps; default 1 (then timescales are in frames). */
  dt?: number;
  /** Relative eigenvalue floor of C0; default 1e-10. */
  epsilon?: number;
}

/** A fitted TICA model. */
export interface Tica {
  /** Features per frame. */
  nFeatures: number;
  /** [nFeatures] mean removed before projecting. */
  mean: Float64Array;
  /** [dim, nFeatures] row-major: row k is the k-th component, scaled so its projection has unit variance. */
  components: Float64Array;
  /** [dim] autocorrelations at the lag, descending. */
  eigenvalues: Float64Array;
  /** [dim] implied timescales −τ·dt/ln|λ|, in the unit of `dt` (frames when it is not given); Infinity for |λ| ≥ 1. */
  timescales: Float64Array;
  /** Lag, frames. */
  lag: number;
}

/**
 * Fit TICA to features x [frames, nFeatures] (row-major).
 * @throws Error for a lag that is not a positive integer, lengths that do not add up to the frames,
 *   no trajectory longer than the lag, or features that are all constant.
 */
export function tica(x: ArrayLike<number>, nFeatures: number, opts: TicaOptions): Tica {
  const d = nFeatures;
  if (!Number.isInteger(d) || d < 1 || x.length === 0 || x.length % d !== 0) throw new Error(`tica: ${x.length} values are not [frames, ${d}] features`);
  const frames = x.length / d;
  const lag = opts.lag;
  if (!Number.isInteger(lag) || lag < 1) throw new Error(`tica: lag is ${lag}, expected a positive integer number of frames`);
  const lengths = opts.trajectoryLengths ?? [frames];
  const total = lengths.reduce((s, n) => s + n, 0);
  if (total !== frames || lengths.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new Error(`tica: trajectoryLengths add up to ${total} frames, but x holds ${frames}; give each trajectory's frame count in order`);
  }
  // Lagged pairs (t, t + τ) within each trajectory.
  const starts: number[] = [];
  let offset = 0;
  for (const n of lengths) {
    for (let t = 0; t + lag < n; t++) starts.push(offset + t);
    offset += n;
  }
  if (starts.length === 0) throw new Error(`tica: no trajectory is longer than the lag (${lag} frames; longest ${Math.max(...lengths)}): use a shorter lag`);
  const pairs = starts.length;
  const mean = new Float64Array(d);
  for (const t of starts) for (let k = 0; k < d; k++) mean[k] += (x[t * d + k] + x[(t + lag) * d + k]) / (2 * pairs);
  const c0 = new Float64Array(d * d);
  const ct = new Float64Array(d * d);
  const a = new Float64Array(d);
  const b = new Float64Array(d);
  for (const t of starts) {
    for (let k = 0; k < d; k++) {
      a[k] = x[t * d + k] - mean[k];
      b[k] = x[(t + lag) * d + k] - mean[k];
    }
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        c0[i * d + j] += (a[i] * a[j] + b[i] * b[j]) / (2 * pairs);
        ct[i * d + j] += (a[i] * b[j] + b[i] * a[j]) / (2 * pairs);
      }
    }
  }
  // Whitening W = U s^{-1/2} over the kept eigenvectors of C0.
  const e0 = symmetricEigen(c0, d);
  const floor = (opts.epsilon ?? 1e-10) * Math.max(e0.values[0], 0);
  const kept = Array.from(e0.values).filter((v) => v > floor).length;
  if (kept === 0) throw new Error('tica: every feature is constant over the frames; there is nothing to analyse');
  const w = new Float64Array(kept * d); // row r: r-th whitening direction
  for (let r = 0; r < kept; r++) for (let k = 0; k < d; k++) w[r * d + k] = e0.vectors[r * d + k] / Math.sqrt(e0.values[r]);
  const ctw = new Float64Array(kept * kept);
  for (let r = 0; r < kept; r++) {
    for (let s = 0; s < kept; s++) {
      let v = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) v += w[r * d + i] * ct[i * d + j] * w[s * d + j];
      ctw[r * kept + s] = v;
    }
  }
  const et = symmetricEigen(ctw, kept);
  const dim = Math.min(opts.dim ?? kept, kept);
  const components = new Float64Array(dim * d);
  for (let c = 0; c < dim; c++) {
    for (let k = 0; k < d; k++) {
      let v = 0;
      for (let r = 0; r < kept; r++) v += et.vectors[c * kept + r] * w[r * d + k];
      components[c * d + k] = v;
    }
  }
  const dt = opts.dt ?? 1;
  const eigenvalues = et.values.slice(0, dim);
  const timescales = eigenvalues.map((l) => (Math.abs(l) >= 1 ? Infinity : (-lag * dt) / Math.log(Math.abs(l))));
  return { nFeatures: d, mean, components, eigenvalues, timescales, lag };
}

/** Project features x [frames, nFeatures] onto the components: [frames, dim] row-major. */
export function ticaProject(model: Tica, x: ArrayLike<number>): Float64Array {
  const d = model.nFeatures;
  if (x.length % d !== 0) throw new Error(`ticaProject: ${x.length} values are not [frames, ${d}] features (the model was fitted on ${d})`);
  const frames = x.length / d;
  const dim = model.components.length / d;
  const out = new Float64Array(frames * dim);
  for (let t = 0; t < frames; t++) {
    for (let c = 0; c < dim; c++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += model.components[c * d + k] * (x[t * d + k] - model.mean[k]);
      out[t * dim + c] = v;
    }
  }
  return out;
}
