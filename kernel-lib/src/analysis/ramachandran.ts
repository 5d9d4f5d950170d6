/**
 * Judging a model's φ/ψ distribution against a reference's on every bin the reference
 * populates: KL with the model floored where it never went ({@link klBreakdown}), beside the
 * common-bins KL and the coverage, with the share of each conformational basin of alanine
 * dipeptide and of the unvisited bins, and the αR/β ratio of both.
 */
import { alanineBasin, alanineBasinPopulations, type AlanineBasin } from '../datasets/alanineDipeptide.js';
import { klBreakdown, type KlBreakdown } from './divergence.js';
import { histogram2d, type Grid1d } from './fes.js';

/** The φ/ψ grid of the judgements, degrees: 60 × 60 bins of 6°. */
export const PHI_PSI_GRID: Grid1d = Object.freeze({ min: -180, max: 180, bins: 60 });

/** φ and ψ of every frame, degrees. */
export interface PhiPsi {
  phi: ArrayLike<number>;
  psi: ArrayLike<number>;
}

/** A {@link klBreakdown} of φ/ψ histograms, by basin, with both sides' basin populations. */
export interface PhiPsiJudgement extends KlBreakdown {
  /** Bins the reference populates. */
  referenceBins: number;
  /** Frame fractions per basin. */
  populations: { reference: Record<AlanineBasin, number>; model: Record<AlanineBasin, number> };
  /** αR / (C5 + C7eq/PPII) of the frames. */
  ratio: { reference: number; model: number };
}

/** β = C5 + C7eq/PPII. */
export function betaPopulation(p: Record<AlanineBasin, number>): number {
  return p.C5 + p['C7eq/PPII'];
}

/**
 * KL(reference‖model) of alanine dipeptide's φ/ψ histograms on {@link PHI_PSI_GRID} over every
 * bin the reference populates (the model's probability floored at `floor`, default 1e-6), with
 * its parts per basin (bins labelled by their centre with {@link alanineBasin}).
 * @throws Error for angles that look like radians, or φ and ψ of different lengths.
 */
export function judgePhiPsi(reference: PhiPsi, model: PhiPsi, o: { floor?: number } = {}): PhiPsiJudgement {
  const g = PHI_PSI_GRID;
  const width = (g.max - g.min) / g.bins;
  const labels = Array.from({ length: g.bins * g.bins }, (_, i) => alanineBasin(g.min + (Math.floor(i / g.bins) + 0.5) * width, g.min + ((i % g.bins) + 0.5) * width));
  const [p, q] = [reference, model].map((s) => histogram2d(s.phi, s.psi, g, g));
  const populations = { reference: alanineBasinPopulations(reference.phi, reference.psi), model: alanineBasinPopulations(model.phi, model.psi) };
  const ratio = (x: Record<AlanineBasin, number>) => x.alphaR / betaPopulation(x);
  return {
    ...klBreakdown(p, q, { ...o, regions: labels }),
    referenceBins: p.reduce((n, c) => n + (c > 0 ? 1 : 0), 0),
    populations,
    ratio: { reference: ratio(populations.reference), model: ratio(populations.model) },
  };
}

/** Lines that state a judgement: the all-bins KL with its floor and parts, the common-bins KL, coverage, αR/β. */
export function describePhiPsi(j: PhiPsiJudgement): string[] {
  const pct = (v: number) => `${(100 * v).toFixed(v < 0.01 ? 2 : 1)} %`;
  const basins = (Object.keys(j.populations.reference) as AlanineBasin[])
    .map((b) => `${b} ${j.regions[b]?.kl.toFixed(3) ?? '0.000'} (reference ${pct(j.populations.reference[b])}, model ${pct(j.populations.model[b])})`);
  return [
    `KL(ref‖CG) over all ${j.referenceBins} bins the reference populates (60 × 60 φ/ψ, CG floored at ${j.floor.toExponential(0)}): ${j.kl.toFixed(3)} nats; over bins both populate ${j.common.toFixed(3)}; coverage ${pct(j.coverage)}`,
    `unvisited by the CG run: ${j.unvisited.bins} bins, ${pct(j.unvisited.mass)} of the reference, KL ${j.unvisited.kl.toFixed(3)}`,
    `by basin (KL part, populations): ${basins.join('; ')}`,
    `αR/β ${j.ratio.model.toFixed(3)} against ${j.ratio.reference.toFixed(3)} (${(100 * (j.ratio.model / j.ratio.reference - 1)).toFixed(1)} %)`,
  ];
}
