/**
 * Dihedral refinement after force matching: iterative Boltzmann inversion (IBI) of the
 * dihedral marginals. Simulate the CG model, compare each dihedral's histogram with the
 * reference's, and add to a correction term the ΔU — a Fourier series per dihedral — under which
 * the run, reweighted by exp(−ΔU/kT), reproduces every reference marginal
 * ({@link reweightedCorrection}); repeat. This is relative-entropy minimisation restricted to the
 * dihedral terms: at its fixed point the CG model reproduces every refined dihedral's distribution.
 *
 * Why force matching needs it: the mean force is pinned down only where data are dense. Between
 * the αR and β basins of alanine dipeptide (ψ ≈ 60°–110°) 100 ns give a few hundred frames per
 * 20° bin, and the free-energy difference of the basins integrated across them carries ±0.8
 * kJ/mol of statistical error — ±35 % in their population ratio — whatever the network. The
 * populations of the dihedral basins, in contrast, are measured directly by the histogram.
 */
import { dihedrals } from '../../analysis/geometry.js';
import { klDivergenceCommon } from '../../analysis/divergence.js';
import { histogram1d } from '../../analysis/fes.js';
import { FourierDihedrals, fitFourierSeries } from '../../cg/priors.js';
import type { Quad } from '../../cg/features.js';
import type { Coordinates } from '../../cg/linearMap.js';
import { replicaFrames, simulateReplicas } from '../../md/replicas.js';
import { EnergyModel } from '../../nn/energyModel.js';
import { kT } from '../../units.js';

/** Settings of {@link refineDihedrals}. */
export interface RefineOptions {
  /** Mapped reference frames [frames, beads, 3] (nm): the distributions to match, and the CG runs' starts. */
  reference: Coordinates;
  /** Bead masses, amu. */
  masses: Float64Array;
  /** K. */
  temperature: number;
  /** Correction rounds; default 2. */
  iterations?: number;
  /** CG replicas per round; default 100. */
  replicas?: number;
  /**
   * Length of each replica, ps; default 40. The correction inherits the sampling noise of the
   * run it is fitted to: for alanine dipeptide's backbone, αR/β from 100 replicas × 40 ps varies
   * by ≈ ±0.14 between runs, from 100 × 200 ps by ≈ ±0.06 (ratio ≈ 0.7).
   */
  ps?: number;
  /** Dropped from the start of each replica, ps; default 10. */
  skipPs?: number;
  /** Time step, ps; default 0.002. */
  dt?: number;
  /** Frame spacing of the CG runs, ps; default 0.25. */
  saveEveryPs?: number;
  /** Fourier harmonics of the correction; default 3. */
  harmonics?: number;
  /** Histogram bins over (−π, π]; default 36. */
  bins?: number;
  /** Seed of the CG runs (round k uses seed + k); default 1. */
  seed?: number;
  /** Called after every CG run with the round (0 = the model as given) and the dihedrals sampled, radians. */
  onRound?: (round: number, sampled: Float64Array[]) => void;
}

/** What refinement returns. */
export interface Refined {
  /** The model with the correction as its term `dihedral-correction` (a FourierDihedrals prior, saved with the model). */
  model: EnergyModel;
  correction: FourierDihedrals;
  /** Per round (0 = before any correction), per dihedral: KL(ref‖CG) of the marginal histograms over bins both populate, nats. */
  divergence: number[][];
  /** Per correction round: Gauss–Seidel sweeps of {@link reweightedCorrection} and the effective fraction of the run's frames after reweighting. */
  reweighting: { sweeps: number; effectiveFraction: number }[];
}

/**
 * Refine `model`'s dihedral distributions for `quads` against `reference` (see the module note).
 * The returned model shares the given model's terms; only the correction is new.
 * @throws Error when the model already has a term named `dihedral-correction`, when a CG run is
 *   unstable, or when a round's histograms share too few bins to fit the correction.
 */
