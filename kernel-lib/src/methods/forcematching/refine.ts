/**
 * Dihedral refinement after force matching: iterative Boltzmann inversion (IBI) of the dihedral
 * distributions. Simulate the CG model, compare each dihedral's histogram — and the 2-D
 * histogram of each pair of coupled dihedrals, such as a backbone's φ and ψ — with the
 * reference's, and add to a correction the ΔU (Fourier series per dihedral, 2-D couplings per
 * pair) under which the runs so far, reweighted to the corrected model, reproduce them
 * ({@link reweightedCorrection}, the runs pooled by MBAR); repeat. This is relative-entropy
 * minimisation restricted to the dihedral terms: at its fixed point the CG model reproduces
 * every refined distribution.
 *
 * Why force matching needs it: the mean force is pinned down only where data are dense. Between
 * the αR and β basins of alanine dipeptide (ψ ≈ 60°–110°) 100 ns give a few hundred frames per
 * 20° bin, and the free-energy difference of the basins integrated across them carries ±0.8
 * kJ/mol of statistical error — ±35 % in their population ratio — whatever the network. The
 * populations of the dihedral basins, in contrast, are measured directly by the histogram.
 */
import { dihedrals } from '../../analysis/geometry.js';
import { klDivergenceCommon } from '../../analysis/divergence.js';
import { histogram1d, histogram2d } from '../../analysis/fes.js';
import { mbar } from '../../analysis/mbar.js';
import { dihedralCouplingBasis, FourierDihedralPairs, FourierDihedrals } from '../../cg/priors.js';
import { weightedLeastSquares } from '../../cg/linalg.js';
import { npyToNumbers } from '../../io/npy.js';
import { readNpz, writeNpz } from '../../io/npz.js';
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
  /** Correction rounds, each fitted after a CG run (the most, with `untilKl`); default 2. 0 runs the model once, to measure it. */
  iterations?: number;
  /**
   * Stop after the round whose run was already this close to the reference: its KL(ref‖CG),
   * nats, the largest over the pairs (over the dihedrals without pairs), below `untilKl`. That
   * round's correction is a small step from a run that samples the corrected model's regions
   * well; a model further off needs another round, whose run starts near the target. Default:
   * none (every round runs).
   */
  untilKl?: number;
  /**
   * End with a run of the refined model (default true): it measures the refinement (the last
   * entry of `divergence`) and is pooled by later rounds. Without it, refinement costs one run
   * per round; a later refinement's first run, of this model, measures it instead.
   */
  check?: boolean;
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
  /**
   * Pairs of dihedrals (indices into `quads`) whose joint distribution is corrected too, by
   * {@link FourierDihedralPairs} couplings: default, every two consecutive quads that share three
   * beads (a backbone's φ and ψ); [] for the marginals alone.
   */
  pairs?: readonly (readonly [number, number])[];
  /** Harmonics K of the pair couplings; default 2. */
  pairHarmonics?: number;
  /** Bins per dihedral of the pair histograms; default 24. */
  pairBins?: number;
  /** Seed of the CG runs (round k uses seed + k); default 1. */
  seed?: number;
  /**
   * The runs each round's correction is fitted to, every one reweighted to the current model by
   * MBAR (the models differ only in their corrections, whose energies are known at every frame),
   * so that the correction averages their sampling noise instead of inheriting one run's:
   * - 'corrected' (default): the runs of corrected models, once there is one; until then the
   *   run of the model as given.
   * - 'all': every run, the model as given's included.
   * - 'last': the last run alone (plain iterative refinement).
   *
   * Why 'corrected': the model as given can be far from the reference its replicas start from,
   * and its run is then the least trustworthy sample of its own equilibrium. For CGSchNet on
   * alanine dipeptide (as-trained αR/β 1.8–8.9, reference 0.69), the once-corrected model's
   * run gave a lower αR/β than the as-trained run reweighted to that model in 6 of 6 models
   * (by 2–16 %, mean 9 %, where the two runs' sampling noise together is about ±8 %).
   */
  pool?: 'corrected' | 'all' | 'last';
  /**
   * Runs of earlier refinement of this model (its `runs`), pooled with this call's; they must
   * come from the same model apart from the correction, with these quads, harmonics and pairs.
   */
  runs?: readonly RefinementRun[];
  /** Called after every CG run with the round (0 = the model as given) and the dihedrals sampled, radians. */
  onRound?: (round: number, sampled: Float64Array[]) => void;
  /** Called as each round's CG run advances: its round, and time steps done of its total. */
  onProgress?: (round: number, done: number, total: number) => void;
  /**
   * Stop at the next saved frame of the current run: its frames so far are kept as a run (when
   * there are any after `skipPs`), and the model is returned with the corrections of the rounds
   * completed.
   */
  signal?: AbortSignal;
}

