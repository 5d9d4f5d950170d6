/**
 * The layers of a normalising flow (flows.ts) on D-dimensional vectors, batch first [batch, D]:
 * affine (RealNVP, Dinh et al. 2017) and rational-quadratic spline (Durkan et al. 2019, "Neural
 * Spline Flows") coupling layers, and fixed permutations between them. Every layer is a
 * bijection with an exact log |det J|, and may read a context c [batch, C] (conditional flows
 * q(x | c)): the conditioner MLP reads [x_masked, c].
 *
 * A coupling's binary mask says which dimensions pass through unchanged and condition the
 * transform of the others (mask 1) and which are transformed (mask 0). Columns are picked out
 * and put back by products with constant 0/1 selection matrices, which are exact for finite
 * values and differentiable on every backend (tf.gather's gradient is missing on wasm).
 *
 * The spline's bin of each value is found without a gather or a search: the count of interior
 * knots below the value, by `tf.step`, turned into a one-hot row over the bins, and bin
 * quantities are picked by Σ onehot ⊙ quantity. The one-hot is piecewise constant (step has a
 * zero gradient), so the gradients w.r.t. the parameters and the input are those of the spline
 * inside the bin.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tanh } from '../backend/ops.js';
import { Random } from '../util/random.js';
import { MLP, type Activation } from './mlp.js';

/** A layer's architecture, as stored in a parameter file's config. */
export type FlowLayerConfig = AffineCouplingConfig | SplineCouplingConfig | PermutationConfig;

/** Conditioner network of a coupling layer. */
export type ConditionerConfig = {
  /** [D] 1 = passes through and conditions, 0 = transformed; at least one 0. */
  mask: number[];
  /** Hidden layer sizes of the conditioner MLP. */
  hidden: number[];
  activation: Activation;
  /** Width C of the context the conditioner also reads (0: none). */
  contextDim: number;
};

/** y_t = x_t · exp(s) + t with s = S·tanh(s_raw/S) ∈ (−S, S), (s_raw, t) = net([x_c, c]). */
export type AffineCouplingConfig = ConditionerConfig & {
  kind: 'affine';
  /** S: bound on |log-scale| per dimension and layer, for stability. */
  scaleBound: number;
};

/** A monotone rational-quadratic spline on [−B, B] per transformed dimension, identity outside. */
export type SplineCouplingConfig = ConditionerConfig & {
  kind: 'spline';
  /** K ≥ 2 bins. */
  bins: number;
  /** B: the spline acts on [−B, B] (in x's units); linear (identity) tails outside. */
  bound: number;
  /** Smallest bin width and height as fractions of 2B (each < 1/K), and smallest knot derivative. */
  minBinWidth: number;
  minBinHeight: number;
  minDerivative: number;
};

/** out[:, i] = in[:, perm[i]]. */
export type PermutationConfig = { kind: 'permutation'; perm: number[] };

/** One bijection of a flow: `forward` maps z → x side, `inverse` back; logDet is ln |det ∂out/∂in| per row. */
export interface FlowLayer {
  readonly kind: FlowLayerConfig['kind'];
  readonly dim: number;
  forward(x: tf.Tensor2D, context?: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D };
  inverse(y: tf.Tensor2D, context?: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D };
  /** Named trainable variables (none for a permutation). */
  parameters(): Record<string, tf.Variable>;
  config(): FlowLayerConfig;
  dispose(): void;
}

/** [D, k] matrix with a 1 at (idx[j], j): x·P picks columns idx, y·Pᵀ puts them back. */
function selection(dim: number, idx: readonly number[]): tf.Tensor2D {
  const m = new Float32Array(dim * idx.length);
  idx.forEach((i, j) => (m[i * idx.length + j] = 1));
  return tf.tensor2d(m, [dim, idx.length]);
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates) from `rng`. */
export function randomPermutation(n: number, rng: Random): number[] {
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return perm;
}

/** Permute columns: out[:, i] = x[:, perm[i]]. */
export class Permutation implements FlowLayer {
  readonly kind = 'permutation';
  readonly dim: number;
  private readonly p: tf.Tensor2D;
  private readonly pInv: tf.Tensor2D;

