/**
 * ARCG for a CG molecule (`cglab train arcg`): a model spec names the energy terms of the
 * mapped beads and of any virtual sites (cg/internalBasis.ts), the critic and the sampling;
 * `moleculeFit` builds the basis, starts θ at the Boltzmann inversion of the mapped data
 * (harmonic bonds and angles at the data's mean and spread, dihedral terms at zero), and
 * fits it by ARCG (arcg.ts) against the mapped frames.
 *
 * What the critic sees: a linear critic gets the basis functions of the terms among mapped
 * beads only (the model's span on what can be observed: with no virtual sites this is REM); an
 * MLP critic gets the mapped beads' distances, angles and dihedral (cos, sin) of the chain.
 * Virtual sites start near the mapped bead they are tied to, and are never shown to the critic.
 */
import { internalBasis, type InternalTerm } from '../../cg/internalBasis.js';
import { chainFeatures } from '../../cg/features.js';
import { hostGeometry } from '../../cg/geometryOp.js';
import { LinearCritic, MlpCritic, type Critic } from '../../nn/critic.js';
import { fDivergence, type DivergenceName } from '../../nn/fDivergence.js';
import type { LinearBasis } from '../../physics/basisPotential.js';
import { kT as kTOf } from '../../units.js';
import { Random } from '../../util/random.js';
import { fitArcg, type ArcgOptions, type ArcgResult } from './arcg.js';
import { basisModel, type MappedFeatures } from './basisModel.js';
import { withVirtualSites } from './modelDir.js';
import { CRITICS, type CriticKind } from './pairs.js';

/** A virtual site: bead index nMapped + k, tied to (started near) mapped bead `near`. */
export interface VirtualSiteSpec {
  name: string;
  /** amu. */
  mass: number;
  near: number;
}

/** A term of the spec: bonds and angles among mapped beads may leave q0 and scale to the data. */
export type TermSpec =
  | { kind: 'bond'; beads: [number, number]; q0?: number; scale?: number }
  | { kind: 'angle'; beads: [number, number, number]; q0?: number; scale?: number }
  | Extract<InternalTerm, { kind: 'dihedral' | 'dihedralPair' }>;

/** `--model spec.json` of `cglab train arcg`. */
export interface MoleculeSpec {
  /** Extra beads no atom maps to. */
  virtualSites?: VirtualSiteSpec[];
  /** Bonds, angles and dihedrals (order 2) of consecutive mapped beads; default true. */
  chain?: boolean;
  /** More terms, on mapped beads and virtual sites (virtual ones need q0 and scale). */
  terms?: TermSpec[];
  critic?: { kind?: CriticKind; hidden?: number[]; ridge?: number };
  divergence?: DivergenceName;
  sampling?: { replicas?: number; ps?: number; skipPs?: number; saveEveryPs?: number; dt?: number; friction?: number };
  iterations?: number;
  criticSteps?: number;
  learningRate?: number;
}

/** Mapped data to fit to. */
export interface MappedFrames {
  /** [frames, nBeads, 3] nm. */
  positions: Float32Array | Float64Array;
  frames: number;
  nBeads: number;
  /** [nBeads] amu. */
  masses: Float64Array;
  /** K. */
  temperature: number;
  source: string;
}

/** A built model: the basis over mapped + virtual beads, its resolved terms and the start. */
export interface MoleculeModel {
  basis: LinearBasis;
  terms: InternalTerm[];
  /** Mapped beads, then virtual sites. */
  nBeads: number;
  nMapped: number;
  masses: Float64Array;
  start: Float64Array;
  /** The critic's features of mapped beads. */
  features: MappedFeatures;
  critic: CriticKind;
}

const isMapped = (t: InternalTerm, n: number): boolean => (t.kind === 'dihedralPair' ? [...t.a, ...t.b] : t.beads).every((b) => b < n);

