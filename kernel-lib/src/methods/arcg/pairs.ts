/**
 * ARCG for CG liquids (`cglab fit pairs --method arcg`): the spline pair potentials of
 * methods/pairs as the model, U_θ = θ·φ(R) with φ the pair basis statistics, sampled by the
 * liquid's CG runs; the critic sees φ(R) too, so a linear critic is in the model's span and
 * the fit lands where REM's does (⟨φ⟩_θ = ⟨φ⟩_ref); an MLP critic sees the same statistics
 * through a network. It starts where REM does, from the potential of mean force.
 */
import type { Rdf } from '../../analysis/rdf.js';
import type { PairBasisSet } from '../../cg/pairBasisSet.js';
import type { PairTable } from '../../cg/pairTable.js';
import { LinearCritic, MlpCritic, type Critic } from '../../nn/critic.js';
import { fDivergence, type DivergenceName } from '../../nn/fDivergence.js';
import type { LiquidData } from '../pairs/data.js';
import { kT, liquidRdf, pmfStart, RDF_ERROR_FROM, rdfRecord, rdfRms, sampleIteration, type IterationRecord, type IterativeOptions } from '../pairs/iterate.js';
import { Random } from '../../util/random.js';
import { fitArcg, type ArcgOptions, type ArcgState, type ImplicitModel } from './arcg.js';

/** The critics by name. */
export const CRITICS = ['linear', 'mlp'] as const;
export type CriticKind = (typeof CRITICS)[number];

/** Settings of ARCG on a liquid. */
export interface ArcgPairsOptions extends IterativeOptions, Pick<ArcgOptions, 'criticSteps' | 'learningRate' | 'damping' | 'maxStep' | 'tolerance' | 'minEss' | 'resume'> {
  /** Default 'linear'. */
  critic?: CriticKind;
  /** Default 'kl'. */
  divergence?: DivergenceName;
  /** The critic's ridge (nn/critic.ts; default 1e-3). */
  ridge?: number;
  /**
   * What the critic compares: 'box', the whole box's statistics φ(R) per frame, or 'bead'
   * (default), each bead's local environment φ_i (½ its pairs' basis values), `beadsPerFrame`
   * beads drawn per frame. A box's extensive statistics from a few hundred frames separate
   * into two sets long before the RDFs agree, and a separated critic gives a direction but no
   * step; beads' environments overlap, and their critic's step is REM's Newton step up to the
   * correlations between beads.
   */
  criticOn?: 'box' | 'bead';
  /** Beads per frame the 'bead' critic sees; default 200 (all when fewer). */
  beadsPerFrame?: number;
  /** Starting coefficients (default: the potential of mean force). */
  start?: Float64Array;
  /** Called after each iteration with the state to resume from. */
  onState?: (state: ArcgState) => void;
}

/** An ARCG fit of a liquid. */
export interface ArcgPairsResult {
  basis: PairBasisSet;
  theta: Float64Array;
  /** Sampling error of θ (methods/arcg/arcg.ts). */
  thetaError: Float64Array;
  target: Rdf;
  iterations: IterationRecord[];
  converged: boolean;
  tables: Map<string, PairTable>;
  critic: Critic;
  state: ArcgState;
}

/** The name of coefficient k of a basis set: its pair and knot. */
export function coefficientName(set: PairBasisSet, k: number): string {
  let p = 0;
  while (p + 1 < set.pairs.length && set.offsets[p + 1] <= k) p++;
  const i = k - set.offsets[p];
  // B-spline i is centred at rMin + (i − 1)h (its support is [rMin + (i − 3)h, rMin + (i + 1)h]).
  return `${set.pairName(p)} coefficient ${i} (B-spline centred at r = ${(set.pairs[p].basis.rMin + (i - 1) * set.pairs[p].basis.h).toFixed(3)} nm)`;
}

/**
 * Fits the liquid's pair potentials by ARCG.
 * @throws Error for an unknown critic or divergence, or from the fit (methods/arcg/arcg.ts).
 */
