/**
 * Linear maps between particle sets, after aggforce's `LinearMap`: a matrix acting on
 * particle indices, identically on x, y and z. The configurational map M [N beads × n atoms]
 * gives bead positions R = M x; a force map G of the same shape gives bead forces G f (see
 * forceMap.ts). Maps compose and transpose, and apply to flat typed arrays and to tfjs tensors.
 *
 * A configurational map's rows sum to 1, so beads move with the molecule under translation;
 * the constructors here check it, and `assertPositionMap` checks any map.
 */
import * as tf from '@tensorflow/tfjs-core';
import { select, type Selection, type Topology } from '../topology/topology.js';

/** Flat coordinates or forces, [frames, particles, 3] (or one frame, [particles, 3]). */
export type Coordinates = Float32Array | Float64Array;

/** Tolerance on row sums of a configurational map (the weights are float64 ratios of masses). */
const ROW_SUM_TOLERANCE = 1e-9;

/** A matrix [nRows × nCols] acting on particle indices; every entry finite. Immutable. */
export class LinearMap {
  /** [nRows, nCols] row-major weights (a private copy; do not modify). */
  readonly matrix: Float64Array;

  /**
   * @param matrix [nRows, nCols] row-major weights (copied).
   * @throws Error when the length is not nRows·nCols or an entry is not finite.
   */
  constructor(matrix: ArrayLike<number>, readonly nRows: number, readonly nCols: number) {
    for (const [what, v] of [['rows', nRows], ['columns', nCols]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`LinearMap: the number of ${what} must be a positive integer, got ${v}`);
    }
    if (matrix.length !== nRows * nCols) {
      throw new Error(`LinearMap: matrix has ${matrix.length} entries, expected ${nRows} × ${nCols} = ${nRows * nCols}`);
    }
    this.matrix = Float64Array.from(matrix);
    const bad = this.matrix.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new Error(`LinearMap: entry [${Math.floor(bad / nCols)}, ${bad % nCols}] is ${this.matrix[bad]}, expected a finite number`);
    }
  }

  /** A map from its rows, e.g. `[[0.5, 0.5, 0], [0, 0, 1]]` (2 beads from 3 atoms). */
  static fromRows(rows: ReadonlyArray<ArrayLike<number>>): LinearMap {
    if (rows.length === 0) throw new Error('LinearMap.fromRows: expected at least one row, got none');
    const nCols = rows[0].length;
    rows.forEach((r, i) => {
      if (r.length !== nCols) throw new Error(`LinearMap.fromRows: row ${i} has ${r.length} entries, row 0 has ${nCols}: rows must have equal length`);
    });
    const m = new Float64Array(rows.length * nCols);
    rows.forEach((r, i) => m.set(Array.from(r), i * nCols));
    return new LinearMap(m, rows.length, nCols);
  }

  /** Beads (rows) of a configurational or force map. */
  get nBeads(): number {
    return this.nRows;
  }

  /** Atoms (columns) of a configurational or force map. */
  get nAtoms(): number {
    return this.nCols;
  }

  /** Entry [i, j]. */
  at(i: number, j: number): number {
    return this.matrix[i * this.nCols + j];
  }

  /** Row i as a copy, [nCols]. */
  row(i: number): Float64Array {
    return this.matrix.slice(i * this.nCols, (i + 1) * this.nCols);
  }

  /** Column indices with a non-zero weight in row i, ascending: the atoms bead i reads. */
  support(i: number): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.nCols; j++) if (this.matrix[i * this.nCols + j] !== 0) out.push(j);
    return out;
  }

  /** Columns (atoms) no row reads, ascending. */
  uncovered(): number[] {
    const out: number[] = [];
    for (let j = 0; j < this.nCols; j++) {
      let used = false;
      for (let i = 0; i < this.nRows && !used; i++) used = this.matrix[i * this.nCols + j] !== 0;
      if (!used) out.push(j);
    }
    return out;
  }

  /** Sum of each row, [nRows]. */
  rowSums(): Float64Array {
    const s = new Float64Array(this.nRows);
    for (let i = 0; i < this.nRows; i++) for (let j = 0; j < this.nCols; j++) s[i] += this.matrix[i * this.nCols + j];
    return s;
  }

  /**
   * The map `this ∘ inner`: apply `inner` first, then this one (matrix product this · inner),
   * e.g. atoms → beads → coarser beads.
   * @throws Error when inner's rows do not match this map's columns.
   */
  compose(inner: LinearMap): LinearMap {
    if (inner.nRows !== this.nCols) {
      throw new Error(`LinearMap.compose: this map reads ${this.nCols} particles but the inner map produces ${inner.nRows}: compose maps whose sizes chain`);
    }
    const out = new Float64Array(this.nRows * inner.nCols);
    for (let i = 0; i < this.nRows; i++) {
      for (let k = 0; k < this.nCols; k++) {
        const a = this.matrix[i * this.nCols + k];
        if (a === 0) continue;
        for (let j = 0; j < inner.nCols; j++) out[i * inner.nCols + j] += a * inner.matrix[k * inner.nCols + j];
      }
    }
    return new LinearMap(out, this.nRows, inner.nCols);
  }

  /** The transpose [nCols × nRows] (e.g. Mᵀ, which spreads bead quantities back onto atoms). */
  transpose(): LinearMap {
    const t = new Float64Array(this.matrix.length);
    for (let i = 0; i < this.nRows; i++) for (let j = 0; j < this.nCols; j++) t[j * this.nRows + i] = this.matrix[i * this.nCols + j];
    return new LinearMap(t, this.nCols, this.nRows);
  }

  /**
   * Apply to positions or forces of every frame: y_f = W x_f, identically on x, y, z.
   * Accumulates in float64 and returns the input's precision.
   * @param x [frames, nCols, 3] flat (one frame is [nCols, 3]), any unit.
   * @returns [frames, nRows, 3] flat, same unit and array type.
   * @throws Error when x's length is not a whole number of frames of nCols particles.
   */
  apply<T extends Coordinates>(x: T): T {
    const per = this.nCols * 3;
    if (x.length === 0 || x.length % per !== 0) {
      throw new Error(
        `LinearMap.apply: expected [frames, ${this.nCols}, 3] values (a multiple of ${per}), got ${x.length}: ` +
          `this map is for ${this.nCols} particles; build it for the data's atom count`,
      );
    }
    const frames = x.length / per;
    const out = (x instanceof Float32Array ? new Float32Array(frames * this.nRows * 3) : new Float64Array(frames * this.nRows * 3)) as T;
    const { nRows, nCols, matrix } = this;
    for (let f = 0; f < frames; f++) {
      const xo = f * per;
      for (let i = 0; i < nRows; i++) {
        let sx = 0;
        let sy = 0;
        let sz = 0;
        for (let j = 0; j < nCols; j++) {
          const w = matrix[i * nCols + j];
          if (w === 0) continue;
          sx += w * x[xo + 3 * j];
          sy += w * x[xo + 3 * j + 1];
          sz += w * x[xo + 3 * j + 2];
        }
        const o = (f * nRows + i) * 3;
        out[o] = sx;
        out[o + 1] = sy;
        out[o + 2] = sz;
      }
    }
    return out;
  }

  /**
   * Apply to a tensor (differentiable: one matrix product with the constant float32 matrix).
   * @param x [batch, nCols, 3] or [nCols, 3].
   * @returns [batch, nRows, 3] or [nRows, 3].
   */
  applyTensor<T extends tf.Tensor>(x: T): T {
    if (x.rank < 2 || x.rank > 3 || x.shape[x.rank - 2] !== this.nCols || x.shape[x.rank - 1] !== 3) {
      throw new Error(`LinearMap.applyTensor: expected a tensor of shape [batch, ${this.nCols}, 3] or [${this.nCols}, 3], got [${x.shape}]`);
    }
    return tf.tidy(() => tf.matMul(tf.tensor2d(Float32Array.from(this.matrix), [this.nRows, this.nCols]), x)) as T;
  }

  /** The weights as nested arrays, [nRows][nCols] (for JSON and display). */
  toRows(): number[][] {
    return Array.from({ length: this.nRows }, (_, i) => Array.from(this.row(i)));
  }
}

