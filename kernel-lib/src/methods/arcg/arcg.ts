/**
 * Adversarial-residual coarse-graining (Durumeric & Voth, J. Chem. Phys. 151, 124110, 2019):
 * the CG model p_θ(R) ∝ ∫ exp(−β U_θ(R, v)) dv is an implicit generative model, sampled by
 * simulation; a critic v_ψ(χ(R)) on features of the mapped coordinates R bounds an
 * f-divergence between the mapped reference and the model (nn/fDivergence.ts),
 *
 *   L(θ, ψ) = E_ref[g(v_ψ)] − E_θ[f*(g(v_ψ))],      min_θ max_ψ L,
 *
 * and the model's gradient comes from the Boltzmann covariance estimator (analysis/reweight.ts):
 *
 *   ∂L/∂θ = β Cov_θ(f*(g(v_ψ)), ∂U_θ/∂θ).
 *
 * Each iteration: samples of the model at θ (fresh, or the last ones reweighted while their
 * effective sample size stays above `minEss` of their count) → `criticSteps` critic steps →
 * one θ step. The θ step is a natural-gradient step, preconditioned by the Fisher information
 * of the Boltzmann family at θ, β² Cov_θ(∂U/∂θ) (Levenberg-damped, and shortened so that no
 * parameter moves by more than `maxStep` kT): for a linear model with a linear critic in its
 * span this is REM's Newton step, and the fixed point is REM's, ⟨∂U/∂θ⟩_ref = ⟨∂U/∂θ⟩_θ.
 *
 * The model may hold virtual sites v that no atom maps to: they are sampled with R and only
 * the critic's features of R enter, which is what REM cannot do (it needs U at the mapped
 * reference configurations). Models are linear in θ, U_θ = U₀ + θ·φ(R, v), so that reweighting
 * is exact: ΔU = (θ − θ_s)·φ.
 */
import { boltzmannGradient, boltzmannWeights, meanCovariance, uniformWeights, weightedMoments, type Weights } from '../../analysis/reweight.js';
import { solveSpd, symmetricEigen } from '../../cg/linalg.js';
import type { Critic, CriticState, FeatureRows } from '../../nn/critic.js';

/** Samples of the model at one θ, with what ARCG needs of each. */
export interface ModelSamples {
  frames: number;
  /**
   * [frames · rowsPerFrame, features] the critic's features of the mapped part R of each
   * sample: one row per frame, or several (a liquid's beads, each in its local environment).
   */
  features: Float64Array;
  /** Critic rows per frame; default 1. */
  rowsPerFrame?: number;
  /**
   * What a frame's sum over its rows is multiplied by in the generator's observable
   * Σ_rows f*(g(v)) (the frame's part count over its rows, when rows sample the parts); default 1.
   */
  rowScale?: number;
  /** [frames, size] ∂U/∂θ = φ(R, v) of each sample, kJ/mol per unit of θ. */
  dU: Float64Array;
  /** True when the run was stopped early (its frames are incomplete). */
  interrupted: boolean;
  /** Numbers the model reports of these samples (an RDF error, say), copied into the record of every iteration that uses them. */
  record?: Record<string, unknown>;
}

/** A CG model that ARCG can fit: U_θ = U₀ + θ·φ, sampled by simulation. */
export interface ImplicitModel {
  /** Number of parameters θ. */
  readonly size: number;
  /** Number of critic features. */
  readonly features: number;
  /**
   * True when the critic's features are ∂U/∂θ itself (no virtual sites): a linear critic is
   * then in the model's span, the fixed point is REM's, and θ's sampling error (and the
   * noise-floor test of convergence) apply.
   */
  readonly featuresAreStatistics?: boolean;
  /** A name for parameter k, for diagnoses (e.g. "O-O coefficient 12 (r = 0.31 nm)"). */
  parameterName(k: number): string;
  /**
   * Samples of p_θ; `iteration` seeds them.
   * @throws Error when the simulation fails (an unstable potential).
   */
  sample(theta: Float64Array, iteration: number, o: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void }): Promise<ModelSamples>;
}