export async function arcgPairs(data: LiquidData, o: ArcgPairsOptions): Promise<ArcgPairsResult> {
  const kind = o.critic ?? 'linear';
  if (!CRITICS.includes(kind)) throw new Error(`arcg: unknown critic '${kind}': expected one of ${CRITICS.join(', ')}`);
  const divergence = fDivergence(o.divergence ?? 'kl', 'arcg');
  const target = liquidRdf(data.positions, data.frames, data.box, data, o.cutoff, o.bin);
  const { set, theta: pmf } = pmfStart(data, target, o);
  const start = o.start ?? pmf;
  if (start.length !== set.size) throw new Error(`arcg: ${start.length} starting coefficients for a basis of ${set.size}`);
  if (o.resume && o.resume.theta.length !== set.size) {
    throw new Error(`arcg: the state to resume from has ${o.resume.theta.length} coefficients, the basis of these settings ${set.size}: resume with the --cutoff and --bin it was fitted with`);
  }
  const from = o.errorFrom ?? RDF_ERROR_FROM;
  const onBeads = (o.criticOn ?? 'bead') === 'bead';
  const perFrame = onBeads ? Math.min(data.n, o.beadsPerFrame ?? 200) : 1;
  /** Critic rows of frames: the box's statistics, or those of `perFrame` beads of each drawn by `rng`. */
  const criticRows = (x: ArrayLike<number>, frames: number, box: (f: number) => ArrayLike<number>, boxRows: Float64Array, rng: Random): Float64Array => {
    if (!onBeads) return boxRows;
    const out = new Float64Array(frames * perFrame * set.size);
    const order = Int32Array.from({ length: data.n }, (_, i) => i);
    for (let f = 0; f < frames; f++) {
      for (let i = 0; i < perFrame; i++) {
        const j = i + Math.floor(rng.uniform() * (data.n - i));
        [order[i], order[j]] = [order[j], order[i]];
      }
      set.addBeadStatistics(x, box(f), data, 3 * data.n * f, order.subarray(0, perFrame), out.subarray(f * perFrame * set.size, (f + 1) * perFrame * set.size));
    }
    return out;
  };
  const refBox = (f: number) => data.box.subarray(3 * f, 3 * f + 3);
  const refRows = criticRows(data.positions, data.frames, refBox, set.frameStatistics(data.positions, data.frames, refBox, data), new Random(o.seed + 17));
  const reference = { x: refRows, n: data.frames * perFrame };
  const critic: Critic = kind === 'linear'
    ? new LinearCritic(set.size, divergence, reference, { where: 'arcg critic', ridge: o.ridge })
    : new MlpCritic(set.size, divergence, reference, { where: 'arcg critic', seed: o.seed, ridge: o.ridge });
  const model: ImplicitModel = {
    size: set.size,
    features: set.size,
    featuresAreStatistics: true,
    parameterName: (k) => coefficientName(set, k),
    async sample(theta, iteration, s) {
      const { samples } = await sampleIteration(set, theta, data, { ...o, signal: s.signal, onProgress: (_, d, t) => s.onProgress?.(d, t) }, iteration);
      const rows = samples.frames ? set.frameStatistics(samples.positions, samples.frames, () => samples.box, data) : new Float64Array(0);
      // The beads drawn depend on the iteration alone, so that a resumed fit draws the same.
      const features = samples.frames ? criticRows(samples.positions, samples.frames, () => samples.box, rows, new Random(o.seed + 17 + 7919 * (iteration + 1))) : new Float64Array(0);
      const g = samples.frames ? liquidRdf(samples.positions, samples.frames, samples.box, data, o.cutoff, o.bin) : undefined;
      return {
        frames: samples.frames, features, dU: rows, interrupted: samples.interrupted, rowsPerFrame: perFrame, rowScale: onBeads ? data.n / perFrame : 1,
        record: g ? { rdfError: rdfRms(g, target, from, o.cutoff), g: rdfRecord(g) } : {},
      };
    },
  };
  const iterations: IterationRecord[] = [];
  let at = Float64Array.from(o.resume ? o.resume.theta : start);
  const res = await fitArcg(model, reference, critic, start, {
    kT: kT(o.temperature), iterations: o.iterations, criticSteps: o.criticSteps ?? (kind === 'mlp' ? 50 : 3),
    // REM's damping (rem.ts), so that the two take the same kind of step.
    // The bead critic's direction is not quite REM's (beads share their pairs, so their
    // statistics are correlated in ways the critic of one bead does not see): at the full step
    // it overshoots (measured on the 125-bead known-answer liquid: the RDF error rose for four
    // iterations at 1, fell from the first at 0.5), hence 0.5.
    learningRate: o.learningRate ?? (onBeads ? 0.5 : 1), damping: o.damping ?? 0.05, maxStep: o.maxStep, tolerance: o.tolerance, minEss: o.minEss, resume: o.resume,
    signal: o.signal, onProgress: o.onProgress,
    onIteration: (record, state) => {
      // The record is of the samples of θ at the iteration's start: those are its tables.
      const rec = { ...record, rdfError: record.rdfError as number, g: record.g as Record<string, number[]> };
      iterations.push(rec);
      o.onIteration?.(rec, set.tables(at));
      at = Float64Array.from(state.theta);
      o.onState?.(state);
    },
  });
  return { basis: set, theta: res.theta, thetaError: res.thetaError, target, iterations, converged: res.converged, tables: set.tables(res.theta), critic, state: res.state };
}