/**
 * Check that `map` is a configurational map: every row sums to 1 (so beads translate with the
 * atoms) and, when `requireAll`, every atom is read by some bead.
 * @param where names the map in messages.
 * @throws Error naming the first offending row (its sum) or the uncovered atoms.
 */
export function assertPositionMap(map: LinearMap, where = 'map', requireAll = false): void {
  map.rowSums().forEach((s, i) => {
    if (Math.abs(s - 1) > ROW_SUM_TOLERANCE) {
      throw new Error(`${where}: bead ${i}'s weights sum to ${s}, expected 1: a configurational map's rows must sum to 1 (normalise the row)`);
    }
  });
  if (requireAll) {
    const missing = map.uncovered();
    if (missing.length) {
      throw new Error(`${where}: atoms ${missing.join(', ')} belong to no bead, but this map must cover every atom: add them to a group`);
    }
  }
}

/** A configurational map from its rows, checked (rows sum to 1). */
export function positionMap(rows: ReadonlyArray<ArrayLike<number>>): LinearMap {
  const m = LinearMap.fromRows(rows);
  assertPositionMap(m, 'positionMap');
  return m;
}

function checkIndex(i: number, nAtoms: number, where: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= nAtoms) throw new Error(`${where}: atom index ${i} does not exist; expected an integer in 0..${nAtoms - 1}`);
}