/** One ARCG iteration. */
export interface ArcgRecord {
  iteration: number;
  /** The divergence the critic estimates (KL, or JSD for js) after its steps. */
  divergence: number;
  /** The critic's loss, −(bound), after its steps. */
  criticLoss: number;
  /** |∂L/∂θ| and the norm of its standard errors (blocks of frames). */
  gradientNorm: number;
  gradientError: number;
  /** Largest |Δθ| of this iteration's step, kT. */
  step: number;
  /** Effective sample size of the samples used, and how many there are. */
  ess: number;
  frames: number;
  /** True when the samples were drawn at this iteration's θ, false when reused by reweighting. */
  resampled: boolean;
  /** The iteration whose θ drew the samples used (this one when resampled). */
  sampledAt: number;
  /** rms of the full step over θ's sampling error (1: a step of pure noise). */
  noise: number;
  /** True when the full step was below the tolerance or at the noise floor. */
  small: boolean;
  /** False when this iterate raised the divergence and was halved back towards the last accepted one (no step taken; linear critics only). */
  accepted: boolean;
  /** The divergence's change since the start along the accepted iterates, by the gradient's line integral (nats for KL). */
  change: number;
  /** True when the critic separated the sets and the step was taken to the trust radius along its direction. */
  separated?: boolean;
  seconds: number;
  [key: string]: unknown;
}

/** Where an interrupted fit resumes from. */
export interface ArcgState {
  /** Next iteration to run. */
  iteration: number;
  theta: number[];
  /** The trust radius (kJ/mol) and the last accepted iterate of the line-integral check, when there is one. */
  radius?: number;
  accepted?: { theta: number[]; grad: number[]; change: number };
  critic: CriticState;
  records: ArcgRecord[];
}

/** ARCG settings. */
export interface ArcgOptions {
  /** kT, kJ/mol. */
  kT: number;
  /** Most iterations. */
  iterations: number;
  /** Critic steps per iteration; default 3 (Newton steps of a linear critic; use tens for an MLP). */
  criticSteps?: number;
  /** Scale of the natural-gradient step; default 1. */
  learningRate?: number;
  /** Levenberg damping of the Fisher matrix, as a fraction of its mean diagonal; default 0.01. */
  damping?: number;
  /** Largest change of one parameter per step, kT (the trust radius, halved on a rejected step); default 0.5. */
  maxStep?: number;
  /**
   * Stop when the full step is small on two iterations in a row, the second on fresh samples:
   * the largest below this, kT, or, for a linear critic in the model's span, at the noise floor
   * (the rms over parameters of step / `thetaError` at most 1.5: a step of pure sampling noise
   * has rms 1); default 0.005. 0: never stop early, run every iteration.
   */
  tolerance?: number;
  /** Resample when the reweighted samples' effective size falls below this fraction; default 0.5 (1: always resample). */
  minEss?: number;
  /** Use one set of samples for at most this many iterations; default 4. */
  maxReuse?: number;
  /** Blocks of frames for standard errors; default 10. */
  blocks?: number;
  /** Continue from a saved state (θ and critic) instead of `start`. */
  resume?: ArcgState;
  onIteration?: (record: ArcgRecord, state: ArcgState) => void;
  onProgress?: (iteration: number, done: number, total: number) => void;
  /** Stops at the next saved frame of the current run; the fit returns the iterations done. */
  signal?: AbortSignal;
}

/** An ARCG fit. */
export interface ArcgResult {
  theta: Float64Array;
  /**
   * Statistical error of θ from the CG sampling at the last iteration, for a critic whose
   * features are ∂U/∂θ (a linear critic in the model's span, no virtual sites): the fixed
   * point ⟨φ⟩_θ = ⟨φ⟩_ref moves by β F⁻¹ δ⟨φ⟩_θ, so the error is β √diag(F⁻¹ Σ F⁻¹), with Σ
   * the block covariance of the model samples' mean φ and F the undamped Fisher matrix (NaN
   * before any iteration, with one block, or for a parameter the samples do not determine).
   * Other critics reach other fixed points; there it only sizes the noise of the step. The
   * reference's own sampling error is not included: a method fitted to the same reference
   * (REM) shares it.
   */
  thetaError: Float64Array;
  records: ArcgRecord[];
  converged: boolean;
  state: ArcgState;
}

/**
 * Fits `model` to the reference rows of critic features by ARCG, from `start` (or
 * `o.resume`), training `critic` along.
 * @throws Error naming the iteration and the term when the run diverges: a CG run that fails,
 *   a critic or gradient that is not finite, a singular Fisher matrix.
 */
