/**
 * Data-free training of the embedded-physics model: each step draws z ~ p(z), ε ~ N(0, I),
 * q = μ_θ(z) + σ_θ(z) ε, asks the physics engine for βU(q) and its gradient, and lowers
 *
 *   L = a βU(q) − ln J(q) + ln p_θ(q | z) + ln p(z) − ln q_φ(z | q),
 *
 * whose mean bounds the free energy −ln Z_a of exp(−a βU) J from above (the gap is the reverse
 * KL of the model to the tempered Boltzmann density). The pathwise gradient of a βU − ln J
 * through q needs only the forces: the surrogate G · q with G = a ∇βU − ∇ln J held constant has
 * that gradient. The factor a climbs a tempering ladder (md/tempering.ts) from `aStart` to 1,
 * one rung each time the loss has settled.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../../nn/adam.js';
import { assignSnapshot, snapshot } from '../../nn/epochLoop.js';
import { HALF_LOG_2PI } from '../../nn/gaussianMlp.js';
import { nextTemperingFactor, Plateau, temperingEss } from '../../md/tempering.js';
import { Random } from '../../util/random.js';
import { EmbeddedModel, type LatentPrior } from './model.js';
import type { EmbeddedTarget, TargetValues } from './target.js';
import { boltzmannWeights } from '../../analysis/reweight.js';


/** Options of {@link fitEmbedded}; every field has a default. */
export interface EmbeddedOptions {
  /** Latent variables; default 1. */
  latent?: number;
  prior?: LatentPrior;
  /** Hidden layers of decoder and encoder; default [64, 64]. */
  hidden?: number[];
  /** Samples per step; default 1024 (fewer leave the weights of separated modes noisy and biased). */
  batch?: number;
  /** Adam's learning rate; default 3e-3. */
  learningRate?: number;
  /** First tempering factor; default 1e-4 (toys; molecules need ~1e-10). */
  aStart?: number;
  /** Explicit ladder of factors (rising, ending at 1) instead of the adaptive rule. */
  schedule?: number[];
  /** Adaptive rule: ESS fraction kept from one rung to the next; default 0.5. */
  targetEss?: number;
  /** Adaptive rule: largest ratio between rungs; default 10. */
  maxFactor?: number;
  /** Steps per window of the settling test; default 100. */
  window?: number;
  /** Most steps at one rung below 1 before moving on unsettled; default 10 windows. */
  maxStageSteps?: number;
  /** Steps at a = 1 at least, per learning rate; default 10 windows. */
  finalSteps?: number;
  /**
   * At a = 1, times the learning rate is cut to `decayFactor` of itself once the loss has
   * settled, each followed by `finalSteps` more (SGD noise at the end otherwise blurs the
   * modes' weights); default 2.
   */
  finalDecays?: number;
  /** Default 0.3. */
  decayFactor?: number;
  /** Most steps in all; default 100 000. */
  maxSteps?: number;
  /** Samples drawn to choose the next rung; default 2048. */
  rungSamples?: number;
  /**
   * A rung diverges when a window's mean loss rises above the rung's lowest by more than 5
   * standard errors and by more than this fraction of its size + 10 kT; default 0.5 (a blow-up,
   * not the drift of a few kT that Adam's noise gives at one factor). The run then steps back:
   * the parameters and Adam's state of the rung's start are restored and the rung retried with
   * half the step in ln a (the adaptive ladder; an explicit schedule keeps its factor) and half
   * the learning rate, which is restored once the retried rung has settled.
   */
  divergence?: number;
  /** Step-backs at one rung before the run stops with {@link EmbeddedDivergenceError}; default 3. */
  maxRetries?: number;
  seed?: number;
  signal?: AbortSignal;
  /** After every step. */
  onStep?: (s: StepRecord) => void;
  /** After every rung. */
  onStage?: (s: StageRecord) => void;
}

/** One training step. */
export interface StepRecord {
  step: number;
  a: number;
  /** Mean of L over the batch (the free-energy bound, kT). */
  loss: number;
  /** Mean βU of the batch. */
  betaU: number;
}

/** One rung of the tempering ladder, when it ended. */
export interface StageRecord {
  stage: number;
  a: number;
  /** Steps at this rung. */
  steps: number;
  /** Mean loss over its last window, kT. */
  loss: number;
  /** True when it ended because the loss settled (not at the step cap). */
  settled: boolean;
  /** The next factor (equal to `a` at the end). */
  next: number;
  /** ESS fraction of this rung's samples reweighted to the next factor. */
  ess: number;
  /** The energy guard in force, if any. */
  guard?: string;
  /** Adam's learning rate at this rung. */
  learningRate: number;
  /** True for an attempt that diverged and was stepped back from (then `next` is the factor retried). */
  diverged?: boolean;
}

