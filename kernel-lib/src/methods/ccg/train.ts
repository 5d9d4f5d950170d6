/**
 * Training of a back-mapping q_φ(y | s) by the variational free energy (Zhang, Lin, E & Gao):
 * at fixed CG coordinates s,
 *
 *   F(s) = −kT ln ∫ exp(−βU(x(s, y))) J dy  ≤  kT E_q[βU(x) + ln q(y | s) − ln J],
 *
 * with equality exactly when q(y | s) is the Boltzmann distribution of the fine coordinates
 * given s. The loss is that bound in kT, averaged over s drawn from a set of CG configurations
 * (data frames, a grid, or a CG simulation), i.e. the reverse KL divergence from q to the
 * conditional Boltzmann density plus the mean of βF(s). Gradients reach φ pathwise through the
 * reparameterised samples and the atomistic forces (a TensorEnergy: analytic forces for any
 * Potential, physics/tensor.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../../nn/adam.js';
import type { ConditionalDensity } from '../../nn/conditionalDensity.js';
import type { TensorEnergy } from '../../physics/tensor.js';
import { BOLTZMANN } from '../../units.js';
import { Random } from '../../util/random.js';
import { conditionOf, type FineRepresentation } from './representation.js';

/** Settings of {@link fitBackmapping}; all but `contexts` have defaults. */
export interface BackmapOptions {
  /** [n, cgDim] CG configurations to train at, drawn with replacement each step. */
  contexts: Float64Array;
  /** Adam steps; default 2000. */
  steps?: number;
  /** Samples per step (one s and one y each); default 256. */
  batch?: number;
  /** Default 3e-3. */
  learningRate?: number;
  /** Seed of the context draws and the noise; default 1. */
  seed?: number;
  /**
   * Mapped reference frames as (s, y) pairs, for a maximum-likelihood term: the first `warmup`
   * steps lower −⟨ln q(y | s)⟩ over them alone (a start near the data, where a density far from
   * it would put atoms on top of each other and the energies out of any useful range), and the
   * rest add `weight` × that term to the bound (default 0: the variational free energy alone).
   */
  reference?: { contexts: Float64Array; y: Float64Array; warmup?: number; weight?: number };
  /** After every step: its index (from 1) and loss (kT per sample). */
  onStep?: (step: number, loss: number) => void;
  /** Stop after the current step. */
  signal?: AbortSignal;
}

/** What training did. */
export interface BackmapFit {
  /** Loss of every step, kT per sample (the mean bound on βF plus the KL divergence; in warm-up steps the negative log-likelihood). */
  loss: Float64Array;
  /** Steps of maximum-likelihood warm-up among them. */
  warmup: number;
  steps: number;
  seconds: number;
  interrupted: boolean;
}

