/**
 * Force-matching training of any EnergyModel (Husic et al. 2020): minimise the mean over
 * frames, beads and x, y, z of (F_θ(R) − f_CG)² with Adam on shuffled mini-batches, a held-out
 * validation split, a learning-rate schedule (halved when the validation loss stops improving,
 * or a cosine decay over the run), early stopping, and checkpoints that resume bit for bit.
 *
 * The schedule matters because the targets are mostly noise: the mapped forces scatter about
 * the mean force by far more than the model's remaining error, so at a fixed learning rate the
 * parameters jitter about the optimum by an amount ∝ the rate. `cosine` anneals that jitter
 * away by the last step and is the better choice when the number of epochs is fixed;
 * `plateau` adapts to runs of unknown length.
 *
 * Delta forces. The terms without trainable parameters (the priors) are fixed during training,
 * so by default their forces are subtracted from the targets once (f_CG − F_prior) and only the
 * trainable terms are differentiated per step; the loss and its minimiser are those of the full
 * model (`target: 'full'` trains the full model on f_CG and gives the same losses, slower).
 *
 * Determinism. The split, the shuffling and (through the model's seed) the initial weights come
 * from seeds, so a run is repeated exactly by the same seed on the same backend.
 *
 * Validation. Frames are split at random. Neighbouring MD frames have correlated positions, but
 * the mapped-force noise that a network overfits decorrelates within tens of femtoseconds, far
 * below the spacing of saved frames, so the validation loss still exposes overfitting.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Coordinates } from '../../cg/linearMap.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { Random, type RandomState } from '../../util/random.js';
import { EnergyModel } from '../../nn/energyModel.js';
import { decodeParams, encodeParams, type JsonObject, type StoredTensor } from '../../nn/params.js';
import { Adam } from '../../nn/adam.js';

/** Bead positions and the forces to match, one frame each. */
export interface ForceData {
  /** [frames, beads, 3] nm. */
  positions: Coordinates;
  /** [frames, beads, 3] kJ/mol/nm, the mapped forces f_CG = G f. */
  forces: Coordinates;
}

/** Settings of {@link trainForceMatching}; every one has a default. */
export interface TrainOptions {
  /** Passes over the training frames; default 30. */
  epochs?: number;
  /** Frames per step; default 256. */
  batchSize?: number;
  /** Initial Adam learning rate; default 1e-3. */
  learningRate?: number;
  /** Fraction of frames held out for validation; default 0.1. */
  validationFraction?: number;
  /** Seed of the split and the shuffling; default 1. */
  seed?: number;
  /** 'delta' (default): train the trainable terms on f_CG − F_fixed; 'full': the whole model on f_CG. */
  target?: 'delta' | 'full';
  /** Stop after this many epochs without a better validation loss; default 6. */
  patience?: number;
  /**
   * 'plateau' (default): multiply the rate by `lrFactor` after `lrPatience` epochs without a
   * better validation loss. 'cosine': lr(t) = min + (lr0 − min)·½(1 + cos πt), t the fraction
   * of all steps of `epochs` done, updated every step.
   */
  schedule?: 'plateau' | 'cosine';
  /** Plateau schedule: epochs without improvement before the rate drops; default 2. */
  lrPatience?: number;
  /** Default 0.5. */
  lrFactor?: number;
  /** The learning rate never drops below this; default 1e-5. */
  minLearningRate?: number;
  /**
   * Folder for `model.json` (the best model so far, rewritten at each improvement) and
   * `checkpoint.json` (the full training state after the last complete epoch). Default: none.
   */
  checkpointDir?: string;
  /** Continue from `checkpointDir/checkpoint.json` when it exists (same data and settings). */
  resume?: boolean;
  /**
   * Lipschitz regularisation (CGnet, Wang et al. 2019): after every step, each trainable weight
   * matrix whose spectral norm exceeds λ is scaled down to λ, bounding how steeply the network
   * can vary and so how far it can chase force noise. Default: none.
   */
  lipschitz?: number;
  /** Called after every step and every epoch. */
  onProgress?: (p: TrainProgress) => void;
  /** Stop after the current step; the best model so far is kept (and is what the model holds). */
  signal?: AbortSignal;
}