/** One CG run of refinement: the dihedrals it sampled and the correction of the model that ran. */
export interface RefinementRun {
  /** Per quad, the angles of the run's kept frames, radians. */
  angles: Float64Array[];
  /** The correction's coefficients during the run, per quad [c0, a1, b1, ...] (kJ/mol, as {@link FourierDihedrals}). */
  coefficients: number[][];
  /** The pair couplings' coefficients during the run, per pair (kJ/mol, as {@link FourierDihedralPairs}); [] without pairs. */
  pairCoefficients: number[][];
}

/** What refinement returns. */
export interface Refined {
  /**
   * The model with the correction as its terms `dihedral-correction` (a FourierDihedrals prior)
   * and, with pairs, `dihedral-pair-correction` (FourierDihedralPairs), saved with the model.
   */
  model: EnergyModel;
  correction: FourierDihedrals;
  pairCorrection?: FourierDihedralPairs;
  /** Per CG run of this call (0 = of the model as given), per dihedral: KL(ref‖CG) of the marginal histograms over bins both populate, nats. */
  divergence: number[][];
  /** Per CG run of this call, per pair: KL(ref‖CG) of the pair's 2-D histograms over bins both populate, nats. */
  pairDivergence: number[][];
  /**
   * Per correction round: the runs it was fitted to, the Gauss–Seidel sweeps of
   * {@link reweightedCorrection}, and the effective fraction of their frames after reweighting.
   */
  reweighting: { runs: number; sweeps: number; effectiveFraction: number }[];
  /** Every run, the earlier ones given first: pass them as `runs` to refine the returned model further. */
  runs: RefinementRun[];
  /** Whether `signal` stopped the refinement before its last round. */
  interrupted: boolean;
}

/** Names of the correction terms refinement adds to a model. */
const CORRECTION = 'dihedral-correction';
const PAIR_CORRECTION = 'dihedral-pair-correction';

/**
 * Refine `model`'s dihedral distributions for `quads` against `reference` (see the module note).
 * The returned model shares the given model's terms; only the correction is new. A model that
 * refinement returned (or one loaded from its file) is refined further: its correction is the
 * starting point, and the rounds add to it; pass the returned `runs` too, and they are pooled
 * with the new ones.
 * @throws Error when the model's correction terms or the given `runs` do not fit `quads`, the
 *   harmonics or the pairs asked for, when a pair names a dihedral `quads` lacks, when `pool` is
 *   not a known policy, when a CG run is unstable, or when a round's histograms share too few
 *   bins to fit the correction.
 */