/**
 * Resolves a spec against the mapped data.
 * @throws Error naming the spec field for a bead out of range, a virtual term without q0 and
 *   scale, a mapped coordinate that does not vary, or an unknown critic.
 */
export function buildMoleculeModel(spec: MoleculeSpec, data: MappedFrames, where = 'arcg model spec'): MoleculeModel {
  const nMapped = data.nBeads;
  const virtual = spec.virtualSites ?? [];
  virtual.forEach((v, k) => {
    if (!(v.mass > 0) || !Number.isInteger(v.near) || v.near < 0 || v.near >= nMapped) {
      throw new Error(`${where}: virtualSites[${k}] (${v.name}) needs a positive mass (amu) and 'near', a mapped bead index in 0..${nMapped - 1}`);
    }
  });
  const nBeads = nMapped + virtual.length;
  const specs: TermSpec[] = [];
  if (spec.chain ?? true) {
    const c = chainFeatures(nMapped);
    for (let i = 0; i + 1 < nMapped; i++) specs.push({ kind: 'bond', beads: [i, i + 1] });
    for (const a of c.angles) specs.push({ kind: 'angle', beads: [...a] as [number, number, number] });
    for (const d of c.dihedrals) specs.push({ kind: 'dihedral', beads: [...d] as [number, number, number, number], order: 2 });
  }
  specs.push(...(spec.terms ?? []));
  const kt = kTOf(data.temperature);
  const start: number[] = [];
  const terms: InternalTerm[] = specs.map((t, k) => {
    const label = `${where}: term ${k} (${t.kind} ${t.kind === 'dihedralPair' ? `${t.a.join('-')} × ${t.b.join('-')}` : t.beads.join('-')})`;
    const beads = t.kind === 'dihedralPair' ? [...t.a, ...t.b] : t.beads;
    for (const b of beads) if (!Number.isInteger(b) || b < 0 || b >= nBeads) throw new Error(`${label}: bead ${b} is not among the ${nMapped} mapped beads and ${virtual.length} virtual sites`);
    if (t.kind === 'bond' || t.kind === 'angle') {
      let { q0, scale } = t;
      if (q0 === undefined || scale === undefined) {
        if (!beads.every((b) => b < nMapped)) throw new Error(`${label}: a term on a virtual site needs q0 and scale (nm or rad): no data gives them`);
        const g = hostGeometry(data.positions, data.frames, nMapped, t.kind === 'bond' ? { pairs: [t.beads], angles: [], dihedrals: [] } : { pairs: [], angles: [t.beads], dihedrals: [] });
        let m = 0;
        g.values.forEach((v) => (m += v / data.frames));
        let s2 = 0;
        g.values.forEach((v) => (s2 += (v - m) ** 2 / data.frames));
        if (!(s2 > 0)) throw new Error(`${label}: the coordinate does not vary over the ${data.frames} mapped frames of ${data.source}`);
        q0 ??= m;
        scale ??= Math.sqrt(s2);
      }
      // U = (kT/2) u²: the Gaussian of the data (or of the given q0 and spread).
      start.push(kt / 2, 0);
      return { kind: t.kind, beads: t.beads, q0, scale } as InternalTerm;
    }
    const basisSize = t.kind === 'dihedral' ? 2 * (t.order ?? 2) : 4 * (t.order ?? 1) ** 2;
    for (let i = 0; i < basisSize; i++) start.push(0);
    return t;
  });
  const basis = internalBasis(nBeads, terms, 'arcg molecule');
  const critic = spec.critic?.kind ?? 'linear';
  if (!CRITICS.includes(critic)) throw new Error(`${where}: critic.kind '${critic}' is not one of ${CRITICS.join(', ')}`);
  const masses = Float64Array.from({ length: nBeads }, (_, i) => (i < nMapped ? data.masses[i] : virtual[i - nMapped].mass));
  return { basis, terms, nBeads, nMapped, masses, start: Float64Array.from(start), features: criticFeatures(critic, terms, nMapped), critic };
}

