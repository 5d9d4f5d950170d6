/**
 * A molecule's back-mapping coordinates in which the CG constraint holds exactly: the atoms that
 * are beads (single-atom beads, as the backbone maps of alanine dipeptide have) are placed at
 * the CG coordinates s, and every other atom by internal coordinates relative to atoms already
 * placed — a bond length r to atom j, an angle θ with j–k, a dihedral φ about j–k from l (a
 * Z-matrix, built by NeRF placement). These are invariant under rigid motions of s, so the
 * density only has to learn the conditional distribution of the molecule's shape.
 *
 * Free variables and their unbounded forms. Bonds that the force field constrains (X–H) keep
 * their constraint length and are not generated, as in the reference dynamics; other bonds are
 * w = ln r. Angles are v = logit(θ/π) ∈ ℝ. Dihedrals are t = atanh((φ − c)/π) ∈ ℝ, a density on
 * the circle cut at c ± π, with the cut c + π put where the reference frames are fewest (so a
 * methyl rotor's three wells are all inside); the dihedral of an atom that shares its bond and
 * angle atoms with an earlier one (the hydrogens of a methyl, the O and CH3 of an acetyl) is
 * generated as an offset from that atom's, which is narrow where the absolute one is not. Each
 * is standardised by its mean and spread over the reference frames, so that a density near
 * N(0, I) starts near the data.
 *
 * The Jacobian. With x the generated atoms' Cartesian coordinates and y the standardised free
 * variables, ln |∂x/∂y| = Σ_atoms [2 ln r + ln sin θ] + Σ ln |d(r, θ, φ)/d(w, v, t)| + Σ ln σ.
 * For a constrained bond the r² factor is a constant (the measure on the constraint surface,
 * without the Fixman term of the mass-metric tensor, which SHAKE dynamics do not sample either
 * up to its small variation).
 */
import * as tf from '@tensorflow/tfjs-core';
import { angle, dihedral, distance } from '../../analysis/geometry.js';
import type { Topology } from '../../topology/topology.js';
import type { FineRepresentation } from './representation.js';

/** One generated atom of a Z-matrix. */
export interface ZEntry {
  atom: number;
  /** The atom it is bonded to, the angle's third atom, and the dihedral's fourth. */
  bond: number;
  angle: number;
  dihedral: number;
  /** Bond length held fixed (a constraint), nm; generated when absent. */
  length?: number;
  /** Index of an earlier entry about the same bond whose dihedral this one's is offset from. */
  relativeTo?: number;
}

/**
 * A Z-matrix for the atoms of `top` not in `placed`: each placed from a bonded atom already
 * placed, preferring heavy atoms as references, in waves outward from the placed ones.
 * @param lengths fixed bond lengths by atom pair ("i-j" with i < j), e.g. the constraints.
 * @throws Error when some atom cannot be reached through bonds, or a reference chain of three
 *   placed atoms does not exist (fewer than three placed atoms in a connected piece).
 */
export function zMatrix(top: Topology, placed: readonly number[], lengths: ReadonlyMap<string, number> = new Map()): ZEntry[] {
  const n = top.atoms.length;
  const nb = Array.from({ length: n }, () => [] as number[]);
  for (const [i, j] of top.bonds) {
    nb[i].push(j);
    nb[j].push(i);
  }
  const heavy = (i: number) => top.atoms[i].element.toUpperCase() !== 'H';
  const done = new Set(placed);
  // Heavy atoms first among candidates: a hydrogen is never a reference for another atom.
  const byPreference = (list: number[]) => [...list].sort((a, b) => Number(heavy(b)) - Number(heavy(a)) || a - b);
  const entries: ZEntry[] = [];
  while (done.size < n) {
    const wave: ZEntry[] = [];
    for (let i = 0; i < n; i++) {
      if (done.has(i)) continue;
      for (const j of byPreference(nb[i].filter((a) => done.has(a)))) {
        const k = byPreference(nb[j].filter((a) => a !== i && done.has(a) && heavy(a)))[0];
        if (k === undefined) continue;
        const l = byPreference(nb[k].filter((a) => a !== j && done.has(a) && heavy(a)))[0] ?? byPreference(nb[j].filter((a) => a !== i && a !== k && done.has(a) && heavy(a)))[0];
        if (l === undefined) continue;
        const key = i < j ? `${i}-${j}` : `${j}-${i}`;
        wave.push({ atom: i, bond: j, angle: k, dihedral: l, ...(lengths.has(key) ? { length: lengths.get(key) } : {}) });
        break;
      }
    }
    if (wave.length === 0) {
      const left = [...Array(n).keys()].filter((i) => !done.has(i)).map((i) => `${top.atoms[i].residue}${top.atoms[i].resid} ${top.atoms[i].name}`);
      throw new Error(`zMatrix: atoms ${left.join(', ')} cannot be placed from the CG atoms through bonds (each needs a bonded chain of three placed heavy atoms)`);
    }
    for (const e of wave) {
      const sibling = entries.findIndex((p) => p.bond === e.bond && p.angle === e.angle && p.dihedral === e.dihedral && p.relativeTo === undefined);
      entries.push(sibling >= 0 ? { ...e, relativeTo: sibling } : e);
      done.add(e.atom);
    }
  }
  return entries;
}

