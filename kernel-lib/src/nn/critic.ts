/**
 * Critics for adversarial fits: functions v(χ) of a feature vector χ(R) trained to maximise
 * an f-divergence's variational bound (nn/fDivergence.ts) between reference rows and model
 * rows (the latter weighted, as when samples are reused by reweighting):
 *
 *   D(ψ) = Σ_i r_i g(v(χ_i)) − Σ_j q_j f*(g(v(χ_j))) − ½ λ |ψ|²,
 *
 * with a ridge λ on the weights (not the constant), which keeps the critic finite when the two
 * sets separate. Features are standardised by the reference rows' mean and spread, fixed when
 * the critic is built, so λ means the same for any feature's units.
 *
 * - `LinearCritic`: v = c + w·z. D is concave in (c, w), so each step is a Newton step with a
 *   backtracking line search; in the span of a linear model's basis it makes ARCG REM.
 * - `MlpCritic`: v = MLP(z) (tanh), steps of Adam on D, with ∂D/∂ψ = Σ c_i ∂v_i/∂ψ through
 *   tfjs, c_i the bound's derivative in v_i.
 */
import * as tf from '@tensorflow/tfjs-core';
import { solveSpd } from '../cg/linalg.js';
import { Random } from '../util/random.js';
import { Adam } from './adam.js';
import type { FDivergence } from './fDivergence.js';
import { MLP } from './mlp.js';
import type { JsonObject, StoredTensor } from './params.js';

/** Rows of features with their weights. */
export interface FeatureRows {
  /** [n, features] row-major. */
  x: ArrayLike<number>;
  n: number;
  /** [n] summing to 1; absent: uniform. */
  weights?: ArrayLike<number>;
}

/** What a critic is saved as: a parameter file's config and tensors (nn/params.ts). */
export interface CriticState {
  config: JsonObject;
  tensors: Map<string, StoredTensor>;
}

/** A trained discriminator between reference and model rows. */
export interface Critic {
  readonly kind: 'linear' | 'mlp';
  /** Feature count expected in every row. */
  readonly features: number;
  readonly divergence: FDivergence;
  /** Raw outputs v of each row. */
  values(rows: FeatureRows): Float64Array;
  /** The variational bound (without the ridge) on these rows. */
  bound(ref: FeatureRows, model: FeatureRows): number;
  /** `steps` ascent steps on D; returns the bound after them. */
  train(ref: FeatureRows, model: FeatureRows, steps: number): number;
  /**
   * True when the last `train` found the two sets (nearly) separated: the critic then rests on
   * a few rows or saturates, and the size of a gradient taken from it means nothing. Linear
   * critics: for JS, a bound within 5 % of its maximum 2 ln 2; for KL, a ridge raised beyond
   * the option's (`minEss`). MLP critics: never.
   */
  separated(): boolean;
  state(): CriticState;
  /** @throws Error when the state is of another kind or shape. */
  restore(state: CriticState): void;
  dispose(): void;
}

/** Options shared by the critics. */
export interface CriticOptions {
  /**
   * Ridge λ on the weights, in standardised feature units; default 1e-3. An MLP critic for KL
   * trained for hundreds of steps on the same rows overfits their tails (its bound on other
   * rows falls), which a larger λ curbs at the price of a slower critic: ARCG's fresh samples
   * and few steps per iteration keep it in check.
   */
  ridge?: number;
  /** Where errors say they come from; default 'critic'. */
  where?: string;
  /**
   * Linear critic: the least effective fraction of model rows its gradient may rest on (the
   * ridge rises tenfold at a time until it does); default 0, off. A raised ridge keeps the
   * critic finite where the sets separate, but shortens its gradient: ARCG then steps slowly.
   */
  minEss?: number;
}