export async function fitArcg(model: ImplicitModel, reference: FeatureRows, critic: Critic, start: Float64Array, o: ArcgOptions): Promise<ArcgResult> {
  if (critic.features !== model.features) {
    throw new Error(`arcg: the critic takes ${critic.features} features, the model gives ${model.features}: the critic's basis does not match the model`);
  }
  if (reference.x.length !== reference.n * model.features) {
    throw new Error(`arcg: the reference rows have ${reference.x.length / Math.max(1, reference.n)} features each, the model gives ${model.features}`);
  }
  const size = model.size;
  const beta = 1 / o.kT;
  const steps = o.criticSteps ?? 3;
  const eta = o.learningRate ?? 1;
  const damping = o.damping ?? 0.01;
  const maxStep = (o.maxStep ?? 0.5) * o.kT;
  const tolerance = (o.tolerance ?? 0.005) * o.kT;
  const minEss = o.minEss ?? 0.5;
  const blocks = o.blocks ?? 10;
  const maxReuse = o.maxReuse ?? 4;
  let theta = Float64Array.from(o.resume ? o.resume.theta : start);
  if (theta.length !== size) throw new Error(`arcg: ${theta.length} starting parameters for a model of ${size}`);
  if (o.resume) critic.restore(o.resume.critic);
  const records: ArcgRecord[] = o.resume ? [...o.resume.records] : [];
  const first = o.resume?.iteration ?? 0;
  let drawn: { samples: ModelSamples; theta: Float64Array; iteration: number; uses: number } | undefined;
  // The last accepted iterate, with its gradient and the divergence's change since the start
  // along the accepted path (the gradient's line integral); the trust radius of the steps.
  const saved = o.resume?.accepted;
  let prev: { theta: Float64Array; grad: Float64Array; change: number } | undefined = saved ? { theta: Float64Array.from(saved.theta), grad: Float64Array.from(saved.grad), change: saved.change } : undefined;
  let radius = o.resume?.radius ?? maxStep;
  let lastStep: Float64Array | undefined;
  let converged = false;
  let thetaError = new Float64Array(size).fill(NaN);
  const state = (iteration: number): ArcgState => ({
    iteration, theta: Array.from(theta), critic: critic.state(), records: [...records], radius,
    ...(prev ? { accepted: { theta: Array.from(prev.theta), grad: Array.from(prev.grad), change: prev.change } } : {}),
  });
  const diagnose = (it: number, what: string): Error => {
    let worst = '';
    if (lastStep) {
      let k = 0;
      lastStep.forEach((v, i) => (Math.abs(v) > Math.abs(lastStep![k]) ? (k = i) : 0));
      worst = ` The last θ step moved ${model.parameterName(k)} most, by ${(lastStep[k] / o.kT).toFixed(3)} kT: lower the step (maxStep, learningRate) or sample more.`;
    }
    return new Error(`arcg: iteration ${it}: ${what}.${worst}`);
  };
  for (let it = first; it < o.iterations && !o.signal?.aborted; it++) {
    const t0 = Date.now();
    let weights: Weights | undefined;
    if (drawn && minEss < 1 && drawn.uses < maxReuse) {
      const { samples, theta: at } = drawn;
      const dth = Float64Array.from(theta, (t, k) => t - at[k]);
      const deltaU = Float64Array.from({ length: samples.frames }, (_, f) => {
        let s = 0;
        for (let k = 0; k < size; k++) s += dth[k] * samples.dU[f * size + k];
        return s;
      });
      weights = boltzmannWeights(deltaU, beta);
      if (weights.ess < minEss * samples.frames) weights = undefined;
    }
    const resampled = weights === undefined;
    if (resampled) {
      let samples: ModelSamples;
      try {
        samples = await model.sample(theta, it, { signal: o.signal, onProgress: (d, t) => o.onProgress?.(it, d, t) });
      } catch (e) {
        throw diagnose(it, `the CG run at θ failed (${(e as Error).message})`);
      }
      if (samples.interrupted) break;
      if (samples.frames < 2) throw diagnose(it, `the CG run gave ${samples.frames} frame(s); ARCG needs at least 2`);
      for (let i = 0; i < samples.dU.length; i++) {
        if (!Number.isFinite(samples.dU[i])) throw diagnose(it, `the CG samples hold ${samples.dU[i]} in ∂U/∂θ (${model.parameterName(i % size)}, frame ${Math.floor(i / size)})`);
      }
      drawn = { samples, theta: Float64Array.from(theta), iteration: it, uses: 0 };
      weights = uniformWeights(samples.frames);
    }
    (drawn as { uses: number }).uses++;
    const { samples } = drawn as { samples: ModelSamples };
    const w = weights as Weights;
    // Critic rows carry their frame's weight, shared between the frame's rows.
    const per = samples.rowsPerFrame ?? 1;
    const rows: FeatureRows = per === 1
      ? { x: samples.features, n: samples.frames, weights: w.weights }
      : { x: samples.features, n: samples.frames * per, weights: Float64Array.from({ length: samples.frames * per }, (_, i) => w.weights[Math.floor(i / per)] / per) };
    let bound: number;
    try {
      bound = critic.train(reference, rows, steps);
    } catch (e) {
      throw diagnose(it, `the critic failed (${(e as Error).message})`);
    }
    if (!Number.isFinite(bound)) throw diagnose(it, `the critic's bound became ${bound} (term: critic)`);
    // ∂L/∂θ = β Cov(f*(g(v)), ∂U/∂θ) = −∂E_θ[f*]/∂θ.
    // The generator's observable of each frame: f*(g(v)) summed over its rows.
    const values = critic.values(rows);
    const scale = samples.rowScale ?? 1;
    const fstar = Float64Array.from({ length: samples.frames }, (_, f) => {
      let t = 0;
      for (let r = 0; r < per; r++) t += critic.divergence.model(values[f * per + r])[0];
      return scale * t;
    });
    const est = boltzmannGradient(fstar, samples.dU, size, w.weights, beta, blocks);
    const grad = est.gradient.map((g) => -g);
    if (!grad.every(Number.isFinite)) throw diagnose(it, 'the generator gradient is not finite (term: covariance estimator)');
    // The divergence's change from the last accepted iterate, by the trapezoid rule on the
    // gradient (exact for a quadratic): a step that raised it is halved from there, with the
    // trust radius, as REM's steps are (pairs/rem.ts); an accepted step doubles the radius back.
    // Only a linear critic, trained to its optimum every iteration, gives the gradient of one
    // fixed objective; an MLP critic's objective moves as it learns, so its steps are all taken.
    // A separated critic's gradient has a direction but no size (nn/critic.ts): such a step
    // goes to the trust radius, is not checked by the line integral (which its gradient cannot
    // measure), restarts it afterwards, and never counts towards convergence.
    const separated = critic.separated();
    let change = 0;
    if (separated) prev = undefined;
    else if (prev && critic.kind === 'linear') {
      const last = prev;
      change = last.change;
      for (let k = 0; k < size; k++) change += 0.5 * (last.grad[k] + grad[k]) * (theta[k] - last.theta[k]);
      if (change > last.change) {
        radius /= 2;
        const rejected: ArcgRecord = {
          iteration: it, divergence: critic.divergence.fromBound(bound), criticLoss: -bound, gradientNorm: Math.hypot(...grad), gradientError: Math.hypot(...est.stdError),
          step: 0, ess: w.ess, frames: samples.frames, resampled, sampledAt: (drawn as { iteration: number }).iteration, seconds: (Date.now() - t0) / 1000,
          noise: NaN, small: false, accepted: false, change, ...samples.record,
        };
        theta = Float64Array.from(theta, (t, k) => last.theta[k] + 0.5 * (t - last.theta[k]));
        records.push(rejected);
        o.onIteration?.(rejected, state(it + 1));
        continue;
      }
      radius = Math.min(maxStep, 2 * radius);
    }
    if (!separated) prev = { theta: Float64Array.from(theta), grad, change };
    const fisher = weightedMoments(samples.dU, samples.frames, size, w.weights).cov.map((c) => beta * beta * c);
    thetaError = samplingError(fisher, meanCovariance(samples.dU, samples.frames, size, w.weights, blocks), size, beta);
    let diag = 0;
    for (let k = 0; k < size; k++) diag += fisher[k * size + k] / size;
    for (let k = 0; k < size; k++) fisher[k * size + k] += damping * diag + 1e-12;
    const full = solveSpd(fisher, size, grad.map((g) => -eta * g), 1);
    if (!full) throw diagnose(it, 'the Fisher matrix β²Cov(∂U/∂θ) is singular even with the damping (term: natural gradient): sample longer or raise the damping');
    const largest = full.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const shrink = separated && largest > 0 ? radius / largest : largest > radius ? radius / largest : 1;
    const record: ArcgRecord = {
      iteration: it, divergence: critic.divergence.fromBound(bound), criticLoss: -bound,
      gradientNorm: Math.hypot(...grad), gradientError: Math.hypot(...est.stdError),
      step: (largest * shrink) / o.kT, ess: w.ess, frames: samples.frames, resampled, sampledAt: (drawn as { iteration: number }).iteration, seconds: 0,
      noise: noiseRatio(full, thetaError), small: false, accepted: true, change,
      ...samples.record,
    };
    // Converged on two small steps in a row (a critic that has not yet found a difference gives
    // one), the second on fresh samples: reweighted ones carry the variance of where they were
    // drawn. Small: below the tolerance, or every component within θ's sampling error.
    // The noise floor is REM's: only for a linear critic in the model's span.
    const inSpan = critic.kind === 'linear' && model.featuresAreStatistics === true;
    record.small = tolerance > 0 && !separated && (largest < tolerance || (inSpan && record.noise <= 1.5));
    record.separated = separated;
    const small = record.small && records.length > 0 && records[records.length - 1].small;
    converged = small && resampled;
    if (small && !resampled) drawn = undefined;
    if (!converged) {
      lastStep = full.map((v) => v * shrink);
      theta = Float64Array.from(theta, (t, k) => t + (lastStep as Float64Array)[k]);
    }
    record.seconds = (Date.now() - t0) / 1000;
    records.push(record);
    o.onIteration?.(record, state(it + 1));
    if (converged) break;
  }
  const next = records.length ? records[records.length - 1].iteration + 1 : first;
  return { theta, thetaError, records, converged, state: state(next) };
}