/** Per free variable: its kind, entry, and the standardisation fitted on reference frames. */
interface Variable {
  kind: 'length' | 'angle' | 'dihedral';
  entry: number;
  /** Dihedrals: the centre c of the cut circle, radians. */
  centre: number;
  mean: number;
  sd: number;
}

/** A fitted Z-matrix representation: see the module comment. */
export interface ZMatrixRepresentation extends FineRepresentation {
  readonly entries: readonly ZEntry[];
  /** Atom indices of the CG coordinates, in the order of s. */
  readonly placed: readonly number[];
  /** Width of the context features. */
  readonly contextDim: number;
  /** Invariant features of s (bond lengths, angles, cos/sin of dihedrals of the beads), standardised. */
  context(s: tf.Tensor2D): tf.Tensor2D;
  /** y of full coordinates x [rows, atoms·3] (the inverse of embed, on the host). */
  encode(x: Float64Array, rows: number): Float64Array;
  /** What saves and rebuilds it. */
  config(): ZMatrixConfig;
}

/** Bead tuples whose geometry is the context: bonds, angles and dihedrals (bead indices). */
export interface BeadTuples {
  bonds: readonly (readonly [number, number])[];
  angles: readonly (readonly [number, number, number])[];
  dihedrals: readonly (readonly [number, number, number, number])[];
}

/** The stored form of a {@link ZMatrixRepresentation}. */
export interface ZMatrixConfig {
  nAtoms: number;
  placed: number[];
  entries: ZEntry[];
  variables: Variable[];
  /** Bead tuples of the context: bonds, angles and dihedrals (bead indices). */
  features: { bonds: [number, number][]; angles: [number, number, number][]; dihedrals: [number, number, number, number][] };
  featureMean: number[];
  featureSd: number[];
}

const wrap = (a: number) => a - 2 * Math.PI * Math.round(a / (2 * Math.PI));
const LIMIT = 1 - 1e-6;

/** The raw internal coordinates (r, θ, φ; φ as the offset where relative) of entry `e` in frame `o`. */
function internal(x: ArrayLike<number>, e: ZEntry, entries: readonly ZEntry[], o: number): [number, number, number] {
  const phi = dihedral(x, e.atom, e.bond, e.angle, e.dihedral, o);
  const ref = e.relativeTo === undefined ? 0 : dihedral(x, entries[e.relativeTo].atom, e.bond, e.angle, e.dihedral, o);
  return [distance(x, e.atom, e.bond, o), angle(x, e.atom, e.bond, e.angle, o), wrap(phi - ref)];
}

/** The unbounded value of a variable from its raw internal coordinate. */
function unbounded(v: Variable, raw: number): number {
  if (v.kind === 'length') return Math.log(raw);
  if (v.kind === 'angle') {
    const p = Math.min(LIMIT, Math.max(1 - LIMIT, raw / Math.PI));
    return Math.log(p / (1 - p));
  }
  return Math.atanh(Math.min(LIMIT, Math.max(-LIMIT, wrap(raw - v.centre) / Math.PI)));
}

/** Features of the beads (bond lengths, angles, cos and sin of dihedrals) of frame `o` of s. */
function beadFeatures(s: ArrayLike<number>, f: ZMatrixConfig['features'], o: number, out: Float64Array, at: number): void {
  let k = at;
  for (const [i, j] of f.bonds) out[k++] = distance(s, i, j, o);
  for (const [i, j, l] of f.angles) out[k++] = angle(s, i, j, l, o);
  for (const [i, j, l, m] of f.dihedrals) {
    const d = dihedral(s, i, j, l, m, o);
    out[k++] = Math.cos(d);
    out[k++] = Math.sin(d);
  }
}

const featureCount = (f: ZMatrixConfig['features']) => f.bonds.length + f.angles.length + 2 * f.dihedrals.length;