/** Feature-wise mean and spread of reference rows; a constant feature gets spread 1. */
export function featureScale(ref: FeatureRows, features: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(features);
  const scale = new Float64Array(features);
  for (let i = 0; i < ref.n; i++) for (let k = 0; k < features; k++) mean[k] += ref.x[i * features + k] / ref.n;
  for (let i = 0; i < ref.n; i++) for (let k = 0; k < features; k++) scale[k] += (ref.x[i * features + k] - mean[k]) ** 2 / ref.n;
  for (let k = 0; k < features; k++) scale[k] = scale[k] > 0 ? Math.sqrt(scale[k]) : 1;
  return { mean, scale };
}

/** The critic output v where the bound's terms balance for equal densities: 1 for KL, 0 for JS. */
function constantCritic(d: FDivergence): number {
  return d.name === 'kl' ? 1 : 0;
}

function rowWeight(rows: FeatureRows, i: number): number {
  return rows.weights ? rows.weights[i] : 1 / rows.n;
}

/** The shape and finiteness checks every critic makes of its rows. */
function checkRows(rows: FeatureRows, features: number, what: string, where: string): void {
  if (rows.x.length !== rows.n * features) {
    throw new Error(`${where}: the ${what} rows have ${rows.n ? rows.x.length / rows.n : rows.x.length} features each, the critic was built on ${features}: its basis does not match the model's`);
  }
  if (rows.weights && rows.weights.length !== rows.n) throw new Error(`${where}: ${rows.weights.length} weights for ${rows.n} ${what} rows`);
  for (let i = 0; i < rows.x.length; i++) {
    if (!Number.isFinite(rows.x[i])) throw new Error(`${where}: the ${what} rows hold ${rows.x[i]} at row ${Math.floor(i / features)}, feature ${i % features}`);
  }
}

function boundOf(div: FDivergence, vRef: Float64Array, ref: FeatureRows, vModel: Float64Array, model: FeatureRows): number {
  let d = 0;
  vRef.forEach((v, i) => (d += rowWeight(ref, i) * div.reference(v)[0]));
  vModel.forEach((v, j) => (d -= rowWeight(model, j) * div.model(v)[0]));
  return d;
}

/** v = c + w·z on standardised features z. */
export class LinearCritic implements Critic {
  readonly kind = 'linear';
  /** [1 + features]: the constant, then the weights. */
  readonly u: Float64Array;
  private readonly mean: Float64Array;
  private readonly scale: Float64Array;
  private readonly ridge: number;
  private readonly minEss: number;
  private readonly where: string;
  /** The ridge the last `train` ended at (≥ the option's). */
  lastRidge: number;
  /** The bound after the last `train`. */
  lastBound = 0;

  separated(): boolean {
    return this.lastRidge > this.ridge || (this.divergence.name === 'js' && this.lastBound > 0.95 * 2 * Math.LN2);
  }

  /** @param ref the reference rows that fix the standardisation. */
  constructor(readonly features: number, readonly divergence: FDivergence, ref: FeatureRows, o: CriticOptions = {}) {
    this.where = o.where ?? 'critic';
    checkRows(ref, features, 'reference', this.where);
    ({ mean: this.mean, scale: this.scale } = featureScale(ref, features));
    this.ridge = o.ridge ?? 1e-3;
    this.lastRidge = this.ridge;
    this.minEss = o.minEss ?? 0;
    // KL's best constant critic is v = 1 (f*'s minimum at equal densities); JS's is 0.
    this.u = new Float64Array(1 + features);
    this.u[0] = constantCritic(divergence);
  }

  private z(rows: FeatureRows, i: number, out: Float64Array): void {
    out[0] = 1;
    for (let k = 0; k < this.features; k++) out[1 + k] = (rows.x[i * this.features + k] - this.mean[k]) / this.scale[k];
  }

  private valuesWith(u: Float64Array, rows: FeatureRows): Float64Array {
    const z = new Float64Array(1 + this.features);
    return Float64Array.from({ length: rows.n }, (_, i) => {
      this.z(rows, i, z);
      let v = 0;
      for (let k = 0; k <= this.features; k++) v += u[k] * z[k];
      return v;
    });
  }

