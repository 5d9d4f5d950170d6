/**
 * Normalising flows: x = f(z; c) with z ~ N(0, I_D), f a sequence of coupling layers and
 * permutations (coupling.ts), optionally conditioned on a context c [batch, C] that every
 * conditioner network reads: q_φ(x | c) for back-mapping, with
 *   ln q(x | c) = ln N(f⁻¹(x; c); 0, I) + ln |det ∂f⁻¹/∂x|.
 * Batch first: z, x [batch, D]; log-densities and log-determinants [batch], in nats (x in
 * whatever units the caller standardised it to; a density is per unit of x^D).
 *
 * Every call checks (one host read) that no layer produced a non-finite output or
 * log-determinant and names the first layer that did; `checkFinite = false` skips the read.
 * A flow is saved as a parameter file (params.ts) whose config holds the architecture
 * (`model: 'cglab-flow'`, dim, contextDim, layers), so `Flow.decode(flow.encode())` gives the
 * same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../util/random.js';
import type { ConditionalDensity } from './conditionalDensity.js';
import { AffineCoupling, Permutation, randomPermutation, SplineCoupling, type CouplingInit, type FlowLayer, type FlowLayerConfig } from './coupling.js';
import { HALF_LOG_2PI } from './gaussianMlp.js';
import { checkActivation, type Activation } from './mlp.js';
import { decodeParams, encodeParams, loadParams, saveParams, type JsonObject, type StoredTensor } from './params.js';

export * from './coupling.js';

/** The config.model tag of a flow's parameter file. */
export const FLOW_MODEL_TAG = 'cglab-flow';

/** A flow's architecture: what a parameter file's config holds. */
export type FlowConfig = { model: typeof FLOW_MODEL_TAG; dim: number; contextDim: number; layers: FlowLayerConfig[] };

const LAYER_NAMES = { affine: 'affine coupling', spline: 'spline coupling', permutation: 'permutation' } as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function intList(v: unknown, where: string, what: string): number[] {
  if (!Array.isArray(v) || v.some((x) => !Number.isInteger(x))) throw new Error(`${where}: ${what} is ${JSON.stringify(v)}, expected a list of integers`);
  return v as number[];
}

function num(v: unknown, where: string, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: ${what} is ${JSON.stringify(v)}, expected a number`);
  return v;
}

/** Build one layer from its config, checking every field. */
export function layerFromConfig(c: unknown, dim: number, contextDim: number, where: string, init: CouplingInit = {}): FlowLayer {
  if (!isObject(c)) throw new Error(`${where}: expected a layer config object, got ${JSON.stringify(c)}`);
  if (c.kind === 'permutation') {
    const perm = intList(c.perm, where, 'perm');
    if (perm.length !== dim) throw new Error(`${where}: perm has ${perm.length} entries, the flow has dimension ${dim}`);
    return new Permutation(perm);
  }
  if (c.kind !== 'affine' && c.kind !== 'spline') throw new Error(`${where}: kind is ${JSON.stringify(c.kind)}, expected "affine", "spline" or "permutation"`);
  const mask = intList(c.mask, where, 'mask');
  if (mask.length !== dim) throw new Error(`${where}: mask has ${mask.length} entries, the flow has dimension ${dim}`);
  if (c.contextDim !== contextDim) throw new Error(`${where}: contextDim is ${JSON.stringify(c.contextDim)}, the flow's is ${contextDim}`);
  const base = { mask, hidden: intList(c.hidden, where, 'hidden'), activation: checkActivation(c.activation, where), contextDim };
  if (c.kind === 'affine') return new AffineCoupling({ ...base, scaleBound: num(c.scaleBound, where, 'scaleBound') }, init);
  const f = (k: string) => num(c[k], where, k);
  return new SplineCoupling({ ...base, bins: f('bins'), bound: f('bound'), minBinWidth: f('minBinWidth'), minBinHeight: f('minBinHeight'), minDerivative: f('minDerivative') }, init);
}

/** Base ln N(z; 0, I) per row. */
function baseLogProb(z: tf.Tensor2D): tf.Tensor1D {
  return tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), z.shape[1] * HALF_LOG_2PI) as tf.Tensor1D;
}

export class Flow implements ConditionalDensity {
  /** Check every call for non-finite outputs and log-determinants (one host read per call). */
  checkFinite = true;

