/**
 * Force-matching training of any EnergyModel (Husic et al. 2020): minimise the mean over
 * frames, beads and x, y, z of (F_θ(R) − f_CG)², on the shared loop of nn/epochLoop.ts (Adam
 * on shuffled mini-batches, a held-out validation split, a learning-rate schedule, early
 * stopping, checkpoints that resume bit for bit).
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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Coordinates } from '../../cg/linearMap.js';
import { EnergyModel } from '../../nn/energyModel.js';
import { epochSettings, gatherRows, permutation, runEpochs, splitFrames, type EpochLoopRecord, type EpochProgress, type EpochSettings } from '../../nn/epochLoop.js';
import type { JsonObject } from '../../nn/params.js';
import { concatFloat32 } from '../../util/arrays.js';
import type { Random } from '../../util/random.js';

/** Bead positions and the forces to match, one frame each. */
export interface ForceData {
  /** [frames, beads, 3] nm. */
  positions: Coordinates;
  /** [frames, beads, 3] kJ/mol/nm, the mapped forces f_CG = G f. */
  forces: Coordinates;
}

/**
 * Training frames read a window at a time (methods/forcematching/stream.ts), for sets larger
 * than memory; the validation frames are held.
 */
export interface StreamedForceData {
  /** Number of training frames: the windows of an epoch hold this many in all. */
  nTrain: number;
  validation: ForceData;
  /** An epoch's training frames, in windows of mapped frames, their order drawn from `rng`. */
  windows(rng: Random): AsyncIterable<ForceData>;
  /** What a checkpoint must match to resume on these data (files, sizes). */
  fingerprint: JsonObject;
}

/** Frames as the training loop holds them. */
type Rows = { positions: Float32Array; forces: Float32Array };

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
export type TrainProgress = EpochProgress;

export type { EpochRecord } from '../../nn/epochLoop.js';

/** What happened in training; losses in (kJ/mol/nm)². */
export interface TrainingRecord extends EpochLoopRecord {
  settings: Required<Omit<TrainOptions, 'checkpointDir' | 'resume' | 'onProgress' | 'signal'>>;
  trainFrames: number;
  validationFrames: number;
  /** Whether the training frames were streamed. */
  streamed: boolean;
}

/** The checkpoint's `config.kind`. */
const CHECKPOINT_KIND = 'cglab-forcematching-checkpoint';