  values(rows: FeatureRows): Float64Array {
    checkRows(rows, this.features, 'model', this.where);
    return this.valuesWith(this.u, rows);
  }

  bound(ref: FeatureRows, model: FeatureRows): number {
    return boundOf(this.divergence, this.values(ref), ref, this.values(model), model);
  }

  private objective(u: Float64Array, ref: FeatureRows, model: FeatureRows, ridge: number): number {
    let w2 = 0;
    for (let k = 1; k < u.length; k++) w2 += u[k] * u[k];
    return boundOf(this.divergence, this.valuesWith(u, ref), ref, this.valuesWith(u, model), model) - 0.5 * ridge * w2;
  }

  /**
   * Kish's effective size of the model rows' weights in the bound's gradient, q_j f*'(v_j): how
   * many model rows the critic's gradient estimate rests on.
   */
  modelEss(model: FeatureRows): number {
    const v = this.values(model);
    let s = 0;
    let s2 = 0;
    v.forEach((vj, j) => {
      const a = rowWeight(model, j) * this.divergence.model(vj)[1];
      s += a;
      s2 += a * a;
    });
    return s2 > 0 ? (s * s) / s2 : 0;
  }

  /**
   * `steps` Newton steps at the ridge, raised tenfold (from the constant critic) while the
   * model rows' effective size stays below `minEss` of them: when the two sets separate, the
   * critic of a small ridge rests on the few model rows nearest the reference, and so does a
   * gradient taken from it. The ridge used is kept in `lastRidge`.
   */
  train(ref: FeatureRows, model: FeatureRows, steps: number): number {
    checkRows(ref, this.features, 'reference', this.where);
    checkRows(model, this.features, 'model', this.where);
    const constant = new Float64Array(1 + this.features);
    constant[0] = constantCritic(this.divergence);
    let ridge = this.ridge;
    for (let tries = 0; ; tries++) {
      this.newton(ref, model, steps, ridge, constant);
      if (this.modelEss(model) >= this.minEss * model.n || tries >= 12) break;
      ridge *= 10;
      this.u.set(constant);
    }
    this.lastRidge = ridge;
    this.lastBound = this.bound(ref, model);
    return this.lastBound;
  }

  private newton(ref: FeatureRows, model: FeatureRows, steps: number, ridge: number, constant: Float64Array): void {
    const m = 1 + this.features;
    const z = new Float64Array(m);
    // A warm start from other model rows can be far worse than the constant critic (whose
    // bound is 0): Newton's method from there may not recover in a few steps.
    if (!(this.objective(this.u, ref, model, ridge) >= this.objective(constant, ref, model, ridge))) this.u.set(constant);
    for (let s = 0; s < steps; s++) {
      const grad = new Float64Array(m);
      const negH = new Float64Array(m * m);
      const add = (rows: FeatureRows, sign: number, term: (v: number) => [number, number, number]): void => {
        const v = this.valuesWith(this.u, rows);
        for (let i = 0; i < rows.n; i++) {
          this.z(rows, i, z);
          const [, d1, d2] = term(v[i]);
          const w = rowWeight(rows, i);
          for (let a = 0; a < m; a++) {
            grad[a] += sign * w * d1 * z[a];
            const h = -sign * w * d2 * z[a];
            if (h !== 0) for (let b = a; b < m; b++) negH[a * m + b] += h * z[b];
          }
        }
      };
      add(ref, 1, (v) => this.divergence.reference(v));
      add(model, -1, (v) => this.divergence.model(v));
      for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) negH[a * m + b] = negH[b * m + a];
      for (let k = 1; k < m; k++) {
        grad[k] -= ridge * this.u[k];
        negH[k * m + k] += ridge;
      }
      negH[0] += 1e-12;
      const step = solveSpd(negH, m, grad, 1);
      if (!step) throw new Error(`${this.where}: the linear critic's Newton system is singular (features constant over both sets?)`);
      const d0 = this.objective(this.u, ref, model, ridge);
      let t = 1;
      let next = this.u;
      for (let tries = 0; tries < 40; tries++, t /= 2) {
        const trial = Float64Array.from(this.u, (v, k) => v + t * step[k]);
        const d = this.objective(trial, ref, model, ridge);
        if (Number.isFinite(d) && d >= d0) {
          next = trial;
          break;
        }
      }
      if (next === this.u) break;
      this.u.set(next);
    }
  }

  /**
   * The critic as a linear function of the raw features: v = c + a·χ (the weights in the
   * features' own units), the form to set beside a linear model's θ.
   */
  raw(): { constant: number; weights: Float64Array } {
    const weights = Float64Array.from({ length: this.features }, (_, k) => this.u[1 + k] / this.scale[k]);
    let constant = this.u[0];
    weights.forEach((w, k) => (constant -= w * this.mean[k]));
    return { constant, weights };
  }

  state(): CriticState {
    const f32 = (a: Float64Array): StoredTensor => ({ shape: [a.length], data: Float32Array.from(a) });
    return {
      config: { kind: 'linear', features: this.features, divergence: this.divergence.name, ridge: this.ridge, u: Array.from(this.u), mean: Array.from(this.mean), scale: Array.from(this.scale) },
      tensors: new Map([['u', f32(this.u)]]),
    };
  }

  restore(state: CriticState): void {
    const c = state.config;
    if (c.kind !== 'linear' || c.features !== this.features || !Array.isArray(c.u) || c.u.length !== this.u.length) {
      throw new Error(`${this.where}: the saved critic is ${String(c.kind)} on ${String(c.features)} features, this one is linear on ${this.features}`);
    }
    // The config keeps the values in double precision; the tensor is for other readers.
    this.u.set(c.u as number[]);
    this.mean.set(c.mean as number[]);
    this.scale.set(c.scale as number[]);
  }

  dispose(): void {}
}