/** One step's pieces: the bound per sample, kT, as a tensor of the density's parameters. */
export function boundPerSample(q: ConditionalDensity, rep: FineRepresentation, energy: TensorEnergy, beta: number, s: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor1D {
  const { y, logProb } = q.sampleWithLogProb(conditionOf(rep, s), eps);
  const { x, logJacobian } = rep.embed(s, y);
  return tf.sub(tf.add(tf.mul(energy(x), beta), logProb), logJacobian) as tf.Tensor1D;
}

/** Which terms of the bound are non-finite for how many of a batch's samples: a diagnosis, in words. */
function nonFiniteTerms(q: ConditionalDensity, rep: FineRepresentation, energy: TensorEnergy, beta: number, s: tf.Tensor2D, eps: tf.Tensor2D): string {
  return tf.tidy(() => {
    const { y, logProb } = q.sampleWithLogProb(conditionOf(rep, s), eps);
    const { x, logJacobian } = rep.embed(s, y);
    const terms: [string, tf.Tensor][] = [['the flow\'s samples', y], ['its log-density', logProb], ['the representation\'s log-Jacobian', logJacobian], ['the energy', energy(x)]];
    const bad = terms.map(([name, t]) => [name, Array.from(t.dataSync()).filter((v) => !Number.isFinite(v)).length] as const).filter(([, k]) => k > 0);
    return bad.length ? `non-finite: ${bad.map(([name, k]) => `${name} (${k} values)`).join(', ')}` : 'every term finite when recomputed: the gradient step itself overflowed';
  });
}

/**
 * Fit `q` (its parameters move) to the conditional Boltzmann density of `energy` at
 * `temperature` (K) given s.
 * @throws Error for contexts of the wrong width, bad settings, or a non-finite loss (naming the step).
 */
export async function fitBackmapping(q: ConditionalDensity, rep: FineRepresentation, energy: TensorEnergy, temperature: number, opts: BackmapOptions): Promise<BackmapFit> {
  const steps = opts.steps ?? 2000;
  const batch = opts.batch ?? 256;
  const lr = opts.learningRate ?? 3e-3;
  const c = rep.cgDim;
  const contextDim = rep.contextDim ?? c;
  if (q.contextDim !== contextDim || q.dim !== rep.fineDim) throw new Error(`fitBackmapping: the density maps ${q.contextDim} → ${q.dim} coordinates, the representation ${contextDim} context values → ${rep.fineDim} fine`);
  if (opts.contexts.length === 0 || opts.contexts.length % c !== 0) throw new Error(`fitBackmapping: contexts have ${opts.contexts.length} values, expected [n, ${c}] CG configurations`);
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(batch) || batch < 1) throw new Error(`fitBackmapping: steps (${steps}) and batch (${batch}) must be positive integers`);
  if (!(lr > 0) || !(temperature > 0)) throw new Error(`fitBackmapping: learningRate (${lr}) and temperature (${temperature} K) must be positive`);
  const beta = 1 / (BOLTZMANN * temperature);
  const n = opts.contexts.length / c;
  const ref = opts.reference;
  const nRef = ref ? ref.contexts.length / c : 0;
  const warmup = ref?.warmup ?? 0;
  const weight = ref?.weight ?? 0;
  if (ref && (!Number.isInteger(nRef) || nRef < 1 || ref.y.length !== nRef * q.dim)) throw new Error(`fitBackmapping: reference has ${ref.contexts.length} context values and ${ref.y.length} fine values, expected [n, ${c}] and [n, ${q.dim}]`);
  if (!Number.isInteger(warmup) || warmup < 0 || !(weight >= 0) || (!ref && (warmup > 0 || weight > 0))) throw new Error(`fitBackmapping: reference warmup (${warmup}) and weight (${weight}) must be ≥ 0, and need reference frames`);
  const rng = new Random(opts.seed ?? 1);
  /** −⟨ln q(y | s)⟩ over a batch of reference pairs. */
  const likelihood = (): tf.Scalar => {
    const cs = new Float32Array(batch * c);
    const ys = new Float32Array(batch * q.dim);
    for (let b = 0; b < batch; b++) {
      const k = Math.floor(rng.uniform() * nRef);
      for (let j = 0; j < c; j++) cs[b * c + j] = (ref as NonNullable<typeof ref>).contexts[k * c + j];
      for (let j = 0; j < q.dim; j++) ys[b * q.dim + j] = (ref as NonNullable<typeof ref>).y[k * q.dim + j];
    }
    return tf.neg(tf.mean(q.logProb(tf.tensor2d(ys, [batch, q.dim]), conditionOf(rep, tf.tensor2d(cs, [batch, c]))))) as tf.Scalar;
  };
  const params = q.parameters();
  const byVariable = new Map(Object.entries(params).map(([k, v]) => [v.name, k]));
  const adam = new Adam(params);
  const loss = new Float64Array(steps);
  const t0 = performance.now();
  let yielded = Date.now();
  let done = 0;
  try {
    for (let step = 0; step < steps && !opts.signal?.aborted; step++) {
      const inWarmup = step < warmup;
      const s = new Float32Array(batch * c);
      let eps = new Float32Array(0);
      if (!inWarmup) {
        for (let b = 0; b < batch; b++) {
          const k = Math.floor(rng.uniform() * n);
          for (let j = 0; j < c; j++) s[b * c + j] = opts.contexts[k * c + j];
        }
        eps = Float32Array.from({ length: batch * q.dim }, () => rng.normal());
      }
      const value = tf.tidy(() => {
        const { value: v, grads } = tf.variableGrads(() => {
          if (inWarmup) return likelihood();
          const bound = tf.mean(boundPerSample(q, rep, energy, beta, tf.tensor2d(s, [batch, c]), tf.tensor2d(eps, [batch, q.dim]))) as tf.Scalar;
          return weight > 0 ? (tf.add(bound, tf.mul(likelihood(), weight)) as tf.Scalar) : bound;
        }, Object.values(params));
        adam.apply(Object.fromEntries(Object.entries(grads).map(([name, g]) => [byVariable.get(name) as string, g])), lr);
        return v.dataSync()[0];
      });
      if (!Number.isFinite(value)) {
        const which = inWarmup ? 'the log-likelihood of the reference frames' : nonFiniteTerms(q, rep, energy, beta, tf.tensor2d(s, [batch, c]), tf.tensor2d(eps, [batch, q.dim]));
        throw new Error(`fitBackmapping: the loss became ${value} at step ${step + 1} (${which}): lower the learning rate (${lr}), or start q nearer the fine structure`);
      }
      loss[step] = value;
      done = step + 1;
      opts.onStep?.(done, value);
      // Let the event loop run now and then: live notebook output, Ctrl-C.
      if (Date.now() - yielded > 100) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = Date.now();
      }
    }
  } finally {
    adam.dispose();
  }
  return { loss: loss.subarray(0, done), steps: done, warmup: Math.min(warmup, done), seconds: (performance.now() - t0) / 1000, interrupted: done < steps };
}