/**
 * A Z-matrix representation fitted on reference frames: the cut of each dihedral and the
 * standardisation of every variable and context feature from `frames` [rows, atoms, 3] (nm).
 * @param cgFeatures the bead tuples whose geometry is the context (e.g. the priors' bonded tuples of the CG topology).
 */
export function fitZMatrix(nAtoms: number, placed: readonly number[], entries: readonly ZEntry[], beadTuples: BeadTuples, frames: Float64Array): ZMatrixRepresentation {
  const cgFeatures: ZMatrixConfig['features'] = {
    bonds: beadTuples.bonds.map(([i, j]) => [i, j]),
    angles: beadTuples.angles.map(([i, j, k]) => [i, j, k]),
    dihedrals: beadTuples.dihedrals.map(([i, j, k, l]) => [i, j, k, l]),
  };
  const rows = frames.length / (3 * nAtoms);
  if (!Number.isInteger(rows) || rows < 2) throw new Error(`fitZMatrix: ${frames.length} values are not at least two frames of ${nAtoms} atoms`);
  const raw = entries.map((e) => Array.from({ length: rows }, (_, r) => internal(frames, e, entries, 3 * nAtoms * r)));
  const variables: Variable[] = [];
  entries.forEach((e, k) => {
    const kinds: Variable['kind'][] = e.length === undefined ? ['length', 'angle', 'dihedral'] : ['angle', 'dihedral'];
    for (const kind of kinds) {
      const col = raw[k].map((t) => t[kind === 'length' ? 0 : kind === 'angle' ? 1 : 2]);
      let centre = 0;
      if (kind === 'dihedral') {
        // The cut goes through the emptiest of 36 bins; the centre is opposite it.
        const bins = new Float64Array(36);
        for (const a of col) bins[Math.min(35, Math.floor(((wrap(a) + Math.PI) / (2 * Math.PI)) * 36))]++;
        const emptiest = bins.indexOf(Math.min(...bins));
        centre = wrap(-Math.PI + ((emptiest + 0.5) * 2 * Math.PI) / 36 + Math.PI);
      }
      const v: Variable = { kind, entry: k, centre, mean: 0, sd: 1 };
      const u = col.map((a) => unbounded(v, a));
      const mean = u.reduce((s, x) => s + x, 0) / rows;
      const sd = Math.sqrt(u.reduce((s, x) => s + (x - mean) ** 2, 0) / (rows - 1));
      variables.push({ ...v, mean, sd: sd > 1e-6 ? sd : 1e-6 });
    }
  });
  const beads = placed.length;
  const s = new Float64Array(rows * beads * 3);
  for (let r = 0; r < rows; r++) placed.forEach((a, b) => s.set(frames.subarray((r * nAtoms + a) * 3, (r * nAtoms + a) * 3 + 3), (r * beads + b) * 3));
  const nf = featureCount(cgFeatures);
  const feats = new Float64Array(rows * nf);
  for (let r = 0; r < rows; r++) beadFeatures(s, cgFeatures, 3 * beads * r, feats, r * nf);
  const featureMean = Array.from({ length: nf }, (_, j) => {
    let m = 0;
    for (let r = 0; r < rows; r++) m += feats[r * nf + j] / rows;
    return m;
  });
  const featureSd = featureMean.map((m, j) => {
    let v = 0;
    for (let r = 0; r < rows; r++) v += (feats[r * nf + j] - m) ** 2 / (rows - 1);
    return Math.max(Math.sqrt(v), 1e-6);
  });
  return zMatrixRepresentation({ nAtoms, placed: [...placed], entries: entries.map((e) => ({ ...e })), variables, features: cgFeatures, featureMean, featureSd });
}

/** The components of [rows, m, 3] vectors, [rows, m] each. */
const parts = (v: tf.Tensor3D) => tf.unstack(v, 2) as tf.Tensor2D[];
const cross = (a: tf.Tensor3D, b: tf.Tensor3D) => {
  const [a0, a1, a2] = parts(a);
  const [b0, b1, b2] = parts(b);
  return tf.stack([tf.sub(tf.mul(a1, b2), tf.mul(a2, b1)), tf.sub(tf.mul(a2, b0), tf.mul(a0, b2)), tf.sub(tf.mul(a0, b1), tf.mul(a1, b0))], 2) as tf.Tensor3D;
};
const unit = (v: tf.Tensor3D) => tf.div(v, tf.norm(v, 2, 2, true)) as tf.Tensor3D;
const LOG_PI = Math.log(Math.PI);

/**
 * Rows `from` of the middle axis of [rows, n, 3] vectors, by a selection product: tfjs-wasm has
 * no gradient for gather.
 */