/** What {@link fitEmbedded} returns. */
export interface EmbeddedFit {
  model: EmbeddedModel;
  stages: StageRecord[];
  /** Mean loss of every window of steps, with the factor it was at. */
  curve: { step: number; a: number; loss: number }[];
  /** Steps taken. */
  steps: number;
  /** The factor reached: 1 unless interrupted or capped. */
  a: number;
  /** True when the run ended at a = 1 with the loss settled or the final steps done. */
  complete: boolean;
  /** True when `signal` stopped it. */
  interrupted: boolean;
}

/** A run whose energies or gradients went non-finite, with what was seen. */
export class NonFiniteEnergyError extends Error {}

/** A run whose loss diverged at a rung however far it stepped back, with what was seen. */
export class EmbeddedDivergenceError extends Error {}

function checkSchedule(schedule: number[]): void {
  const bad = schedule.findIndex((a, k) => !(a > 0 && a <= 1) || (k > 0 && !(a > schedule[k - 1])));
  if (!schedule.length || bad >= 0) throw new Error(`embedded: schedule [${schedule}] must be rising factors in (0, 1]${bad >= 0 ? ` (entry ${bad} is ${schedule[bad]})` : ''}`);
  if (schedule[schedule.length - 1] !== 1) throw new Error(`embedded: schedule [${schedule}] ends at ${schedule[schedule.length - 1]}, not 1: the model would describe the system at ${(1 / schedule[schedule.length - 1]).toPrecision(3)} × its temperature`);
}

/**
 * Train the model of `target` from its energies and forces alone. Asynchronous only so that
 * the event loop runs every 0.1 s (progress in notebooks, interrupts): the work is on this thread.
 * @throws Error for bad options (latent < 1, a schedule that does not end at 1, …), and
 *   NonFiniteEnergyError when the engine returns a non-finite βU or gradient.
 */
