/**
 * Training of the CG auto-encoder (Wang & Gómez-Bombarelli 2019) on the shared epoch loop:
 *
 *   L = ⟨|x̂ − x|²⟩ + ρ(e) ⟨F²⟩,
 *
 * the mean squared reconstruction error per atom (nm²; the variational decoder's Gaussian
 * negative log-likelihood per atom in its place) plus ρ times the mean squared mapped
 * instantaneous force per bead component ((kJ/mol/nm)², so ρ is in nm²/(kJ/mol/nm)²), switched
 * on after `forceWarmup` epochs. The force term favours beads whose atoms' forces cancel, which
 * lowers the noise of force matching on the map. The Gumbel temperature of epoch e (from 0) is
 * τ(e) = τ₀ exp(−e / (d·E)) + τ_min, by default 4 exp(−e / 0.4E) + 0.2.
 *
 * Validation, after every epoch, measures what the run delivers: the noise-free hard assignment
 * with its least-squares decoder (fitted on the training samples), on held-out samples, plus the
 * full ρ times its force term; the epoch with the lowest value is kept. At the end the decoder
 * is replaced by that least-squares decoder (and the variational σ by its maximum-likelihood
 * value), so that the reported reconstruction error belongs to the map alone, not to how far
 * the decoder's training got.
 *
 * Determinism: the split, the shuffling, the initial parameters and each step's Gumbel noise
 * (drawn from a generator seeded by seed, epoch and step, so a resumed run draws the same) all
 * come from the seed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { assignmentGroups, oneHot } from '../../cg/assignment.js';
import { solveSpd } from '../../cg/linalg.js';
import { epochSettings, gatherRows, runEpochs, splitFrames, type EpochLoopRecord, type EpochProgress, type EpochSettings } from '../../nn/epochLoop.js';
import type { JsonObject } from '../../nn/params.js';
import { Random } from '../../util/random.js';
import { CgAutoencoder, type BeadWeighting, type DecoderKind } from './autoencoder.js';
import type { AutograinSamples } from './data.js';

/** Settings of {@link fitAutograin}; all but `beads` have defaults. */
export interface AutograinOptions extends Partial<EpochSettings> {
  /** Number of beads. */
  beads: number;
  /** Weight ρ of the force term, nm²/(kJ/mol/nm)²; default 0 (off). */
  rho?: number;
  /**
   * Epochs before the force term is switched on; default 5 % of the epochs: at the default rate
   * the assignment settles within the first 5–20 % of the run (measured on alanine dipeptide), so
   * a later switch would meet a map that no longer moves.
   */
  forceWarmup?: number;
  /** τ₀, d and τ_min of the temperature schedule; defaults 4, 0.4, 0.2. */
  tauStart?: number;
  tauDecay?: number;
  tauMin?: number;
  /** Straight-through hard assignments in training (default) or soft ones. */
  hard?: boolean;
  weighting?: BeadWeighting;
  decoder?: DecoderKind;
  /** Fraction of samples held out; default 0.1. */
  validationFraction?: number;
  /** Folder of `checkpoint.json` (after every epoch); with `resume`, continue from it. */
  checkpointDir?: string;
  resume?: boolean;
  onProgress?: (p: EpochProgress) => void;
  signal?: AbortSignal;
}

/** Every setting, filled in. */
export type AutograinSettings = Required<Omit<AutograinOptions, 'checkpointDir' | 'resume' | 'onProgress' | 'signal'>>;

/** The numbers recorded per epoch (EpochRecord.metrics). */
export interface AutograinEpochMetrics {
  /** Gumbel temperature of the epoch. */
  tau: number;
  /** ρ in force that epoch (0 during the warm-up). */
  rho: number;
  /** Validation reconstruction error of the hard assignment, nm². */
  reconstruction: number;
  /** The same in Å². */
  reconstructionA2: number;
  /** Validation mean squared mapped force per bead component, (kJ/mol/nm)²; 0 without forces. */
  force: number;
}