export async function refineDihedrals(model: EnergyModel, quads: readonly Quad[], o: RefineOptions): Promise<Refined> {
  if ('dihedral-correction' in model.terms) throw new Error('refineDihedrals: the model already has a dihedral-correction term; refine the model it was made from');
  const n = model.nBeads;
  const iterations = o.iterations ?? 2;
  const replicas = o.replicas ?? 100;
  const [ps, skipPs, saveEveryPs] = [o.ps ?? 40, o.skipPs ?? 10, o.saveEveryPs ?? 0.25];
  const harmonics = o.harmonics ?? 3;
  const grid = { min: -Math.PI, max: Math.PI, bins: o.bins ?? 36 };
  if (!(skipPs < ps)) throw new Error(`refineDihedrals: skipPs (${skipPs}) must be shorter than ps (${ps})`);
  const width = (2 * Math.PI) / grid.bins;
  const refCounts = quads.map((q) => histogram1d(dihedrals(o.reference, n, q), grid));
  const kTValue = kT(o.temperature);
  let coefficients = quads.map(() => new Array<number>(2 * harmonics + 1).fill(0));
  let current = model;
  let correction = new FourierDihedrals(quads, coefficients);
  const divergence: number[][] = [];
  const reweighting: Refined['reweighting'] = [];
  for (let round = 0; ; round++) {
    const sim = await simulateReplicas(current.asPotential(`refinement round ${round}`), {
      starts: o.reference, replicas, masses: o.masses, temperature: o.temperature, dt: o.dt ?? 0.002, ps, saveEveryPs, seed: (o.seed ?? 1) + round,
    });
    const x = replicaFrames(sim, Math.round(skipPs / saveEveryPs));
    const sampled = quads.map((q) => dihedrals(x, n, q));
    o.onRound?.(round, sampled);
    const cgCounts = sampled.map((a) => histogram1d(a, grid));
    divergence.push(quads.map((_, k) => klDivergenceCommon(refCounts[k], cgCounts[k]).kl));
    if (round === iterations) break;
    const step = reweightedCorrection(sampled, refCounts, { quads, round, kT: kTValue, harmonics, bins: grid.bins });
    reweighting.push({ sweeps: step.sweeps, effectiveFraction: step.effectiveFraction });
    coefficients = coefficients.map((c, k) => c.map((v, i) => v + step.delta[k][i]));
    correction = new FourierDihedrals(quads, coefficients);
    current = new EnergyModel(n, { ...model.terms, 'dihedral-correction': correction });
  }
  return { model: current, correction, divergence, reweighting };
}

/** What {@link reweightedCorrection} needs besides the samples. */
export interface ReweightOptions {
  /** The dihedrals, for error messages. */
  quads: readonly Quad[];
  /** The refinement round, for error messages. */
  round: number;
  /** kT, kJ/mol. */
  kT: number;
  /** Fourier harmonics per dihedral. */
  harmonics: number;
  /** Histogram bins over (−π, π], as for `refCounts`. */
  bins: number;
  /** Most Gauss–Seidel sweeps; default 200. */
  maxSweeps?: number;
  /** Converged when no sweep changes the correction by more than this at a shared bin, in units of kT; default 0.002. */
  tolerance?: number;
}

/**
 * The correction ΔU — one Fourier series per dihedral, kJ/mol — under which the sampled frames
 * reproduce every reference marginal, found without new simulations: a potential of the dihedrals
 * alone changes their joint distribution by exactly exp(−ΔU/kT), so the run is reweighted instead.
 * Each sweep adds, dihedral by dihedral, kT ln(p_w(φ)/p_ref(φ)) of the reweighted histogram,
 * fitted as in plain IBI (weighted by the inverse variance of the log ratio, with the bin's
 * effective sample count). Correcting every marginal at once from the same run (plain IBI) counts
 * twice what correlated dihedrals share — alanine dipeptide's αR and β basins differ in φ and ψ
 * both — and overshoots; sweeping against the reweighted run does not.
 * @param sampled per dihedral, the CG run's angles (radians), all of the same frames.
 * @param refCounts per dihedral, the reference's histogram over (−π, π] in `o.bins` bins.
 * @returns the increment of each series' coefficients [c0, a1, b1, ...], the sweeps run, and the
 *   effective fraction of frames, (Σw)²/(N Σw²): far below 1, the run cannot say much about the
 *   corrected model, and another round is needed.
 * @throws Error when a dihedral's reweighted histogram and the reference share fewer than two bins
 *   per coefficient.
 */