/**
 * The selection map: bead k sits on atom `indices[k]` (e.g. Cα atoms).
 * @param nAtoms atoms of the all-atom system.
 * @param indices [beads] distinct atom indices, in bead order.
 */
export function selectionMap(nAtoms: number, indices: readonly number[]): LinearMap {
  if (indices.length === 0) throw new Error('selectionMap: expected at least one atom index, got none');
  const seen = new Set<number>();
  const m = new Float64Array(indices.length * nAtoms);
  indices.forEach((a, k) => {
    checkIndex(a, nAtoms, 'selectionMap');
    if (seen.has(a)) throw new Error(`selectionMap: atom ${a} is selected twice (beads ${indices.indexOf(a)} and ${k}); each bead needs its own atom`);
    seen.add(a);
    m[k * nAtoms + a] = 1;
  });
  return new LinearMap(m, indices.length, nAtoms);
}

/**
 * The selection map of the atoms matching `sel`, in topology order, e.g.
 * `selectAtomsMap(top, { name: ['N', 'CA', 'C'] })` for the backbone or `{ name: 'CA' }`.
 * @throws Error when nothing matches.
 */
export function selectAtomsMap(top: Topology, sel: Selection): LinearMap {
  return selectionMap(top.atoms.length, select(top, sel));
}

/** How a group's atoms are weighted: by mass (centre of mass) or equally (centre of geometry). */
export type GroupWeighting = 'mass' | 'geometry';

/** Options of {@link groupMap}. */
export interface GroupMapOptions {
  /** Default 'mass'. */
  weighting?: GroupWeighting;
  /** [atoms] masses, amu; required for 'mass' unless given by the topology-based constructors. */
  masses?: ArrayLike<number>;
  /** Fail when an atom belongs to no group (the map must cover the whole molecule). Default false. */
  requireAll?: boolean;
}

/**
 * One bead per group at the group's centre of mass (or geometry).
 * @param nAtoms atoms of the all-atom system.
 * @param groups [beads][atoms of the bead], atom indices; groups may not be empty.
 */
export function groupMap(nAtoms: number, groups: ReadonlyArray<readonly number[]>, opts: GroupMapOptions = {}): LinearMap {
  const weighting = opts.weighting ?? 'mass';
  if (groups.length === 0) throw new Error('groupMap: expected at least one group, got none');
  if (weighting === 'mass') {
    if (!opts.masses) throw new Error("groupMap: centre-of-mass weighting needs masses: pass opts.masses ([atoms], amu) or weighting: 'geometry'");
    if (opts.masses.length !== nAtoms) throw new Error(`groupMap: masses has ${opts.masses.length} entries, expected one per atom (${nAtoms})`);
  }
  const m = new Float64Array(groups.length * nAtoms);
  groups.forEach((g, k) => {
    if (g.length === 0) throw new Error(`groupMap: group ${k} is empty; every bead needs at least one atom`);
    if (new Set(g).size !== g.length) throw new Error(`groupMap: group ${k} lists an atom twice (${g.join(', ')})`);
    let total = 0;
    for (const a of g) {
      checkIndex(a, nAtoms, `groupMap: group ${k}`);
      const w = weighting === 'mass' ? (opts.masses as ArrayLike<number>)[a] : 1;
      if (!(w > 0)) throw new Error(`groupMap: atom ${a} of group ${k} has mass ${w}, expected > 0 amu`);
      m[k * nAtoms + a] = w;
      total += w;
    }
    for (const a of g) m[k * nAtoms + a] /= total;
  });
  const map = new LinearMap(m, groups.length, nAtoms);
  assertPositionMap(map, 'groupMap', opts.requireAll ?? false);
  return map;
}