/** What training gives. */
export interface AutograinResult {
  /** The auto-encoder with the kept logits and the least-squares decoder. */
  model: CgAutoencoder;
  /** Each atom's bead. */
  assignment: Int32Array;
  /** Each bead's atoms. */
  groups: number[][];
  /** Reconstruction error of the final map and decoder, nm², on training and validation samples. */
  reconstruction: { train: number; validation: number };
  /** Mean squared mapped force per bead component over all samples, (kJ/mol/nm)², when there are forces. */
  force?: number;
  record: EpochLoopRecord & { settings: AutograinSettings; trainSamples: number; validationSamples: number };
}

const CHECKPOINT_KIND = 'cglab-autograin-checkpoint';

function settingsOf(o: AutograinOptions): AutograinSettings {
  const loop = epochSettings({
    epochs: o.epochs ?? 100, batchSize: o.batchSize, learningRate: o.learningRate ?? 0.03, seed: o.seed, patience: o.patience ?? Infinity,
    schedule: o.schedule, lrPatience: o.lrPatience, lrFactor: o.lrFactor, minLearningRate: o.minLearningRate,
  }, 'autograin');
  const s: AutograinSettings = {
    ...loop,
    beads: o.beads,
    rho: o.rho ?? 0,
    forceWarmup: o.forceWarmup ?? Math.round(loop.epochs / 20),
    tauStart: o.tauStart ?? 4,
    tauDecay: o.tauDecay ?? 0.4,
    tauMin: o.tauMin ?? 0.2,
    hard: o.hard ?? true,
    weighting: o.weighting ?? 'mass',
    decoder: o.decoder ?? 'linear',
    validationFraction: o.validationFraction ?? 0.1,
  };
  if (!(s.rho >= 0) || !Number.isFinite(s.rho)) throw new Error(`autograin: rho is ${s.rho}, expected a non-negative weight (nm² per (kJ/mol/nm)²)`);
  if (!Number.isInteger(s.forceWarmup) || s.forceWarmup < 0) throw new Error(`autograin: forceWarmup is ${s.forceWarmup}, expected a non-negative number of epochs`);
  if (!(s.tauStart >= 0) || !(s.tauDecay > 0) || !(s.tauMin > 0)) throw new Error(`autograin: the temperature schedule needs tauStart ≥ 0, tauDecay > 0 and tauMin > 0, got ${s.tauStart}, ${s.tauDecay}, ${s.tauMin}`);
  return s;
}

/** τ(e) of epoch `epoch` (1-based) under settings `s`. */
export function gumbelTemperature(s: Pick<AutograinSettings, 'tauStart' | 'tauDecay' | 'tauMin' | 'epochs'>, epoch: number): number {
  return s.tauStart * Math.exp(-(epoch - 1) / (s.tauDecay * Math.max(1, s.epochs))) + s.tauMin;
}