/** A linear critic's span (the mapped-only terms' basis functions) or an MLP's chain geometry. */
function criticFeatures(kind: CriticKind, terms: InternalTerm[], nMapped: number): MappedFeatures {
  if (kind === 'linear') {
    const visible = internalBasis(nMapped, terms.filter((t) => isMapped(t, nMapped)), 'arcg critic basis');
    const phi = new Float64Array(visible.size);
    return { size: visible.size, evaluate: (r, off, out) => { visible.evaluate(r, off, phi); out.set(phi); } };
  }
  const tuples = chainFeatures(nMapped);
  const size = tuples.pairs.length + tuples.angles.length + 2 * tuples.dihedrals.length;
  const x = new Float64Array(3 * nMapped);
  return {
    size,
    evaluate: (r, off, out) => {
      for (let i = 0; i < x.length; i++) x[i] = r[off + i];
      out.set(hostGeometry(x, 1, nMapped, tuples).values);
    },
  };
}

/** Settings of a molecule fit beyond the spec. */
export interface MoleculeFitOptions extends Pick<ArcgOptions, 'resume' | 'onIteration' | 'onProgress' | 'signal' | 'tolerance' | 'minEss'> {
  seed: number;
}

/** A molecule fit. */
export interface MoleculeFit extends ArcgResult {
  model: MoleculeModel;
  critic: Critic;
}

/**
 * Fits a spec's model to mapped frames by ARCG.
 * @throws Error from the spec (buildMoleculeModel) or the fit (arcg.ts).
 */
export async function moleculeFit(spec: MoleculeSpec, data: MappedFrames, o: MoleculeFitOptions): Promise<MoleculeFit> {
  const model = buildMoleculeModel(spec, data);
  const divergence = fDivergence(spec.divergence ?? 'kl', 'arcg model spec: divergence');
  const per = 3 * data.nBeads;
  const refRows = new Float64Array(data.frames * model.features.size);
  const row = new Float64Array(model.features.size);
  for (let f = 0; f < data.frames; f++) {
    model.features.evaluate(data.positions, f * per, row);
    refRows.set(row, f * model.features.size);
  }
  const reference = { x: refRows, n: data.frames };
  const critic: Critic = model.critic === 'linear'
    ? new LinearCritic(model.features.size, divergence, reference, { where: 'arcg critic', ridge: spec.critic?.ridge })
    : new MlpCritic(model.features.size, divergence, reference, { where: 'arcg critic', hidden: spec.critic?.hidden, ridge: spec.critic?.ridge, seed: o.seed });
  const s = spec.sampling ?? {};
  const replicas = s.replicas ?? 16;
  const starts = withVirtualSites(data.positions, data.nBeads, spec.virtualSites ?? [], replicas, new Random(o.seed));
  const implicit = basisModel({
    basis: model.basis, mapped: data.nBeads, features: model.features, starts,
    // Without virtual sites a linear critic's features are the whole basis, in its order.
    featuresAreStatistics: model.critic === 'linear' && model.nBeads === data.nBeads, masses: model.masses, temperature: data.temperature,
    replicas, ps: s.ps ?? 20, skipPs: s.skipPs ?? 1, saveEveryPs: s.saveEveryPs ?? 0.2, dt: s.dt ?? 0.002, friction: s.friction ?? 1, seed: o.seed,
  });
  const res = await fitArcg(implicit, reference, critic, model.start, {
    kT: kTOf(data.temperature), iterations: spec.iterations ?? 20, criticSteps: spec.criticSteps ?? (model.critic === 'mlp' ? 50 : 3),
    learningRate: spec.learningRate, tolerance: o.tolerance, minEss: o.minEss, resume: o.resume, onIteration: o.onIteration, onProgress: o.onProgress, signal: o.signal,
  });
  return { ...res, model, critic };
}