  /**
   * @param dim D, the dimension of z and x.
   * @param layers applied in order z → x by `forward`.
   * @param contextDim C, the width of the context every call then needs (0: unconditional).
   */
  constructor(readonly dim: number, readonly layers: readonly FlowLayer[], readonly contextDim = 0) {
    if (!Number.isInteger(dim) || dim < 1) throw new Error(`Flow: dim must be a positive integer, got ${dim}`);
    layers.forEach((l, k) => {
      if (l.dim !== dim) throw new Error(`Flow: layer ${k} (${LAYER_NAMES[l.kind]}) has dimension ${l.dim}, the flow ${dim}`);
      const cfg = l.config();
      if (cfg.kind !== 'permutation' && cfg.contextDim !== contextDim) throw new Error(`Flow: layer ${k} (${LAYER_NAMES[l.kind]}) reads a context of width ${cfg.contextDim}, the flow's is ${contextDim}`);
    });
  }

  /** A freshly initialised flow of this architecture. */
  static fromConfig(config: FlowConfig | JsonObject, init: CouplingInit = {}, source = 'flow config'): Flow {
    const c = config as Record<string, unknown>;
    if (c.model !== FLOW_MODEL_TAG) throw new Error(`${source}: config.model is ${JSON.stringify(c.model)}, expected "${FLOW_MODEL_TAG}": this is not a flow`);
    const dim = c.dim;
    const contextDim = c.contextDim;
    if (!Number.isInteger(dim) || (dim as number) < 1) throw new Error(`${source}: dim is ${JSON.stringify(dim)}, expected a positive integer`);
    if (!Number.isInteger(contextDim) || (contextDim as number) < 0) throw new Error(`${source}: contextDim is ${JSON.stringify(contextDim)}, expected a non-negative integer`);
    if (!Array.isArray(c.layers)) throw new Error(`${source}: layers is ${JSON.stringify(c.layers)}, expected a list of layer configs`);
    const init2 = { ...init, rng: init.rng ?? new Random(1) };
    const layers: FlowLayer[] = [];
    try {
      c.layers.forEach((l, k) => layers.push(layerFromConfig(l, dim as number, contextDim as number, `${source}: layer ${k}`, init2)));
    } catch (e) {
      for (const l of layers) l.dispose();
      throw e;
    }
    return new Flow(dim as number, layers, contextDim as number);
  }

  /** The architecture (no weights). */
  config(): FlowConfig {
    return { model: FLOW_MODEL_TAG, dim: this.dim, contextDim: this.contextDim, layers: this.layers.map((l) => l.config()) };
  }

  private checkInput(v: tf.Tensor, what: string, where: string, context?: tf.Tensor): void {
    if (v.rank !== 2 || v.shape[1] !== this.dim) throw new Error(`${where}: expected ${what} of shape [batch, ${this.dim}], got [${v.shape}]`);
    if (this.contextDim === 0) {
      if (context && !(context.rank === 2 && context.shape[1] === 0)) throw new Error(`${where}: this flow is unconditional, but a context of shape [${context.shape}] was given`);
      return;
    }
    if (!context) throw new Error(`${where}: this flow is conditional: give a context of shape [${v.shape[0]}, ${this.contextDim}]`);
    if (context.rank !== 2 || context.shape[1] !== this.contextDim || context.shape[0] !== v.shape[0]) {
      throw new Error(`${where}: expected a context of shape [${v.shape[0]}, ${this.contextDim}], got [${context.shape}]`);
    }
  }

