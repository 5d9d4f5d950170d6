/**
 * Force maps: the bead forces f_CG = G f that force matching fits, with G [N beads × n atoms] a
 * LinearMap acting identically on x, y, z.
 *
 * Consistency. For the mapped forces to estimate the mean force −∇_R PMF(R) of the configura-
 * tional map M, G must satisfy G Mᵀ = I (each bead's force map reads its own bead's
 * coordinates with total weight 1 and the other beads' with weight 0), and G must not see the
 * forces that hold constrained atoms together: the data hold −∂U/∂x without the constraint
 * forces, and a map that weights two constrained atoms differently leaves the (missing)
 * constraint force of that pair in its estimate. Giving every atom of a constrained group (a
 * heavy atom and its hydrogens under H-bond constraints) the same weight in every bead cancels
 * those forces exactly, since they are equal and opposite within the group.
 *
 * Three maps: `basicForceMap` (selection beads pick their atom's force, group beads sum their
 * atoms' forces, each extended to whole constrained groups), `optimalForceMap` (the consistent
 * map with the least mapped-force noise on given data) and any LinearMap the user builds, which
 * `assertConsistent` checks.
 */
import type { Topology } from '../topology/topology.js';
import { solveSpd } from './linalg.js';
import { assertPositionMap, LinearMap, type Coordinates } from './linearMap.js';

/** Pairs of atom indices, e.g. constrained bonds. */
export type AtomPairs = ReadonlyArray<readonly [number, number]>;

/** Options shared by the force-map constructors. */
export interface ForceMapOptions {
  /**
   * Atom pairs held at fixed distance in the all-atom simulation (e.g. `hydrogenBondPairs(top)`
   * for H-bond constraints). Atoms joined by constraints, directly or through others, get equal
   * weights in every bead. Default: none.
   */
  constraints?: AtomPairs;
}

/** The bonds of `top` that involve a hydrogen: the pairs H-bond constraints fix. */
export function hydrogenBondPairs(top: Topology): [number, number][] {
  const isH = (i: number) => top.atoms[i].element.toUpperCase() === 'H';
  return top.bonds.filter(([i, j]) => isH(i) || isH(j)).map(([i, j]) => [i, j]);
}

/**
 * Atoms grouped by constraints (connected components of the constraint graph): every atom is
 * in exactly one group, unconstrained atoms alone. Groups are ordered by their lowest atom.
 * @returns [groups][atoms of the group], ascending.
 */