/** Options of {@link MlpCritic}. */
export interface MlpCriticOptions extends CriticOptions {
  /** Hidden layer widths; default [32, 32]. */
  hidden?: number[];
  /** Adam's learning rate; default 1e-2. */
  learningRate?: number;
  seed?: number;
}

/** v = MLP(z): tanh hidden layers, a linear output. */
export class MlpCritic implements Critic {
  readonly kind = 'mlp';
  readonly net: MLP;
  private readonly adam: Adam;
  private readonly mean: Float64Array;
  private readonly scale: Float64Array;
  private readonly ridge: number;
  private readonly hidden: number[];
  private readonly learningRate: number;
  private readonly where: string;

  constructor(readonly features: number, readonly divergence: FDivergence, ref: FeatureRows, o: MlpCriticOptions = {}) {
    this.where = o.where ?? 'critic';
    checkRows(ref, features, 'reference', this.where);
    ({ mean: this.mean, scale: this.scale } = featureScale(ref, features));
    this.ridge = o.ridge ?? 1e-3;
    this.hidden = o.hidden ?? [32, 32];
    this.learningRate = o.learningRate ?? 1e-2;
    this.net = new MLP([features, ...this.hidden, 1], { activation: 'tanh', rng: new Random(o.seed ?? 1) });
    // Start at the best constant critic (as LinearCritic does), not at v = 0.
    const out = this.net.layers[this.net.layers.length - 1].bias;
    if (out) out.assign(tf.fill([1], constantCritic(divergence)));
    this.adam = new Adam(this.net.parameters());
  }

  private input(rows: FeatureRows): tf.Tensor2D {
    const z = new Float32Array(rows.n * this.features);
    for (let i = 0; i < rows.n; i++) {
      for (let k = 0; k < this.features; k++) z[i * this.features + k] = (rows.x[i * this.features + k] - this.mean[k]) / this.scale[k];
    }
    return tf.tensor2d(z, [rows.n, this.features]);
  }

  separated(): boolean {
    return false;
  }

  private outputs(x: tf.Tensor2D): Float32Array {
    const v = this.net.apply(x);
    const out = v.dataSync() as Float32Array;
    v.dispose();
    return out;
  }

