/**
 * CGnet and CGSchNet for a CG topology: priors fitted to the mapped data by Boltzmann inversion,
 * input features from the bond graph, and the one-call `fitForceMatching` that maps nothing,
 * fits priors, builds the network and trains it.
 *
 * Priors (after Husic et al. 2020): harmonic bonds on the CG bonds, harmonic angles on every
 * pair of bonds sharing a bead, and (σ/r)⁶ repulsion between beads three or more bonds apart.
 * For a linear chain these are exactly cg/priors.ts's `fitChainPriors`; the bond graph also
 * covers branched maps such as `backbone6` (CB on CA).
 */
import { GeometryFeatures, type Pair, type Quad, type Triple } from '../../cg/features.js';
import type { Coordinates } from '../../cg/linearMap.js';
import { FourierDihedrals, HarmonicAngles, HarmonicBonds, nonBondedPairs, Repulsion, type FourierFitOptions, type Prior, type RepulsionFitOptions } from '../../cg/priors.js';
import { cgnet, cgschnet, type EnergyModel } from '../../nn/energyModel.js';
import type { Activation } from '../../nn/mlp.js';
import type { Topology } from '../../topology/topology.js';
import { trainForceMatching, type TrainingRecord, type TrainOptions } from './train.js';

/** The network architectures `fitForceMatching` builds. */
export type ModelKind = 'cgnet' | 'cgschnet';

/** Angles (i, j, k) with bonds i–j and j–k, and dihedrals (i, j, k, l) along bonded paths, each listed once. */
export function bondedTuples(top: Topology): { bonds: Pair[]; angles: Triple[]; dihedrals: Quad[] } {
  const n = top.atoms.length;
  const nb = Array.from({ length: n }, () => [] as number[]);
  for (const [i, j] of top.bonds) {
    nb[i].push(j);
    nb[j].push(i);
  }
  nb.forEach((l) => l.sort((a, b) => a - b));
  const angles: Triple[] = [];
  for (let j = 0; j < n; j++) for (const i of nb[j]) for (const k of nb[j]) if (i < k) angles.push([i, j, k]);
  const dihedrals: Quad[] = [];
  for (const [a, b] of top.bonds) {
    const [j, k] = a < b ? [a, b] : [b, a];
    for (const i of nb[j]) if (i !== k) for (const l of nb[k]) if (l !== j && l !== i) dihedrals.push([i, j, k, l]);
  }
  angles.sort((p, q) => p[1] - q[1] || p[0] - q[0] || p[2] - q[2]);
  dihedrals.sort((p, q) => p[1] - q[1] || p[2] - q[2] || p[0] - q[0] || p[3] - q[3]);
  return { bonds: top.bonds.map(([i, j]) => [i, j]), angles, dihedrals };
}

/**
 * CGnet's input features for a CG topology: every pair distance, the bonded angles, and
 * (cos, sin) of the bonded dihedrals.
 */
export function topologyFeatures(top: Topology): GeometryFeatures {
  const n = top.atoms.length;
  const { angles, dihedrals } = bondedTuples(top);
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) pairs.push([i, j]);
  return new GeometryFeatures(n, { pairs, angles, dihedrals });
}

/** Options of {@link fitPriors}. */
export interface PriorOptions {
  /** Temperature of the data, K. */
  temperature: number;
  /** Repulsion settings, or false for none. */
  repulsion?: RepulsionFitOptions | false;
  /**
   * Fourier priors on the bonded dihedrals (Boltzmann inversion of each φ's histogram); default
   * true, false for none. They carry most of the backbone's free-energy landscape, so the network
   * learns a correction: force matching pins down the mean force only where data are dense, and
   * between basins the network alone interpolates (CGnet on 100,000 alanine dipeptide frames:
   * the αR–β free-energy error implied by its force residuals fell from 0.4 to 0.0 kJ/mol with
   * them). They also carry the chirality that SchNet, reading only distances, cannot see.
   */
  dihedrals?: boolean | Omit<FourierFitOptions, 'temperature'>;
}

/**
 * The standard priors of a CG topology, fitted to bead positions [frames, beads, 3] (nm).
 * @returns named priors: bonds; angles (when two bonds share a bead); repulsion (when beads
 *   three or more bonds apart exist); dihedrals (along bonded paths of four beads) unless
 *   `dihedrals: false`.
 */
