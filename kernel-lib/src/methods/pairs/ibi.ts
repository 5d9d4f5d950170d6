/**
 * Iterative Boltzmann inversion (Reith, Pütz & Müller-Plathe 2003), the job of VOTCA's IBI:
 * start from the potential of mean force U₀(r) = −kT ln g_target(r), run the CG liquid, and
 * correct U_{n+1}(r) = U_n(r) + α kT ln(g_n(r)/g_target(r)) until the RDF matches. Here U lives
 * on the spline basis of the other fits (so every table is smooth and zero at the cut-off with
 * its derivatives) and each correction is the basis's least-squares fit of the binned update.
 *
 * Where the CG run never reaches a bin the target populates (g_n = 0), the ratio is taken with
 * g_n floored at G_FLOOR (iterate.ts): the potential there drops by α kT ln(G_FLOOR/g_t), a bounded
 * step that lets the next run in. Optional pressure correction (Reith et al.'s linear ramp):
 * ΔU_p(r) = A(1 − r/r_c), A = −0.1 kT·sign(P − P₀)·min(1, |P − P₀|/3000 bar), P from the
 * virial of each run.
 */
import type { Rdf } from '../../analysis/rdf.js';
import type { PairBasisSet } from '../../cg/pairBasisSet.js';
import type { PairTable } from '../../cg/pairTable.js';
import type { LiquidData } from './data.js';
import { fitBinned, G_FLOOR, kT, liquidRdf, pmfStart, RDF_ERROR_FROM, rdfRecord, rdfRms, sampleIteration, type IterationRecord, type IterativeOptions } from './iterate.js';

/** kJ/mol/nm³ in bar. */
export const KJ_MOL_NM3_TO_BAR = 16.6054;

/** IBI settings. */
export interface IbiOptions extends IterativeOptions {
  /** Stop once rms(g − g_target) over [errorFrom, cutoff) is below this; default 0.02. */
  tolerance?: number;
  /** Scale α of each update; default 1. */
  scale?: number;
  /** Target pressure, bar: switches the pressure correction on. */
  pressure?: number;
  /** RDF to match instead of the data's own (same bins); `targetSource` names it in errors. */
  target?: Rdf;
  targetSource?: string;
}

/** An IBI fit. */
export interface IbiResult {
  basis: PairBasisSet;
  theta: Float64Array;
  target: Rdf;
  iterations: IterationRecord[];
  converged: boolean;
  tables: Map<string, PairTable>;
}

/**
 * @throws Error when a given target has zeros (or no data) in bins where the mapped data have
 *   pairs, or its bins differ from --bin and --cutoff.
 */
export async function ibiPairs(data: LiquidData, o: IbiOptions): Promise<IbiResult> {
  const own = liquidRdf(data.positions, data.frames, data.box, data, o.cutoff, o.bin);
  const target = o.target ? checkTarget(o.target, own, o.targetSource ?? 'target RDF') : own;
  const kt = kT(o.temperature);
  const { set, theta } = pmfStart(data, target, o);
  const iterations: IterationRecord[] = [];
  const tolerance = o.tolerance ?? 0.02;
  const from = o.errorFrom ?? RDF_ERROR_FROM;
  let tables = set.tables(theta);
  let converged = false;
  let evaluated = theta;
  for (let it = 0; it < o.iterations && !o.signal?.aborted; it++) {
    const t0 = Date.now();
    const run = await sampleIteration(set, theta, data, o, it);
    if (run.samples.interrupted) break;
    tables = run.tables;
    evaluated = Float64Array.from(theta);
    const g = liquidRdf(run.samples.positions, run.samples.frames, run.samples.box, data, o.cutoff, o.bin);
    const rdfError = rdfRms(g, target, from, o.cutoff);
    const record: IterationRecord = { iteration: it, rdfError, g: rdfRecord(g), frames: run.samples.frames, seconds: 0 };
    let ramp = 0;
    if (o.pressure !== undefined) {
      const p = pressureOf(set, theta, data, run.samples, o.temperature);
      record.pressureBar = p;
      ramp = -0.1 * kt * Math.sign(p - o.pressure) * Math.min(1, Math.abs(p - o.pressure) / 3000);
    }
    record.seconds = (Date.now() - t0) / 1000;
    iterations.push(record);
    o.onIteration?.(record, tables);
    if (rdfError < tolerance) {
      converged = true;
      break;
    }
    const alpha = o.scale ?? 1;
    const delta = fitBinned(set, target, (p, b) => {
      const gt = target.g[p][b];
      const gn = g.g[g.pairs.indexOf(target.pairs[p])][b];
      return alpha * kt * Math.log(Math.max(gn, G_FLOOR) / Math.max(gt, G_FLOOR)) + ramp * (1 - target.r[b] / o.cutoff);
    });
    for (let k = 0; k < theta.length; k++) theta[k] += delta[k];
  }
  // The last potential whose run was measured (a final update would be untested).
  return { basis: set, theta: evaluated, target, iterations, converged, tables };
}

/** Mean virial pressure of a run of θ, bar. */
export function pressureOf(set: PairBasisSet, theta: Float64Array, data: LiquidData, samples: { positions: ArrayLike<number>; frames: number; box: [number, number, number] }, temperature: number): number {
  const psi = new Float64Array(set.size);
  for (let f = 0; f < samples.frames; f++) set.addVirial(samples.positions, samples.box, data, 3 * data.n * f, psi);
  const w = -theta.reduce((s, t, k) => s + t * psi[k], 0) / samples.frames;
  const v = samples.box[0] * samples.box[1] * samples.box[2];
  return ((data.n * kT(temperature) + w / 3) / v) * KJ_MOL_NM3_TO_BAR;
}

/** A given target must cover every bin where the data have pairs, on the same bins. */
function checkTarget(target: Rdf, own: Rdf, source: string): Rdf {
  if (target.r.length !== own.r.length || target.r.some((r, b) => Math.abs(r - own.r[b]) > 1e-6)) {
    throw new Error(`${source}: bins (${target.r.length}, centres ${target.r[0]} … ${target.r[target.r.length - 1]} nm) differ from --bin and --cutoff (${own.r.length}, ${own.r[0]} … ${own.r[own.r.length - 1]} nm)`);
  }
  own.pairs.forEach((p, q) => {
    const k = target.pairs.indexOf(p);
    if (k < 0) throw new Error(`${source}: no column '${p}' (the data's type pairs are ${own.pairs.join(', ')})`);
    own.g[q].forEach((g, b) => {
      if (g > 0 && !(target.g[k][b] > 0)) {
        throw new Error(`${source}: column '${p}' is ${target.g[k][b]} at r = ${own.r[b].toFixed(4)} nm, where the data have pairs (g = ${g.toFixed(4)}): an RDF target must be positive wherever the liquid goes`);
      }
    });
  });
  return target;
}
