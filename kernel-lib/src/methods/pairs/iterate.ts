/**
 * What the iterative liquid fits (IBI, REM; ARCG later) share: the target RDF of the mapped
 * reference, one CG run of the current spline potential per iteration with its RDF and its
 * error against the target, and the record of every iteration.
 */
import { radialDistribution, type Rdf } from '../../analysis/rdf.js';
import { PairBasis } from '../../cg/pairBasis.js';
import { PairBasisSet } from '../../cg/pairBasisSet.js';
import type { PairTable } from '../../cg/pairTable.js';
import { BOLTZMANN } from '../../units.js';
import type { LiquidData } from './data.js';
import { typePairs } from './fm.js';
import { samplePairs, type PairSamples, type PairSamplingOptions } from './sample.js';

/** Where the RDF error is measured by default, nm: from just inside the first peak's rise of water to the cut-off. */
export const RDF_ERROR_FROM = 0.24;

/** Smallest g(r) taken as populated by the target, and the floor of g_n in IBI's ratio. */
export const G_FLOOR = 1e-3;

/** Settings every iterative fit takes. */
export interface IterativeOptions {
  /** Cut-off, nm. */
  cutoff: number;
  /** RDF bin and knot spacing, nm. */
  bin: number;
  /** K. */
  temperature: number;
  /** Most iterations. */
  iterations: number;
  /** CG runs of each iteration (the seed moves on per iteration). */
  sampling: Omit<PairSamplingOptions, 'temperature' | 'seed' | 'signal' | 'onProgress'>;
  seed: number;
  /** Lower end of the RDF error's range, nm (default {@link RDF_ERROR_FROM}). */
  errorFrom?: number;
  /** Called with each iteration's record (after its tables are final). */
  onIteration?: (it: IterationRecord, tables: Map<string, PairTable>) => void;
  /** Called during each CG run. */
  onProgress?: (iteration: number, done: number, total: number) => void;
  /** Stops at the next saved frame of the current run; the fit returns the iterations done. */
  signal?: AbortSignal;
}

/** One iteration: the RDF of the CG run of the potential it started with. */
export interface IterationRecord {
  iteration: number;
  /** rms(g − g_target) over every type pair and bin in [errorFrom, cutoff). */
  rdfError: number;
  /** Per pair "A-B", g(r) of this iteration's run. */
  g: Record<string, number[]>;
  /** CG frames behind g. */
  frames: number;
  /** Wall time of the iteration, s. */
  seconds: number;
  /** Method-specific numbers (REM: relative entropy change; IBI: pressure). */
  [key: string]: unknown;
}

/** RDF of frames [frames, n, 3] in per-frame boxes [frames, 3] (or one box for all), intermolecular pairs only. */
export function liquidRdf(positions: ArrayLike<number>, frames: number, box: ArrayLike<number>, data: Pick<LiquidData, 'types' | 'typeNames' | 'molecule'>, cutoff: number, bin: number): Rdf {
  const boxes = box.length === 3 && frames > 1 ? Float64Array.from({ length: 3 * frames }, (_, i) => box[i % 3]) : box;
  return radialDistribution(positions, frames, boxes, { rMax: cutoff, bin, types: data.types, typeNames: data.typeNames, molecule: data.molecule, blocks: Math.min(5, frames) });
}

/** rms of g − g_target over every pair and every bin centre in [from, to), skipping pairs absent from either. */
export function rdfRms(g: Rdf, target: Rdf, from: number, to: number): number {
  let s = 0;
  let n = 0;
  target.pairs.forEach((p, q) => {
    const k = g.pairs.indexOf(p);
    if (k < 0) return;
    target.r.forEach((r, b) => {
      if (r < from || r >= to || !Number.isFinite(target.g[q][b]) || !Number.isFinite(g.g[k][b])) return;
      s += (g.g[k][b] - target.g[q][b]) ** 2;
      n++;
    });
  });
  return n ? Math.sqrt(s / n) : NaN;
}

/** The RDF of every pair as plain arrays, for records. */
export function rdfRecord(g: Rdf): Record<string, number[]> {
  return Object.fromEntries(g.pairs.map((p, q) => [p, Array.from(g.g[q], (v) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : 0))]));
}

/** kT, kJ/mol. */
export function kT(temperature: number): number {
  return BOLTZMANN * temperature;
}

/**
 * Runs the CG liquid of θ for one iteration from the reference's frames (each replica from a
 * different one), in the box of the first.
 */
export async function sampleIteration(set: PairBasisSet, theta: Float64Array, data: LiquidData, o: IterativeOptions, iteration: number): Promise<{ samples: PairSamples; tables: Map<string, PairTable> }> {
  const tables = set.tables(theta);
  const samples = await samplePairs(tables, data, data.positions, [data.box[0], data.box[1], data.box[2]], {
    ...o.sampling, temperature: o.temperature, seed: o.seed + 7919 * iteration, signal: o.signal,
    onProgress: (d, t) => o.onProgress?.(iteration, d, t),
  });
  return { samples, tables };
}

/**
 * The spline basis of each type pair from its first populated bin of `target` (rounded down to
 * the knot grid of the cut-off) to the cut-off, and θ of the potential of mean force
 * U₀ = −kT ln g_target: where IBI starts, and REM by default.
 * @throws Error when a pair's target is zero everywhere.
 */
export function pmfStart(data: LiquidData, target: Rdf, o: Pick<IterativeOptions, 'cutoff' | 'bin' | 'temperature'>): { set: PairBasisSet; theta: Float64Array } {
  const pairs = typePairs(data.typeNames).map(([a, b]) => {
    const g = target.g[target.pairs.indexOf(`${a}-${b}`)];
    const first = g.findIndex((v) => v > G_FLOOR);
    if (first < 0) throw new Error(`${data.source}: the ${a}-${b} RDF is zero everywhere below the cut-off ${o.cutoff} nm`);
    const m = Math.floor((o.cutoff - target.r[first]) / o.bin + 1e-9);
    return { a, b, basis: new PairBasis(o.cutoff - m * o.bin, o.cutoff, o.bin) };
  });
  const set = new PairBasisSet(data.typeNames, pairs);
  const kt = kT(o.temperature);
  return { set, theta: fitBinned(set, target, (p, b) => -kt * Math.log(Math.max(target.g[p][b], G_FLOOR))) };
}

/**
 * θ whose spline fits a binned function v(pair, bin) in least squares over each pair's basis
 * range (bins where the target is populated; the function is held at its first such bin's
 * value below it).
 */
export function fitBinned(set: PairBasisSet, target: Rdf, v: (pairIndex: number, bin: number) => number): Float64Array {
  const theta = new Float64Array(set.size);
  set.pairs.forEach((p, q) => {
    const pi = target.pairs.indexOf(`${p.a}-${p.b}`);
    const r = target.r;
    const ok = Array.from(r, (_, b) => target.g[pi][b] > G_FLOOR);
    const first = ok.indexOf(true);
    const at = (x: number): number => {
      // Linear interpolation between bin centres, constant beyond the populated ones.
      const s = (x - r[0]) / (r[1] - r[0]);
      const b = Math.max(first, Math.min(r.length - 2, Math.floor(s)));
      const w = Math.min(1, Math.max(0, s - b));
      const v0 = v(pi, b);
      const v1 = ok[b + 1] ? v(pi, b + 1) : v0;
      return (1 - w) * v0 + w * v1;
    };
    set.slice(theta, q).set(p.basis.fit(at));
  });
  return theta;
}

