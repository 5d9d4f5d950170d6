/**
 * The training loop every data-driven method shares: Adam on shuffled mini-batches of frames, a
 * validation loss after every epoch, a learning-rate schedule (halved when the validation loss
 * stops improving, or a cosine decay over the run), early stopping, the best parameters kept,
 * checkpoints that resume bit for bit, progress reports and interruption between steps.
 *
 * A method supplies what differs: its batch loss (a scalar tensor of the trainable variables),
 * its validation loss, and optionally a hook after each step (a projection) and per-epoch
 * metrics. Shuffling comes from a seed, so a run is repeated exactly by the same seed on the
 * same backend.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { writeFileAtomic } from '../io/atomic.js';
import { Random, type RandomState } from '../util/random.js';
import { Adam } from './adam.js';
import { decodeParams, encodeParams, type JsonObject, type StoredTensor } from './params.js';

/** The loop's settings; {@link epochSettings} fills in defaults and checks them. */
export interface EpochSettings {
  /** Passes over the training frames. */
  epochs: number;
  /** Frames per step. */
  batchSize: number;
  /** Initial Adam learning rate. */
  learningRate: number;
  /** Seed of the shuffling. */
  seed: number;
  /** Stop after this many epochs without a better validation loss (Infinity: never). */
  patience: number;
  /**
   * 'plateau': multiply the rate by `lrFactor` after `lrPatience` epochs without a better
   * validation loss. 'cosine': lr(t) = min + (lr0 − min)·½(1 + cos πt), t the fraction of all
   * steps done, updated every step.
   */
  schedule: 'plateau' | 'cosine';
  lrPatience: number;
  lrFactor: number;
  /** The learning rate never drops below this. */
  minLearningRate: number;
}

/** Defaults of {@link EpochSettings}. */
export const EPOCH_DEFAULTS: Readonly<EpochSettings> = Object.freeze({
  epochs: 30,
  batchSize: 256,
  learningRate: 1e-3,
  seed: 1,
  patience: 6,
  schedule: 'plateau',
  lrPatience: 2,
  lrFactor: 0.5,
  minLearningRate: 1e-5,
});

/**
 * `o` over {@link EPOCH_DEFAULTS}, checked.
 * @param who names the caller in messages (e.g. "trainForceMatching").
 */
