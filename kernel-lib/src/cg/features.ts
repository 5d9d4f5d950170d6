/**
 * Internal-coordinate features of bead configurations, as differentiable tfjs tensors (for
 * energies and forces by autodiff; one op each, see geometryOp.ts) and as float64 arrays (for
 * fitting z-scores and priors): pair distances, bond angles, and dihedrals as (cos φ, sin φ),
 * which are smooth where φ wraps at ±π.
 *
 * Sign conventions are those of analysis/geometry.ts (IUPAC dihedrals, as mdtraj and OpenMM).
 */
import * as tf from '@tensorflow/tfjs-core';
import { angle, dihedral, distance } from '../analysis/geometry.js';
import type { Coordinates } from './linearMap.js';
import { geometryFeatures } from './geometryOp.js';

/** Bead indices of a distance (i, j). */
export type Pair = readonly [number, number];
/** Bead indices of an angle i–j–k, vertex j. */
export type Triple = readonly [number, number, number];
/** Bead indices of a dihedral i–j–k–l about j–k. */
export type Quad = readonly [number, number, number, number];

/** Which internal coordinates to compute. */
export interface FeatureSpec {
  pairs?: readonly Pair[];
  angles?: readonly Triple[];
  dihedrals?: readonly Quad[];
}

function checkTuples(n: number, tuples: ReadonlyArray<readonly number[]>, what: string): void {
  tuples.forEach((t, k) => {
    for (const i of t) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${what} ${k} is (${t.join(', ')}): bead index ${i} does not exist; expected integers in 0..${n - 1}`);
    }
    if (new Set(t).size !== t.length) throw new Error(`${what} ${k} is (${t.join(', ')}): it repeats a bead`);
  });
}

function checkPositions(x: tf.Tensor, n: number, where: string): void {
  if (x.rank !== 3 || x.shape[1] !== n || x.shape[2] !== 3) throw new Error(`${where}: expected bead positions of shape [batch, ${n}, 3], got [${x.shape}]`);
}

/**
 * Distances |x_j − x_i|.
 * @param x [batch, beads, 3], nm.
 * @returns [batch, pairs], nm.
 */
export function distances(x: tf.Tensor3D, pairs: readonly Pair[]): tf.Tensor2D {
  const n = x.shape[1];
  checkPositions(x, n, 'distances');
  checkTuples(n, pairs, 'pair');
  return geometryFeatures(x, { pairs, angles: [], dihedrals: [] });
}

/**
 * Angles i–j–k at vertex j, as atan2(|a × b|, a · b) with a = x_i − x_j, b = x_k − x_j: accurate
 * over the whole range [0, π] (arccos loses precision near 0 and π).
 * @param x [batch, beads, 3], nm.
 * @returns [batch, triples], radians.
 */
export function angles(x: tf.Tensor3D, triples: readonly Triple[]): tf.Tensor2D {
  const n = x.shape[1];
  checkPositions(x, n, 'angles');
  checkTuples(n, triples, 'angle');
  return geometryFeatures(x, { pairs: [], angles: triples, dihedrals: [] });
}

/**
 * Dihedrals i–j–k–l (IUPAC sign) as cos φ and sin φ.
 * @param x [batch, beads, 3], nm.
 * @returns cos and sin, each [batch, quads].
 */
export function dihedralCosSin(x: tf.Tensor3D, quads: readonly Quad[]): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const n = x.shape[1];
  checkPositions(x, n, 'dihedralCosSin');
  checkTuples(n, quads, 'dihedral');
  const [cos, sin] = tf.tidy(() => {
    const both = tf.reshape(geometryFeatures(x, { pairs: [], angles: [], dihedrals: quads }), [x.shape[0], quads.length, 2]);
    return tf.unstack(both, 2) as tf.Tensor2D[];
  });
  return { cos, sin };
}

/** Every pair i < j of n beads, consecutive triples and consecutive quadruples of a chain. */
export function chainFeatures(nBeads: number): Required<FeatureSpec> {
  const pairs: Pair[] = [];
  for (let i = 0; i < nBeads; i++) for (let j = i + 1; j < nBeads; j++) pairs.push([i, j]);
  const angles: Triple[] = Array.from({ length: Math.max(0, nBeads - 2) }, (_, i) => [i, i + 1, i + 2]);
  const dihedrals: Quad[] = Array.from({ length: Math.max(0, nBeads - 3) }, (_, i) => [i, i + 1, i + 2, i + 3]);
  return { pairs, angles, dihedrals };
}

/**
 * A fixed list of features of an N-bead system (CGnet's input layer): distances, then angles,
 * then (cos, sin) of each dihedral, in that order.
 */
export class GeometryFeatures {
  readonly pairs: readonly Pair[];
  readonly angles: readonly Triple[];
  readonly dihedrals: readonly Quad[];

  /** @throws Error for an index outside 0..nBeads−1 or a tuple that repeats a bead. */
  constructor(readonly nBeads: number, spec: FeatureSpec) {
    if (!Number.isInteger(nBeads) || nBeads < 2) throw new Error(`GeometryFeatures: expected at least 2 beads, got ${nBeads}`);
    this.pairs = (spec.pairs ?? []).map(([i, j]) => [i, j] as const);
    this.angles = (spec.angles ?? []).map(([i, j, k]) => [i, j, k] as const);
    this.dihedrals = (spec.dihedrals ?? []).map(([i, j, k, l]) => [i, j, k, l] as const);
    checkTuples(nBeads, this.pairs, 'pair');
    checkTuples(nBeads, this.angles, 'angle');
    checkTuples(nBeads, this.dihedrals, 'dihedral');
    if (this.size === 0) throw new Error('GeometryFeatures: the spec lists no pairs, angles or dihedrals');
  }

  /** Number of features: pairs + angles + 2 × dihedrals. */
  get size(): number {
    return this.pairs.length + this.angles.length + 2 * this.dihedrals.length;
  }

  /** A name per feature, e.g. 'r(0,1)', 'θ(0,1,2)', 'cos φ(0,1,2,3)', 'sin φ(0,1,2,3)'. */
  names(): string[] {
    return [
      ...this.pairs.map((p) => `r(${p.join(',')})`),
      ...this.angles.map((t) => `θ(${t.join(',')})`),
      ...this.dihedrals.flatMap((q) => [`cos φ(${q.join(',')})`, `sin φ(${q.join(',')})`]),
    ];
  }

  /**
   * The features as a differentiable tensor.
   * @param x [batch, nBeads, 3], nm.
   * @returns [batch, size]: distances (nm), angles (rad), then cos φ, sin φ per dihedral.
   */
  compute(x: tf.Tensor3D): tf.Tensor2D {
    checkPositions(x, this.nBeads, 'GeometryFeatures.compute');
    return geometryFeatures(x, this);
  }

  /**
   * The same features in float64 on flat arrays (for statistics: z-scores, prior fits).
   * @param x [frames, nBeads, 3], nm.
   * @returns [frames, size], same layout as `compute`.
   */
  computeArray(x: Coordinates): Float64Array {
    const per = 3 * this.nBeads;
    if (x.length === 0 || x.length % per !== 0) {
      throw new Error(`GeometryFeatures.computeArray: expected [frames, ${this.nBeads}, 3] bead positions (a multiple of ${per} values), got ${x.length}`);
    }
    const frames = x.length / per;
    const out = new Float64Array(frames * this.size);
    for (let f = 0; f < frames; f++) {
      const o = f * per;
      let k = f * this.size;
      for (const [i, j] of this.pairs) out[k++] = distance(x, i, j, o);
      for (const [i, j, l] of this.angles) out[k++] = angle(x, i, j, l, o);
      for (const [i, j, l, m] of this.dihedrals) {
        const phi = dihedral(x, i, j, l, m, o);
        out[k++] = Math.cos(phi);
        out[k++] = Math.sin(phi);
      }
    }
    return out;
  }

  /** Fit z-score statistics of these features on bead positions [frames, nBeads, 3] (nm). */
  fitZScore(x: Coordinates): ZScore {
    return fitZScore(this.computeArray(x), this.size, this.names());
  }
}

/** Per-feature standardisation (v − mean) / std, with statistics fitted on data. */
export class ZScore {
  /** @param mean [features] @param std [features], each > 0 */
  constructor(readonly mean: Float64Array, readonly std: Float64Array) {
    if (mean.length !== std.length) throw new Error(`ZScore: ${mean.length} means but ${std.length} standard deviations`);
    std.forEach((s, i) => {
      if (!(s > 0) || !Number.isFinite(s)) throw new Error(`ZScore: feature ${i} has standard deviation ${s}, expected a positive finite number`);
    });
  }

  get size(): number {
    return this.mean.length;
  }

  /** Standardise features [batch, size] (differentiable). */
  apply(features: tf.Tensor2D): tf.Tensor2D {
    if (features.rank !== 2 || features.shape[1] !== this.size) {
      throw new Error(`ZScore.apply: expected features of shape [batch, ${this.size}], got [${features.shape}]`);
    }
    return tf.tidy(() => tf.div(tf.sub(features, tf.tensor1d(Float32Array.from(this.mean))), tf.tensor1d(Float32Array.from(this.std))) as tf.Tensor2D);
  }
}

/**
 * Fit a z-score: each feature's mean and standard deviation over frames (float64).
 * @param values [frames, nFeatures] row-major.
 * @param names a name per feature for error messages.
 * @throws Error for fewer than 2 frames or a feature that is constant over the data (a z-score
 *   would divide by 0: drop that feature, e.g. a distance fixed by a constraint).
 */
export function fitZScore(values: ArrayLike<number>, nFeatures: number, names?: readonly string[]): ZScore {
  if (!Number.isInteger(nFeatures) || nFeatures < 1 || values.length % nFeatures !== 0) {
    throw new Error(`fitZScore: ${values.length} values are not [frames, ${nFeatures}]`);
  }
  const frames = values.length / nFeatures;
  if (frames < 2) throw new Error(`fitZScore: a standard deviation needs at least 2 frames, got ${frames}`);
  const mean = new Float64Array(nFeatures);
  const std = new Float64Array(nFeatures);
  for (let t = 0; t < frames; t++) for (let k = 0; k < nFeatures; k++) mean[k] += values[t * nFeatures + k] / frames;
  for (let t = 0; t < frames; t++) for (let k = 0; k < nFeatures; k++) std[k] += (values[t * nFeatures + k] - mean[k]) ** 2 / (frames - 1);
  for (let k = 0; k < nFeatures; k++) {
    std[k] = Math.sqrt(std[k]);
    const name = names?.[k] ?? `feature ${k}`;
    if (!Number.isFinite(mean[k])) throw new Error(`fitZScore: ${name} is not finite in the data (mean ${mean[k]}): fix or drop the frames with NaN/Inf`);
    if (!(std[k] > 1e-12 * Math.max(1, Math.abs(mean[k])))) {
      throw new Error(`fitZScore: ${name} is constant over ${frames} frames (value ${mean[k]}): a z-score would divide by zero; leave this feature out`);
    }
  }
  return new ZScore(mean, std);
}
