/**
 * Prior energy terms of CG models (after mlcg's priors): each class carries its energy as a
 * differentiable tensor function of bead positions, the internal coordinates it reads, and a
 * static `fit` that estimates its parameters from mapped data by Boltzmann inversion.
 *
 * - `HarmonicBonds`, `HarmonicAngles`: U = ½ k (q − q0)², q0 = ⟨q⟩, k = kT / Var(q). This is
 *   CGnet's inversion of the marginal of q taken as Gaussian; for a distance it ignores the r²
 *   Jacobian, which shifts the fit by O(Var(r)/r0²), small for stiff bonds.
 * - `Repulsion`: U = Σ (σ/r)^p on (non-bonded) pairs, σ a low quantile of each pair's distance
 *   in the data, so beads are kept apart where the data never go.
 * - `FourierDihedrals`: U(φ) = c0 + Σₙ aₙ cos nφ + bₙ sin nφ, least-squares fit to the data's
 *   −kT ln p(φ) histogram.
 * - `FourierDihedralPairs`: the coupling terms of a 2-D Fourier series in two dihedrals (no fit
 *   here: dihedral refinement sets them).
 *
 * Energies are functions of internal coordinates alone and are evaluated on the host in
 * float64 as one tfjs op each (geometryOp.ts): priors have no trainable parameters, so nothing
 * needs their second derivatives in positions. For simulation, `hostFeatureEnergy` gives the
 * same function for evaluation without tfjs.
 *
 * A fit that cannot succeed throws, naming the term, the tuple and the reason (too few frames,
 * zero variance, too few populated histogram bins); no fit returns NaN.
 */
import * as tf from '@tensorflow/tfjs-core';
import { angle, dihedral, distance } from '../analysis/geometry.js';
import { kT } from '../units.js';
import type { EnergyTerm } from './energyTerm.js';
import type { JsonObject } from '../nn/params.js';
import type { Pair, Quad, Triple } from './features.js';
import { featureEnergy, type FeatureEnergyFn, type FeatureHostEnergy } from './geometryOp.js';
import { weightedLeastSquares } from './linalg.js';
import type { Coordinates } from './linearMap.js';

/** Frames a harmonic fit needs at the least: below this a variance means nothing. */
export const MIN_FIT_FRAMES = 10;

/** Options of the Boltzmann-inversion fits. */
export interface PriorFitOptions {
  /** Temperature of the data, K. */
  temperature: number;
}

/** A prior: an energy term with no trainable parameters. */
export interface Prior extends EnergyTerm {
  /** Its internal coordinates, e.g. [[0, 1], [1, 2]] for two bonds. */
  readonly tuples: ReadonlyArray<readonly number[]>;
}

function framesOf(x: Coordinates, nBeads: number, where: string): number {
  const per = 3 * nBeads;
  if (x.length === 0 || x.length % per !== 0) {
    throw new Error(`${where}: expected bead positions [frames, ${nBeads}, 3] (a multiple of ${per} values), got ${x.length}`);
  }
  return x.length / per;
}

function checkTuples(tuples: ReadonlyArray<readonly number[]>, arity: number, nBeads: number | undefined, where: string): void {
  if (!Array.isArray(tuples) || tuples.some((t) => !Array.isArray(t))) throw new Error(`${where}: expected a list of ${arity}-bead index tuples, got ${JSON.stringify(tuples)}`);
  if (tuples.length === 0) throw new Error(`${where}: expected at least one tuple of ${arity} beads, got none`);
  tuples.forEach((t, k) => {
    if (t.length !== arity) throw new Error(`${where}: tuple ${k} has ${t.length} beads, expected ${arity}`);
    for (const i of t) {
      if (!Number.isInteger(i) || i < 0 || (nBeads !== undefined && i >= nBeads)) {
        throw new Error(`${where}: tuple ${k} (${t.join(', ')}) names bead ${i}, which does not exist${nBeads === undefined ? '' : ` among ${nBeads}`}`);
      }
    }
  });
}