export async function refineDihedrals(model: EnergyModel, quads: readonly Quad[], o: RefineOptions): Promise<Refined> {
  const pairs = o.pairs ?? quads.slice(1).flatMap((q, k) => (q.slice(0, 3).every((b, i) => b === quads[k][i + 1]) ? [[k, k + 1] as const] : []));
  for (const pair of pairs) {
    if (pair.length !== 2 || pair.some((k) => !Number.isInteger(k) || k < 0 || k >= quads.length) || pair[0] === pair[1]) throw new Error(`refineDihedrals: pair [${pair.join(', ')}] must name two different dihedrals by their index in quads (0 to ${quads.length - 1})`);
  }
  const [pairHarmonics, pairBins] = [o.pairHarmonics ?? 2, o.pairBins ?? 24];
  const harmonics = o.harmonics ?? 3;
  const policy = o.pool ?? 'corrected';
  if (!['corrected', 'all', 'last'].includes(policy)) throw new Error(`refineDihedrals: pool is ${JSON.stringify(policy)}, expected 'corrected', 'all' or 'last'`);
  const { [CORRECTION]: earlier, [PAIR_CORRECTION]: earlierPairs, ...baseTerms } = model.terms;
  const same = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (earlier && !(earlier instanceof FourierDihedrals && same(earlier.tuples, quads) && earlier.harmonics === harmonics)) {
    throw new Error(`refineDihedrals: the model's ${CORRECTION} term is not a ${harmonics}-harmonic Fourier series on these quads (${JSON.stringify(quads)}); refine it with the quads and harmonics it was refined with, or refine the model it was made from`);
  }
  const pairQuads = pairs.map(([a, b]): [Quad, Quad] => [quads[a], quads[b]]);
  if ((earlierPairs || (earlier && pairs.length > 0)) && !(earlierPairs instanceof FourierDihedralPairs && same(earlierPairs.tuples, pairQuads.map(([a, b]) => [...a, ...b])) && earlierPairs.harmonics === pairHarmonics)) {
    throw new Error(`refineDihedrals: the model's ${PAIR_CORRECTION} term does not couple these pairs (${JSON.stringify(pairs)}) with ${pairHarmonics} harmonics; refine it with the pairs and pair harmonics it was refined with, or refine the model it was made from`);
  }
  const pairGrid = { min: -Math.PI, max: Math.PI, bins: pairBins };
  const n = model.nBeads;
  const iterations = o.iterations ?? 2;
  const replicas = o.replicas ?? 100;
  const [ps, skipPs, saveEveryPs] = [o.ps ?? 40, o.skipPs ?? 10, o.saveEveryPs ?? 0.25];
  const grid = { min: -Math.PI, max: Math.PI, bins: o.bins ?? 36 };
  if (!(skipPs < ps)) throw new Error(`refineDihedrals: skipPs (${skipPs}) must be shorter than ps (${ps})`);
  const refAngles = quads.map((q) => dihedrals(o.reference, n, q));
  const refCounts = refAngles.map((a) => histogram1d(a, grid));
  const refPairCounts = pairs.map(([a, b]) => histogram2d(refAngles[a], refAngles[b], pairGrid, pairGrid));
  const kTValue = kT(o.temperature);
  let coefficients = earlier ? (earlier as FourierDihedrals).coefficients.map((c) => [...c]) : quads.map(() => new Array<number>(2 * harmonics + 1).fill(0));
  let pairCoefficients = earlierPairs ? (earlierPairs as FourierDihedralPairs).coefficients.map((c) => [...c]) : pairs.map(() => new Array<number>(4 * pairHarmonics ** 2).fill(0));
  let current = model;
  let correction = new FourierDihedrals(quads, coefficients);
  const pairTerm = (): FourierDihedralPairs | undefined => (pairs.length > 0 ? new FourierDihedralPairs(pairQuads, pairCoefficients) : undefined);
  let pairCorrection = pairTerm();
  const divergence: number[][] = [];
  const pairDivergence: number[][] = [];
  const reweighting: Refined['reweighting'] = [];
  const runs = [...(o.runs ?? [])];
  runs.forEach((run, r) => {
    const shaped = (c: readonly (readonly number[])[], count: number, length: number): boolean => c.length === count && c.every((v) => v.length === length);
    if (run.angles.length !== quads.length || !shaped(run.coefficients, quads.length, 2 * harmonics + 1) || !shaped(run.pairCoefficients, pairs.length, 4 * pairHarmonics ** 2)) {
      throw new Error(`refineDihedrals: runs[${r}] holds ${run.angles.length} dihedrals, ${run.coefficients.length} series and ${run.pairCoefficients.length} pair couplings; expected ${quads.length} dihedrals with ${2 * harmonics + 1} coefficients each and ${pairs.length} pairs with ${4 * pairHarmonics ** 2}: pass the runs of a refinement with the same quads, harmonics and pairs`);
    }
  });
  let interrupted = false;
  let lastRun = false;
  for (let round = 0; ; round++) {
    const sim = await simulateReplicas(current.asPotential(`refinement round ${round}`), {
      starts: o.reference, replicas, masses: o.masses, temperature: o.temperature, dt: o.dt ?? 0.002, ps, saveEveryPs, seed: (o.seed ?? 1) + round, signal: o.signal,
      ...(o.onProgress ? { onProgress: (done: number, total: number) => o.onProgress!(round, done, total) } : {}),
    });
    interrupted = sim.interrupted;
    const skip = Math.round(skipPs / saveEveryPs);
    if (sim.frames <= skip) break;
    const x = replicaFrames(sim, skip);
    const sampled = quads.map((q) => dihedrals(x, n, q));
    runs.push({ angles: sampled, coefficients: coefficients.map((c) => [...c]), pairCoefficients: pairCoefficients.map((c) => [...c]) });
    o.onRound?.(round, sampled);
    const cgCounts = sampled.map((a) => histogram1d(a, grid));
    divergence.push(quads.map((_, k) => klDivergenceCommon(refCounts[k], cgCounts[k]).kl));
    pairDivergence.push(pairs.map(([a, b], p) => klDivergenceCommon(refPairCounts[p], histogram2d(sampled[a], sampled[b], pairGrid, pairGrid)).kl));
    if (lastRun || round === iterations || interrupted) break;
    const pooled = pooledRuns(runs, policy);
    const { angles, bias } = poolRuns(pooled, quads, { pairs, kT: kTValue });
    const step = reweightedCorrection(angles, refCounts, { quads, round, kT: kTValue, harmonics, bins: grid.bins, pairs, refPairCounts, pairHarmonics, pairBins, bias });
    reweighting.push({ runs: pooled.length, sweeps: step.sweeps, effectiveFraction: step.effectiveFraction });
    coefficients = coefficients.map((c, k) => c.map((v, i) => v + step.delta[k][i]));
    pairCoefficients = pairCoefficients.map((c, p) => c.map((v, i) => v + step.pairDelta[p][i]));
    correction = new FourierDihedrals(quads, coefficients);
    pairCorrection = pairTerm();
    current = new EnergyModel(n, { ...baseTerms, [CORRECTION]: correction, ...(pairCorrection ? { [PAIR_CORRECTION]: pairCorrection } : {}) });
    const close = o.untilKl !== undefined && Math.max(...(pairs.length > 0 ? pairDivergence[round] : divergence[round])) < o.untilKl;
    if (round + 1 === iterations || close) {
      if (o.check === false) break;
      lastRun = true;
    }
  }
  return { model: current, correction, ...(pairCorrection ? { pairCorrection } : {}), divergence, pairDivergence, reweighting, runs, interrupted };
}