/**
 * β √diag(F⁻¹ Σ F⁻¹) on the parameters F determines: F's eigenvalues below 1e-10 of its largest
 * are left out (a pseudo-inverse), and a parameter that lies mostly in such directions gets NaN.
 */
function samplingError(fisher: Float64Array, sigma: Float64Array, size: number, beta: number): Float64Array {
  if (sigma.some((v) => !Number.isFinite(v))) return new Float64Array(size).fill(NaN);
  // Eigenvectors are the rows of `vectors`: e_a[i] = vectors[a·size + i].
  const { values, vectors } = symmetricEigen(fisher, size);
  const top = values.reduce((m, v) => Math.max(m, v), 0);
  const kept = Array.from(values, (v, a) => (v > 1e-10 * top ? a : -1)).filter((a) => a >= 0);
  const e = (a: number, i: number): number => vectors[a * size + i];
  // (F⁺ Σ F⁺)_kk = Σ_ab e_a[k] e_b[k] (e_aᵀ Σ e_b) / (λ_a λ_b) over the kept eigenvectors a, b.
  const sigmaE = kept.map((b) => Float64Array.from({ length: size }, (_, i) => {
    let t = 0;
    for (let j = 0; j < size; j++) t += sigma[i * size + j] * e(b, j);
    return t;
  }));
  const inner = kept.map((a) => kept.map((b, ib) => {
    let t = 0;
    for (let i = 0; i < size; i++) t += e(a, i) * sigmaE[ib][i];
    return t / (values[a] * values[b]);
  }));
  return Float64Array.from({ length: size }, (_, k) => {
    let weight = 0;
    for (const a of kept) weight += e(a, k) ** 2;
    // A parameter mostly along undetermined directions has no meaningful error.
    if (!(weight > 0.5)) return NaN;
    let v = 0;
    kept.forEach((a, ia) => kept.forEach((b, ib) => (v += e(a, k) * e(b, k) * inner[ia][ib])));
    return beta * Math.sqrt(Math.max(0, v));
  });
}

/** rms over parameters with a finite error of step / error (1 for a step of pure noise); ∞ when none has one. */
function noiseRatio(step: Float64Array, error: Float64Array): number {
  let s = 0;
  let n = 0;
  step.forEach((v, k) => {
    if (Number.isFinite(error[k]) && error[k] > 0) {
      s += (v / error[k]) ** 2;
      n++;
    }
  });
  return n ? Math.sqrt(s / n) : Infinity;
}