function checkParams(values: readonly number[], n: number, name: string, where: string, positive: boolean): number[] {
  if (!Array.isArray(values)) throw new Error(`${where}: ${name} must be a list of numbers, got ${JSON.stringify(values)}`);
  if (values.length !== n) throw new Error(`${where}: ${name} has ${values.length} values, expected one per tuple (${n})`);
  values.forEach((v, k) => {
    if (!Number.isFinite(v) || (positive && !(v > 0))) throw new Error(`${where}: ${name}[${k}] is ${v}, expected a ${positive ? 'positive ' : ''}finite number`);
  });
  return [...values];
}

/** Samples of one internal coordinate over frames, float64. */
function samples(x: Coordinates, frames: number, nBeads: number, f: (x: Coordinates, o: number) => number): Float64Array {
  return Float64Array.from({ length: frames }, (_, t) => f(x, 3 * nBeads * t));
}

/** Mean and k = kT/Var of samples, or an error naming the tuple. */
function boltzmannInvert(q: Float64Array, kTValue: number, where: string, unit: string): { mean: number; k: number } {
  if (q.length < MIN_FIT_FRAMES) throw new Error(`${where}: ${q.length} frames are too few to fit a variance; give at least ${MIN_FIT_FRAMES}`);
  let mean = 0;
  for (const v of q) mean += v / q.length;
  let variance = 0;
  for (const v of q) variance += (v - mean) ** 2 / (q.length - 1);
  if (!Number.isFinite(mean)) throw new Error(`${where}: the data hold non-finite values (mean ${mean}); fix or drop those frames`);
  if (!(variance > (1e-9 * Math.max(1, Math.abs(mean))) ** 2)) {
    throw new Error(`${where}: zero variance over ${q.length} frames (all ${mean.toPrecision(6)} ${unit}), so k = kT/Var is infinite: the coordinate is rigid (constrained?); leave it out of the prior`);
  }
  return { mean, k: kTValue / variance };
}

/** Σ ½ kₖ (vₖ − v0ₖ)² per frame, with ∂E/∂vₖ. */
function harmonic(v0: readonly number[], k: readonly number[]): FeatureEnergyFn {
  return (v, frames, size) => {
    const energy = new Float64Array(frames);
    const dEdv = new Float64Array(frames * size);
    for (let f = 0; f < frames; f++) {
      for (let t = 0; t < size; t++) {
        const d = v[f * size + t] - v0[t];
        energy[f] += 0.5 * k[t] * d * d;
        dEdv[f * size + t] = k[t] * d;
      }
    }
    return { energy, dEdv };
  };
}

/** Bead positions must be [batch, n, 3] with every tuple's beads among the n. */
function checkBatch(x: tf.Tensor3D, tuples: ReadonlyArray<readonly number[]>, where: string): void {
  if (x.rank !== 3 || x.shape[2] !== 3) throw new Error(`${where}: expected bead positions of shape [batch, beads, 3], got [${x.shape}]`);
  checkTuples(tuples, tuples[0].length, x.shape[1], where);
}

/** Harmonic bonds ½ k (r − r0)², r in nm, k in kJ/mol/nm². */
export class HarmonicBonds implements Prior {
  readonly kind = 'harmonic-bonds';
  readonly tuples: readonly Pair[];
  readonly r0: readonly number[];
  readonly k: readonly number[];

  constructor(pairs: readonly Pair[], r0: readonly number[], k: readonly number[]) {
    checkTuples(pairs, 2, undefined, 'HarmonicBonds');
    this.tuples = pairs.map(([i, j]) => [i, j] as const);
    this.r0 = checkParams(r0, pairs.length, 'r0', 'HarmonicBonds', true);
    this.k = checkParams(k, pairs.length, 'k', 'HarmonicBonds', true);
  }

  /**
   * Boltzmann inversion on bead positions [frames, nBeads, 3] (nm): r0 = ⟨r⟩, k = kT/Var(r).
   * @throws Error for fewer than MIN_FIT_FRAMES frames or a pair of constant distance.
   */
  static fit(x: Coordinates, nBeads: number, pairs: readonly Pair[], opts: PriorFitOptions): HarmonicBonds {
    checkTuples(pairs, 2, nBeads, 'HarmonicBonds.fit');
    const frames = framesOf(x, nBeads, 'HarmonicBonds.fit');
    const fits = pairs.map(([i, j]) =>
      boltzmannInvert(samples(x, frames, nBeads, (y, o) => distance(y, i, j, o)), kT(opts.temperature), `HarmonicBonds.fit: bond (${i}, ${j})`, 'nm'),
    );
    return new HarmonicBonds(pairs, fits.map((f) => f.mean), fits.map((f) => f.k));
  }