/** The runs a refinement round pools under `policy` (see {@link RefineOptions.pool}), in order. */
export function pooledRuns(runs: readonly RefinementRun[], policy: NonNullable<RefineOptions['pool']>): readonly RefinementRun[] {
  if (policy === 'last') return runs.slice(-1);
  if (policy === 'all') return runs;
  const corrected = runs.filter((r) => [...r.coefficients, ...r.pairCoefficients].some((c) => c.some((v) => v !== 0)));
  return corrected.length > 0 ? corrected : runs.slice(-1);
}

/**
 * Save refinement runs (to pool them with later rounds in another session) as NPZ: per run r,
 * `angles_r` [quads, frames] (radians), `coefficients_r` [quads, 2K + 1] and, with pairs,
 * `pair_coefficients_r` [pairs, 4K²] (kJ/mol). Written atomically.
 */
export function saveRefinementRuns(path: string, runs: readonly RefinementRun[]): void {
  const matrix = (rows: readonly ArrayLike<number>[]) => ({ dtype: '<f8' as const, shape: [rows.length, rows[0]?.length ?? 0], data: Float64Array.from(rows.flatMap((r) => Array.from(r))) });
  writeNpz(path, Object.fromEntries(runs.flatMap((run, r) => [
    [`angles_${r}`, matrix(run.angles)],
    [`coefficients_${r}`, matrix(run.coefficients)],
    ...(run.pairCoefficients.length > 0 ? [[`pair_coefficients_${r}`, matrix(run.pairCoefficients)]] : []),
  ])));
}

/**
 * Runs saved by {@link saveRefinementRuns}.
 * @throws Error naming the file and array when one is missing or not a 2-D array.
 */
export function loadRefinementRuns(path: string): RefinementRun[] {
  const npz = readNpz(path);
  const rows = (name: string): Float64Array[] => {
    const a = npz.get(name);
    if (a.shape.length !== 2) throw new Error(`${path}: ${name} has shape [${a.shape.join(', ')}]; expected a 2-D array [rows, columns]`);
    const values = npyToNumbers(a, `${path}: ${name}`);
    return Array.from({ length: a.shape[0] }, (_, i) => values.slice(i * a.shape[1], (i + 1) * a.shape[1]));
  };
  const count = npz.names.filter((n) => /^angles_\d+$/.test(n)).length;
  return Array.from({ length: count }, (_, r) => ({
    angles: rows(`angles_${r}`),
    coefficients: rows(`coefficients_${r}`).map((c) => Array.from(c)),
    pairCoefficients: npz.has(`pair_coefficients_${r}`) ? rows(`pair_coefficients_${r}`).map((c) => Array.from(c)) : [],
  }));
}