/** Progress reports: one per step, one per epoch. Losses in (kJ/mol/nm)². */
export type TrainProgress =
  | { kind: 'step'; epoch: number; epochs: number; step: number; stepsPerEpoch: number; loss: number; learningRate: number }
  | { kind: 'epoch'; epoch: number; epochs: number; trainLoss: number; validationLoss: number; learningRate: number; improved: boolean; seconds: number };

/** One completed epoch. */
export interface EpochRecord {
  epoch: number;
  /** Mean loss over the epoch's steps, (kJ/mol/nm)². */
  trainLoss: number;
  /** Loss on the validation frames after the epoch, (kJ/mol/nm)². */
  validationLoss: number;
  learningRate: number;
  /** Wall time of the epoch, s. */
  seconds: number;
}

/** What happened in training. */
export interface TrainingRecord {
  settings: Required<Omit<TrainOptions, 'checkpointDir' | 'resume' | 'onProgress' | 'signal'>>;
  trainFrames: number;
  validationFrames: number;
  /** Validation loss of the model before training, (kJ/mol/nm)². */
  initialValidationLoss: number;
  epochs: EpochRecord[];
  /** Epoch of the kept model (0: the initial one). */
  bestEpoch: number;
  bestValidationLoss: number;
  stoppedBy: 'epochs' | 'early-stopping' | 'interrupted';
  /** Optimiser steps taken in all. */
  steps: number;
  /** Epoch a resumed run continued from, if it was resumed. */
  resumedFrom?: number;
}

/** The checkpoint's `config.kind`. */
const CHECKPOINT_KIND = 'cglab-forcematching-checkpoint';

function defaults(o: TrainOptions): TrainingRecord['settings'] {
  const s = {
    epochs: o.epochs ?? 30,
    batchSize: o.batchSize ?? 256,
    learningRate: o.learningRate ?? 1e-3,
    validationFraction: o.validationFraction ?? 0.1,
    seed: o.seed ?? 1,
    target: o.target ?? 'delta',
    patience: o.patience ?? 6,
    lrPatience: o.lrPatience ?? 2,
    lrFactor: o.lrFactor ?? 0.5,
    minLearningRate: o.minLearningRate ?? 1e-5,
    schedule: o.schedule ?? 'plateau',
    lipschitz: o.lipschitz ?? 0,
  };
  const positiveInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`trainForceMatching: ${what} is ${v}, expected a positive integer`);
  };
  positiveInt(s.batchSize, 'batchSize');
  positiveInt(s.patience, 'patience');
  positiveInt(s.lrPatience, 'lrPatience');
  if (!Number.isInteger(s.epochs) || s.epochs < 0) throw new Error(`trainForceMatching: epochs is ${s.epochs}, expected a non-negative integer`);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new Error(`trainForceMatching: seed is ${s.seed}, expected a non-negative integer`);
  if (!(s.learningRate > 0)) throw new Error(`trainForceMatching: learningRate is ${s.learningRate}, expected > 0`);
  if (!(s.validationFraction > 0 && s.validationFraction < 1)) throw new Error(`trainForceMatching: validationFraction is ${s.validationFraction}, expected a fraction in (0, 1) such as 0.1`);
  if (!(s.lrFactor > 0 && s.lrFactor <= 1)) throw new Error(`trainForceMatching: lrFactor is ${s.lrFactor}, expected a factor in (0, 1]`);
  if (!(s.lipschitz >= 0)) throw new Error(`trainForceMatching: lipschitz is ${s.lipschitz}, expected a positive bound λ (or 0 for none)`);
  if (s.schedule !== 'plateau' && s.schedule !== 'cosine') throw new Error(`trainForceMatching: schedule is '${s.schedule as string}', expected 'plateau' or 'cosine'`);
  if (s.target !== 'delta' && s.target !== 'full') throw new Error(`trainForceMatching: target is '${s.target as string}', expected 'delta' or 'full'`);
  return s;
}

/** A random permutation of 0..n−1 (Fisher–Yates). */
function permutation(n: number, rng: Random): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Rows `idx` of a [frames, per] array as float32. */
function gatherRows(data: Coordinates, idx: ArrayLike<number>, per: number): Float32Array {
  const out = new Float32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) for (let c = 0; c < per; c++) out[k * per + c] = data[idx[k] * per + c];
  return out;
}