  /** [batch] kJ/mol from bead positions [batch, beads, 3] nm. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    checkBatch(x, this.tuples, 'HarmonicBonds');
    return featureEnergy(x, { pairs: this.tuples as Pair[], angles: [], dihedrals: [] }, harmonic(this.r0, this.k));
  }

  /** The energy for simulation, on the host in float64. */
  hostFeatureEnergy(): FeatureHostEnergy {
    return { tuples: { pairs: this.tuples as Pair[], angles: [], dihedrals: [] }, fn: harmonic(this.r0, this.k) };
  }

  parameters(): Record<string, tf.Variable> {
    return {};
  }

  config(): JsonObject {
    return { pairs: this.tuples.map((t) => [...t]), r0: [...this.r0], k: [...this.k] };
  }
}

/** Harmonic angles ½ k (θ − θ0)², θ in radians, k in kJ/mol/rad². */
export class HarmonicAngles implements Prior {
  readonly kind = 'harmonic-angles';
  readonly tuples: readonly Triple[];
  readonly theta0: readonly number[];
  readonly k: readonly number[];

  constructor(triples: readonly Triple[], theta0: readonly number[], k: readonly number[]) {
    checkTuples(triples, 3, undefined, 'HarmonicAngles');
    this.tuples = triples.map(([i, j, l]) => [i, j, l] as const);
    this.theta0 = checkParams(theta0, triples.length, 'theta0', 'HarmonicAngles', true);
    this.k = checkParams(k, triples.length, 'k', 'HarmonicAngles', true);
  }

  /**
   * Boltzmann inversion on bead positions [frames, nBeads, 3] (nm): θ0 = ⟨θ⟩, k = kT/Var(θ).
   * @throws Error for fewer than MIN_FIT_FRAMES frames or an angle that never changes.
   */
  static fit(x: Coordinates, nBeads: number, triples: readonly Triple[], opts: PriorFitOptions): HarmonicAngles {
    checkTuples(triples, 3, nBeads, 'HarmonicAngles.fit');
    const frames = framesOf(x, nBeads, 'HarmonicAngles.fit');
    const fits = triples.map(([i, j, l]) =>
      boltzmannInvert(samples(x, frames, nBeads, (y, o) => angle(y, i, j, l, o)), kT(opts.temperature), `HarmonicAngles.fit: angle (${i}, ${j}, ${l})`, 'rad'),
    );
    return new HarmonicAngles(triples, fits.map((f) => f.mean), fits.map((f) => f.k));
  }

  /** [batch] kJ/mol from bead positions [batch, beads, 3] nm. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    checkBatch(x, this.tuples, 'HarmonicAngles');
    return featureEnergy(x, { pairs: [], angles: this.tuples as Triple[], dihedrals: [] }, harmonic(this.theta0, this.k));
  }

  /** The energy for simulation, on the host in float64. */
  hostFeatureEnergy(): FeatureHostEnergy {
    return { tuples: { pairs: [], angles: this.tuples as Triple[], dihedrals: [] }, fn: harmonic(this.theta0, this.k) };
  }

  parameters(): Record<string, tf.Variable> {
    return {};
  }

  config(): JsonObject {
    return { triples: this.tuples.map((t) => [...t]), theta0: [...this.theta0], k: [...this.k] };
  }
}

/** Options of {@link Repulsion.fit}. */
export interface RepulsionFitOptions {
  /** σ of a pair is this quantile of its distances in the data; default 0.01. */
  quantile?: number;
  /** Exponent p; default 6. */
  exponent?: number;
}

/** Pair repulsion (σ/r)^p in kJ/mol, σ in nm: 1 kJ/mol at r = σ, steep below it. */
export class Repulsion implements Prior {
  readonly kind = 'repulsion';
  readonly tuples: readonly Pair[];
  readonly sigma: readonly number[];

  constructor(pairs: readonly Pair[], sigma: readonly number[], readonly exponent = 6) {
    checkTuples(pairs, 2, undefined, 'Repulsion');
    this.tuples = pairs.map(([i, j]) => [i, j] as const);
    this.sigma = checkParams(sigma, pairs.length, 'sigma', 'Repulsion', true);
    if (!(exponent > 0) || !Number.isFinite(exponent)) throw new Error(`Repulsion: exponent is ${exponent}, expected a positive number such as 6`);
  }