/**
 * The frames of `runs` as one sample of the last run's model: their angles end to end, and each
 * frame's reduced bias (to start {@link reweightedCorrection} from) that reweights the pooled
 * frames to that model by MBAR. The runs' models differ only in their corrections, so the
 * reduced energy of every model is known at every frame. One run needs no bias.
 * @param o pairs (indices into `quads`) that the runs' pair couplings belong to, as in
 *   {@link refineDihedrals}; kT, kJ/mol.
 */
export function poolRuns(runs: readonly RefinementRun[], quads: readonly Quad[], o: { pairs?: readonly (readonly [number, number])[]; kT: number }): {
  angles: Float64Array[]; bias?: Float64Array;
} {
  const pairs = o.pairs ?? [];
  if (runs.length === 1) return { angles: runs[0].angles };
  const angles = quads.map((_, k) => {
    const out = new Float64Array(runs.reduce((s, r) => s + r.angles[k].length, 0));
    let at = 0;
    for (const r of runs) {
      out.set(r.angles[k], at);
      at += r.angles[k].length;
    }
    return out;
  });
  const frames = angles[0].length;
  const reduced = runs.map((run) => {
    const series = new FourierDihedrals(quads, run.coefficients);
    const couplings = pairs.length > 0 ? new FourierDihedralPairs(pairs.map(([a, b]) => [quads[a], quads[b]]), run.pairCoefficients) : undefined;
    const u = new Float64Array(frames);
    for (let i = 0; i < frames; i++) {
      let v = 0;
      for (let k = 0; k < quads.length; k++) v += series.value(k, angles[k][i]);
      pairs.forEach(([a, b], p) => {
        v += couplings!.value(p, angles[a][i], angles[b][i]);
      });
      u[i] = v / o.kT;
    }
    return u;
  });
  const { logMixture } = mbar(reduced, runs.map((r) => r.angles[0].length));
  const last = reduced[reduced.length - 1];
  return { angles, bias: last.map((u, i) => u + logMixture[i]) };
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
  /** Pairs of dihedrals (indices into `sampled`) whose joint distribution is matched too; default none. */
  pairs?: readonly (readonly [number, number])[];
  /** Reference 2-D histograms of the pairs, `pairBins`² each, first dihedral outer. */
  refPairCounts?: readonly Float64Array[];
  /** Harmonics K of the pair couplings (4K² coefficients per pair); default 2. */
  pairHarmonics?: number;
  /** Bins per dihedral of the pair histograms; default 24. */
  pairBins?: number;
  /** Most Gauss–Seidel sweeps; default 200. */
  maxSweeps?: number;
  /** Converged when no sweep changes the correction by more than this at a shared bin, in units of kT; default 0.002. */
  tolerance?: number;
  /**
   * Reduced bias each frame carries before any correction (its weight is exp(−bias)), e.g. to
   * reweight frames pooled from several runs to one model; default none.
   */
  bias?: Float64Array;
}

/** One block of the correction: its basis functions, and the log ratio of reweighted to reference histograms at the bins both populate. */
interface Block {
  nCoef: number;
  /** Basis functions of the block at the block's angles into `out`; the first is the constant. */
  basis: (angles: readonly number[], out: Float64Array) => void;
  /** The block's angles at frame i. */
  at: (i: number) => number[];
  /** Bin centres (angles) and log ratios with their fit weights, from the current weights. */
  compare: (weights: Float64Array, squares: Float64Array) => { centres: number[][]; values: number[]; fitWeights: number[] };
  /** Add a fitted step to the correction's coefficients. */
  add: (step: Float64Array) => void;
  label: string;
}

