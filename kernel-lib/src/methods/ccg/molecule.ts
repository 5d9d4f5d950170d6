/**
 * CCG back-mapping of a molecule: the Z-matrix representation for a map of single-atom beads
 * (zMatrix.ts), a conditional flow over its free variables read from the beads' internal
 * geometry, the force field of the system the data came from, and what a back-mapping is judged
 * by against the true structures — all-atom energies, heavy-atom RMSD, bond lengths,
 * chirality and close contacts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { chiralVolume, distance } from '../../analysis/geometry.js';
import type { MolecularSystem } from '../../datasets/systems.js';
import { buildFlow, type Flow } from '../../nn/flows.js';
import type { Topology } from '../../topology/topology.js';
import { Random } from '../../util/random.js';
import { resolveMap, type MapSpec } from '../forcematching/mapping.js';
import { bondedTuples } from '../forcematching/model.js';
import { conditionOf } from './representation.js';
import { fitZMatrix, zMatrix, type ZMatrixRepresentation } from './zMatrix.js';

/**
 * The Z-matrix representation of `top` for `spec`, fitted on `frames` [rows, atoms, 3] (nm),
 * with the system's constrained bond lengths held.
 * @throws Error naming the bead when a bead holds more than one atom (its constraint would not
 *   fix any atom), and as {@link zMatrix} does.
 */
export function moleculeRepresentation(top: Topology, spec: MapSpec, system: MolecularSystem, frames: Float64Array, mapName = 'map'): ZMatrixRepresentation {
  const resolved = resolveMap(spec, top, mapName);
  const placed = Array.from({ length: resolved.map.nBeads }, (_, b) => {
    const atoms = resolved.map.support(b);
    if (atoms.length !== 1) {
      throw new Error(`${mapName}: bead ${b} (${resolved.topology.atoms[b].name}) holds ${atoms.length} atoms; CCG back-maps maps whose beads are single atoms (backbone5, backbone6), whose positions fix those atoms exactly`);
    }
    return atoms[0];
  });
  const lengths = new Map<string, number>();
  const c = system.constraints;
  for (let k = 0; c && k < c.distances.length; k++) {
    const [i, j] = [c.pairs[2 * k], c.pairs[2 * k + 1]].sort((a, b) => a - b);
    lengths.set(`${i}-${j}`, c.distances[k]);
  }
  return fitZMatrix(top.atoms.length, placed, zMatrix(top, placed, lengths), bondedTuples(resolved.topology), frames);
}

/** Settings of the conditional flow of {@link backmappingFlow}. */
export interface BackmapFlowOptions {
  /** Affine coupling layers; default 6. */
  layers?: number;
  /** Conditioner hidden sizes; default [128, 128]. */
  hidden?: number[];
  seed?: number;
}

/** A conditional flow q(y | context) for `rep`: affine couplings between fixed random permutations. */
export function backmappingFlow(rep: ZMatrixRepresentation, o: BackmapFlowOptions = {}): Flow {
  const layers = o.layers ?? 6;
  if (!Number.isInteger(layers) || layers < 1) throw new Error(`backmappingFlow: layers is ${layers}, expected a positive integer`);
  return buildFlow({ dim: rep.fineDim, contextDim: rep.contextDim, couplings: Array.from({ length: layers }, () => 'affine' as const), hidden: o.hidden ?? [128, 128], permutation: 'random', rng: new Random(o.seed ?? 1) });
}

/**
 * `samples` back-mapped structures for each CG configuration of `s` [frames, cgDim] (nm), in
 * batches: [frames · samples, atoms, 3] nm, the samples of a frame together.
 * @throws Error when s is not a whole number of CG configurations of the representation.
 */
export function backmap(q: Flow, rep: ZMatrixRepresentation, s: ArrayLike<number>, samples: number, rng: Random, batch = 1024): Float64Array {
  const c = rep.cgDim;
  if (s.length === 0 || s.length % c !== 0) throw new Error(`backmap: CG coordinates have ${s.length} values, not [frames, ${c / 3} beads, 3] for this back-mapping`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`backmap: samples is ${samples}, expected a positive integer`);
  const rows = (s.length / c) * samples;
  const out = new Float64Array(rows * rep.fullDim);
  for (let r0 = 0; r0 < rows; r0 += batch) {
    const n = Math.min(batch, rows - r0);
    const sb = new Float32Array(n * c);
    for (let k = 0; k < n; k++) for (let j = 0; j < c; j++) sb[k * c + j] = s[Math.floor((r0 + k) / samples) * c + j];
    const eps = Float32Array.from({ length: n * rep.fineDim }, () => rng.normal());
    const x = tf.tidy(() => {
      const st = tf.tensor2d(sb, [n, c]);
      const { y } = q.sampleWithLogProb(conditionOf(rep, st), tf.tensor2d(eps, [n, rep.fineDim]));
      return rep.embed(st, y).x.dataSync();
    });
    out.set(x, r0 * rep.fullDim);
  }
  return out;
}