  private forward(rows: FeatureRows): Float64Array {
    const x = this.input(rows);
    const out = Float64Array.from(this.outputs(x));
    x.dispose();
    return out;
  }

  values(rows: FeatureRows): Float64Array {
    checkRows(rows, this.features, 'model', this.where);
    return this.forward(rows);
  }

  bound(ref: FeatureRows, model: FeatureRows): number {
    return boundOf(this.divergence, this.values(ref), ref, this.values(model), model);
  }

  train(ref: FeatureRows, model: FeatureRows, steps: number): number {
    checkRows(ref, this.features, 'reference', this.where);
    checkRows(model, this.features, 'model', this.where);
    const params = this.net.parameters();
    const byVariable = new Map(Object.entries(params).map(([n, v]) => [v.name, n]));
    const xr = this.input(ref);
    const xm = this.input(model);
    try {
      for (let s = 0; s < steps; s++) {
        // ∂D/∂v_i, held fixed: the surrogate −Σ c_i v_i has the gradient −∂D/∂ψ.
        const vr = this.outputs(xr);
        const vm = this.outputs(xm);
        const cr = Float32Array.from(vr, (v, i) => rowWeight(ref, i) * this.divergence.reference(v)[1]);
        const cm = Float32Array.from(vm, (v, j) => -rowWeight(model, j) * this.divergence.model(v)[1]);
        tf.tidy(() => {
          const tr = tf.tensor2d(cr, [ref.n, 1]);
          const tm = tf.tensor2d(cm, [model.n, 1]);
          const { grads } = tf.variableGrads(() => {
            let loss = tf.neg(tf.add(tf.sum(tf.mul(this.net.apply(xr), tr)), tf.sum(tf.mul(this.net.apply(xm), tm))));
            for (const [n, v] of Object.entries(params)) if (n.endsWith('weight')) loss = tf.add(loss, tf.mul(0.5 * this.ridge, tf.sum(tf.square(v))));
            return loss as tf.Scalar;
          }, Object.values(params));
          this.adam.apply(Object.fromEntries(Object.entries(grads).map(([v, g]) => [byVariable.get(v) as string, g])), this.learningRate);
        });
      }
    } finally {
      xr.dispose();
      xm.dispose();
    }
    return this.bound(ref, model);
  }

  state(): CriticState {
    const tensors = new Map<string, StoredTensor>();
    for (const [name, v] of Object.entries(this.net.parameters())) tensors.set(`net/${name}`, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    for (const [name, t] of this.adam.moments()) tensors.set(`adam/${name}`, t);
    return {
      config: { kind: 'mlp', features: this.features, divergence: this.divergence.name, ridge: this.ridge, hidden: this.hidden, learningRate: this.learningRate, adamStep: this.adam.step, mean: Array.from(this.mean), scale: Array.from(this.scale) },
      tensors,
    };
  }

  restore(state: CriticState): void {
    const c = state.config;
    if (c.kind !== 'mlp' || c.features !== this.features || JSON.stringify(c.hidden) !== JSON.stringify(this.hidden)) {
      throw new Error(`${this.where}: the saved critic is ${String(c.kind)} on ${String(c.features)} features (hidden ${JSON.stringify(c.hidden)}), this one is mlp on ${this.features} (hidden ${JSON.stringify(this.hidden)})`);
    }
    for (const [name, v] of Object.entries(this.net.parameters())) {
      const t = state.tensors.get(`net/${name}`);
      if (!t || t.shape.join() !== v.shape.join()) throw new Error(`${this.where}: the saved critic lacks net/${name} of shape [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
    }
    const moments = new Map([...state.tensors].filter(([n]) => n.startsWith('adam/')).map(([n, t]) => [n.slice(5), t]));
    this.adam.restore(c.adamStep as number, moments);
    this.mean.set(c.mean as number[]);
    this.scale.set(c.scale as number[]);
  }

  dispose(): void {
    this.adam.dispose();
    for (const v of Object.values(this.net.parameters())) v.dispose();
  }
}
