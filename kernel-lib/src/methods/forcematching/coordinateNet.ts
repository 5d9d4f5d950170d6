/**
 * An energy term on chosen Cartesian components of beads: for low-dimensional CG coordinates
 * (a toy's x1 stored as a bead at (x1, 0, 0)), where the geometry features of cg/features.ts
 * (distances, angles, dihedrals, all invariant under translation) cannot see the coordinate.
 *
 * U = MLP(z-score(c)), c the selected components [batch, k]; c is read by one product with a
 * constant 0/1 matrix, so forces and the force-matching loss gradient exist on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fitZScore, ZScore } from '../../cg/features.js';
import type { Coordinates } from '../../cg/linearMap.js';
import { registerEnergyTerm, type EnergyTerm } from '../../nn/energyModel.js';
import { checkActivation, MLP, type Activation } from '../../nn/mlp.js';
import type { JsonObject } from '../../nn/params.js';
import { Random } from '../../util/random.js';

/** A bead's Cartesian component: [bead, axis], axis 0 = x, 1 = y, 2 = z. */
export type Component = readonly [number, number];

/** Options of {@link CoordinateNet}. */
export interface CoordinateNetOptions {
  /** Beads of the model. */
  nBeads: number;
  /** The components the energy reads, e.g. [[0, 0]] for bead 0's x. */
  components: readonly Component[];
  /** Z-score of the components (fit with {@link CoordinateNet.fitZScore}). */
  zscore: ZScore;
  /**
   * Hidden widths; default [32]: for one or two coordinates a single layer of tanh steps fits a
   * smooth PMF and, under noisy mapped forces, trains more reliably than a deeper stack.
   */
  hidden?: readonly number[];
  /** Default 'tanh'. */
  activation?: Activation;
  /** Seed of the initial weights; default 1. */
  seed?: number;
}

/** U(R) = MLP of selected bead components (nm), kJ/mol. Not translation invariant by design. */
export class CoordinateNet implements EnergyTerm {
  readonly kind = 'coordinate-mlp';
  readonly nBeads: number;
  readonly components: readonly Component[];
  readonly zscore: ZScore;
  readonly hidden: readonly number[];
  readonly activation: Activation;
  readonly mlp: MLP;

  constructor(opts: CoordinateNetOptions) {
    this.nBeads = opts.nBeads;
    if (!Number.isInteger(this.nBeads) || this.nBeads < 1) throw new Error(`CoordinateNet: nBeads is ${this.nBeads}, expected a positive integer`);
    CoordinateNet.check(opts.components, this.nBeads);
    this.components = opts.components.map(([b, a]) => [b, a] as const);
    if (opts.zscore.size !== this.components.length) throw new Error(`CoordinateNet: the z-score has ${opts.zscore.size} entries, expected one per component (${this.components.length})`);
    this.zscore = opts.zscore;
    this.hidden = [...(opts.hidden ?? [32])];
    this.activation = checkActivation(opts.activation ?? 'tanh', 'CoordinateNet');
    this.mlp = new MLP([this.components.length, ...this.hidden, 1], { activation: this.activation, rng: new Random(opts.seed ?? 1) });
  }

  private static check(components: readonly Component[], nBeads: number): void {
    if (!Array.isArray(components) || components.length === 0) throw new Error('CoordinateNet: expected at least one [bead, axis] component');
    components.forEach((c, k) => {
      if (!Array.isArray(c) || c.length !== 2 || !Number.isInteger(c[0]) || c[0] < 0 || c[0] >= nBeads || ![0, 1, 2].includes(c[1])) {
        throw new Error(`CoordinateNet: component ${k} is ${JSON.stringify(c)}, expected [bead in 0..${nBeads - 1}, axis 0|1|2]`);
      }
    });
  }

  /** Z-score of `components` over bead positions [frames, nBeads, 3] (nm). */
  static fitZScore(x: Coordinates, nBeads: number, components: readonly Component[]): ZScore {
    CoordinateNet.check(components, nBeads);
    const frames = x.length / (3 * nBeads);
    const values = new Float64Array(frames * components.length);
    for (let t = 0; t < frames; t++) components.forEach(([b, a], k) => (values[t * components.length + k] = x[(t * nBeads + b) * 3 + a]));
    return fitZScore(values, components.length, components.map(([b, a]) => `bead ${b} ${'xyz'[a]}`));
  }

  static fromConfig(c: JsonObject): CoordinateNet {
    const z = c.zscore as JsonObject;
    return new CoordinateNet({
      nBeads: c.nBeads as number,
      components: c.components as unknown as Component[],
      zscore: new ZScore(Float64Array.from(z.mean as number[]), Float64Array.from(z.std as number[])),
      hidden: c.hidden as number[],
      activation: c.activation as Activation,
    });
  }

  energy(x: tf.Tensor3D): tf.Tensor1D {
    if (x.rank !== 3 || x.shape[1] !== this.nBeads || x.shape[2] !== 3) throw new Error(`CoordinateNet: expected bead positions of shape [batch, ${this.nBeads}, 3], got [${x.shape}]`);
    return tf.tidy(() => {
      const k = this.components.length;
      const select = new Float32Array(3 * this.nBeads * k);
      this.components.forEach(([b, a], j) => (select[(3 * b + a) * k + j] = 1));
      const c = tf.matMul(tf.reshape(x, [x.shape[0], 3 * this.nBeads]), tf.tensor2d(select, [3 * this.nBeads, k]));
      return tf.reshape(this.mlp.apply(this.zscore.apply(c as tf.Tensor2D)), [x.shape[0]]) as tf.Tensor1D;
    });
  }

  parameters(): Record<string, tf.Variable> {
    return this.mlp.parameters();
  }

  config(): JsonObject {
    return {
      nBeads: this.nBeads,
      components: this.components.map((c) => [...c]),
      zscore: { mean: [...this.zscore.mean], std: [...this.zscore.std] },
      hidden: [...this.hidden],
      activation: this.activation,
    };
  }
}

registerEnergyTerm('coordinate-mlp', CoordinateNet.fromConfig);