  constructor(readonly perm: readonly number[]) {
    this.dim = perm.length;
    const seen = new Set(perm);
    if (perm.length < 1 || seen.size !== perm.length || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= perm.length)) {
      throw new Error(`Permutation: [${perm}] is not a permutation of 0..${perm.length - 1}`);
    }
    this.p = selection(this.dim, perm);
    this.pInv = tf.tidy(() => tf.transpose(this.p));
  }

  /** The reversal n−1, ..., 0. */
  static reverse(dim: number): Permutation {
    return new Permutation(Array.from({ length: dim }, (_, i) => dim - 1 - i));
  }

  /** A uniformly random permutation (Fisher–Yates) from `rng`. */
  static random(dim: number, rng: Random): Permutation {
    return new Permutation(randomPermutation(dim, rng));
  }

  forward(x: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return { out: tf.matMul(x, this.p), logDet: tf.zeros([x.shape[0]]) };
  }

  inverse(y: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return { out: tf.matMul(y, this.pInv), logDet: tf.zeros([y.shape[0]]) };
  }

  parameters(): Record<string, tf.Variable> {
    return {};
  }

  config(): PermutationConfig {
    return { kind: 'permutation', perm: [...this.perm] };
  }

  dispose(): void {
    this.p.dispose();
    this.pInv.dispose();
  }
}

/** Construction options of a coupling layer (not stored: the weights are). */
export interface CouplingInit {
  rng?: Random;
  /** Factor on the conditioner's initial output weights; 0 starts the layer at the identity. Default 0.1. */
  outputScale?: number;
}

/** Common part of the coupling layers: masks, selection and the conditioner network. */
abstract class Coupling implements FlowLayer {
  abstract readonly kind: 'affine' | 'spline';
  readonly dim: number;
  readonly net: MLP;
  /** Dimensions that condition (mask 1) and that are transformed (mask 0). */
  readonly condIdx: number[];
  readonly transIdx: number[];
  /** Selection matrices [D, d] and their transposes (explicit: wasm multiplies by a transpose flag slowly). */
  private readonly selC?: [tf.Tensor2D, tf.Tensor2D];
  private readonly selT: [tf.Tensor2D, tf.Tensor2D];

  protected constructor(readonly cfg: ConditionerConfig, outPerDim: number, init: CouplingInit, name: string) {
    const { mask, contextDim, hidden } = cfg;
    this.dim = mask.length;
    if (mask.some((m) => m !== 0 && m !== 1)) throw new Error(`${name}: the mask must hold 0s and 1s, got [${mask}]`);
    this.condIdx = mask.flatMap((m, i) => (m === 1 ? [i] : []));
    this.transIdx = mask.flatMap((m, i) => (m === 0 ? [i] : []));
    if (this.transIdx.length === 0) throw new Error(`${name}: the mask [${mask}] transforms nothing (no 0 entry)`);
    if (!Number.isInteger(contextDim) || contextDim < 0) throw new Error(`${name}: contextDim must be a non-negative integer, got ${contextDim}`);
    const nIn = this.condIdx.length + contextDim;
    if (nIn === 0) throw new Error(`${name}: the mask [${mask}] leaves the conditioner no input: keep a dimension (1) or give a context`);
    this.net = new MLP([nIn, ...hidden, outPerDim * this.transIdx.length], { activation: cfg.activation, rng: init.rng ?? new Random(1) });
    const last = this.net.layers[this.net.layers.length - 1];
    const scale = init.outputScale ?? 0.1;
    tf.tidy(() => last.weight.assign(tf.mul(last.weight, scale)));
    const pair = (idx: number[]): [tf.Tensor2D, tf.Tensor2D] => {
      const m = selection(this.dim, idx);
      return [m, tf.tidy(() => tf.transpose(m))];
    };
    if (this.condIdx.length) this.selC = pair(this.condIdx);
    this.selT = pair(this.transIdx);
  }

  /** The transform of x_t [batch, dt] given the conditioner's output [batch, outPerDim·dt]. */
  protected abstract transform(xt: tf.Tensor2D, raw: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D };

  private run(x: tf.Tensor2D, context: tf.Tensor2D | undefined, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    if (this.cfg.contextDim && !context) throw new Error(`${this.kind} coupling: this layer reads a context of width ${this.cfg.contextDim}, none given`);
    return tf.tidy(() => {
      const selC = this.selC;
      const xc = selC ? tf.matMul(x, selC[0]) : undefined;
      const xt = tf.matMul(x, this.selT[0]) as tf.Tensor2D;
      const parts = [xc, this.cfg.contextDim ? context : undefined].filter((t): t is tf.Tensor2D => t !== undefined);
      const raw = this.net.apply(parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D));
      const { out, logDet } = this.transform(xt, raw, inverse);
      const back = tf.matMul(out, this.selT[1]);
      return { out: (xc && selC ? tf.add(tf.matMul(xc, selC[1]), back) : back) as tf.Tensor2D, logDet };
    });
  }

  forward(x: tf.Tensor2D, context?: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return this.run(x, context, false);
  }

  inverse(y: tf.Tensor2D, context?: tf.Tensor2D): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return this.run(y, context, true);
  }

  /** The conditioner's variables, `net/layer<k>/weight|bias`. */
  parameters(): Record<string, tf.Variable> {
    return Object.fromEntries(Object.entries(this.net.parameters()).map(([n, v]) => [`net/${n}`, v]));
  }

  abstract config(): FlowLayerConfig;

  dispose(): void {
    for (const v of Object.values(this.parameters())) v.dispose();
    for (const t of [...(this.selC ?? []), ...this.selT]) t.dispose();
  }
}