  /**
   * σ of each pair from bead positions [frames, nBeads, 3] (nm): the `quantile` of its distances.
   * @throws Error when frames·quantile < 1 (no sample below the quantile to estimate it from).
   */
  static fit(x: Coordinates, nBeads: number, pairs: readonly Pair[], opts: RepulsionFitOptions = {}): Repulsion {
    checkTuples(pairs, 2, nBeads, 'Repulsion.fit');
    const q = opts.quantile ?? 0.01;
    if (!(q > 0 && q < 1)) throw new Error(`Repulsion.fit: quantile is ${q}, expected a fraction in (0, 1) such as 0.01`);
    const frames = framesOf(x, nBeads, 'Repulsion.fit');
    if (frames * q < 1) {
      throw new Error(`Repulsion.fit: ${frames} frames are too few to estimate the ${q} quantile of a distance; give at least ${Math.ceil(1 / q)} frames or raise the quantile`);
    }
    const sigma = pairs.map(([i, j]) => {
      const r = samples(x, frames, nBeads, (y, o) => distance(y, i, j, o)).sort();
      const s = r[Math.floor(q * (frames - 1))];
      if (!(s > 0) || !Number.isFinite(s)) throw new Error(`Repulsion.fit: pair (${i}, ${j}) has its ${q} quantile distance at ${s} nm; beads must not coincide (check the mapping)`);
      return s;
    });
    return new Repulsion(pairs, sigma, opts.exponent ?? 6);
  }

  /** [batch] kJ/mol from bead positions [batch, beads, 3] nm. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    checkBatch(x, this.tuples, 'Repulsion');
    return featureEnergy(x, { pairs: this.tuples as Pair[], angles: [], dihedrals: [] }, this.ofDistances);
  }

  /** The energy for simulation, on the host in float64. */
  hostFeatureEnergy(): FeatureHostEnergy {
    return { tuples: { pairs: this.tuples as Pair[], angles: [], dihedrals: [] }, fn: this.ofDistances };
  }

  private readonly ofDistances: FeatureEnergyFn = (r, frames, size) => {
    const { sigma, exponent: p } = this;
    const energy = new Float64Array(frames);
    const dEdv = new Float64Array(frames * size);
    for (let f = 0; f < frames; f++) {
      for (let k = 0; k < size; k++) {
        const u = (sigma[k] / r[f * size + k]) ** p;
        energy[f] += u;
        dEdv[f * size + k] = (-p * u) / r[f * size + k];
      }
    }
    return { energy, dEdv };
  };

  parameters(): Record<string, tf.Variable> {
    return {};
  }

  config(): JsonObject {
    return { pairs: this.tuples.map((t) => [...t]), sigma: [...this.sigma], exponent: this.exponent };
  }
}

/**
 * Weighted least-squares Fourier series c0 + Σₙ₌₁ᴷ aₙ cos nφ + bₙ sin nφ through values at
 * angles (radians), by the normal equations (Xᵀ W X) c = Xᵀ W v.
 * @returns [c0, a1, b1, ...], or undefined when the angles cannot separate K harmonics.
 */
export function fitFourierSeries(angles: readonly number[], values: readonly number[], weights: readonly number[], harmonics: number): number[] | undefined {
  const sol = weightedLeastSquares(2 * harmonics + 1, (b, row) => {
    row[0] = 1;
    for (let n = 1; n <= harmonics; n++) {
      row[2 * n - 1] = Math.cos(n * angles[b]);
      row[2 * n] = Math.sin(n * angles[b]);
    }
  }, values, weights);
  return sol && Array.from(sol);
}

/** Options of {@link FourierDihedrals.fit}. */
export interface FourierFitOptions extends PriorFitOptions {
  /** Harmonics n = 1..K; default 3. */
  harmonics?: number;
  /** Histogram bins over (−π, π]; default 60 (6° each). */
  bins?: number;
}

/**
 * Fourier dihedral potentials U(φ) = c0 + Σₙ₌₁ᴷ aₙ cos nφ + bₙ sin nφ (kJ/mol), one series per
 * quadruple. Coefficients per quadruple are stored as [c0, a1, b1, a2, b2, ...].
 */