export function constrainedGroups(nAtoms: number, constraints: AtomPairs = []): number[][] {
  const parent = Int32Array.from({ length: nAtoms }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  constraints.forEach(([i, j], k) => {
    for (const a of [i, j]) {
      if (!Number.isInteger(a) || a < 0 || a >= nAtoms) {
        throw new Error(`constraint ${k} (${i}, ${j}) names atom ${a}, which does not exist among ${nAtoms} atoms`);
      }
    }
    const [ri, rj] = [root(i), root(j)];
    if (ri !== rj) parent[Math.max(ri, rj)] = Math.min(ri, rj);
  });
  const groups = new Map<number, number[]>();
  for (let i = 0; i < nAtoms; i++) {
    const r = root(i);
    const g = groups.get(r);
    if (g) g.push(i);
    else groups.set(r, [i]);
  }
  return [...groups.values()];
}

/**
 * The summing force map of a map whose beads do not share atoms: bead I's force is the sum of
 * the forces on the atoms it reads, plus those constrained to them. For a selection map (Cα
 * beads) that is the selected atom's force — plus its hydrogens' under H-bond constraints; for
 * a centre-of-mass map, the group's total force. Consistent: G Mᵀ = I.
 * @param map configurational map (rows sum to 1).
 * @throws Error when two beads read the same atom, directly or through a constraint group
 *   (no summing map is consistent then: use `optimalForceMap`).
 */
export function basicForceMap(map: LinearMap, opts: ForceMapOptions = {}): LinearMap {
  assertPositionMap(map, 'basicForceMap');
  const { nBeads, nAtoms } = map;
  const groupOf = new Int32Array(nAtoms);
  const groups = constrainedGroups(nAtoms, opts.constraints);
  groups.forEach((g, k) => g.forEach((a) => (groupOf[a] = k)));
  const owner = new Int32Array(nAtoms).fill(-1);
  const g = new Float64Array(nBeads * nAtoms);
  for (let b = 0; b < nBeads; b++) {
    for (const a of map.support(b)) {
      for (const c of groups[groupOf[a]]) {
        if (owner[c] === b) continue;
        if (owner[c] >= 0) {
          const via = c === a ? '' : ` (constrained to atom ${a})`;
          throw new Error(
            `basicForceMap: atom ${c}${via} belongs to beads ${owner[c]} and ${b}; summing forces needs beads with disjoint atoms ` +
              'and constraint groups: use optimalForceMap for overlapping beads',
          );
        }
        owner[c] = b;
        g[b * nAtoms + c] = 1;
      }
    }
  }
  return new LinearMap(g, nBeads, nAtoms);
}

/** Options of {@link optimalForceMap}. */
export interface OptimalForceMapOptions extends ForceMapOptions {
  /**
   * [beads][atoms] the atoms whose forces may enter each bead (a locality restriction); a
   * constrained group enters only when all its atoms are allowed. Default: every atom.
   */
  allowed?: ReadonlyArray<readonly number[]>;
  /**
   * Ridge term λ·(mean diagonal of C) added to the force covariance C, relative: keeps the
   * solve well posed when some weight directions carry no force variance in the data (fewer
   * frames than atoms, exactly cancelling forces). Default 1e-6, far below the noise it removes.
   */
  regularization?: number;
}

/**
 * The force covariance A = Pᵀ C P that {@link optimalForceMap} solves with (C_ij = ⟨f_i·f_j⟩
 * over frames and x, y, z; P sums the atoms of each constraint group), accumulated block by block
 * in float64, so that a map can be fitted to more frames than memory holds.
 */
export class ForceCovariance {
  /** Atoms that share a weight (constraint groups), singletons for the rest. */
  readonly groups: number[][];
  /** Frames added so far. */
  frames = 0;
  private readonly sum: Float64Array;
  private readonly fg: Float64Array;

  /** @param constraints the pairs whose atoms share a weight (as {@link ForceMapOptions}). */
  constructor(readonly nAtoms: number, constraints?: ForceMapOptions['constraints']) {
    this.groups = constrainedGroups(nAtoms, constraints);
    this.sum = new Float64Array(this.groups.length ** 2);
    this.fg = new Float64Array(this.groups.length);
  }

  /**
   * Add frames of forces [frames, atoms, 3] (kJ/mol/nm).
   * @throws Error when the length is not a whole number of frames of this many atoms.
   */
  add(forces: Coordinates): this {
    const per = this.nAtoms * 3;
    if (forces.length === 0 || forces.length % per !== 0) {
      throw new Error(`optimalForceMap: forces have ${forces.length} values, expected [frames, ${this.nAtoms}, 3] for this map's ${this.nAtoms} atoms`);
    }
    const { groups, fg, sum } = this;
    const n = groups.length;
    const frames = forces.length / per;
    for (let t = 0; t < frames; t++) {
      for (let d = 0; d < 3; d++) {
        groups.forEach((g, k) => {
          let s = 0;
          for (const i of g) s += forces[t * per + 3 * i + d];
          fg[k] = s;
        });
        for (let k = 0; k < n; k++) for (let l = 0; l <= k; l++) sum[k * n + l] += fg[k] * fg[l];
      }
    }
    this.frames += frames;
    return this;
  }

  /** A, [groups × groups] (kJ/mol/nm)², a new array. */
  matrix(): Float64Array {
    const n = this.groups.length;
    const a = new Float64Array(n * n);
    for (let k = 0; k < n; k++) {
      for (let l = 0; l <= k; l++) a[l * n + k] = a[k * n + l] = this.sum[k * n + l] / (3 * this.frames);
    }
    return a;
  }
}

/**
 * The consistent force map with the least mapped-force noise on `forces` (after aggforce's
 * optimised maps, derived here as a constrained least-squares problem).
 *
 * With per-atom weights shared by x, y and z, bead I's mapped force is Σ_i g_i f_i. Over frames
 * t and components d its mean square is gᵀ C g with C_ij = ⟨f_i·f_j⟩ (n × n, averaged over t
 * and d). For every consistent G, E[G f | R] is the same mean force, so ⟨|G f|²⟩ = noise +
 * a G-independent term: minimising gᵀ C g minimises the noise (and the variance, since the mean
 * mapped force is also G-independent). Constraint groups enter through P [n × K], P_ia = 1 for
 * atom i in group a, and g = P h; consistency is M P h = e_I. Lagrange multipliers λ (one per
 * bead row of M) give, with A = Pᵀ C P and B = M P restricted to the allowed groups,
 *   2 A h = Bᵀ λ,  B h = e_I  ⇒  h = A⁻¹ Bᵀ (B A⁻¹ Bᵀ)⁻¹ e_I.
 * Rows of B that are zero on the allowed groups are dropped: their constraint (weight 0 on a
 * bead the map cannot see) holds for any h.
 * @param map configurational map M (rows sum to 1).
 * @param forces [frames, atoms, 3] atomistic forces −∂U/∂x (kJ/mol/nm), without constraint
 *   forces; at least enough frames that 3·frames ≥ the number of weights per bead; or their
 *   {@link ForceCovariance} (whose constraint groups then apply, not `opts.constraints`).
 * @returns G [beads × atoms] with G Mᵀ = I and equal weights within constraint groups.
 * @throws Error for too few frames, a bead none of whose atoms is allowed, or beads that the
 *   allowed atoms cannot tell apart (linearly dependent rows of M there).
 */
export function optimalForceMap(map: LinearMap, forces: Coordinates | ForceCovariance, opts: OptimalForceMapOptions = {}): LinearMap {
  assertPositionMap(map, 'optimalForceMap');
  const { nBeads, nAtoms } = map;
  const cov = forces instanceof ForceCovariance ? forces : new ForceCovariance(nAtoms, opts.constraints).add(forces);
  if (cov.nAtoms !== nAtoms) throw new Error(`optimalForceMap: the force covariance is of ${cov.nAtoms} atoms, but the map has ${nAtoms}`);
  const { groups, frames } = cov;
  const nGroups = groups.length;
  if (3 * frames < nGroups) {
    throw new Error(`optimalForceMap: ${frames} frames give ${3 * frames} force samples per atom, fewer than the ${nGroups} weights of a bead: give at least ${Math.ceil(nGroups / 3)} frames (many more for a map that generalises)`);
  }
  if (opts.allowed && opts.allowed.length !== nBeads) {
    throw new Error(`optimalForceMap: allowed lists atoms for ${opts.allowed.length} beads, but the map has ${nBeads}`);
  }
  const a = cov.matrix();
  let meanDiag = 0;
  for (let k = 0; k < nGroups; k++) meanDiag += a[k * nGroups + k] / nGroups;
  const ridge = (opts.regularization ?? 1e-6) * meanDiag;
  for (let k = 0; k < nGroups; k++) a[k * nGroups + k] += ridge;
  // B = M P.
  const b = new Float64Array(nBeads * nGroups);
  groups.forEach((g, k) => {
    for (let r = 0; r < nBeads; r++) for (const i of g) b[r * nGroups + k] += map.at(r, i);
  });

  const out = new Float64Array(nBeads * nAtoms);
  for (let bead = 0; bead < nBeads; bead++) {
    const allowedAtoms = opts.allowed ? new Set(opts.allowed[bead]) : undefined;
    const q = groups.flatMap((g, k) => (!allowedAtoms || g.every((i) => allowedAtoms.has(i)) ? [k] : []));
    const rows = [...Array(nBeads).keys()].filter((r) => q.some((k) => b[r * nGroups + k] !== 0));
    if (!rows.includes(bead)) {
      throw new Error(`optimalForceMap: none of bead ${bead}'s atoms (${map.support(bead).join(', ')}) is allowed together with the atoms constrained to it: add them to opts.allowed[${bead}]`);
    }
    const nq = q.length;
    const nr = rows.length;
    const aq = new Float64Array(nq * nq);
    for (let k = 0; k < nq; k++) for (let l = 0; l < nq; l++) aq[k * nq + l] = a[q[k] * nGroups + q[l]];
    const bt = new Float64Array(nq * nr);
    for (let k = 0; k < nq; k++) for (let r = 0; r < nr; r++) bt[k * nr + r] = b[rows[r] * nGroups + q[k]];
    const x = solveSpd(aq, nq, bt, nr); // A⁻¹ Bᵀ, [nq, nr]
    if (!x) throw new Error(`optimalForceMap: the force covariance of bead ${bead}'s atoms is singular; raise opts.regularization`);
    const s = new Float64Array(nr * nr); // B A⁻¹ Bᵀ
    for (let r = 0; r < nr; r++) for (let c = 0; c < nr; c++) for (let k = 0; k < nq; k++) s[r * nr + c] += bt[k * nr + r] * x[k * nr + c];
    const e = new Float64Array(nr);
    e[rows.indexOf(bead)] = 1;
    const y = solveSpd(s, nr, e, 1);
    if (!y) {
      throw new Error(`optimalForceMap: beads ${rows.join(', ')} cannot be told apart through the atoms allowed for bead ${bead}: their rows of the map are linearly dependent there; allow more atoms`);
    }
    for (let k = 0; k < nq; k++) {
      let h = 0;
      for (let r = 0; r < nr; r++) h += x[k * nr + r] * y[r];
      for (const i of groups[q[k]]) out[bead * nAtoms + i] = h;
    }
  }
  return new LinearMap(out, nBeads, nAtoms);
}

/** The largest |G Mᵀ − I| entry: 0 for a consistent force map (up to rounding). */
export function consistencyError(forceMap: LinearMap, map: LinearMap): number {
  if (forceMap.nBeads !== map.nBeads || forceMap.nAtoms !== map.nAtoms) {
    throw new Error(`force map is ${forceMap.nBeads} × ${forceMap.nAtoms} but the configurational map is ${map.nBeads} × ${map.nAtoms}: they must have the same shape`);
  }
  const gmt = forceMap.compose(map.transpose());
  let worst = 0;
  for (let i = 0; i < map.nBeads; i++) for (let j = 0; j < map.nBeads; j++) worst = Math.max(worst, Math.abs(gmt.at(i, j) - (i === j ? 1 : 0)));
  return worst;
}

/**
 * Check that G is consistent with M: G Mᵀ = I within `tolerance`, and, when constraints are
 * given, equal weights within each constrained group.
 * @throws Error saying which condition fails and by how much.
 */
export function assertConsistent(forceMap: LinearMap, map: LinearMap, opts: ForceMapOptions & { tolerance?: number } = {}): void {
  const tol = opts.tolerance ?? 1e-8;
  const err = consistencyError(forceMap, map);
  if (!(err <= tol)) throw new Error(`force map is not consistent with the configurational map: max |G Mᵀ − I| = ${err} > ${tol}`);
  for (const g of constrainedGroups(map.nAtoms, opts.constraints)) {
    for (let b = 0; b < forceMap.nBeads; b++) {
      const w = g.map((i) => forceMap.at(b, i));
      if (w.some((v) => Math.abs(v - w[0]) > tol)) {
        throw new Error(`force map weights bead ${b}'s constrained atoms ${g.join(', ')} unequally (${w.join(', ')}): constraint forces would leak into the mapped forces`);
      }
    }
  }
}

/**
 * Mapped forces f_CG = G f of every frame.
 * @param forceMap G [beads × atoms].
 * @param forces [frames, atoms, 3] kJ/mol/nm.
 * @returns [frames, beads, 3] kJ/mol/nm, same array type.
 */
export function projectForces<T extends Coordinates>(forceMap: LinearMap, forces: T): T {
  if (forces.length % (3 * forceMap.nAtoms) !== 0) {
    throw new Error(`projectForces: forces have ${forces.length} values, expected [frames, ${forceMap.nAtoms}, 3] for a force map of ${forceMap.nAtoms} atoms`);
  }
  return forceMap.apply(forces);
}

/**
 * Noise measure of a force map on data: the variance over frames of each mapped force
 * component, averaged over beads and x, y, z.
 * @param forces [frames, atoms, 3] kJ/mol/nm.
 * @returns (kJ/mol/nm)².
 */
export function mappedForceVariance(forceMap: LinearMap, forces: Coordinates): number {
  const f = projectForces(forceMap, Float64Array.from(forces));
  const per = 3 * forceMap.nBeads;
  const frames = f.length / per;
  if (frames < 2) throw new Error(`mappedForceVariance: a variance needs at least 2 frames, got ${frames}`);
  let total = 0;
  for (let c = 0; c < per; c++) {
    let mean = 0;
    for (let t = 0; t < frames; t++) mean += f[t * per + c] / frames;
    let v = 0;
    for (let t = 0; t < frames; t++) v += (f[t * per + c] - mean) ** 2;
    total += v / (frames - 1);
  }
  return total / per;
}

/**
 * Forces left for a network after the priors: f_CG − F_prior, elementwise.
 * @param mapped [frames, beads, 3] mapped forces, kJ/mol/nm.
 * @param prior [frames, beads, 3] prior forces at the same frames, kJ/mol/nm.
 * @returns [frames, beads, 3], the array type of `mapped`.
 */
export function deltaForces<T extends Coordinates>(mapped: T, prior: Coordinates): T {
  if (mapped.length !== prior.length) {
    throw new Error(`deltaForces: mapped forces have ${mapped.length} values but prior forces ${prior.length}: both must be [frames, beads, 3] of the same frames and beads`);
  }
  const out = mapped.slice() as T;
  for (let i = 0; i < out.length; i++) out[i] -= prior[i];
  return out;
}