export async function fitEmbedded(target: EmbeddedTarget, opts: EmbeddedOptions = {}): Promise<EmbeddedFit> {
  const batch = opts.batch ?? 1024;
  const window = opts.window ?? 100;
  const maxStageSteps = opts.maxStageSteps ?? 10 * window;
  const finalSteps = opts.finalSteps ?? 10 * window;
  const maxSteps = opts.maxSteps ?? 100_000;
  let lr = opts.learningRate ?? 3e-3;
  const finalDecays = opts.finalDecays ?? 2;
  const decayFactor = opts.decayFactor ?? 0.3;
  if (!Number.isInteger(finalDecays) || finalDecays < 0) throw new Error(`embedded: finalDecays must be an integer ≥ 0, got ${finalDecays}`);
  if (!(decayFactor > 0 && decayFactor < 1)) throw new Error(`embedded: decayFactor must be in (0, 1), got ${decayFactor}`);
  if (!(lr > 0)) throw new Error(`embedded: learningRate must be positive, got ${lr}`);
  const rungSamples = opts.rungSamples ?? 2048;
  const divergence = opts.divergence ?? 0.5;
  const maxRetries = opts.maxRetries ?? 3;
  if (!(divergence > 0)) throw new Error(`embedded: divergence must be a positive fraction, got ${divergence}`);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new Error(`embedded: maxRetries must be an integer ≥ 0, got ${maxRetries}`);
  for (const [name, v] of [['batch', batch], ['window', window], ['maxStageSteps', maxStageSteps], ['finalSteps', finalSteps], ['maxSteps', maxSteps]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`embedded: ${name} must be a positive integer, got ${v}`);
  }
  if (opts.schedule) checkSchedule(opts.schedule);
  const aStart = opts.schedule ? opts.schedule[0] : opts.aStart ?? 1e-4;
  if (!(aStart > 0 && aStart <= 1)) throw new Error(`embedded: aStart must be in (0, 1], got ${aStart}`);
  const rng = new Random(opts.seed ?? 1);
  const model = new EmbeddedModel({ dim: target.dim, latent: opts.latent ?? 1, prior: opts.prior ?? 'normal', hidden: opts.hidden ?? [64, 64] }, target.start, target.scale, rng);
  const { dim } = target;
  const latent = model.config.latent;
  const params = model.parameters();
  const byVariable = new Map(Object.entries(params).map(([n, v]) => [v.name, n]));
  const adam = new Adam(params);

  let a = aStart;
  let rung = 0;
  let guard = target.guard?.(a);
  const stages: StageRecord[] = [];
  const curve: EmbeddedFit['curve'] = [];
  const plateau = new Plateau(window);
  let steps = 0;
  let complete = false;
  let decays = 0;
  /** Where the present rung began: what a step back restores. */
  const rungStart = () => ({ params: snapshot(params), adamStep: adam.step, moments: new Map([...adam.moments()].map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])), lr });
  let start = rungStart();
  let retries = 0;

  const step = (): StepRecord => {
    const { z, eps } = model.drawNoise(batch, rng);
    let values: { loss: number; betaU: number } = { loss: NaN, betaU: NaN };
    tf.tidy(() => {
      const zt = tf.tensor2d(z, [batch, latent]);
      const et = tf.tensor2d(eps, [batch, dim]);
      const { grads } = tf.variableGrads(() => {
        const { y: q, logStd } = model.decoder.sample(zt, et);
        const qv = Float64Array.from(q.dataSync());
        const t = target.evaluate(qv, batch);
        const g = new Float32Array(batch * dim);
        for (let i = 0; i < g.length; i++) g[i] = a * t.gradBetaU[i] - t.gradLogJ[i];
        const bad = firstNonFinite(t.betaU, g);
        if (bad >= 0) {
          const b = bad < batch ? bad : Math.floor((bad - batch) / dim);
          throw new NonFiniteEnergyError(
            `embedded: ${target.name} gave a non-finite ${bad < batch ? `energy (βU = ${t.betaU[b]})` : 'force'} for generated sample ${b} at step ${steps + 1}, a = ${a.toExponential(3)}${guard ? ` (${guard})` : ', no energy guard'}` +
              `${target.diagnose ? `; ${target.diagnose(qv, b)}` : ''}: lower the learning rate, start tempering lower or soften more`,
          );
        }
        model.track(qv, batch, 0.02);
        const logq = model.encoder.logProb(zt, model.normalise(q));
        const logStdSum = tf.sum(logStd, 1);
        const surrogate = tf.sub(tf.sub(tf.sum(tf.mul(tf.tensor2d(g, [batch, dim]), q)), tf.sum(logStdSum)), tf.sum(logq));
        const bound = sampleBounds(model, a, t, z, eps, logStdSum.dataSync(), logq.dataSync());
        values = { loss: bound.reduce((x, y) => x + y, 0) / batch, betaU: t.betaU.reduce((x, y) => x + y, 0) / batch };
        return tf.div(surrogate, batch) as tf.Scalar;
      }, Object.values(params));
      adam.apply(Object.fromEntries(Object.entries(grads).map(([v, gr]) => [byVariable.get(v) as string, gr])), lr);
    });
    return { step: steps, a, ...values };
  };

  const endStage = (settled: boolean): void => {
    const at = a;
    let next = a;
    let ess = 1;
    if (a < 1) {
      const { q } = model.sample(rungSamples, rng);
      const { betaU } = target.evaluate(q, rungSamples);
      if (opts.schedule) {
        next = opts.schedule[rung + 1];
        ess = temperingEss(betaU, a, next);
      } else {
        const r = nextTemperingFactor(betaU, a, { targetEss: opts.targetEss, maxFactor: opts.maxFactor });
        if (!(r.a > a * (1 + 1e-9))) throw new Error(`embedded: tempering is stuck at a = ${a.toExponential(3)} (the next rung keeps ESS ${r.ess.toFixed(3)}): the model's energies are too spread for any step; raise targetEss's tolerance or the steps per rung`);
        ({ a: next, ess } = r);
      }
    }
    const s: StageRecord = { stage: rung, a: at, steps: plateau.count, loss: plateau.lastMean(), settled, next, ess, learningRate: lr, ...(guard ? { guard } : {}) };
    stages.push(s);
    opts.onStage?.(s);
    rung++;
    a = next;
    guard = target.guard?.(a);
    plateau.reset();
    // A step-back's smaller rate was for the rung that failed; the next one starts at the rate before it.
    if (retries > 0) lr = start.lr;
    start = rungStart();
    retries = 0;
  };

  /** Restore the rung's start and retry it nearer the last rung, or stop when that was tried enough. */
  const stepBack = (r: NonNullable<ReturnType<Plateau['rise']>>): void => {
    const last = stages.filter((x) => !x.diverged).at(-1)?.a;
    const what = `the loss diverged at a = ${a.toExponential(3)} (rung ${rung}${guard ? `, ${guard}` : ''}): its window mean rose from ${r.lowest.toFixed(2)} to ${r.last.toFixed(2)} kT by step ${steps}`;
    if (retries >= maxRetries) {
      throw new EmbeddedDivergenceError(`embedded: ${what}, after ${retries} step-backs (each with half the step in ln a and half the learning rate, now ${lr.toExponential(2)}): lower the learning rate, raise targetEss for smaller rungs, or give a larger batch`);
    }
    retries++;
    const retry = !opts.schedule && last !== undefined ? Math.sqrt(last * a) : a;
    const s: StageRecord = { stage: rung, a, steps: plateau.count, loss: r.last, settled: false, next: retry, ess: NaN, learningRate: lr, diverged: true, ...(guard ? { guard } : {}) };
    stages.push(s);
    opts.onStage?.(s);
    assignSnapshot(params, start.params);
    adam.restore(start.adamStep, start.moments);
    lr = start.lr * 0.5 ** retries;
    a = retry;
    guard = target.guard?.(a);
    plateau.reset();
  };

  let yielded = Date.now();
  try {
    while (steps < maxSteps && !opts.signal?.aborted) {
      // Let the event loop run now and then: a notebook shows live output and Ctrl-C arrives.
      if (Date.now() - yielded > 100) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = Date.now();
      }
      const rec = step();
      steps++;
      opts.onStep?.(rec);
      const settled = plateau.push(rec.loss);
      if (plateau.count % window === 0) {
        curve.push({ step: steps, a, loss: plateau.lastMean() });
        const r = plateau.rise();
        if (r && r.z > 5 && r.rise > divergence * Math.abs(r.lowest) + 10) {
          stepBack(r);
          continue;
        }
      }
      if (a < 1) {
        if (settled || plateau.count >= maxStageSteps) endStage(settled);
      } else if (plateau.count >= finalSteps && (settled || plateau.count >= 2 * finalSteps)) {
        endStage(settled);
        if (decays === finalDecays) {
          complete = true;
          break;
        }
        decays++;
        lr *= decayFactor;
      }
    }
  } finally {
    adam.dispose();
    target.guard?.(1);
  }
  return { model, stages, curve, steps, a, complete, interrupted: Boolean(opts.signal?.aborted) };
}