/** Values of named variables as stored tensors (a snapshot). */
function snapshot(params: Record<string, tf.Variable>, prefix = ''): Map<string, StoredTensor> {
  return new Map(Object.entries(params).map(([n, v]) => [`${prefix}${n}`, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) }]));
}

function assign(params: Record<string, tf.Variable>, values: ReadonlyMap<string, StoredTensor>, prefix = ''): void {
  for (const [n, v] of Object.entries(params)) {
    const t = values.get(`${prefix}${n}`);
    if (!t || t.shape.join() !== v.shape.join()) throw new Error(`checkpoint: parameter ${n} is ${t ? `of shape [${t.shape}]` : 'missing'}, the model's is [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}

/** Forces of `model` on positions [frames, beads, 3] in batches, as float32. */
function forcesOf(model: EnergyModel, x: Float32Array, frames: number, batch = 1024): Float32Array {
  const per = model.nBeads * 3;
  const out = new Float32Array(frames * per);
  for (let s = 0; s < frames; s += batch) {
    const n = Math.min(batch, frames - s);
    const f = tf.tidy(() => model.forces(tf.tensor3d(x.subarray(s * per, (s + n) * per), [n, model.nBeads, 3])).dataSync());
    out.set(f, s * per);
  }
  return out;
}

/** Mean squared difference of `model`'s forces from `target` over all frames, in batches. */
function lossOf(model: EnergyModel, x: Float32Array, target: Float32Array, frames: number, batch = 1024): number {
  const per = model.nBeads * 3;
  let sum = 0;
  for (let s = 0; s < frames; s += batch) {
    const n = Math.min(batch, frames - s);
    sum += n * tf.tidy(() => model.forceMatchingLoss(tf.tensor3d(x.subarray(s * per, (s + n) * per), [n, model.nBeads, 3]), tf.tensor3d(target.subarray(s * per, (s + n) * per), [n, model.nBeads, 3])).dataSync()[0]);
  }
  return sum / frames;
}

/** Largest singular value of a [rows, cols] matrix by power iteration from a fixed start (float64). */
export function spectralNorm(w: ArrayLike<number>, rows: number, cols: number, iterations = 30): number {
  let v = new Float64Array(cols).fill(1 / Math.sqrt(cols));
  const u = new Float64Array(rows);
  let sigma = 0;
  for (let it = 0; it < iterations; it++) {
    u.fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) u[i] += w[i * cols + j] * v[j];
    const next = new Float64Array(cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) next[j] += w[i * cols + j] * u[i];
    const norm = Math.hypot(...next);
    if (norm === 0) return 0;
    sigma = Math.sqrt(norm);
    v = next.map((x) => x / norm);
  }
  return sigma;
}

/** Scale every matrix among `weights` whose spectral norm exceeds `bound` down to it. */
function projectLipschitz(weights: tf.Variable[], bound: number): void {
  for (const w of weights) {
    const [rows, cols] = w.shape as [number, number];
    const sigma = spectralNorm(w.dataSync(), rows, cols);
    if (sigma > bound) tf.tidy(() => w.assign(tf.mul(w, bound / sigma)));
  }
}

/** Let the event loop run (Ctrl-C handlers, progress output) between steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Train `model` by force matching on `data`; on return the model holds the parameters with the
 * lowest validation loss seen (including the initial ones).
 * @throws Error when the data do not fit the model (bead count, lengths), the model has no
 *   trainable parameters, there are too few frames for a validation split, or a checkpoint to
 *   resume from belongs to other data or settings.
 */
export async function trainForceMatching(model: EnergyModel, data: ForceData, opts: TrainOptions = {}): Promise<TrainingRecord> {
  const s = defaults(opts);
  const per = model.nBeads * 3;
  if (data.positions.length === 0 || data.positions.length % per !== 0) {
    throw new Error(`trainForceMatching: positions have ${data.positions.length} values, expected [frames, ${model.nBeads}, 3] for this ${model.nBeads}-bead model: map the data with the model's map`);
  }
  if (data.forces.length !== data.positions.length) {
    throw new Error(`trainForceMatching: forces have ${data.forces.length} values but positions ${data.positions.length}: both must be [frames, ${model.nBeads}, 3]`);
  }
  const frames = data.positions.length / per;
  const nVal = Math.round(frames * s.validationFraction);
  if (nVal < 1 || frames - nVal < 1) throw new Error(`trainForceMatching: ${frames} frames cannot be split into training and validation frames (fraction ${s.validationFraction}); give more frames`);
  const trainable = Object.entries(model.terms).filter(([, t]) => Object.keys(t.parameters()).length > 0);
  if (trainable.length === 0) throw new Error('trainForceMatching: the model has no trainable parameters (only priors); add a network term');

  // Split, then targets: f_CG − F_fixed for delta training.
  const split = permutation(frames, new Random(s.seed));
  const valIdx = split.subarray(0, nVal);
  const trainIdx = split.subarray(nVal);
  const nTrain = trainIdx.length;
  const xTrain = gatherRows(data.positions, trainIdx, per);
  const xVal = gatherRows(data.positions, valIdx, per);
  let fTrain = gatherRows(data.forces, trainIdx, per);
  let fVal = gatherRows(data.forces, valIdx, per);
  const fixed = Object.entries(model.terms).filter(([, t]) => Object.keys(t.parameters()).length === 0);
  let net = model;
  if (s.target === 'delta' && fixed.length > 0) {
    const fixedModel = new EnergyModel(model.nBeads, Object.fromEntries(fixed));
    const subtract = (f: Float32Array, x: Float32Array, n: number) => {
      const prior = forcesOf(fixedModel, x, n);
      return f.map((v, i) => v - prior[i]);
    };
    fTrain = subtract(fTrain, xTrain, nTrain);
    fVal = subtract(fVal, xVal, nVal);
    net = new EnergyModel(model.nBeads, Object.fromEntries(trainable));
  }
  const params = model.parameters();
  const netParams = net.parameters();
  const byVariable = new Map(Object.entries(netParams).map(([n, v]) => [v.name, n]));
  const adam = new Adam(netParams);
  const matrices = Object.entries(netParams).filter(([n, v]) => v.rank === 2 && n.endsWith('/weight')).map(([, v]) => v);
  let rng = new Random(s.seed + 1);

  const record: TrainingRecord = {
    settings: s,
    trainFrames: nTrain,
    validationFrames: nVal,
    initialValidationLoss: lossOf(net, xVal, fVal, nVal),
    epochs: [],
    bestEpoch: 0,
    bestValidationLoss: Infinity,
    stoppedBy: 'epochs',
    steps: 0,
  };
  record.bestValidationLoss = record.initialValidationLoss;
  let best = snapshot(params);
  let lr = s.learningRate;
  let sinceBest = 0;
  let sinceDrop = 0;
  let startEpoch = 1;

  const dir = opts.checkpointDir;
  const checkpointFile = dir ? join(dir, 'checkpoint.json') : undefined;
  const fingerprint = { frames, nVal, per, seed: s.seed, batchSize: s.batchSize, target: s.target, schedule: s.schedule, parameters: Object.keys(params) };
  if (dir) mkdirSync(dir, { recursive: true });
  if (opts.resume && checkpointFile && existsSync(checkpointFile)) {
    const ck = decodeParams(readFileSync(checkpointFile, 'utf8'), checkpointFile);
    const c = ck.config as JsonObject;
    if (c.kind !== CHECKPOINT_KIND) throw new Error(`${checkpointFile}: config.kind is ${JSON.stringify(c.kind)}, expected "${CHECKPOINT_KIND}"`);
    if (JSON.stringify(c.fingerprint) !== JSON.stringify(fingerprint)) {
      throw new Error(`${checkpointFile}: was written for other data or settings (${JSON.stringify(c.fingerprint)}; now ${JSON.stringify(fingerprint)}): resume with the same data, seed, batch size and model, or start afresh without resume`);
    }
    assign(params, ck.tensors, 'param/');
    best = new Map([...ck.tensors].filter(([k]) => k.startsWith('best/')).map(([k, v]) => [k.slice(5), v]));
    adam.restore(c.adamStep as number, new Map([...ck.tensors].filter(([k]) => k.startsWith('adam/')).map(([k, v]) => [k.slice(5), v])));
    rng = Random.fromState(c.rng as unknown as RandomState);
    const saved = c.record as unknown as TrainingRecord;
    Object.assign(record, { ...saved, settings: s, resumedFrom: saved.epochs.length });
    lr = c.learningRate as number;
    sinceBest = c.sinceBest as number;
    sinceDrop = c.sinceDrop as number;
    startEpoch = saved.epochs.length + 1;
  }

  const stepsPerEpoch = Math.ceil(nTrain / s.batchSize);
  const cosine = (epoch: number, step: number) =>
    s.minLearningRate + (s.learningRate - s.minLearningRate) * 0.5 * (1 + Math.cos((Math.PI * ((epoch - 1) * stepsPerEpoch + step)) / (s.epochs * stepsPerEpoch)));
  const aborted = () => opts.signal?.aborted === true;
  for (let epoch = startEpoch; epoch <= s.epochs && !aborted() && record.stoppedBy === 'epochs'; epoch++) {
    const t0 = performance.now();
    const order = permutation(nTrain, rng);
    let sum = 0;
    let seen = 0;
    for (let step = 0; step < stepsPerEpoch; step++) {
      const idx = order.subarray(step * s.batchSize, Math.min(nTrain, (step + 1) * s.batchSize));
      const n = idx.length;
      if (s.schedule === 'cosine') lr = cosine(epoch, step);
      const loss = tf.tidy(() => {
        const xb = tf.tensor3d(gatherRows(xTrain, idx, per), [n, model.nBeads, 3]);
        const fb = tf.tensor3d(gatherRows(fTrain, idx, per), [n, model.nBeads, 3]);
        const { value, grads } = tf.variableGrads(() => net.forceMatchingLoss(xb, fb), Object.values(netParams));
        adam.apply(Object.fromEntries(Object.entries(grads).map(([v, g]) => [byVariable.get(v) as string, g])), lr);
        return value.dataSync()[0];
      });
      if (s.lipschitz > 0) projectLipschitz(matrices, s.lipschitz);
      if (!Number.isFinite(loss)) {
        throw new Error(`trainForceMatching: the loss became ${loss} at epoch ${epoch}, step ${step + 1}: lower the learning rate (now ${lr}) or check the data for extreme forces`);
      }
      record.steps++;
      sum += loss * n;
      seen += n;
      opts.onProgress?.({ kind: 'step', epoch, epochs: s.epochs, step: step + 1, stepsPerEpoch, loss, learningRate: lr });
      await yieldToEventLoop();
      if (aborted()) break;
    }
    if (aborted()) {
      record.stoppedBy = 'interrupted';
      break;
    }
    const validationLoss = lossOf(net, xVal, fVal, nVal);
    const improved = validationLoss < record.bestValidationLoss;
    const epochRecord: EpochRecord = { epoch, trainLoss: sum / seen, validationLoss, learningRate: lr, seconds: (performance.now() - t0) / 1000 };
    record.epochs.push(epochRecord);
    if (improved) {
      record.bestValidationLoss = validationLoss;
      record.bestEpoch = epoch;
      best = snapshot(params);
      sinceBest = 0;
      sinceDrop = 0;
      if (dir) model.save(join(dir, 'model.json'));
    } else {
      sinceBest++;
      sinceDrop++;
      if (sinceBest >= s.patience) record.stoppedBy = 'early-stopping';
      else if (s.schedule === 'plateau' && sinceDrop >= s.lrPatience) {
        lr = Math.max(s.minLearningRate, lr * s.lrFactor);
        sinceDrop = 0;
      }
    }
    opts.onProgress?.({ kind: 'epoch', epoch, epochs: s.epochs, trainLoss: epochRecord.trainLoss, validationLoss, learningRate: epochRecord.learningRate, improved, seconds: epochRecord.seconds });
    if (checkpointFile) {
      const tensors = new Map([...snapshot(params, 'param/'), ...[...best].map(([k, v]) => [`best/${k}`, v] as const), ...[...adam.moments()].map(([k, v]) => [`adam/${k}`, v] as const)]);
      const config: JsonObject = {
        kind: CHECKPOINT_KIND,
        fingerprint: fingerprint as unknown as JsonObject,
        adamStep: adam.step,
        rng: rng.state() as unknown as JsonObject,
        record: record as unknown as JsonObject,
        learningRate: lr,
        sinceBest,
        sinceDrop,
      };
      writeFileAtomic(checkpointFile, encodeParams(config, tensors));
    }
  }
  if (aborted()) record.stoppedBy = 'interrupted';
  assign(params, best);
  if (dir && record.bestEpoch === 0) model.save(join(dir, 'model.json'));
  adam.dispose();
  return record;
}