export class FourierDihedrals implements Prior {
  readonly kind = 'fourier-dihedrals';
  readonly tuples: readonly Quad[];
  readonly coefficients: readonly (readonly number[])[];
  readonly harmonics: number;

  constructor(quads: readonly Quad[], coefficients: readonly (readonly number[])[]) {
    checkTuples(quads, 4, undefined, 'FourierDihedrals');
    if (!Array.isArray(coefficients) || coefficients.length !== quads.length || !Array.isArray(coefficients[0])) throw new Error(`FourierDihedrals: expected one coefficient list [c0, a1, b1, ...] per dihedral (${quads.length}), got ${JSON.stringify(coefficients)}`);
    const len = coefficients[0].length;
    if (len < 3 || len % 2 === 0) throw new Error(`FourierDihedrals: expected [c0, a1, b1, ...] (an odd number ≥ 3 of coefficients), got ${len}`);
    this.tuples = quads.map(([i, j, k, l]) => [i, j, k, l] as const);
    this.coefficients = coefficients.map((c, k) => checkParams(c, len, `coefficients[${k}]`, 'FourierDihedrals', false));
    this.harmonics = (len - 1) / 2;
  }

  /** U of one dihedral angle φ (radians) of quadruple `k`, kJ/mol (float64, for plots and checks). */
  value(k: number, phi: number): number {
    const c = this.coefficients[k];
    let u = c[0];
    for (let n = 1; n <= this.harmonics; n++) u += c[2 * n - 1] * Math.cos(n * phi) + c[2 * n] * Math.sin(n * phi);
    return u;
  }

  /**
   * Least-squares fit of each dihedral's −kT ln p(φ) from bead positions [frames, nBeads, 3]
   * (nm). Bins are weighted by their counts (the variance of ln p̂ in a bin is ≈ 1/count);
   * empty bins carry no information and are left out.
   * @throws Error when fewer than 2K + 1 bins are populated (the fit would be underdetermined).
   */
  static fit(x: Coordinates, nBeads: number, quads: readonly Quad[], opts: FourierFitOptions): FourierDihedrals {
    checkTuples(quads, 4, nBeads, 'FourierDihedrals.fit');
    const harmonics = opts.harmonics ?? 3;
    const nBins = opts.bins ?? 60;
    const nCoef = 2 * harmonics + 1;
    if (!Number.isInteger(harmonics) || harmonics < 1) throw new Error(`FourierDihedrals.fit: harmonics is ${harmonics}, expected a positive integer`);
    if (!Number.isInteger(nBins) || nBins < nCoef) throw new Error(`FourierDihedrals.fit: ${nBins} bins cannot determine ${nCoef} coefficients; use at least ${nCoef} bins`);
    const frames = framesOf(x, nBeads, 'FourierDihedrals.fit');
    const kTValue = kT(opts.temperature);
    const width = (2 * Math.PI) / nBins;
    const coefficients = quads.map(([i, j, k, l]) => {
      const where = `FourierDihedrals.fit: dihedral (${i}, ${j}, ${k}, ${l})`;
      const counts = new Float64Array(nBins);
      for (let t = 0; t < frames; t++) {
        const phi = dihedral(x, i, j, k, l, 3 * nBeads * t);
        if (!Number.isFinite(phi)) throw new Error(`${where}: frame ${t} gives φ = ${phi} (collinear or non-finite beads)`);
        counts[Math.min(nBins - 1, Math.floor((phi + Math.PI) / width))] += 1;
      }
      const populated = counts.reduce((s, c) => s + (c > 0 ? 1 : 0), 0);
      if (populated < nCoef) {
        throw new Error(`${where}: only ${populated} of ${nBins} histogram bins hold samples (${frames} frames), fewer than the ${nCoef} coefficients of ${harmonics} harmonics: use fewer harmonics, more data, or leave this dihedral out`);
      }
      // −kT ln p per populated bin, weighted by its count (the variance of ln p̂ is ≈ 1/count).
      const centers: number[] = [];
      const values: number[] = [];
      const weights: number[] = [];
      counts.forEach((c, b) => {
        if (c === 0) return;
        centers.push(-Math.PI + (b + 0.5) * width);
        values.push(-kTValue * Math.log(c / (frames * width)));
        weights.push(c);
      });
      const sol = fitFourierSeries(centers, values, weights, harmonics);
      if (!sol) throw new Error(`${where}: the populated bins cannot separate ${harmonics} harmonics (singular least squares); use fewer harmonics`);
      return sol;
    });
    return new FourierDihedrals(quads, coefficients);
  }