/** How back-mapped structures compare with the true ones they came from. Energies kJ/mol, lengths nm. */
export interface BackmapQuality {
  /** All-atom energies of the back-mapped structures and of the true ones: mean, sd and quantiles (5, 50, 95 %). */
  energy: { mean: number; sd: number; q05: number; q50: number; q95: number };
  referenceEnergy: { mean: number; sd: number; q05: number; q50: number; q95: number };
  /** Heavy atoms not fixed by beads: root-mean-square deviation from the true structure, mean over samples (NaN without paired truth). */
  heavyRmsd: number;
  /** Largest |mean bond length − the true structures' mean| over the bonds, and the largest ratio of spreads. */
  bondMeanError: number;
  bondSpreadRatio: number;
  /** Fraction of samples whose chiral centres (four neighbours, at most one hydrogen) have the true structure's handedness. */
  chirality: number;
  /** Closest pair of atoms three or more bonds apart over all samples, nm, and the fraction of samples with one closer than 0.1 nm. */
  closestPair: number;
  clashFraction: number;
  samples: number;
}

const summary = (v: Float64Array) => {
  const n = v.length;
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / n);
  const sorted = Float64Array.from(v).sort();
  const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * n))];
  return { mean, sd, q05: q(0.05), q50: q(0.5), q95: q(0.95) };
};

/**
 * Judge back-mapped structures `x` [rows, atoms, 3] with the system's force field: against the
 * true structures they were mapped from when `samples` is given (`truth` [rows / samples,
 * atoms, 3], the samples of a frame together), else against `truth` as a reference ensemble
 * (back-mapped CG-simulation frames have no true structure: no RMSD, and handedness compared
 * with the reference's first frame).
 */
export function backmapQuality(x: Float64Array, truth: Float64Array, top: Topology, system: MolecularSystem, placed: readonly number[], samples?: number): BackmapQuality {
  const n = top.atoms.length;
  const per = 3 * n;
  const rows = x.length / per;
  const frames = truth.length / per;
  const paired = samples !== undefined;
  if (paired && rows !== frames * samples) throw new Error(`backmapQuality: ${rows} structures are not ${samples} for each of ${frames} true ones`);
  const truthOf = (r: number) => (paired ? Math.floor(r / samples) * per : 0);
  const energies = (v: Float64Array, m: number) => {
    const e = new Float64Array(m);
    system.potential.evaluate(v, m, new Float64Array(v.length), e);
    return e;
  };
  const heavy = top.atoms.flatMap((a, i) => (a.element.toUpperCase() !== 'H' && !placed.includes(i) ? [i] : []));
  let rmsd = paired ? 0 : NaN;
  for (let r = 0; paired && r < rows; r++) {
    const t = truthOf(r);
    let s2 = 0;
    for (const i of heavy) for (let d = 0; d < 3; d++) s2 += (x[r * per + 3 * i + d] - truth[t + 3 * i + d]) ** 2;
    rmsd += heavy.length ? Math.sqrt(s2 / heavy.length) / rows : 0;
  }
  let bondMeanError = 0;
  let bondSpreadRatio = 0;
  for (const [i, j] of top.bonds) {
    const a = summary(Float64Array.from({ length: rows }, (_, r) => distance(x, i, j, r * per)));
    const b = summary(Float64Array.from({ length: frames }, (_, r) => distance(truth, i, j, r * per)));
    bondMeanError = Math.max(bondMeanError, Math.abs(a.mean - b.mean));
    if (b.sd > 1e-6) bondSpreadRatio = Math.max(bondSpreadRatio, a.sd / b.sd);
  }
  const nb = Array.from({ length: n }, () => [] as number[]);
  for (const [i, j] of top.bonds) {
    nb[i].push(j);
    nb[j].push(i);
  }
  const centres = nb.flatMap((list, i) => (list.length === 4 && list.filter((a) => top.atoms[a].element.toUpperCase() === 'H').length <= 1 ? [[i, ...list] as [number, number, number, number, number]] : []));
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    const t = truthOf(r);
    if (centres.every(([c, a, b, d]) => Math.sign(chiralVolume(x, c, a, b, d, r * per)) === Math.sign(chiralVolume(truth, c, a, b, d, t)))) kept++;
  }
  const near = new Set<string>();
  for (let i = 0; i < n; i++) {
    near.add(`${i}-${i}`);
    for (const j of nb[i]) {
      near.add(`${i}-${j}`);
      for (const k of nb[j]) near.add(`${i}-${k}`);
    }
  }
  const far: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (!near.has(`${i}-${j}`)) far.push([i, j]);
  let closestPair = Infinity;
  let clashes = 0;
  for (let r = 0; r < rows; r++) {
    let m = Infinity;
    for (const [i, j] of far) m = Math.min(m, distance(x, i, j, r * per));
    closestPair = Math.min(closestPair, m);
    if (m < 0.1) clashes++;
  }
  return {
    energy: summary(energies(x, rows)),
    referenceEnergy: summary(energies(truth, frames)),
    heavyRmsd: rmsd,
    bondMeanError,
    bondSpreadRatio,
    chirality: kept / rows,
    closestPair,
    clashFraction: clashes / rows,
    samples: rows,
  };
}
