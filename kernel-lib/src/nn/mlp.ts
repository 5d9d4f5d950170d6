/**
 * Dense layers and multilayer perceptrons on tfjs variables. Activations are cglab's own ops
 * (`ops.tanh`, `ops.shiftedSoftplus`), whose second derivatives are right on every backend, so
 * forces by autodiff and the parameter gradient of a force-matching loss both hold.
 */
import * as tf from '@tensorflow/tfjs-core';
import { shiftedSoftplus, tanh } from '../backend/ops.js';
import { Random } from '../util/random.js';

/** Activation functions: tanh, shifted softplus ln(1 + eˣ) − ln 2 (SchNet's), or none. */
export type Activation = 'tanh' | 'ssp' | 'linear';

export const ACTIVATIONS: readonly Activation[] = ['tanh', 'ssp', 'linear'];

/** Apply an activation elementwise (differentiable to second order). */
export function activate<T extends tf.Tensor>(x: T, activation: Activation): T {
  switch (activation) {
    case 'tanh':
      return tanh(x);
    case 'ssp':
      return shiftedSoftplus(x);
    case 'linear':
      return x;
    default:
      throw new Error(`unknown activation '${activation as string}': expected one of ${ACTIVATIONS.join(', ')}`);
  }
}

/** Check an activation name read from a config. */
export function checkActivation(a: unknown, where: string): Activation {
  if (!ACTIVATIONS.includes(a as Activation)) throw new Error(`${where}: activation is ${JSON.stringify(a)}, expected one of ${ACTIVATIONS.join(', ')}`);
  return a as Activation;
}

/** Options of {@link Dense}. */
export interface DenseOptions {
  /** Default 'linear'. */
  activation?: Activation;
  /** Add a bias; default true. */
  bias?: boolean;
  /** Source of the initial weights; default `new Random(1)`. */
  rng?: Random;
}

/**
 * y = act(x W + b), W [nIn, nOut], b [nOut], acting on the last axis of x. Weights start
 * Glorot-uniform, U(±√(6/(nIn + nOut))), which keeps tanh layers out of saturation; biases at 0.
 */
export class Dense {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly activation: Activation;

  constructor(readonly nIn: number, readonly nOut: number, opts: DenseOptions = {}) {
    for (const [what, v] of [['inputs', nIn], ['outputs', nOut]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Dense: the number of ${what} must be a positive integer, got ${v}`);
    }
    this.activation = opts.activation ?? 'linear';
    const rng = opts.rng ?? new Random(1);
    const limit = Math.sqrt(6 / (nIn + nOut));
    const w = Float32Array.from({ length: nIn * nOut }, () => (2 * rng.uniform() - 1) * limit);
    this.weight = tf.variable(tf.tensor2d(w, [nIn, nOut]));
    if (opts.bias ?? true) this.bias = tf.variable(tf.zeros([nOut]));
  }

  /**
   * x [..., nIn] → [..., nOut]. Leading axes are flattened into one product [rows, nIn]·W:
   * a batched [B, m, nIn]·W broadcasts W into B small products, several times slower on wasm.
   */
  apply<T extends tf.Tensor>(x: T): T {
    if (x.shape[x.rank - 1] !== this.nIn) throw new Error(`Dense: expected inputs with last axis ${this.nIn}, got shape [${x.shape}]`);
    return tf.tidy(() => {
      const y = tf.matMul(x.rank === 2 ? (x as unknown as tf.Tensor2D) : tf.reshape(x, [-1, this.nIn]), this.weight as tf.Tensor2D);
      const out = activate(this.bias ? tf.add(y, this.bias) : y, this.activation);
      return x.rank === 2 ? out : tf.reshape(out, [...x.shape.slice(0, -1), this.nOut]);
    }) as unknown as T;
  }

  /** Named variables: weight, and bias when present. */
  parameters(): Record<string, tf.Variable> {
    return this.bias ? { weight: this.weight, bias: this.bias } : { weight: this.weight };
  }
}

/** Options of {@link MLP}. */
export interface MLPOptions {
  /** Activation of the hidden layers; default 'tanh'. */
  activation?: Activation;
  /** Activation of the last layer; default 'linear'. */
  outputActivation?: Activation;
  rng?: Random;
}

/** A stack of dense layers, sizes [nIn, hidden..., nOut]; hidden layers share one activation. */
export class MLP {
  readonly layers: Dense[];

  constructor(readonly sizes: readonly number[], opts: MLPOptions = {}) {
    if (sizes.length < 2) throw new Error(`MLP: expected sizes [inputs, ..., outputs] with at least 2 entries, got [${sizes}]`);
    const rng = opts.rng ?? new Random(1);
    this.layers = sizes.slice(1).map(
      (n, k) => new Dense(sizes[k], n, { rng, activation: k === sizes.length - 2 ? opts.outputActivation ?? 'linear' : opts.activation ?? 'tanh' }),
    );
  }

  /** x [..., nIn] → [..., nOut]. */
  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => this.layers.reduce((h, layer) => layer.apply(h), x as tf.Tensor)) as T;
  }

  /** Named variables: `layer<k>/weight`, `layer<k>/bias`. */
  parameters(): Record<string, tf.Variable> {
    return Object.fromEntries(this.layers.flatMap((l, k) => Object.entries(l.parameters()).map(([n, v]) => [`layer${k}/${n}`, v])));
  }
}