/** Check an affine coupling's settings before its network is built. */
function checkAffine<T extends { scaleBound: number }>(settings: T): T {
  if (!(settings.scaleBound > 0)) throw new Error(`AffineCoupling: scaleBound must be positive, got ${settings.scaleBound}`);
  return settings;
}

/** Check a spline coupling's settings before its network is built. */
function checkSpline<T extends SplineSettings>(settings: T): T {
  const { bins, bound, minBinWidth, minBinHeight, minDerivative } = settings;
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`SplineCoupling: bins must be an integer ≥ 2, got ${bins}`);
  if (!(bound > 0)) throw new Error(`SplineCoupling: bound must be positive, got ${bound}`);
  for (const [n, m] of [['minBinWidth', minBinWidth], ['minBinHeight', minBinHeight]] as const) {
    if (!(m > 0 && m * bins < 1)) throw new Error(`SplineCoupling: ${n} must lie in (0, 1/bins) = (0, ${1 / bins}), got ${m}`);
  }
  if (!(minDerivative > 0 && minDerivative < 1)) throw new Error(`SplineCoupling: minDerivative must lie in (0, 1), got ${minDerivative}`);
  return settings;
}

/** Affine coupling: y_t = x_t·exp(s) + t, ln |det| = Σ s, with |s| < scaleBound. */
export class AffineCoupling extends Coupling {
  readonly kind = 'affine';

  constructor(readonly settings: Omit<AffineCouplingConfig, 'kind'>, init: CouplingInit = {}) {
    super(checkAffine(settings), 2, init, 'AffineCoupling');
  }