export function fitPriors(x: Coordinates, top: Topology, opts: PriorOptions): Record<string, Prior> {
  const n = top.atoms.length;
  const { bonds, angles, dihedrals } = bondedTuples(top);
  const out: Record<string, Prior> = {};
  if (bonds.length) out.bonds = HarmonicBonds.fit(x, n, bonds, opts);
  if (angles.length) out.angles = HarmonicAngles.fit(x, n, angles, opts);
  const far = bonds.length ? nonBondedPairs(n, bonds) : [];
  if (far.length && opts.repulsion !== false) out.repulsion = Repulsion.fit(x, n, far, opts.repulsion || {});
  const fourier = opts.dihedrals ?? true;
  if (dihedrals.length && fourier) {
    out.dihedrals = FourierDihedrals.fit(x, n, dihedrals, { ...(fourier === true ? {} : fourier), temperature: opts.temperature });
  }
  return out;
}

/**
 * SchNet bead types: one per distinct (residue, bead name), in order of first appearance — each
 * bead of a small molecule gets its own embedding; repeated residues share theirs.
 */
export function beadTypes(top: Topology): number[] {
  const types = new Map<string, number>();
  return top.atoms.map((a) => {
    const key = `${a.residue}:${a.name}`;
    if (!types.has(key)) types.set(key, types.size);
    return types.get(key) as number;
  });
}

/** Architecture settings; defaults are sized to train on ~20k frames in minutes on 2 cores. */
export interface ArchitectureOptions {
  /** CGnet hidden widths; default five of 160 (Husic et al.). */
  hidden?: readonly number[];
  /** CGSchNet feature width; default 64. */
  features?: number;
  /** CGSchNet interaction blocks; default 2. */
  interactions?: number;
  /** CGSchNet Gaussians; default 32. */
  rbf?: number;
  /** CGSchNet cutoff, nm; default 1.0 (covers every pair of a dipeptide's backbone). */
  cutoff?: number;
  /** Default 'tanh'. */
  activation?: Activation;
  /** Seed of the initial weights; default 1. */
  seed?: number;
}

/**
 * CGnet or CGSchNet over `top` with `priors`, its CGnet z-score fitted on `x` [frames, beads, 3] (nm).
 */
export function buildModel(kind: ModelKind, top: Topology, x: Coordinates, priors: Record<string, Prior>, opts: ArchitectureOptions = {}): EnergyModel {
  const seed = opts.seed ?? 1;
  if (kind === 'cgnet') {
    const features = topologyFeatures(top);
    return cgnet({ features, zscore: features.fitZScore(x), priors, hidden: opts.hidden, activation: opts.activation, seed });
  }
  if (kind === 'cgschnet') {
    return cgschnet({
      beadTypes: beadTypes(top),
      features: opts.features ?? 64,
      interactions: opts.interactions ?? 2,
      rbf: opts.rbf ?? 32,
      cutoff: opts.cutoff ?? 1.0,
      activation: opts.activation,
      priors,
      seed,
    });
  }
  throw new Error(`unknown model '${kind as string}': expected cgnet or cgschnet`);
}

/** A CG data set: frames, CG topology, temperature. */
export interface CGFrames {
  /** [frames, beads, 3] nm. */
  positions: Coordinates;
  /** [frames, beads, 3] kJ/mol/nm, mapped forces. */
  forces: Coordinates;
  topology: Topology;
  /** K. */
  temperature: number;
}

/** Options of {@link fitForceMatching}. */
export interface FitOptions extends TrainOptions, ArchitectureOptions {
  model: ModelKind;
  /** Repulsion prior settings, or false for none. */
  repulsion?: RepulsionFitOptions | false;
  /** Fourier dihedral priors (see {@link PriorOptions}); default true. */
  dihedralPriors?: PriorOptions['dihedrals'];
}

/** A trained model and how it was made. */
export interface FitResult {
  model: EnergyModel;
  priors: Record<string, Prior>;
  record: TrainingRecord;
}

/**
 * Fit priors to `data`, build CGnet or CGSchNet on them and train it by force matching. The
 * network's initial weights use `seed` too, so one seed fixes the whole run.
 */
export async function fitForceMatching(data: CGFrames, opts: FitOptions): Promise<FitResult> {
  const n = data.topology.atoms.length;
  if (data.positions.length % (3 * n) !== 0) {
    throw new Error(`fitForceMatching: positions have ${data.positions.length} values, not [frames, ${n}, 3] for the ${n} beads of the CG topology`);
  }
  const priors = fitPriors(data.positions, data.topology, { temperature: data.temperature, repulsion: opts.repulsion, dihedrals: opts.dihedralPriors });
  const model = buildModel(opts.model, data.topology, data.positions, priors, { ...opts, seed: opts.seed ?? 1 });
  const record = await trainForceMatching(model, data, opts);
  return { model, priors, record };
}