/**
 * The correction ΔU — a Fourier series per dihedral, kJ/mol, and optionally the couplings of
 * pairs of dihedrals — under which the sampled frames reproduce every reference marginal (and
 * pair histogram), found without new simulations: a potential of the dihedrals alone changes
 * their joint distribution by exactly exp(−ΔU/kT), so the run is reweighted instead. Each sweep
 * goes through the blocks (each pair's couplings, with the series of its dihedrals that no
 * earlier pair holds, on its 2-D histogram; each dihedral in no pair, its series on its
 * marginal) and adds the block's fit to kT ln(p_w/p_ref) of its reweighted histogram, weighted by
 * the inverse variance of the log ratio (with the bin's effective sample count). Correcting every
 * marginal at once from the same run (plain IBI) counts twice what correlated dihedrals share —
 * alanine dipeptide's αR and β basins differ in φ and ψ both — and overshoots; sweeping against
 * the reweighted run does not. Marginals alone do not fix how two dihedrals go together (which
 * basin-population ratios depend on): the pair couplings do.
 * @param sampled per dihedral, the CG run's angles (radians), all of the same frames.
 * @param refCounts per dihedral, the reference's histogram over (−π, π] in `o.bins` bins.
 * @returns the increments of each series' coefficients [c0, a1, b1, ...] and of each pair's
 *   couplings (as {@link FourierDihedralPairs}), the sweeps run, and the effective fraction of
 *   frames, (Σw)²/(N Σw²): far below 1, the run cannot say much about the corrected model, and
 *   another round is needed.
 * @throws Error when a block's reweighted histogram and the reference share fewer than two bins
 *   per coefficient.
 */