function pickVectors(v: tf.Tensor3D, from: readonly number[]): tf.Tensor3D {
  const [rows, n] = v.shape;
  const flat = tf.reshape(tf.transpose(v, [0, 2, 1]), [rows * 3, n]);
  return tf.transpose(tf.reshape(tf.matMul(flat, selector(n, from)), [rows, 3, from.length]), [0, 2, 1]) as tf.Tensor3D;
}

/** A [rows, k] × [k, m] selection: column j of the result is column `from[j]` of the input (0 where −1). */
function selector(k: number, from: readonly number[]): tf.Tensor2D {
  const m = new Float32Array(k * from.length);
  from.forEach((c, j) => {
    if (c >= 0) m[c * from.length + j] = 1;
  });
  return tf.tensor2d(m, [k, from.length]);
}

/** The representation of a stored configuration. @throws Error for an inconsistent config. */
export function zMatrixRepresentation(c: ZMatrixConfig): ZMatrixRepresentation {
  const { nAtoms, placed, entries, variables, features } = c;
  const covered = new Set([...placed, ...entries.map((e) => e.atom)]);
  if (covered.size !== nAtoms || placed.length + entries.length !== nAtoms) throw new Error(`zMatrix: the CG atoms and the entries cover ${covered.size} distinct atoms of ${placed.length + entries.length}, expected each of the ${nAtoms} once`);
  const nf = featureCount(features);
  if (c.featureMean.length !== nf || c.featureSd.length !== nf) throw new Error(`zMatrix: ${nf} context features but ${c.featureMean.length} means and ${c.featureSd.length} spreads`);
  const fineDim = variables.length;
  const cgDim = 3 * placed.length;
  const sdSum = variables.reduce((s, v) => s + Math.log(v.sd), 0);
  const firstVar = entries.map((_, k) => variables.findIndex((v) => v.entry === k));
  // Waves of entries whose reference atoms are all placed before them, and each atom's slot in
  // the order of placement (the CG atoms first, then wave after wave).
  const level = new Map(placed.map((a) => [a, 0]));
  const entryLevel = entries.map((e) => {
    const l = 1 + Math.max(...[e.bond, e.angle, e.dihedral].map((a) => level.get(a) ?? Infinity));
    if (!Number.isFinite(l)) throw new Error(`zMatrix: entry of atom ${e.atom} refers to an atom placed after it`);
    level.set(e.atom, l);
    return l;
  });
  const waves: number[][] = [];
  entryLevel.forEach((l, k) => (waves[l - 1] ??= []).push(k));
  const slot: number[] = new Array(nAtoms);
  placed.forEach((a, b) => (slot[a] = b));
  let next = placed.length;
  for (const wave of waves) for (const k of wave) slot[entries[k].atom] = next++;
  const atomSlots = Array.from({ length: nAtoms }, (_, a) => slot[a]);

  return {
    cgDim,
    fineDim,
    fullDim: 3 * nAtoms,
    entries,
    placed,
    contextDim: nf,
    context(s) {
      const rows = s.shape[0];
      const sv = s.dataSync();
      const out = new Float64Array(rows * nf);
      for (let r = 0; r < rows; r++) beadFeatures(sv, features, cgDim * r, out, r * nf);
      for (let r = 0; r < rows; r++) for (let j = 0; j < nf; j++) out[r * nf + j] = (out[r * nf + j] - c.featureMean[j]) / c.featureSd[j];
      return tf.tensor2d(Float32Array.from(out), [rows, nf]);
    },
    embed(s, y) {
      return tf.tidy(() => {
        const rows = s.shape[0];
        const u = tf.add(tf.mul(y, tf.tensor1d(variables.map((v) => v.sd))), tf.tensor1d(variables.map((v) => v.mean))) as tf.Tensor2D;
        const pick = (kind: Variable['kind']) => tf.matMul(u, selector(fineDim, entries.map((_, k) => variables.findIndex((v) => v.entry === k && v.kind === kind)))) as tf.Tensor2D;
        // Every entry's r, θ and φ at once, [rows, entries]: fixed lengths enter as constants.
        const flexible = tf.tensor1d(entries.map((e) => (e.length === undefined ? 1 : 0)));
        // Finite whatever the density proposes: lengths within [e⁻⁶, e] nm, angles and dihedrals
        // with |v|, |t| ≤ 40 (θ within 1e-17 of 0 or π at worst), and the log-derivatives in forms that do not
        // round to ln 0 (ln σ(1 − σ) = −|v| − 2 softplus(−|v|), ln sech² t = 2 ln 2 − 2|t| − 2 softplus(−2|t|)).
        const logR = tf.add(tf.clipByValue(pick('length'), -6, 1), tf.tensor1d(entries.map((e) => (e.length === undefined ? 0 : Math.log(e.length))))) as tf.Tensor2D;
        const r = tf.exp(logR) as tf.Tensor2D;
        const v = tf.clipByValue(pick('angle'), -40, 40) as tf.Tensor2D;
        const av = tf.abs(v);
        const theta = tf.mul(tf.sigmoid(v), Math.PI) as tf.Tensor2D;
        const logSin = tf.log(tf.sin(tf.mul(tf.sigmoid(tf.neg(av)), Math.PI)));
        const t = tf.clipByValue(pick('dihedral'), -40, 40) as tf.Tensor2D;
        const at2 = tf.mul(tf.abs(t), 2);
        const th = tf.tanh(t) as tf.Tensor2D;
        const own = tf.add(tf.mul(th, Math.PI), tf.tensor1d(entries.map((_, k) => variables.find((x) => x.entry === k && x.kind === 'dihedral')?.centre ?? 0))) as tf.Tensor2D;
        const phi = tf.add(own, tf.matMul(own, selector(entries.length, entries.map((e) => e.relativeTo ?? -1)))) as tf.Tensor2D;
        const logJ = tf.addN([
          tf.mul(logR, flexible), // dr/dw = r
          tf.add(tf.sub(tf.neg(av), tf.mul(tf.softplus(tf.neg(av)), 2)), LOG_PI), // dθ/dv = π σ(1 − σ)
          tf.add(tf.sub(tf.neg(at2), tf.mul(tf.softplus(tf.neg(at2)), 2)), 2 * Math.LN2 + LOG_PI), // dφ/dt = π sech² t
          tf.add(tf.mul(logR, 2), logSin), // r² sin θ
        ]);
        // NeRF wave by wave: D = C + r(−cos θ bc + sin θ cos φ m + sin θ sin φ n), C the bond
        // atom, B the angle's, A the dihedral's; the atoms of a wave depend only on earlier ones.
        let placedSoFar = tf.reshape(s, [rows, placed.length, 3]) as tf.Tensor3D;
        for (const wave of waves) {
          const at = (which: 'bond' | 'angle' | 'dihedral') => pickVectors(placedSoFar, wave.map((k) => slot[entries[k][which]]));
          const C = at('bond');
          const B = at('angle');
          const A = at('dihedral');
          const col = (t: tf.Tensor2D) => tf.expandDims(tf.matMul(t, selector(entries.length, wave)), 2) as tf.Tensor3D;
          const [rw, tw, pw] = [col(r), col(theta), col(phi)];
          const bc = unit(tf.sub(C, B) as tf.Tensor3D);
          const nv = unit(cross(tf.sub(B, A) as tf.Tensor3D, bc));
          const m = cross(nv, bc);
          const st = tf.sin(tw);
          const D = tf.add(C, tf.mul(rw, tf.addN([tf.mul(tf.neg(tf.cos(tw)), bc), tf.mul(tf.mul(st, tf.cos(pw)), m), tf.mul(tf.mul(st, tf.sin(pw)), nv)])));
          placedSoFar = tf.concat([placedSoFar, D], 1) as tf.Tensor3D;
        }
        const x = tf.reshape(pickVectors(placedSoFar, atomSlots), [rows, 3 * nAtoms]) as tf.Tensor2D;
        return { x, logJacobian: tf.add(tf.sum(logJ, 1), sdSum) as tf.Tensor1D };
      });
    },
    project(x, rows) {
      const out = new Float64Array(rows * cgDim);
      for (let r = 0; r < rows; r++) placed.forEach((a, b) => out.set(x.subarray((r * nAtoms + a) * 3, (r * nAtoms + a) * 3 + 3), r * cgDim + 3 * b));
      return out;
    },
    encode(x, rows) {
      const out = new Float64Array(rows * fineDim);
      for (let r = 0; r < rows; r++) {
        entries.forEach((e, k) => {
          const [rr, th, ph] = internal(x, e, entries, 3 * nAtoms * r);
          let at = firstVar[k];
          const put = (raw: number) => {
            const v = variables[at];
            out[r * fineDim + at++] = (unbounded(v, raw) - v.mean) / v.sd;
          };
          if (e.length === undefined) put(rr);
          put(th);
          put(ph);
        });
      }
      return out;
    },
    config: () => ({ ...c, placed: [...placed], entries: entries.map((e) => ({ ...e })), variables: variables.map((v) => ({ ...v })) }),
  };
}