function defaults(o: TrainOptions): TrainingRecord['settings'] {
  const loop: EpochSettings = epochSettings(
    { epochs: o.epochs, batchSize: o.batchSize, learningRate: o.learningRate, seed: o.seed, patience: o.patience, schedule: o.schedule, lrPatience: o.lrPatience, lrFactor: o.lrFactor, minLearningRate: o.minLearningRate },
    'trainForceMatching',
  );
  const s = { ...loop, validationFraction: o.validationFraction ?? 0.1, target: o.target ?? 'delta', lipschitz: o.lipschitz ?? 0 };
  if (!(s.lipschitz >= 0)) throw new Error(`trainForceMatching: lipschitz is ${s.lipschitz}, expected a positive bound λ (or 0 for none)`);
  if (s.target !== 'delta' && s.target !== 'full') throw new Error(`trainForceMatching: target is '${s.target as string}', expected 'delta' or 'full'`);
  return s;
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

/**
 * Train `model` by force matching on `data`; on return the model holds the parameters with the
 * lowest validation loss seen (including the initial ones).
 * @throws Error when the data do not fit the model (bead count, lengths), the model has no
 *   trainable parameters, there are too few frames for a validation split, or a checkpoint to
 *   resume from belongs to other data or settings.
 */
export async function trainForceMatching(model: EnergyModel, data: ForceData | StreamedForceData, opts: TrainOptions = {}): Promise<TrainingRecord> {
  const s = defaults(opts);
  const per = model.nBeads * 3;
  const check = (d: ForceData, what: string) => {
    if (d.positions.length === 0 || d.positions.length % per !== 0) {
      throw new Error(`trainForceMatching: ${what}positions have ${d.positions.length} values, expected [frames, ${model.nBeads}, 3] for this ${model.nBeads}-bead model: map the data with the model's map`);
    }
    if (d.forces.length !== d.positions.length) {
      throw new Error(`trainForceMatching: ${what}forces have ${d.forces.length} values but positions ${d.positions.length}: both must be [frames, ${model.nBeads}, 3]`);
    }
  };
  const streamed = 'windows' in data;
  check(streamed ? data.validation : data, streamed ? 'validation ' : '');
  const trainable = Object.entries(model.terms).filter(([, t]) => Object.keys(t.parameters()).length > 0);
  if (trainable.length === 0) throw new Error('trainForceMatching: the model has no trainable parameters (only priors); add a network term');

  // Targets: f_CG − F_fixed for delta training.
  const fixed = Object.entries(model.terms).filter(([, t]) => Object.keys(t.parameters()).length === 0);
  const delta = s.target === 'delta' && fixed.length > 0;
  const fixedModel = delta ? new EnergyModel(model.nBeads, Object.fromEntries(fixed)) : undefined;
  /** Frames as float32, their forces less the fixed terms' for delta training. */
  const target = (d: ForceData): Rows => {
    const f32 = (a: Coordinates) => (a instanceof Float32Array ? a : Float32Array.from(a));
    const x = f32(d.positions);
    if (!fixedModel) return { positions: x, forces: f32(d.forces) };
    const prior = forcesOf(fixedModel, x, x.length / per);
    return { positions: x, forces: Float32Array.from(d.forces, (v, i) => v - prior[i]) };
  };
  const net = delta ? new EnergyModel(model.nBeads, Object.fromEntries(trainable)) : model;

  let frames: number;
  let nTrain: number;
  let val: Rows;
  /** The rows that batches index: all training frames, or the present window's. */
  let rows: Rows;
  let batches: ((epoch: number, rng: Random, size: number) => AsyncIterable<Int32Array>) | undefined;
  if (streamed) {
    nTrain = data.nTrain;
    val = target(data.validation);
    frames = nTrain + val.positions.length / per;
    rows = val;
    batches = async function* (_epoch, rng, size) {
      let left: Rows = { positions: new Float32Array(0), forces: new Float32Array(0) };
      for await (const window of data.windows(rng)) {
        check(window, 'window ');
        const w = target(window);
        const order = permutation(w.positions.length / per, rng);
        rows = { positions: concatFloat32([left.positions, gatherRows(w.positions, order, per)]), forces: concatFloat32([left.forces, gatherRows(w.forces, order, per)]) };
        const n = rows.positions.length / per;
        let at = 0;
        for (; n - at >= size; at += size) yield Int32Array.from({ length: size }, (_, k) => at + k);
        left = { positions: rows.positions.slice(at * per), forces: rows.forces.slice(at * per) };
      }
      const n = left.positions.length / per;
      rows = left;
      if (n > 0) yield Int32Array.from({ length: n }, (_, k) => k);
    };
  } else {
    check(data, '');
    frames = data.positions.length / per;
    const split = splitFrames(frames, s.validationFraction, s.seed, 'trainForceMatching');
    nTrain = split.train.length;
    rows = target({ positions: gatherRows(data.positions, split.train, per), forces: gatherRows(data.forces, split.train, per) });
    val = target({ positions: gatherRows(data.positions, split.validation, per), forces: gatherRows(data.forces, split.validation, per) });
  }
  const nVal = val.positions.length / per;
  const params = model.parameters();
  const netParams = net.parameters();
  const matrices = Object.entries(netParams).filter(([n, v]) => v.rank === 2 && n.endsWith('/weight')).map(([, v]) => v);
  const dir = opts.checkpointDir;
  if (dir) mkdirSync(dir, { recursive: true });
  const fingerprint = { frames, nVal, per, seed: s.seed, batchSize: s.batchSize, target: s.target, schedule: s.schedule, parameters: Object.keys(params), ...(streamed ? { stream: data.fingerprint } : {}) };
  const loop = await runEpochs(
    {
      nTrain,
      parameters: params,
      trainable: netParams,
      batches,
      loss: (idx) => {
        const n = idx.length;
        const xb = tf.tensor3d(gatherRows(rows.positions, idx, per), [n, model.nBeads, 3]);
        const fb = tf.tensor3d(gatherRows(rows.forces, idx, per), [n, model.nBeads, 3]);
        return net.forceMatchingLoss(xb, fb);
      },
      afterStep: s.lipschitz > 0 ? () => projectLipschitz(matrices, s.lipschitz) : undefined,
      validate: () => lossOf(net, val.positions, val.forces, nVal),
      onImproved: dir ? () => model.save(join(dir, 'model.json')) : undefined,
    },
    s,
    {
      who: 'trainForceMatching',
      checkpoint: dir ? { file: join(dir, 'checkpoint.json'), kind: CHECKPOINT_KIND, fingerprint: fingerprint as unknown as JsonObject, resume: opts.resume } : undefined,
      onProgress: opts.onProgress,
      signal: opts.signal,
    },
  );
  const record: TrainingRecord = { settings: s, trainFrames: nTrain, validationFrames: nVal, streamed, ...loop };
  if (dir && record.bestEpoch === 0) model.save(join(dir, 'model.json'));
  return record;
}