export function reweightedCorrection(sampled: readonly Float64Array[], refCounts: readonly Float64Array[], o: ReweightOptions): {
  delta: number[][]; pairDelta: number[][]; sweeps: number; effectiveFraction: number;
} {
  const { harmonics, bins, kT: kTValue } = o;
  const pairs = o.pairs ?? [];
  const [pairHarmonics, pairBins] = [o.pairHarmonics ?? 2, o.pairBins ?? 24];
  if (pairs.length > 0 && o.refPairCounts?.length !== pairs.length) throw new Error(`reweightedCorrection: ${pairs.length} pairs need as many reference pair histograms, got ${o.refPairCounts?.length ?? 0}`);
  const frames = sampled[0].length;
  const grid = { min: -Math.PI, max: Math.PI, bins };
  const pairGrid = { min: -Math.PI, max: Math.PI, bins: pairBins };
  const centre = (g: typeof grid, b: number): number => g.min + ((b + 0.5) * (g.max - g.min)) / g.bins;
  // Log ratios at the bins both histograms populate, with the inverse variance of each as its
  // weight (the bin's effective sample count, (Σw)²/Σw², standing for n_CG of an unweighted run).
  const logRatios = (ref: Float64Array, counts: Float64Array, countSquares: Float64Array, centreOf: (b: number) => number[]) => {
    const [sr, sc] = [ref, counts].map((h) => h.reduce((a, b) => a + b, 0));
    const out = { centres: [] as number[][], values: [] as number[], fitWeights: [] as number[] };
    counts.forEach((nc, b) => {
      const nr = ref[b];
      if (nr === 0 || nc === 0) return;
      out.centres.push(centreOf(b));
      out.values.push(kTValue * Math.log(nc / sc / (nr / sr)));
      out.fitWeights.push(1 / (1 / nr + countSquares[b] / (nc * nc)));
    });
    return out;
  };
  const fourier = (phi: number, out: Float64Array, from: number): void => {
    for (let n = 1; n <= harmonics; n++) {
      out[from + 2 * n - 2] = Math.cos(n * phi);
      out[from + 2 * n - 1] = Math.sin(n * phi);
    }
  };
  const series = 2 * harmonics;
  const delta = sampled.map(() => new Array<number>(series + 1).fill(0));
  const pairDelta = pairs.map(() => new Array<number>(4 * pairHarmonics ** 2).fill(0));
  // target[at + i] += step[from + i] for i < count.
  const addTo = (target: number[], at: number, step: Float64Array, from: number, count: number): void => {
    for (let i = 0; i < count; i++) target[at + i] += step[from + i];
  };
  // Every coefficient belongs to one block, so that the sweeps share a fixed point: a dihedral's
  // series is fitted with the first pair that holds it (the 2-D histogram carries its marginal),
  // else against its own marginal.
  const owner = new Array<number>(sampled.length).fill(-1);
  pairs.forEach((pair, p) => pair.forEach((k) => {
    if (owner[k] < 0) owner[k] = p;
  }));
  const blocks: Block[] = [
    ...sampled.flatMap((angles, k): Block[] => (owner[k] >= 0 ? [] : [{
      nCoef: series + 1,
      basis: ([phi], out) => {
        out[0] = 1;
        fourier(phi, out, 1);
      },
      at: (i) => [angles[i]],
      compare: (w, w2) => logRatios(refCounts[k], histogram1d(angles, grid, w), histogram1d(angles, grid, w2), (b) => [centre(grid, b)]),
      add: (step) => addTo(delta[k], 0, step, 0, series + 1),
      label: `dihedral (${o.quads[k].join(', ')})`,
    }])),
    ...pairs.map(([a, b], p): Block => {
      const [ownsA, ownsB] = [owner[a] === p, owner[b] === p];
      const couplingsFrom = 1 + (ownsA ? series : 0) + (ownsB ? series : 0);
      return {
        nCoef: couplingsFrom + 4 * pairHarmonics ** 2,
        basis: ([phi, psi], out) => {
          out[0] = 1;
          if (ownsA) fourier(phi, out, 1);
          if (ownsB) fourier(psi, out, couplingsFrom - series);
          dihedralCouplingBasis(phi, psi, pairHarmonics, out.subarray(couplingsFrom));
        },
        at: (i) => [sampled[a][i], sampled[b][i]],
        compare: (w, w2) => logRatios(o.refPairCounts![p], histogram2d(sampled[a], sampled[b], pairGrid, pairGrid, w), histogram2d(sampled[a], sampled[b], pairGrid, pairGrid, w2),
          (bin) => [centre(pairGrid, Math.floor(bin / pairBins)), centre(pairGrid, bin % pairBins)]),
        add: (step) => {
          if (ownsA) addTo(delta[a], 1, step, 1, series);
          if (ownsB) addTo(delta[b], 1, step, couplingsFrom - series, series);
          addTo(pairDelta[p], 0, step, couplingsFrom, pairDelta[p].length);
        },
        label: `dihedral pair (${o.quads[a].join(', ')}) × (${o.quads[b].join(', ')})`,
      };
    }),
  ];
  // Reduced bias of every frame, ΔU/kT, kept up to date as the blocks change.
  if (o.bias && o.bias.length !== frames) throw new Error(`reweightedCorrection: bias holds ${o.bias.length} frames, the samples ${frames}`);
  const bias = o.bias ? Float64Array.from(o.bias) : new Float64Array(frames);
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
  const maxSweeps = o.maxSweeps ?? 200;
  const tolerance = (o.tolerance ?? 0.002) * kTValue;
  let sweeps = 0;
  for (let largest = Infinity; largest > tolerance && sweeps < maxSweeps; sweeps++) {
    largest = 0;
    for (const block of blocks) {
      updateWeights();
      const { centres, values, fitWeights } = block.compare(weights, squares);
      // Fewer than two shared bins per coefficient leave the series free to swing where neither
      // run has samples: refuse rather than add a wild correction.
      const step = centres.length >= 2 * block.nCoef ? weightedLeastSquares(block.nCoef, (i, row) => block.basis(centres[i], row), values, fitWeights) : undefined;
      if (!step) throw new Error(`refineDihedrals: round ${o.round}, ${block.label}: the reference and the CG run share ${centres.length} histogram bins, too few for ${block.nCoef} coefficients; run longer or use fewer harmonics`);
      // The constant (the first coefficient of every block) changes no weight.
      const row = new Float64Array(block.nCoef);
      const change = (angles: readonly number[]): number => {
        block.basis(angles, row);
        let v = 0;
        for (let c = 1; c < block.nCoef; c++) v += step[c] * row[c];
        return v;
      };
      for (const c of centres) largest = Math.max(largest, Math.abs(change(c)));
      block.add(step);
      for (let i = 0; i < frames; i++) bias[i] += change(block.at(i)) / kTValue;
    }
  }
  updateWeights();
  const [sum, sumSquares] = [weights, squares].map((w) => w.reduce((a, b) => a + b, 0));
  return {
    delta,
    pairDelta,
    sweeps,
    effectiveFraction: (sum * sum) / (frames * sumSquares),
  };
}