/** Centre-of-mass map of `groups` with the topology's masses. */
export function centerOfMassMap(top: Topology, groups: ReadonlyArray<readonly number[]>, opts: { requireAll?: boolean } = {}): LinearMap {
  return groupMap(top.atoms.length, groups, { ...opts, weighting: 'mass', masses: top.atoms.map((a) => a.mass) });
}

/** Centre-of-geometry map of `groups`. */
export function centerOfGeometryMap(nAtoms: number, groups: ReadonlyArray<readonly number[]>, opts: { requireAll?: boolean } = {}): LinearMap {
  return groupMap(nAtoms, groups, { ...opts, weighting: 'geometry' });
}

/** An atom outside its bead's residue (a bead that spans residues). */
export interface AtomRef {
  /** Atom name, e.g. 'N'. */
  name: string;
  /** Residue name, e.g. 'ALA'. */
  residue: string;
  /** Residue number, needed when the residue name occurs more than once. */
  resid?: number;
}

/** One bead of a residue-and-atom dictionary. */
export interface BeadSpec {
  /** Residue name, e.g. 'ALA'. */
  residue: string;
  /**
   * The bead's atoms: names in that residue, e.g. ['CA'] or ['CB', 'HB1', 'HB2', 'HB3'], or
   * {name, residue, resid} for an atom of another residue.
   */
  atoms: readonly (string | AtomRef)[];
  /** Residue number, needed when the residue name occurs more than once. */
  resid?: number;
}

/** The atoms of residue `residue` (number `resid` when given), or an error naming what exists. */
function residueAtoms(top: Topology, residue: string, resid: number | undefined, where: string, of = ''): number[] {
  const inResidue = top.atoms.flatMap((a, i) => (a.residue === residue && (resid === undefined || a.resid === resid) ? [i] : []));
  if (inResidue.length === 0) {
    const names = [...new Set(top.atoms.map((a) => `${a.residue} ${a.resid}`))].join(', ');
    throw new Error(`${where}: no such residue${of}; the topology has ${names}`);
  }
  const resids = [...new Set(inResidue.map((i) => top.atoms[i].resid))];
  if (resids.length > 1) throw new Error(`${where}: ${residue} occurs as residues ${resids.join(', ')}: give resid to choose one`);
  return inResidue;
}

/**
 * The atom indices of each bead of a residue-and-atom dictionary.
 * @throws Error for a residue that does not exist or is ambiguous without `resid`, or an atom
 *   name the residue lacks (listing the names it has).
 */
export function beadAtomIndices(top: Topology, beads: readonly BeadSpec[]): number[][] {
  return beads.map((b, k) => {
    const where = `residueAtomMap: bead ${k} (${b.residue}${b.resid === undefined ? '' : ` ${b.resid}`})`;
    const own = residueAtoms(top, b.residue, b.resid, where);
    if (b.atoms.length === 0) throw new Error(`${where}: the atom list is empty; name the bead's atoms`);
    return b.atoms.map((ref) => {
      const [name, atoms] = typeof ref === 'string' ? [ref, own] : [ref.name, residueAtoms(top, ref.residue, ref.resid, where, ` ${ref.residue}${ref.resid === undefined ? '' : ` ${ref.resid}`} (of atom ${ref.name})`)];
      const i = atoms.find((a) => top.atoms[a].name === name);
      const other = typeof ref === 'string' ? '' : ` in ${ref.residue}${ref.resid === undefined ? '' : ` ${ref.resid}`}`;
      if (i === undefined) throw new Error(`${where}: no atom '${name}'${other}; the residue has ${atoms.map((a) => top.atoms[a].name).join(', ')}`);
      return i;
    });
  });
}

/**
 * A map from a residue-and-atom dictionary, one entry per bead in bead order, e.g. the 5-bead
 * backbone of alanine dipeptide:
 * `[{residue:'ACE', atoms:['C']}, {residue:'ALA', atoms:['N']}, {residue:'ALA', atoms:['CA']},
 *   {residue:'ALA', atoms:['C']}, {residue:'NME', atoms:['N']}]`.
 * Single-atom beads are selections; larger ones sit at the centre of mass (or geometry).
 * @throws Error as {@link beadAtomIndices}.
 */
export function residueAtomMap(
  top: Topology,
  beads: readonly BeadSpec[],
  opts: { weighting?: GroupWeighting; requireAll?: boolean } = {},
): LinearMap {
  return groupMap(top.atoms.length, beadAtomIndices(top, beads), {
    weighting: opts.weighting ?? 'mass',
    masses: top.atoms.map((a) => a.mass),
    requireAll: opts.requireAll ?? false,
  });
}