  /** [batch] kJ/mol from bead positions [batch, beads, 3] nm. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    checkBatch(x, this.tuples, 'FourierDihedrals');
    return featureEnergy(x, { pairs: [], angles: [], dihedrals: this.tuples as Quad[] }, this.ofAngles);
  }

  /** The energy for simulation, on the host in float64. */
  hostFeatureEnergy(): FeatureHostEnergy {
    return { tuples: { pairs: [], angles: [], dihedrals: this.tuples as Quad[] }, fn: this.ofAngles };
  }

  // Features come as (cos φ, sin φ) per dihedral; with U'(φ) = Σ n(bₙ cos nφ − aₙ sin nφ) on
  // the unit circle, ∂U/∂cos φ = −sin φ U'(φ) and ∂U/∂sin φ = cos φ U'(φ).
  private readonly ofAngles: FeatureEnergyFn = (v, frames, size) => {
    const energy = new Float64Array(frames);
    const dEdv = new Float64Array(frames * size);
    for (let f = 0; f < frames; f++) {
      this.coefficients.forEach((c, q) => {
        const [cos, sin] = [v[f * size + 2 * q], v[f * size + 2 * q + 1]];
        const phi = Math.atan2(sin, cos);
        let [u, du] = [c[0], 0];
        for (let n = 1; n <= this.harmonics; n++) {
          const [cn, sn] = [Math.cos(n * phi), Math.sin(n * phi)];
          u += c[2 * n - 1] * cn + c[2 * n] * sn;
          du += n * (c[2 * n] * cn - c[2 * n - 1] * sn);
        }
        energy[f] += u;
        dEdv[f * size + 2 * q] = -sin * du;
        dEdv[f * size + 2 * q + 1] = cos * du;
      });
    }
    return { energy, dEdv };
  };

  parameters(): Record<string, tf.Variable> {
    return {};
  }

  config(): JsonObject {
    return { quads: this.tuples.map((t) => [...t]), coefficients: this.coefficients.map((c) => [...c]) };
  }
}

/** The 4K² coupling functions of {@link FourierDihedralPairs} at (φ, ψ), radians, written into `out`. */
export function dihedralCouplingBasis(phi: number, psi: number, harmonics: number, out: Float64Array): Float64Array {
  for (let m = 1; m <= harmonics; m++) {
    const [cm, sm] = [Math.cos(m * phi), Math.sin(m * phi)];
    for (let n = 1; n <= harmonics; n++) {
      const [cn, sn] = [Math.cos(n * psi), Math.sin(n * psi)];
      const o = 4 * ((m - 1) * harmonics + n - 1);
      out[o] = cm * cn;
      out[o + 1] = cm * sn;
      out[o + 2] = sm * cn;
      out[o + 3] = sm * sn;
    }
  }
  return out;
}

/**
 * Couplings of pairs of dihedrals (kJ/mol), the part of a 2-D Fourier series that no sum of 1-D
 * series holds: U(φ, ψ) = Σₘ,ₙ₌₁ᴷ aₘₙ cos mφ cos nψ + bₘₙ cos mφ sin nψ + cₘₙ sin mφ cos nψ +
 * dₘₙ sin mφ sin nψ. With {@link FourierDihedrals} on φ and ψ it makes a full 2-D correction map
 * (as CMAP does for φ/ψ in all-atom force fields). Each tuple is the pair's two quadruples, eight
 * bead indices; coefficients per pair are [a₁₁, b₁₁, c₁₁, d₁₁, a₁₂, …] (m outer, n inner).
 */
export class FourierDihedralPairs implements Prior {
  readonly kind = 'fourier-dihedral-pairs';
  readonly tuples: readonly (readonly number[])[];
  readonly coefficients: readonly (readonly number[])[];
  readonly harmonics: number;