/** A generator for the noise of one step, from the seed, epoch and step alone. */
function stepRandom(seed: number, epoch: number, step: number): Random {
  return new Random((Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(epoch, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0);
}

/**
 * Learn a `beads`-bead mapping of `data` with a decoder back to atoms.
 * @throws Error for bad settings, more beads than atoms, ρ > 0 without forces, too few samples
 *   for a validation split, or a checkpoint of other data or settings.
 */
export async function fitAutograin(data: AutograinSamples, opts: AutograinOptions): Promise<AutograinResult> {
  const s = settingsOf(opts);
  const nA = data.masses.length;
  const per = 3 * nA;
  const nS = data.positions.length / per;
  if (s.rho > 0 && !data.forces) throw new Error('autograin: rho > 0 needs forces in the data (the instantaneous mapped force), and these data have none: set rho to 0 or use data with forces');
  const model = new CgAutoencoder(s.beads, data.masses, { weighting: s.weighting, decoder: s.decoder, seed: s.seed, units: data.units });
  const { train, validation } = splitFrames(nS, s.validationFraction, s.seed, 'autograin');
  const xTrain = gatherRows(data.positions, train, per);
  const xVal = gatherRows(data.positions, validation, per);
  const fTrain = data.forces ? gatherRows(data.forces, train, per) : undefined;
  const fVal = data.forces ? gatherRows(data.forces, validation, per) : undefined;
  const t3 = (v: Float32Array, n: number) => tf.tensor3d(v, [n, nA, 3]);
  const hardMap = () => tf.tensor2d(oneHot(model.hardAssignment(), s.beads), [s.beads, nA]);
  const rhoAt = (epoch: number) => (epoch > s.forceWarmup ? s.rho : 0);

  /** Reconstruction (nm², present decoder) and force term of the noise-free hard map over a set, in batches. */
  const evaluateSet = (x: Float32Array, f: Float32Array | undefined) => {
    const n = x.length / per;
    let rec = 0;
    let force = 0;
    tf.tidy(() => {
      const c = hardMap();
      for (let b = 0; b < n; b += 2048) {
        const m = Math.min(2048, n - b);
        const l = model.losses(t3(x.subarray(b * per, (b + m) * per), m), f ? t3(f.subarray(b * per, (b + m) * per), m) : undefined, c);
        rec += m * l.reconstruction.dataSync()[0];
        force += m * l.force.dataSync()[0];
      }
    });
    return { reconstruction: rec / n, force: force / n };
  };
  let last = { reconstruction: NaN, force: NaN };
  const dir = opts.checkpointDir;
  if (dir) mkdirSync(dir, { recursive: true });
  const fingerprint = { samples: nS, atoms: nA, units: model.nUnits, beads: s.beads, seed: s.seed, batchSize: s.batchSize, epochs: s.epochs, rho: s.rho, hard: s.hard, weighting: s.weighting, decoder: s.decoder };
  const loop = await runEpochs(
    {
      nTrain: train.length,
      parameters: model.parameters(),
      trainable: model.parameters(),
      loss: (idx, epoch, step) => {
        const n = idx.length;
        const c = model.assignment(model.drawNoise(stepRandom(s.seed, epoch, step)), gumbelTemperature(s, epoch), s.hard);
        const rho = rhoAt(epoch);
        const l = model.losses(t3(gatherRows(xTrain, idx, per), n), rho > 0 && fTrain ? t3(gatherRows(fTrain, idx, per), n) : undefined, c);
        return rho > 0 ? tf.add(l.fit, tf.mul(l.force, rho)) : l.fit;
      },
      validate: () => {
        const assignment = model.hardAssignment();
        const reconstruction = reconstructionError(model, assignment, leastSquaresDecoder(model, assignment, xTrain), xVal).mean;
        last = { reconstruction, force: fVal ? evaluateSet(xVal, fVal).force : 0 };
        return reconstruction + s.rho * last.force;
      },
      epochMetrics: (epoch): Record<string, number> => {
        const m: AutograinEpochMetrics = { tau: gumbelTemperature(s, epoch), rho: rhoAt(epoch), reconstruction: last.reconstruction, reconstructionA2: 100 * last.reconstruction, force: last.force };
        return { ...m };
      },
    },
    s,
    {
      who: 'autograin',
      checkpoint: dir ? { file: join(dir, 'checkpoint.json'), kind: CHECKPOINT_KIND, fingerprint: fingerprint as unknown as JsonObject, resume: opts.resume } : undefined,
      onProgress: opts.onProgress,
      signal: opts.signal,
    },
  );
  const assignment = model.hardAssignment();
  fitDecoder(model, assignment, xTrain);
  const final = { train: evaluateSet(xTrain, undefined).reconstruction, validation: evaluateSet(xVal, undefined).reconstruction };
  const force = data.forces ? evaluateSet(data.positions, data.forces).force : undefined;
  return {
    model,
    assignment,
    groups: assignmentGroups(assignment, s.beads),
    reconstruction: final,
    ...(force === undefined ? {} : { force }),
    record: { ...loop, settings: s, trainSamples: train.length, validationSamples: validation.length },
  };
}

/** Bead positions R = C̃x of one sample (offset `o` in `x`) for a hard assignment, into `r` [beads, 3]. */
function beadPositions(assignment: Int32Array, frac: Float64Array, x: Float32Array, o: number, r: Float64Array): void {
  r.fill(0);
  for (let i = 0; i < assignment.length; i++) for (let c = 0; c < 3; c++) r[3 * assignment[i] + c] += frac[i] * x[o + 3 * i + c];
}

/** Each atom's share w_i / Σ_{j in its bead} w_j of its bead's position. */
function beadFractions(model: CgAutoencoder, assignment: Int32Array): Float64Array {
  const w = model.weighting === 'mass' ? model.masses : new Float64Array(model.nAtoms).fill(1);
  const wBead = new Float64Array(model.nBeads);
  assignment.forEach((b, i) => (wBead[b] += w[i]));
  return Float64Array.from(assignment, (b, i) => w[i] / wBead[b]);
}

/**
 * The least-squares decoder of a hard map, D = (Σ x Rᵀ)(Σ R Rᵀ)⁻¹ over samples and x, y, z
 * (R = C̃x), [atoms, beads] row-major. Σ R Rᵀ is singular on centred samples (the weighted bead
 * positions sum to zero), so a ridge of 1e-9 of its trace makes the solve the minimum-norm one
 * to that precision.
 */
export function leastSquaresDecoder(model: CgAutoencoder, assignment: Int32Array, x: Float32Array): Float64Array {
  const { nBeads: n, nAtoms: nA } = model;
  const frac = beadFractions(model, assignment);
  const rrT = new Float64Array(n * n);
  const xrT = new Float64Array(nA * n);
  const r = new Float64Array(3 * n);
  for (let o = 0; o < x.length; o += 3 * nA) {
    beadPositions(assignment, frac, x, o, r);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) rrT[a * n + b] += r[3 * a] * r[3 * b] + r[3 * a + 1] * r[3 * b + 1] + r[3 * a + 2] * r[3 * b + 2];
    for (let i = 0; i < nA; i++) for (let b = 0; b < n; b++) xrT[i * n + b] += x[o + 3 * i] * r[3 * b] + x[o + 3 * i + 1] * r[3 * b + 1] + x[o + 3 * i + 2] * r[3 * b + 2];
  }
  let trace = 0;
  for (let a = 0; a < n; a++) trace += rrT[a * n + a];
  for (let a = 0; a < n; a++) rrT[a * n + a] += 1e-9 * trace + 1e-30;
  // D Σ RRᵀ = Σ xRᵀ, i.e. (Σ RRᵀ) Dᵀ = (Σ xRᵀ)ᵀ: one symmetric solve with nA right-hand sides.
  const rhs = new Float64Array(n * nA);
  for (let i = 0; i < nA; i++) for (let b = 0; b < n; b++) rhs[b * nA + i] = xrT[i * n + b];
  const dT = solveSpd(rrT, n, rhs, nA);
  if (!dT) throw new Error('autograin: the least-squares decoder could not be solved (bead positions without spread)');
  const d = new Float64Array(nA * n);
  for (let i = 0; i < nA; i++) for (let b = 0; b < n; b++) d[i * n + b] = dT[b * nA + i];
  return d;
}

/** Mean over samples of Σ_i |(D R)_i − x_i|², per atom: nm² per atom, and [atoms] per-atom mean squares. */
export function reconstructionError(model: CgAutoencoder, assignment: Int32Array, decoder: Float64Array, x: Float32Array): { mean: number; perAtom: Float64Array } {
  const { nBeads: n, nAtoms: nA } = model;
  const frac = beadFractions(model, assignment);
  const r = new Float64Array(3 * n);
  const perAtom = new Float64Array(nA);
  const samples = x.length / (3 * nA);
  for (let o = 0; o < x.length; o += 3 * nA) {
    beadPositions(assignment, frac, x, o, r);
    for (let i = 0; i < nA; i++) {
      for (let c = 0; c < 3; c++) {
        let v = -x[o + 3 * i + c];
        for (let b = 0; b < n; b++) v += decoder[i * n + b] * r[3 * b + c];
        perAtom[i] += (v * v) / samples;
      }
    }
  }
  return { mean: perAtom.reduce((s, v) => s + v, 0) / nA, perAtom };
}

/** Set the decoder to the least-squares one of `assignment`, and σ_i of a variational decoder to its residual's RMS per coordinate. */
function fitDecoder(model: CgAutoencoder, assignment: Int32Array, x: Float32Array): void {
  const d = leastSquaresDecoder(model, assignment, x);
  tf.tidy(() => model.decoder.assign(tf.tensor2d(Float32Array.from(d), [model.nAtoms, model.nBeads])));
  if (model.logStd) {
    const { perAtom } = reconstructionError(model, assignment, d, x);
    const logStd = Float32Array.from(perAtom, (v) => 0.5 * Math.log(Math.max(v / 3, 1e-12)));
    tf.tidy(() => (model.logStd as tf.Variable).assign(tf.tensor2d(logStd, [model.nAtoms, 1])));
  }
}