  protected transform(xt: tf.Tensor2D, raw: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    const S = this.settings.scaleBound;
    const [rawS, shift] = tf.split(raw, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    const s = tf.mul(tanh(tf.div(rawS, S)), S) as tf.Tensor2D;
    if (!inverse) return { out: tf.add(tf.mul(xt, tf.exp(s)), shift), logDet: tf.sum(s, 1) };
    return { out: tf.mul(tf.sub(xt, shift), tf.exp(tf.neg(s))), logDet: tf.neg(tf.sum(s, 1)) as tf.Tensor1D };
  }

  config(): AffineCouplingConfig {
    const { mask, hidden, activation, contextDim, scaleBound } = this.settings;
    return { kind: 'affine', mask: [...mask], hidden: [...hidden], activation, contextDim, scaleBound };
  }
}

/** Knot settings of {@link rationalQuadraticSpline}. */
export type SplineSettings = Pick<SplineCouplingConfig, 'bins' | 'bound' | 'minBinWidth' | 'minBinHeight' | 'minDerivative'>;

/** [K, K−1] with 1 at (i, j) for i ≤ j: w·T gives the cumulative sums w_0 + ... + w_j (the interior knots). */
function cumulativeMatrix(K: number): tf.Tensor2D {
  const m = new Float32Array(K * (K - 1));
  for (let i = 0; i < K; i++) for (let j = i; j < K - 1; j++) m[i * (K - 1) + j] = 1;
  return tf.tensor2d(m, [K, K - 1]);
}

/**
 * The rational-quadratic spline of Durkan et al. (2019), elementwise, with its exact log-derivative.
 * Knots at ±B are fixed with derivative 1, so the identity tails outside [−B, B] join it C¹.
 * Bin widths and heights are min + (1 − K·min)·softmax(raw) of 2B; interior knot derivatives
 * minDerivative + softplus(raw + c₀), c₀ = ln(e^{1−minDerivative} − 1), so raw = 0 gives the identity.
 * @param x values [R] (any units; the spline acts on [−B, B]).
 * @param raw [R, 3K − 1] unnormalised widths (K), heights (K), interior derivatives (K − 1).
 * @param inverse solve y(x) = value for x (the quadratic of Durkan et al. eq. 6–8) instead.
 * @returns the mapped values [R] and ln |d out / d in| [R] (0 in the tails).
 */
export function rationalQuadraticSpline(x: tf.Tensor1D, raw: tf.Tensor2D, s: SplineSettings, inverse = false): { out: tf.Tensor1D; logDet: tf.Tensor1D } {
  const K = s.bins;
  const B = s.bound;
  return tf.tidy(() => {
    const R = x.shape[0];
    const [uw, uh, ud] = tf.split(raw, [K, K, K - 1], 1);
    const T = cumulativeMatrix(K);
    const lo = tf.fill([R, 1], -B);
    const hi = tf.fill([R, 1], B);
    const knots = (u: tf.Tensor, min: number) => {
      const w = tf.add(min, tf.mul(1 - K * min, tf.softmax(u)));
      return tf.concat([lo, tf.add(-B, tf.mul(2 * B, tf.matMul(w as tf.Tensor2D, T))), hi], 1);
    };
    const diffs = (k: tf.Tensor) => tf.sub(tf.slice(k, [0, 1], [R, K]), tf.slice(k, [0, 0], [R, K]));
    const cx = knots(uw, s.minBinWidth);
    const cy = knots(uh, s.minBinHeight);
    const c0 = Math.log(Math.expm1(1 - s.minDerivative));
    const one = tf.ones([R, 1]);
    const d = tf.concat([one, tf.add(s.minDerivative, tf.softplus(tf.add(ud, c0))), one], 1);
    const v = tf.reshape(x, [R, 1]);
    const inside = tf.step(tf.sub(B, tf.abs(v)));
    const vin = tf.mul(v, inside);
    // Bin k of vin: the interior knots at or below it are 1, 2, ..., k (knots increase).
    const ge = tf.step(tf.sub(vin, tf.slice(inverse ? cy : cx, [0, 1], [R, K - 1])));
    const onehot = tf.sub(tf.concat([one, ge], 1), tf.concat([ge, tf.zeros([R, 1])], 1));
    const pick = (t: tf.Tensor) => tf.sum(tf.mul(onehot, t), 1, true);
    const xk = pick(tf.slice(cx, [0, 0], [R, K]));
    const yk = pick(tf.slice(cy, [0, 0], [R, K]));
    const wk = pick(diffs(cx));
    const hk = pick(diffs(cy));
    const dk = pick(tf.slice(d, [0, 0], [R, K]));
    const dk1 = pick(tf.slice(d, [0, 1], [R, K]));
    const sk = tf.div(hk, wk);
    const curv = tf.sub(tf.add(dk1, dk), tf.mul(2, sk));
    let xi: tf.Tensor;
    let mapped: tf.Tensor;
    if (!inverse) {
      xi = tf.div(tf.sub(vin, xk), wk);
    } else {
      const dy = tf.sub(vin, yk);
      const a = tf.add(tf.mul(hk, tf.sub(sk, dk)), tf.mul(dy, curv));
      const b = tf.sub(tf.mul(hk, dk), tf.mul(dy, curv));
      const c = tf.neg(tf.mul(sk, dy));
      const disc = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, c))));
      xi = tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(disc)));
    }
    const xi1 = tf.mul(xi, tf.sub(1, xi));
    const den = tf.add(sk, tf.mul(curv, xi1));
    if (!inverse) mapped = tf.add(yk, tf.div(tf.mul(hk, tf.add(tf.mul(sk, tf.square(xi)), tf.mul(dk, xi1))), den));
    else mapped = tf.add(xk, tf.mul(xi, wk));
    const dnum = tf.mul(tf.square(sk), tf.add(tf.add(tf.mul(dk1, tf.square(xi)), tf.mul(tf.mul(2, sk), xi1)), tf.mul(dk, tf.square(tf.sub(1, xi)))));
    const logDeriv = tf.sub(tf.log(dnum), tf.mul(2, tf.log(den)));
    const out = tf.add(tf.mul(inside, mapped), tf.mul(tf.sub(1, inside), v));
    const ld = tf.mul(inside, inverse ? tf.neg(logDeriv) : logDeriv);
    return { out: tf.reshape(out, [R]) as tf.Tensor1D, logDet: tf.reshape(ld, [R]) as tf.Tensor1D };
  });
}

/** Rational-quadratic spline coupling: each transformed dimension through its own spline, knots from net([x_c, c]). */
export class SplineCoupling extends Coupling {
  readonly kind = 'spline';

  constructor(readonly settings: Omit<SplineCouplingConfig, 'kind'>, init: CouplingInit = {}) {
    super(checkSpline(settings), 3 * settings.bins - 1, init, 'SplineCoupling');
  }

  protected transform(xt: tf.Tensor2D, raw: tf.Tensor2D, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    const [batch, dt] = xt.shape;
    const r = rationalQuadraticSpline(tf.reshape(xt, [batch * dt]), tf.reshape(raw, [batch * dt, 3 * this.settings.bins - 1]), this.settings, inverse);
    return { out: tf.reshape(r.out, [batch, dt]), logDet: tf.sum(tf.reshape(r.logDet, [batch, dt]), 1) };
  }

  config(): SplineCouplingConfig {
    const { mask, hidden, activation, contextDim, bins, bound, minBinWidth, minBinHeight, minDerivative } = this.settings;
    return { kind: 'spline', mask: [...mask], hidden: [...hidden], activation, contextDim, bins, bound, minBinWidth, minBinHeight, minDerivative };
  }
}