/**
 * L of each sample: a βU − ln J + ln p_θ(q | z) + ln p(z) − ln q_φ(z | q), with ln p_θ(q | z)
 * = −Σ ln σ − ½|ε|² − (dim/2) ln 2π for q drawn as μ + σ ε.
 */
function sampleBounds(model: EmbeddedModel, a: number, t: TargetValues, z: Float32Array, eps: Float32Array, logStdSum: ArrayLike<number>, logq: ArrayLike<number>): Float64Array {
  const n = t.betaU.length;
  const dim = model.config.dim;
  return Float64Array.from({ length: n }, (_, b) => {
    let e2 = 0;
    for (let k = 0; k < dim; k++) e2 += eps[b * dim + k] ** 2;
    const logDecoder = -logStdSum[b] - 0.5 * e2 - dim * HALF_LOG_2PI;
    return a * t.betaU[b] - t.logJ[b] + logDecoder + model.logPrior(z, b) - logq[b];
  });
}

/** Model samples with their importance weights for the target. */
export interface WeightedSamples {
  /** [n, dim] generated coordinates. */
  q: Float64Array;
  /** [n, latent] the latent points they came from. */
  z: Float32Array;
  /** [n] the bound L of each sample (kT); its mean bounds −ln Z from above. */
  bound: Float64Array;
  /** [n] normalised weights ∝ exp(−L). */
  weights: Float64Array;
  /** Kish ESS of the weights, as a fraction of n. */
  ess: number;
}

/**
 * n samples of the trained model with self-normalised importance weights w ∝ exp(−L) for the
 * Boltzmann density at a = 1: exp(−L) = exp(−βU) J q_φ(z | q) / (p(z) p_θ(q | z)) is the ratio of
 * a joint density whose q-marginal is the target to the model's, so weighted averages of any
 * observable converge to its Boltzmann average, with the ESS saying how far the model is off.
 */
export function weightedSamples(model: EmbeddedModel, target: EmbeddedTarget, n: number, rng: Random): WeightedSamples {
  const { dim, latent } = model.config;
  const { z, eps } = model.drawNoise(n, rng);
  let q = new Float64Array(0);
  let logStdSum: ArrayLike<number> = [];
  let logq: ArrayLike<number> = [];
  tf.tidy(() => {
    const zt = tf.tensor2d(z, [n, latent]);
    const s = model.decoder.sample(zt, tf.tensor2d(eps, [n, dim]));
    q = Float64Array.from(s.y.dataSync());
    logStdSum = tf.sum(s.logStd, 1).dataSync();
    logq = model.encoder.logProb(zt, model.normalise(s.y)).dataSync();
  });
  target.guard?.(1);
  const bound = sampleBounds(model, 1, target.evaluate(q, n), z, eps, logStdSum, logq);
  const { weights, ess } = boltzmannWeights(bound, 1);
  return { q, z, bound, weights, ess: ess / n };
}

function firstNonFinite(betaU: Float64Array, g: Float32Array): number {
  for (let i = 0; i < betaU.length; i++) if (!Number.isFinite(betaU[i])) return i;
  for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i])) return betaU.length + i;
  return -1;
}