  constructor(pairs: readonly (readonly [Quad, Quad])[], coefficients: readonly (readonly number[])[]) {
    if (!Array.isArray(pairs) || pairs.some((p) => !Array.isArray(p) || p.length !== 2)) throw new Error(`FourierDihedralPairs: expected a list of quadruple pairs [[i, j, k, l], [i', j', k', l']], got ${JSON.stringify(pairs)}`);
    const tuples = pairs.map(([a, b]) => [...a, ...b]);
    checkTuples(tuples, 8, undefined, 'FourierDihedralPairs');
    if (!Array.isArray(coefficients) || coefficients.length !== pairs.length || !Array.isArray(coefficients[0])) throw new Error(`FourierDihedralPairs: expected one coefficient list per pair (${pairs.length}), got ${JSON.stringify(coefficients)}`);
    const harmonics = Math.sqrt(coefficients[0].length / 4);
    if (!Number.isInteger(harmonics) || harmonics < 1) throw new Error(`FourierDihedralPairs: expected 4K² coefficients per pair (K = 1, 2, …), got ${coefficients[0].length}`);
    this.tuples = tuples;
    this.coefficients = coefficients.map((c, k) => checkParams(c, coefficients[0].length, `coefficients[${k}]`, 'FourierDihedralPairs', false));
    this.harmonics = harmonics;
  }

  /** The pairs as given: two quadruples each. */
  get pairs(): [Quad, Quad][] {
    return this.tuples.map((t) => [[t[0], t[1], t[2], t[3]], [t[4], t[5], t[6], t[7]]]);
  }

  /** U of pair `k` at (φ, ψ), radians, kJ/mol (float64, for plots and checks). */
  value(k: number, phi: number, psi: number): number {
    const basis = dihedralCouplingBasis(phi, psi, this.harmonics, new Float64Array(4 * this.harmonics ** 2));
    return this.coefficients[k].reduce((u, c, i) => u + c * basis[i], 0);
  }

  /** [batch] kJ/mol from bead positions [batch, beads, 3] nm. */
  energy(x: tf.Tensor3D): tf.Tensor1D {
    checkBatch(x, this.tuples, 'FourierDihedralPairs');
    return featureEnergy(x, { pairs: [], angles: [], dihedrals: this.pairs.flat() }, this.ofAngles);
  }

  /** The energy for simulation, on the host in float64. */
  hostFeatureEnergy(): FeatureHostEnergy {
    return { tuples: { pairs: [], angles: [], dihedrals: this.pairs.flat() }, fn: this.ofAngles };
  }

  // Features are (cos, sin) of each dihedral; as for FourierDihedrals, ∂U/∂cos φ = −sin φ ∂U/∂φ
  // and ∂U/∂sin φ = cos φ ∂U/∂φ on the unit circle.
  private readonly ofAngles: FeatureEnergyFn = (v, frames, size) => {
    const K = this.harmonics;
    const energy = new Float64Array(frames);
    const dEdv = new Float64Array(frames * size);
    for (let f = 0; f < frames; f++) {
      this.coefficients.forEach((c, p) => {
        const o = f * size + 4 * p;
        const [cosA, sinA, cosB, sinB] = [v[o], v[o + 1], v[o + 2], v[o + 3]];
        const [phi, psi] = [Math.atan2(sinA, cosA), Math.atan2(sinB, cosB)];
        let [u, dPhi, dPsi] = [0, 0, 0];
        for (let m = 1; m <= K; m++) {
          const [cm, sm] = [Math.cos(m * phi), Math.sin(m * phi)];
          for (let n = 1; n <= K; n++) {
            const [cn, sn] = [Math.cos(n * psi), Math.sin(n * psi)];
            const i = 4 * ((m - 1) * K + n - 1);
            const [a, b, cc, d] = [c[i], c[i + 1], c[i + 2], c[i + 3]];
            u += a * cm * cn + b * cm * sn + cc * sm * cn + d * sm * sn;
            dPhi += m * (-a * sm * cn - b * sm * sn + cc * cm * cn + d * cm * sn);
            dPsi += n * (-a * cm * sn + b * cm * cn - cc * sm * sn + d * sm * cn);
          }
        }
        energy[f] += u;
        dEdv[o] += -sinA * dPhi;
        dEdv[o + 1] += cosA * dPhi;
        dEdv[o + 2] += -sinB * dPsi;
        dEdv[o + 3] += cosB * dPsi;
      });
    }
    return { energy, dEdv };
  };