export function epochSettings(o: Partial<EpochSettings>, who: string): EpochSettings {
  const s: EpochSettings = { ...EPOCH_DEFAULTS };
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
  const positiveInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${who}: ${what} is ${v}, expected a positive integer`);
  };
  positiveInt(s.batchSize, 'batchSize');
  positiveInt(s.lrPatience, 'lrPatience');
  if (!(s.patience === Infinity || (Number.isInteger(s.patience) && s.patience >= 1))) throw new Error(`${who}: patience is ${s.patience}, expected a positive integer (or Infinity)`);
  if (!Number.isInteger(s.epochs) || s.epochs < 0) throw new Error(`${who}: epochs is ${s.epochs}, expected a non-negative integer`);
  if (!Number.isInteger(s.seed) || s.seed < 0) throw new Error(`${who}: seed is ${s.seed}, expected a non-negative integer`);
  if (!(s.learningRate > 0)) throw new Error(`${who}: learningRate is ${s.learningRate}, expected > 0`);
  if (!(s.lrFactor > 0 && s.lrFactor <= 1)) throw new Error(`${who}: lrFactor is ${s.lrFactor}, expected a factor in (0, 1]`);
  if (s.schedule !== 'plateau' && s.schedule !== 'cosine') throw new Error(`${who}: schedule is '${s.schedule as string}', expected 'plateau' or 'cosine'`);
  return s;
}

/** A random permutation of 0..n−1 (Fisher–Yates). */
export function permutation(n: number, rng: Random): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * Frames split at random into training and validation indices.
 * @throws Error when either part would be empty.
 */
export function splitFrames(frames: number, validationFraction: number, seed: number, who: string): { train: Int32Array; validation: Int32Array } {
  if (!(validationFraction > 0 && validationFraction < 1)) throw new Error(`${who}: validationFraction is ${validationFraction}, expected a fraction in (0, 1) such as 0.1`);
  const nVal = Math.round(frames * validationFraction);
  if (nVal < 1 || frames - nVal < 1) throw new Error(`${who}: ${frames} frames cannot be split into training and validation frames (fraction ${validationFraction}); give more frames`);
  const split = permutation(frames, new Random(seed));
  return { validation: split.subarray(0, nVal), train: split.subarray(nVal) };
}

/** Rows `idx` of a [frames, per] array as float32. */
export function gatherRows(data: ArrayLike<number>, idx: ArrayLike<number>, per: number): Float32Array {
  const out = new Float32Array(idx.length * per);
  for (let k = 0; k < idx.length; k++) for (let c = 0; c < per; c++) out[k * per + c] = data[idx[k] * per + c];
  return out;
}

/** Values of named variables as stored tensors (a snapshot). */
export function snapshot(params: Readonly<Record<string, tf.Variable>>, prefix = ''): Map<string, StoredTensor> {
  return new Map(Object.entries(params).map(([n, v]) => [`${prefix}${n}`, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) }]));
}

/** Set named variables from a snapshot. @throws Error for a missing or misshapen value. */
export function assignSnapshot(params: Readonly<Record<string, tf.Variable>>, values: ReadonlyMap<string, StoredTensor>, prefix = ''): void {
  for (const [n, v] of Object.entries(params)) {
    const t = values.get(`${prefix}${n}`);
    if (!t || t.shape.join() !== v.shape.join()) throw new Error(`checkpoint: parameter ${n} is ${t ? `of shape [${t.shape}]` : 'missing'}, the model's is [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}

/** A random permutation of 0..n−1 cut into batches of `size` (the last may be smaller). */
function* permutedBatches(n: number, rng: Random, size: number): Generator<Int32Array> {
  const order = permutation(n, rng);
  for (let s = 0; s < n; s += size) yield order.subarray(s, Math.min(n, s + size));
}

/** Progress reports: one per step, one per epoch. Losses in the task's units. */
export type EpochProgress =
  | { kind: 'step'; epoch: number; epochs: number; step: number; stepsPerEpoch: number; loss: number; learningRate: number }
  | { kind: 'epoch'; epoch: number; epochs: number; trainLoss: number; validationLoss: number; learningRate: number; improved: boolean; seconds: number; metrics?: Record<string, number> };

/** One completed epoch. */
export interface EpochRecord {
  epoch: number;
  /** Mean loss over the epoch's steps. */
  trainLoss: number;
  /** Loss on the validation frames after the epoch. */
  validationLoss: number;
  learningRate: number;
  /** Wall time of the epoch, s. */
  seconds: number;
  /** The task's own numbers for the epoch, when it reports any. */
  metrics?: Record<string, number>;
}

/** What happened in a run of the loop. */
export interface EpochLoopRecord {
  /** Validation loss of the parameters before training. */
  initialValidationLoss: number;
  epochs: EpochRecord[];
  /** Epoch of the kept parameters (0: the initial ones). */
  bestEpoch: number;
  bestValidationLoss: number;
  stoppedBy: 'epochs' | 'early-stopping' | 'interrupted';
  /** Optimiser steps taken in all. */
  steps: number;
  /** Epoch a resumed run continued from, if it was resumed. */
  resumedFrom?: number;
}

/** What a method gives the loop. */
export interface EpochTask {
  /** Number of training frames; batches are index arrays into 0..nTrain−1. */
  nTrain: number;
  /** Every variable of the model: kept as the best snapshot and in checkpoints. */
  parameters: Readonly<Record<string, tf.Variable>>;
  /** The variables Adam moves (a subset of `parameters`, same names). */
  trainable: Readonly<Record<string, tf.Variable>>;
  /**
   * The batches of an epoch, for a task that holds only part of its frames at a time (streamed
   * data): row indices that `loss` reads, nTrain rows in all, every batch but the last of
   * `batchSize` rows, shuffled with `rng` (whose state the checkpoint keeps). Default: a random
   * permutation of 0..nTrain−1 cut into batches.
   */
  batches?(epoch: number, rng: Random, batchSize: number): AsyncIterable<Int32Array>;
  /** Loss of a batch as a scalar of `trainable`; called inside tf.variableGrads. */
  loss(batch: Int32Array, epoch: number, step: number): tf.Scalar;
  /** After every optimiser step (e.g. a projection of the weights). */
  afterStep?(): void;
  /** Validation loss of the present parameters; lower is better. `epoch` 0 is before training. */
  validate(epoch: number): number;
  /** Numbers to record beside the losses at the end of an epoch. */
  epochMetrics?(epoch: number): Record<string, number>;
  /** Called when an epoch has improved on the best validation loss (e.g. to save the model). */
  onImproved?(epoch: number): void;
}

/** Where and how the loop keeps its checkpoint. */
export interface CheckpointOptions {
  /** The checkpoint file, rewritten atomically after every complete epoch. */
  file: string;
  /** Its `config.kind`, naming the method. */
  kind: string;
  /** What must match to resume (data sizes, settings, parameter names). */
  fingerprint: JsonObject;
  /** Continue from `file` when it exists. */
  resume?: boolean;
}

/** Run-time hooks of {@link runEpochs}. */
export interface EpochLoopHooks {
  checkpoint?: CheckpointOptions;
  onProgress?: (p: EpochProgress) => void;
  /** Stop after the current step; the best parameters so far are kept. */
  signal?: AbortSignal;
  /** Label of errors, e.g. "trainForceMatching". */
  who: string;
}

/** Let the event loop run (Ctrl-C handlers, progress output) between steps. */
export const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Train `task` with `s`; on return its parameters are those with the lowest validation loss
 * seen (the initial ones included).
 * @throws Error when the loss becomes non-finite, or a checkpoint to resume from was written
 *   for other data or settings.
 */
export async function runEpochs(task: EpochTask, s: EpochSettings, hooks: EpochLoopHooks): Promise<EpochLoopRecord> {
  const { trainable, parameters: params } = task;
  const byVariable = new Map(Object.entries(trainable).map(([n, v]) => [v.name, n]));
  const adam = new Adam(trainable);
  let rng = new Random(s.seed + 1);
  const record: EpochLoopRecord = {
    initialValidationLoss: task.validate(0),
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

  const ck = hooks.checkpoint;
  if (ck?.resume && existsSync(ck.file)) {
    const saved = decodeParams(readFileSync(ck.file, 'utf8'), ck.file);
    const c = saved.config as JsonObject;
    if (c.kind !== ck.kind) throw new Error(`${ck.file}: config.kind is ${JSON.stringify(c.kind)}, expected "${ck.kind}"`);
    if (JSON.stringify(c.fingerprint) !== JSON.stringify(ck.fingerprint)) {
      throw new Error(`${ck.file}: was written for other data or settings (${JSON.stringify(c.fingerprint)}; now ${JSON.stringify(ck.fingerprint)}): resume with the same data, seed, batch size and model, or start afresh without resume`);
    }
    const part = (prefix: string) => new Map([...saved.tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    assignSnapshot(params, saved.tensors, 'param/');
    best = part('best/');
    adam.restore(c.adamStep as number, part('adam/'));
    rng = Random.fromState(c.rng as unknown as RandomState);
    const r = c.record as unknown as EpochLoopRecord;
    Object.assign(record, { ...r, resumedFrom: r.epochs.length });
    lr = c.learningRate as number;
    sinceBest = c.sinceBest as number;
    sinceDrop = c.sinceDrop as number;
    startEpoch = r.epochs.length + 1;
  }

  const stepsPerEpoch = Math.ceil(task.nTrain / s.batchSize);
  const cosine = (epoch: number, step: number) =>
    s.minLearningRate + (s.learningRate - s.minLearningRate) * 0.5 * (1 + Math.cos((Math.PI * ((epoch - 1) * stepsPerEpoch + step)) / (s.epochs * stepsPerEpoch)));
  const aborted = () => hooks.signal?.aborted === true;
  let yielded = performance.now();
  try {
    for (let epoch = startEpoch; epoch <= s.epochs && !aborted() && record.stoppedBy === 'epochs'; epoch++) {
      const t0 = performance.now();
      const batches = task.batches ? task.batches(epoch, rng, s.batchSize) : permutedBatches(task.nTrain, rng, s.batchSize);
      let sum = 0;
      let seen = 0;
      let step = 0;
      for await (const idx of batches) {
        if (s.schedule === 'cosine') lr = cosine(epoch, step);
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => task.loss(idx, epoch, step), Object.values(trainable));
          adam.apply(Object.fromEntries(Object.entries(grads).map(([v, g]) => [byVariable.get(v) as string, g])), lr);
          return value.dataSync()[0];
        });
        task.afterStep?.();
        if (!Number.isFinite(loss)) {
          throw new Error(`${hooks.who}: the loss became ${loss} at epoch ${epoch}, step ${step + 1}: lower the learning rate (now ${lr}) or check the data for extreme values`);
        }
        record.steps++;
        sum += loss * idx.length;
        seen += idx.length;
        hooks.onProgress?.({ kind: 'step', epoch, epochs: s.epochs, step: step + 1, stepsPerEpoch, loss, learningRate: lr });
        step++;
        // Yield now and then, not every step: a setImmediate round trip is a fair share of a
        // small model's step, and 50 ms keeps Ctrl-C and live output prompt.
        if (performance.now() - yielded > 50) {
          await yieldToEventLoop();
          yielded = performance.now();
        }
        if (aborted()) break;
      }
      if (aborted()) break;
      const validationLoss = task.validate(epoch);
      const improved = validationLoss < record.bestValidationLoss;
      const metrics = task.epochMetrics?.(epoch);
      const epochRecord: EpochRecord = { epoch, trainLoss: sum / seen, validationLoss, learningRate: lr, seconds: (performance.now() - t0) / 1000, ...(metrics ? { metrics } : {}) };
      record.epochs.push(epochRecord);
      if (improved) {
        record.bestValidationLoss = validationLoss;
        record.bestEpoch = epoch;
        best = snapshot(params);
        sinceBest = 0;
        sinceDrop = 0;
        task.onImproved?.(epoch);
      } else {
        sinceBest++;
        sinceDrop++;
        if (sinceBest >= s.patience) record.stoppedBy = 'early-stopping';
        else if (s.schedule === 'plateau' && sinceDrop >= s.lrPatience) {
          lr = Math.max(s.minLearningRate, lr * s.lrFactor);
          sinceDrop = 0;
        }
      }
      hooks.onProgress?.({ kind: 'epoch', epoch, epochs: s.epochs, trainLoss: epochRecord.trainLoss, validationLoss, learningRate: epochRecord.learningRate, improved, seconds: epochRecord.seconds, ...(metrics ? { metrics } : {}) });
      if (ck) {
        const tensors = new Map([...snapshot(params, 'param/'), ...[...best].map(([k, v]) => [`best/${k}`, v] as const), ...[...adam.moments()].map(([k, v]) => [`adam/${k}`, v] as const)]);
        const config: JsonObject = {
          kind: ck.kind,
          fingerprint: ck.fingerprint,
          adamStep: adam.step,
          rng: rng.state() as unknown as JsonObject,
          record: record as unknown as JsonObject,
          learningRate: lr,
          sinceBest,
          sinceDrop,
        };
        writeFileAtomic(ck.file, encodeParams(config, tensors));
      }
    }
    if (aborted()) record.stoppedBy = 'interrupted';
    assignSnapshot(params, best);
  } finally {
    adam.dispose();
  }
  return record;
}