  /** Run the layers one way, summing log-determinants, and check them (see the module comment). */
  private run(v: tf.Tensor2D, given: tf.Tensor2D | undefined, inverse: boolean, where: string): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    const context = this.contextDim ? given : undefined;
    return tf.tidy(() => {
      // v − v is 0 where v is finite and NaN where it is ±∞ or NaN: one sum per tensor flags it.
      const flag = (t: tf.Tensor) => tf.sum(tf.sub(t, t));
      const flags: tf.Tensor[] = this.checkFinite ? [flag(v)] : [];
      let h = v;
      let logDet: tf.Tensor = tf.zeros([v.shape[0]]);
      const order = inverse ? [...this.layers.keys()].reverse() : [...this.layers.keys()];
      for (const k of order) {
        const layer = this.layers[k];
        const r = inverse ? layer.inverse(h, context) : layer.forward(h, context);
        h = r.out;
        logDet = tf.add(logDet, r.logDet);
        if (this.checkFinite) flags.push(flag(r.out), flag(r.logDet));
      }
      if (this.checkFinite) {
        const bad = tf.stack(flags).dataSync().findIndex((f) => !Number.isFinite(f));
        if (bad === 0) throw new Error(`${where}: the input has non-finite values`);
        if (bad > 0) {
          const k = order[Math.floor((bad - 1) / 2)];
          const what = bad % 2 === 1 ? 'outputs' : 'log-determinants';
          throw new Error(
            `${where}: layer ${k} (${LAYER_NAMES[this.layers[k].kind]}) gave non-finite ${what} on finite inputs: ` +
              'the parameters have diverged (lower the learning rate, bound the scales) or the inputs are extreme',
          );
        }
      }
      return { out: h, logDet: logDet as tf.Tensor1D };
    });
  }

  /**
   * x = f(z; c).
   * @param z [batch, D] base points.
   * @param context [batch, C] when the flow is conditional (an unconditional flow takes none, or [batch, 0]).
   * @returns x [batch, D] and ln |det ∂x/∂z| [batch].
   * @throws Error for a wrong shape, a missing or unexpected context, or a non-finite result (naming the layer).
   */
  forward(z: tf.Tensor2D, context?: tf.Tensor2D): { x: tf.Tensor2D; logDet: tf.Tensor1D } {
    this.checkInput(z, 'z', 'Flow.forward', context);
    const { out, logDet } = this.run(z, context, false, 'Flow.forward');
    return { x: out, logDet };
  }

  /** z = f⁻¹(x; c), and ln |det ∂z/∂x| [batch]. Throws as `forward` does. */
  inverse(x: tf.Tensor2D, context?: tf.Tensor2D): { z: tf.Tensor2D; logDet: tf.Tensor1D } {
    this.checkInput(x, 'x', 'Flow.inverse', context);
    const { out, logDet } = this.run(x, context, true, 'Flow.inverse');
    return { z: out, logDet };
  }

  /** ln q(x | c) [batch], in nats per unit volume of x. */
  logProb(x: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor1D {
    const { z, logDet } = this.inverse(x, context);
    return tf.tidy(() => {
      const lp = tf.add(baseLogProb(z), logDet) as tf.Tensor1D;
      z.dispose();
      logDet.dispose();
      return lp;
    });
  }

  /**
   * n samples x = f(z; c) with their ln q(x | c) = ln N(z) − ln |det ∂x/∂z|, differentiable in
   * the parameters (pathwise).
   * @param source a generator to draw z from (rng.normal(), row after row), or z itself [n, D].
   * @param context [n, C] when conditional.
   */
  sample(n: number, source: Random | tf.Tensor2D, context?: tf.Tensor2D): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Flow.sample: n must be a positive integer, got ${n}`);
    let z: tf.Tensor2D;
    if (source instanceof Random) {
      const eps = new Float32Array(n * this.dim);
      for (let i = 0; i < eps.length; i++) eps[i] = source.normal();
      z = tf.tensor2d(eps, [n, this.dim]);
    } else {
      if (source.shape[0] !== n) throw new Error(`Flow.sample: ${n} samples asked for, but the noise has shape [${source.shape}]`);
      z = source;
    }
    try {
      const { x, logDet } = this.forward(z, context);
      const logProb = tf.tidy(() => tf.sub(baseLogProb(z), logDet) as tf.Tensor1D);
      logDet.dispose();
      return { x, logProb };
    } finally {
      if (z !== source) z.dispose();
    }
  }

  /** {@link ConditionalDensity}: samples y = f(ε; c) with ln q(y | c) (c [rows, 0] for an unconditional flow). */
  sampleWithLogProb(c: tf.Tensor2D, eps: tf.Tensor2D): { y: tf.Tensor2D; logProb: tf.Tensor1D } {
    const { x, logProb } = this.sample(eps.shape[0], eps, c);
    return { y: x, logProb };
  }

  /** Named variables: `layer<k>/net/layer<j>/weight|bias` of every coupling layer k. */
  parameters(): Record<string, tf.Variable> {
    return Object.fromEntries(this.layers.flatMap((l, k) => Object.entries(l.parameters()).map(([n, v]) => [`layer${k}/${n}`, v])));
  }

  /** The weights as stored tensors, names prefixed by `prefix` (to keep a flow inside a larger model's file). */
  tensors(prefix = ''): Map<string, StoredTensor> {
    return new Map(Object.entries(this.parameters()).map(([n, v]) => [`${prefix}${n}`, { shape: [...v.shape], data: Float32Array.from(v.dataSync() as Float32Array) }]));
  }

  /**
   * A flow from its config and weights (as `config()` and `tensors(prefix)` gave them).
   * @throws Error naming `source` for a bad config or weights missing, extra or misshapen.
   */
  static restore(config: JsonObject, tensors: ReadonlyMap<string, StoredTensor>, source = 'flow', prefix = ''): Flow {
    const flow = Flow.fromConfig(config, { outputScale: 0 }, source);
    const params = flow.parameters();
    const names = [...tensors.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
    const missing = Object.keys(params).filter((n) => !tensors.has(prefix + n));
    const extra = names.filter((n) => !(n in params));
    const misshapen = Object.entries(params).filter(([n, v]) => tensors.has(prefix + n) && (tensors.get(prefix + n) as StoredTensor).shape.join() !== v.shape.join());
    if (missing.length || extra.length || misshapen.length) {
      flow.dispose();
      const shapes = misshapen.map(([n, v]) => `${n} [${(tensors.get(prefix + n) as StoredTensor).shape}] for [${v.shape}]`);
      throw new Error(`${source}: the tensors do not fit the flow's layers (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'}; misshapen: ${shapes.join(', ') || 'none'})`);
    }
    tf.tidy(() => {
      for (const [n, v] of Object.entries(params)) {
        const t = tensors.get(prefix + n) as StoredTensor;
        v.assign(tf.tensor(t.data, t.shape));
      }
    });
    return flow;
  }

  /** The flow as a parameter file's text (params.ts format, config = `config()`). */
  encode(): string {
    return encodeParams(this.config(), this.tensors());
  }

  /** Save to `path` atomically. */
  save(path: string): void {
    saveParams(path, this.config(), this.tensors());
  }

  /** Rebuild a flow from `encode()`'s text. */
  static decode(text: string, source = 'flow'): Flow {
    const p = decodeParams(text, source);
    return Flow.restore(p.config, p.tensors, source);
  }

  /** Load a flow saved with `save`. */
  static load(path: string): Flow {
    const p = loadParams(path);
    return Flow.restore(p.config, p.tensors, path);
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

/** Options of {@link buildFlow}. */
export interface FlowSpec {
  dim: number;
  /** Width of the context (0, the default: unconditional). */
  contextDim?: number;
  /** The coupling layers in order z → x, e.g. ['spline', 'affine', 'spline', 'affine']. */
  couplings: readonly ('affine' | 'spline')[];
  /** Between couplings: 'reverse' (default) or fixed 'random' permutations. */
  permutation?: 'reverse' | 'random';
  /** Conditioner hidden sizes; default [64, 64]. */
  hidden?: readonly number[];
  /** Conditioner activation; default 'tanh'. */
  activation?: Activation;
  /** Affine: bound on |log-scale|; default 2. */
  scaleBound?: number;
  /** Spline: bins (default 8), interval [−bound, bound] (default 5), minima (default 1e-3 each). */
  bins?: number;
  bound?: number;
  minBinWidth?: number;
  minBinHeight?: number;
  minDerivative?: number;
  /** Seeds the weights and random permutations; default `new Random(1)`. */
  rng?: Random;
  /** Factor on each conditioner's initial output weights (0: the identity map); default 0.1. */
  outputScale?: number;
}

/**
 * A flow of coupling layers with a permutation between consecutive ones. Each coupling keeps
 * the first ⌊D/2⌋ dimensions of its input (mask 1) and transforms the rest; with D = 1 it
 * transforms the one dimension conditioned on the context alone.
 */
export function buildFlow(spec: FlowSpec): Flow {
  const { dim } = spec;
  const contextDim = spec.contextDim ?? 0;
  const rng = spec.rng ?? new Random(1);
  const mask = Array.from({ length: dim }, (_, i) => (i < Math.floor(dim / 2) ? 1 : 0));
  const common = { mask, hidden: [...(spec.hidden ?? [64, 64])], activation: spec.activation ?? 'tanh', contextDim };
  const layers: FlowLayerConfig[] = [];
  spec.couplings.forEach((kind, k) => {
    if (k > 0) {
      const perm = spec.permutation === 'random' ? randomPermutation(dim, rng) : Array.from({ length: dim }, (_, i) => dim - 1 - i);
      layers.push({ kind: 'permutation', perm });
    }
    if (kind === 'affine') layers.push({ kind, ...common, scaleBound: spec.scaleBound ?? 2 });
    else if (kind === 'spline') {
      layers.push({ kind, ...common, bins: spec.bins ?? 8, bound: spec.bound ?? 5, minBinWidth: spec.minBinWidth ?? 1e-3, minBinHeight: spec.minBinHeight ?? 1e-3, minDerivative: spec.minDerivative ?? 1e-3 });
    } else throw new Error(`buildFlow: coupling ${k} is ${JSON.stringify(kind)}, expected 'affine' or 'spline'`);
  });
  return Flow.fromConfig({ model: FLOW_MODEL_TAG, dim, contextDim, layers }, { rng, outputScale: spec.outputScale }, 'buildFlow');
}