  parameters(): Record<string, tf.Variable> {
    return {};
  }

  config(): JsonObject {
    return { pairs: this.pairs.map(([a, b]) => [[...a], [...b]]), coefficients: this.coefficients.map((c) => [...c]) };
  }
}

/**
 * Pairs of beads at least `minSeparation` bonds apart along `bonds` (and pairs in different
 * connected pieces): the non-bonded pairs a repulsion prior acts on. The default 3 leaves out
 * the pairs that bond (1–2) and angle (1–3) priors already hold.
 */
export function nonBondedPairs(nBeads: number, bonds: readonly Pair[], minSeparation = 3): Pair[] {
  checkTuples(bonds, 2, nBeads, 'nonBondedPairs');
  const neighbours = Array.from({ length: nBeads }, () => [] as number[]);
  for (const [i, j] of bonds) {
    neighbours[i].push(j);
    neighbours[j].push(i);
  }
  const out: Pair[] = [];
  for (let i = 0; i < nBeads; i++) {
    const hops = new Int32Array(nBeads).fill(-1);
    hops[i] = 0;
    const queue = [i];
    for (let q = 0; q < queue.length; q++) {
      for (const n of neighbours[queue[q]]) {
        if (hops[n] < 0) {
          hops[n] = hops[queue[q]] + 1;
          queue.push(n);
        }
      }
    }
    for (let j = i + 1; j < nBeads; j++) if (hops[j] < 0 || hops[j] >= minSeparation) out.push([i, j]);
  }
  return out;
}

/** Options of {@link fitChainPriors}. */
export interface ChainPriorOptions extends PriorFitOptions {
  /** Fit Fourier priors on consecutive dihedrals too; default false. */
  dihedrals?: boolean | Omit<FourierFitOptions, 'temperature'>;
  /** Repulsion settings, or false for none; default quantile 0.01, exponent 6. */
  repulsion?: RepulsionFitOptions | false;
}

/**
 * The standard priors of a linear bead chain (CGnet's): harmonic bonds (i, i+1), harmonic
 * angles (i, i+1, i+2), repulsion on pairs ≥ 3 bonds apart, optionally Fourier dihedrals
 * (i … i+3), all fitted to bead positions [frames, nBeads, 3] (nm).
 * @returns named priors: bonds, angles (≥ 3 beads), repulsion (≥ 4 beads), dihedrals.
 */
export function fitChainPriors(x: Coordinates, nBeads: number, opts: ChainPriorOptions): Record<string, Prior> {
  const bonds: Pair[] = Array.from({ length: nBeads - 1 }, (_, i) => [i, i + 1]);
  const out: Record<string, Prior> = { bonds: HarmonicBonds.fit(x, nBeads, bonds, opts) };
  if (nBeads >= 3) out.angles = HarmonicAngles.fit(x, nBeads, Array.from({ length: nBeads - 2 }, (_, i) => [i, i + 1, i + 2] as const), opts);
  if (nBeads >= 4 && opts.repulsion !== false) out.repulsion = Repulsion.fit(x, nBeads, nonBondedPairs(nBeads, bonds), opts.repulsion || {});
  if (nBeads >= 4 && opts.dihedrals) {
    const quads = Array.from({ length: nBeads - 3 }, (_, i) => [i, i + 1, i + 2, i + 3] as const);
    out.dihedrals = FourierDihedrals.fit(x, nBeads, quads, { ...(opts.dihedrals === true ? {} : opts.dihedrals), temperature: opts.temperature });
  }
  return out;
}

/** Rebuild a prior from its `kind` and `config()` (as saved in a model file). */
export function priorFromConfig(kind: string, config: JsonObject): Prior | undefined {
  const c = config as Record<string, never>;
  switch (kind) {
    case 'harmonic-bonds':
      return new HarmonicBonds(c.pairs, c.r0, c.k);
    case 'harmonic-angles':
      return new HarmonicAngles(c.triples, c.theta0, c.k);
    case 'repulsion':
      return new Repulsion(c.pairs, c.sigma, c.exponent);
    case 'fourier-dihedrals':
      return new FourierDihedrals(c.quads, c.coefficients);
    case 'fourier-dihedral-pairs':
      return new FourierDihedralPairs(c.pairs, c.coefficients);
    default:
      return undefined;
  }
}
