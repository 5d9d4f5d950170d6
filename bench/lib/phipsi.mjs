// The φ/ψ comparison the force-matching benchmarks share: a CG run's φ/ψ free-energy surface
// (60×60 grid, 300 K) against the all-atom one, with basin populations and the αR/β ratio
// (β = C5 + C7eq/PPII) and its jackknife over groups of replicas.
import { fes2d } from '../../kernel-lib/dist/analysis/fes.js';
import { fesMse, klDivergenceCommon } from '../../kernel-lib/dist/analysis/divergence.js';
import { alanineBasin, alanineBasinPopulations } from '../../kernel-lib/dist/datasets/alanineDipeptide.js';
import { judgePhiPsi } from '../../kernel-lib/dist/analysis/ramachandran.js';

export const T = 300;
export const grid = { min: -180, max: 180, bins: 60 };
export const betaOf = (p) => p.C5 + p['C7eq/PPII'];
export const fmt = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** One line of a `compare` result's all-bins judgement: KL, unvisited share and each basin's part. */
export function allBins(res) {
  const j = res.all;
  const parts = Object.entries(j.regions).map(([b, r]) => `${b} ${fmt(r.kl)}`).join(', ');
  return `KL over all ${j.referenceBins} reference bins ${fmt(j.kl)} (CG floor 1e-6; common bins ${fmt(j.common)}, coverage ${fmt(j.coverage)}); unvisited ${j.unvisited.bins} bins, ${fmt(100 * j.unvisited.mass, 2)} % of the reference, KL ${fmt(j.unvisited.kl)}; by basin ${parts}`;
}

/**
 * φ/ψ (degrees) surface, basin populations, KL(ref‖model) over common bins and MSE against `ref`
 * (a `compare` result), and `all`: the judgement over every bin the reference populates (model
 * floored at 1e-6, by basin and unvisited bins; analysis/ramachandran.ts).
 */
export function compare(phi, psi, ref) {
  const s = fes2d(phi, psi, grid, grid, T);
  const pops = alanineBasinPopulations(phi, psi);
  const common = ref ? klDivergenceCommon(ref.fes.counts, s.counts) : { kl: 0, coverage: 1 };
  return {
    kl: common.kl,
    coverage: common.coverage,
    mse: ref ? fesMse(ref.fes.F, s.F) : 0,
    pops,
    ratio: pops.alphaR / betaOf(pops),
    fes: s,
    angles: { phi, psi },
    all: ref ? judgePhiPsi(ref.angles, { phi, psi }) : undefined,
  };
}

/**
 * αR/β of CG frames (degrees), optionally weighted, with its jackknife sd over 10 groups of
 * replicas (replicas are independent; frames within one are not). `runLengths`: the frames of
 * each run the frames come from, in order, each run `replicas` replicas, replica-major.
 */
export function ratioJackknife(phi, psi, runLengths, replicas, weights) {
  const groups = 10;
  const [a, b] = [new Float64Array(groups), new Float64Array(groups)];
  let at = 0;
  for (const length of runLengths) {
    const perReplica = length / replicas;
    for (let i = 0; i < length; i++, at++) {
      const g = Math.floor(i / perReplica) % groups;
      const basin = alanineBasin(phi[at], psi[at]);
      const w = weights ? weights[at] : 1;
      if (basin === 'alphaR') a[g] += w;
      else if (basin === 'C5' || basin === 'C7eq/PPII') b[g] += w;
    }
  }
  const [sa, sb] = [a, b].map((v) => v.reduce((x, y) => x + y, 0));
  const leaveOut = Array.from(a, (ag, g) => (sa - ag) / (sb - b[g]));
  const mean = leaveOut.reduce((x, y) => x + y, 0) / groups;
  return { ratio: sa / sb, sd: Math.sqrt(((groups - 1) / groups) * leaveOut.reduce((x, r) => x + (r - mean) ** 2, 0)) };
}