export function reweightedCorrection(sampled: readonly Float64Array[], refCounts: readonly Float64Array[], o: ReweightOptions): {
  delta: number[][]; sweeps: number; effectiveFraction: number;
} {
  const { harmonics, bins, kT: kTValue } = o;
  const frames = sampled[0].length;
  const grid = { min: -Math.PI, max: Math.PI, bins };
  const width = (2 * Math.PI) / bins;
  const nCoef = 2 * harmonics + 1;
  const delta = sampled.map(() => new Array<number>(nCoef).fill(0));
  // Reduced bias of every frame, Σₖ ΔUₖ(φₖ)/kT, kept up to date as the series change.
  const bias = new Float64Array(frames);
  const weights = new Float64Array(frames);
  const squares = new Float64Array(frames);
  const updateWeights = (): void => {
    let min = Infinity;
    for (let i = 0; i < frames; i++) min = Math.min(min, bias[i]);
    for (let i = 0; i < frames; i++) {
      weights[i] = Math.exp(min - bias[i]);
      squares[i] = weights[i] * weights[i];
    }
  };
  const series = (c: readonly number[], phi: number): number => {
    let v = c[0];
    for (let n = 1; n <= harmonics; n++) v += c[2 * n - 1] * Math.cos(n * phi) + c[2 * n] * Math.sin(n * phi);
    return v;
  };
  const maxSweeps = o.maxSweeps ?? 200;
  const tolerance = (o.tolerance ?? 0.002) * kTValue;
  let sweeps = 0;
  for (let largest = Infinity; largest > tolerance && sweeps < maxSweeps; sweeps++) {
    largest = 0;
    sampled.forEach((angles, k) => {
      updateWeights();
      const counts = histogram1d(angles, grid, weights);
      const countSquares = histogram1d(angles, grid, squares);
      const [sr, sc] = [refCounts[k], counts].map((h) => h.reduce((a, b) => a + b, 0));
      const centres: number[] = [];
      const values: number[] = [];
      const fitWeights: number[] = [];
      for (let b = 0; b < bins; b++) {
        const [nr, nc] = [refCounts[k][b], counts[b]];
        if (nr === 0 || nc === 0) continue;
        centres.push(-Math.PI + (b + 0.5) * width);
        values.push(kTValue * Math.log(nc / sc / (nr / sr)));
        // The bin's effective sample count, (Σw)²/Σw², stands for n_CG of an unweighted run.
        fitWeights.push(1 / (1 / nr + countSquares[b] / (nc * nc)));
      }
      // Fewer than two shared bins per coefficient leave the series free to swing where neither
      // run has samples: refuse rather than add a wild correction.
      const step = centres.length >= 2 * nCoef ? fitFourierSeries(centres, values, fitWeights, harmonics) : undefined;
      if (!step) throw new Error(`refineDihedrals: round ${o.round}, dihedral (${o.quads[k].join(', ')}): the reference and the CG run share ${centres.length} histogram bins, too few for ${harmonics} harmonics; run longer or use fewer harmonics`);
      for (const phi of centres) largest = Math.max(largest, Math.abs(series(step, phi) - step[0]));
      delta[k] = delta[k].map((v, i) => v + step[i]);
      for (let i = 0; i < frames; i++) bias[i] += (series(step, angles[i]) - step[0]) / kTValue;
    });
  }
  updateWeights();
  const [sum, sumSquares] = [weights, squares].map((w) => w.reduce((a, b) => a + b, 0));
  return { delta, sweeps, effectiveFraction: (sum * sum) / (frames * sumSquares) };
}
