/**
 * Linear force matching of pair potentials (MS-CG; Izvekov & Voth 2005, Noid et al. 2008), the
 * job of VOTCA's csg_fmatch: mapped forces F(R) ≈ A(R)θ on the spline basis, θ minimising
 * Σ_frames |F − Aθ|². The normal equations AᵀA θ = AᵀF are accumulated frame by frame (one
 * frame's design matrix in memory at a time), per block of frames for the error estimate.
 *
 * Regularisation: λ·|Dθ|² with D the second differences of each pair's coefficients (a
 * smoothness penalty that leaves linear trends free), λ = `regularisation` × the mean diagonal
 * of AᵀA. It fixes the coefficients the data barely see — near rMin, where few pairs come that
 * close — without biasing the well-sampled range: on 100 frames of SPC/E water (2180 beads,
 * knots every 0.01 nm) the coefficients at 1e-3 and 1e-5 differ by at most 0.88 block errors
 * above 0.26 nm (median 0.04); at 1e-2 by up to 5.3.
 * Below rMin (the smallest sampled distance, rounded down to the knot grid) the table continues
 * as a repulsive wall (cg/pairTable.ts). With several beads per molecule, pairs within one are
 * excluded and a harmonic bond per bond type and angle per angle type are fitted in the same
 * least squares (two more unknowns each, unpenalised), as MS-CG fits bonded and non-bonded
 * terms together.
 */
import { solveSpd } from '../../cg/linalg.js';
import { PairBasis } from '../../cg/pairBasis.js';
import { PairBasisSet } from '../../cg/pairBasisSet.js';
import { HarmonicAngles, type HarmonicAngleParameters, type HarmonicBondParameters } from '../../physics/bonded.js';
import { angleTypeName, bondTypeName } from './bonds.js';
import type { LiquidData } from './data.js';

/** Settings of {@link forceMatchPairs}. */
export interface PairFmOptions {
  /** Cut-off, nm. */
  cutoff: number;
  /** Knot spacing, nm. */
  spacing: number;
  /** Relative weight of the smoothness penalty (see the module comment). Default 1e-3. */
  regularisation?: number;
  /** Blocks of frames for the error estimate. Default 5 (fewer when there are fewer frames). */
  blocks?: number;
  /** Called after each frame with frames done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Stop accumulating at the next frame; the fit uses the frames so far. */
  signal?: AbortSignal;
}

/** A force-matching fit. */
export interface PairFmResult {
  basis: PairBasisSet;
  /** Coefficients, kJ/mol. */
  theta: Float64Array;
  /** [size] standard error of each coefficient from the blocks, kJ/mol (NaN with one block). */
  thetaError: Float64Array;
  /** Mean squared force residual per component, (kJ/mol/nm)², and the mean squared mapped force. */
  residual: number;
  meanSquaredForce: number;
  /** Frames used (fewer than given when interrupted). */
  frames: number;
  /** Smallest pair distance of each type pair in the data, nm. */
  rMinSampled: Record<string, number>;
  /** With several beads per molecule: the harmonic bonds fitted jointly, per bond type and per bond. */
  bonds?: { types: { name: string; r0: number; k: number }[]; bonds: HarmonicBondParameters[] };
  /** And the harmonic angles (θ0 rad, k kJ/mol/rad²). */
  angles?: { types: { name: string; theta0: number; k: number }[]; angles: HarmonicAngleParameters[] };
}

/** Smallest distance of each type pair within `cutoff` over all frames, nm. */
export function smallestDistances(data: LiquidData, cutoff: number): Map<string, number> {
  // A probe basis over [0, cutoff) visits every pair within the cut-off.
  const pairs = typePairs(data.typeNames).map(([a, b]) => ({ a, b, basis: new PairBasis(0, cutoff, cutoff / 4) }));
  const set = new PairBasisSet(data.typeNames, pairs);
  const best = new Map<string, number>(pairs.map((p) => [`${p.a}-${p.b}`, Infinity]));
  for (let f = 0; f < data.frames; f++) {
    set.forEachPair(data.positions, data.box.subarray(3 * f, 3 * f + 3), data, 3 * data.n * f, (i, j, _dx, _dy, _dz, r) => {
      const [a, b] = [data.types[i], data.types[j]].sort((u, v) => u - v);
      const key = `${data.typeNames[a]}-${data.typeNames[b]}`;
      if (r < (best.get(key) as number)) best.set(key, r);
    });
  }
  return best;
}

/** Every unordered type pair [A, B] with A ≤ B by index. */
export function typePairs(typeNames: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  typeNames.forEach((a, i) => typeNames.slice(i).forEach((b) => out.push([a, b])));
  return out;
}

/**
 * Pair bases from rMin (per pair: the smallest sampled distance rounded down to the knot grid)
 * to the cut-off.
 * @throws Error when a type pair never comes within the cut-off.
 */
export function basesFromData(data: LiquidData, cutoff: number, spacing: number): { set: PairBasisSet; rMin: Map<string, number> } {
  const rMin = smallestDistances(data, cutoff);
  return { set: basesFromDistances(data, rMin, cutoff, spacing), rMin };
}

/** The bases of {@link basesFromData} from smallest distances found elsewhere (e.g. over a stream). */
function basesFromDistances(data: Pick<LiquidData, 'typeNames' | 'source'>, rMin: Map<string, number>, cutoff: number, spacing: number): PairBasisSet {
  const pairs = typePairs(data.typeNames).map(([a, b]) => {
    const r = rMin.get(`${a}-${b}`) as number;
    if (!Number.isFinite(r)) throw new Error(`${data.source}: no ${a}-${b} pair comes within the cut-off ${cutoff} nm in any frame`);
    // Whole knot intervals from the cut-off inwards (knots on the cut-off's grid), reaching down to the smallest distance.
    const m = Math.ceil((cutoff - r) / spacing - 1e-9);
    return { a, b, basis: new PairBasis(cutoff - m * spacing, cutoff, spacing) };
  });
  return new PairBasisSet(data.typeNames, pairs);
}

/**
 * The normal equations of the fit, accumulated frame by frame and per block of frames (for the
 * error estimate), over frames given in one piece or many.
 */
class NormalEquations {
  private readonly k: number;
  private readonly kk: number;
  private readonly nb: number;
  private readonly bondTypes: ReturnType<typeof bondLayout>;
  private readonly angleTypes: ReturnType<typeof angleLayout>;
  private readonly rows: number;
  private readonly blocks: number;
  private readonly ata: Float64Array[];
  private readonly atf: Float64Array[];
  private readonly ftf: Float64Array;
  private readonly a: Float64Array;
  private readonly full: Float64Array;
  /** Frames accumulated. */
  used = 0;

  /** @param layout any part of the data (types, bonds and angles are the same in every part). */
  constructor(layout: LiquidData, private readonly set: PairBasisSet, private readonly total: number, private readonly o: PairFmOptions) {
    this.k = set.size;
    this.bondTypes = bondLayout(layout);
    this.angleTypes = angleLayout(layout);
    // Two more unknowns per bond type, after the spline coefficients: U = a r²/2 − c r is a
    // harmonic bond with k = a, r0 = c/a, and its forces are linear in (a, c); likewise for
    // angles, U = a θ²/2 − c θ.
    this.nb = 2 * this.bondTypes.names.length;
    this.kk = this.k + this.nb + 2 * this.angleTypes.names.length;
    this.rows = 3 * layout.n;
    this.blocks = Math.max(1, Math.min(o.blocks ?? 5, total));
    this.ata = Array.from({ length: this.blocks }, () => new Float64Array(this.kk * this.kk));
    this.atf = Array.from({ length: this.blocks }, () => new Float64Array(this.kk));
    this.ftf = new Float64Array(this.blocks);
    this.a = new Float64Array(this.rows * this.k);
    this.full = this.kk === this.k ? this.a : new Float64Array(this.rows * this.kk);
  }

  /**
   * Add the frames of `data`, which are frames `first`… of the whole; false when interrupted.
   * @throws Error when the part has no forces.
   */
  add(data: LiquidData, first: number): boolean {
    if (!data.forces) throw new Error(`${data.source}: force matching needs mapped forces, and the file has none`);
    const { set, k, kk, nb, rows, blocks, a, full, o } = this;
    for (let f = 0; f < data.frames; f++) {
      if (o.signal?.aborted) return false;
      const b = Math.min(blocks - 1, Math.floor(((first + f) * blocks) / this.total));
      const box = data.box.subarray(3 * f, 3 * f + 3);
      set.forceDesign(data.positions, box, data, 3 * data.n * f, a);
      if (kk > k) {
        addBondDesign(data, f, box, this.bondTypes, a, k, full, kk);
        addAngleDesign(data, f, box, this.angleTypes, k + nb, full, kk);
      }
      const target = (data.forces as Float64Array).subarray(3 * data.n * f, 3 * data.n * (f + 1));
      accumulateNormal(full, target, 0, rows, kk, this.ata[b], this.atf[b]);
      for (let i = 0; i < rows; i++) this.ftf[b] += target[i] ** 2;
      this.used++;
      o.onProgress?.(this.used, this.total);
    }
    return true;
  }

  /** The solution, its block errors and residual; `layout` as given to the constructor. */
  solve(layout: LiquidData, rMin: Map<string, number>): PairFmResult {
    const { set, k, kk, nb, rows, ata, atf, ftf, used, o } = this;
    if (used === 0) throw new Error('force matching: interrupted before any frame was read');
    const sum = (ms: Float64Array[]) => ms.reduce((acc, m) => acc.map((v, i) => v + m[i]), new Float64Array(ms[0].length));
    const total = sum(ata);
    const rhs = sum(atf);
    const solution = solvePenalised(set, total, rhs, o.regularisation ?? 1e-3);
    const theta = solution.slice(0, k);
    // Residual from the normal equations: |F − Aθ|² = FᵀF − 2θᵀAᵀF + θᵀAᵀAθ.
    const fsq = ftf.reduce((s, v) => s + v, 0);
    let quad = 0;
    for (let i = 0; i < kk; i++) {
      quad += solution[i] * total[i * kk + i] * solution[i];
      for (let j = i + 1; j < kk; j++) quad += 2 * solution[i] * total[i * kk + j] * solution[j];
    }
    const residual = (fsq - 2 * solution.reduce((s, t, i) => s + t * rhs[i], 0) + quad) / (used * rows);
    const filled = [...ata.keys()].filter((b) => ata[b].some((v) => v !== 0));
    const thetaError = new Float64Array(k).fill(NaN);  // spline coefficients only
    if (filled.length > 1) {
      const per = filled.map((b) => solvePenalised(set, ata[b], atf[b], o.regularisation ?? 1e-3));
      for (let i = 0; i < k; i++) {
        const mean = per.reduce((s, t) => s + t[i], 0) / per.length;
        const v = per.reduce((s, t) => s + (t[i] - mean) ** 2, 0) / (per.length - 1);
        thetaError[i] = Math.sqrt(v / per.length);
      }
    }
    return {
      basis: set, theta, thetaError, residual, meanSquaredForce: fsq / (used * rows), frames: used,
      rMinSampled: Object.fromEntries(rMin),
      ...(nb > 0 ? { bonds: fittedBonds(layout, this.bondTypes, solution.subarray(k)) } : {}),
      ...(this.angleTypes.names.length ? { angles: fittedAngles(layout, this.angleTypes, solution.subarray(k + nb)) } : {}),
    };
  }
}

/**
 * Fits pair potentials to the mapped forces of `data`.
 * @throws Error when the data have no forces or the system is singular even with the penalty.
 */
export function forceMatchPairs(data: LiquidData, o: PairFmOptions): PairFmResult {
  if (!data.forces) throw new Error(`${data.source}: force matching needs mapped forces, and the file has none`);
  const { set, rMin } = basesFromData(data, o.cutoff, o.spacing);
  const eq = new NormalEquations(data, set, data.frames, o);
  eq.add(data, 0);
  return eq.solve(data, rMin);
}

/**
 * {@link forceMatchPairs} over frames read part by part, for data larger than memory: `parts`
 * is called twice (pass 0 finds the smallest distances that set the bases, pass 1 accumulates
 * the normal equations) and must give the same frames in the same order both times. The result
 * is that of the frames in one piece, exactly: the smallest distances are minima over the parts,
 * and each frame goes to the same error block and is added in the same order.
 * @throws Error as {@link forceMatchPairs} does, and for no frames.
 */
export async function forceMatchPairsStreamed(parts: (pass: 0 | 1) => AsyncIterable<LiquidData>, o: PairFmOptions): Promise<PairFmResult> {
  let layout: LiquidData | undefined;
  const rMin = new Map<string, number>();
  let total = 0;
  for await (const d of parts(0)) {
    if (!d.forces) throw new Error(`${d.source}: force matching needs mapped forces, and the file has none`);
    layout ??= d;
    for (const [key, r] of smallestDistances(d, o.cutoff)) rMin.set(key, Math.min(rMin.get(key) ?? Infinity, r));
    total += d.frames;
  }
  if (!layout) throw new Error('force matching: no frames');
  const eq = new NormalEquations(layout, basesFromDistances(layout, rMin, o.cutoff, o.spacing), total, o);
  let first = 0;
  for await (const d of parts(1)) {
    if (!eq.add(d, first)) break;
    first += d.frames;
  }
  return eq.solve(layout, rMin);
}

/** Bond type index of each bond of `data.bondPairs` ("A-B" of the ordered bead types). */
function bondLayout(data: LiquidData): { names: string[]; of: Int32Array } {
  const pairs = data.bondPairs ?? new Int32Array(0);
  const names: string[] = [];
  const of = Int32Array.from({ length: pairs.length / 2 }, (_, b) => {
    const name = bondTypeName(data, b);
    if (!names.includes(name)) names.push(name);
    return names.indexOf(name);
  });
  return { names, of };
}

/**
 * Copies the pair design `a` [rows, k] into `full` [rows, kk] and adds the bond columns: for
 * U = a r²/2 − c r of bond i–j (d = x_i − x_j, minimum image), F_i = −a d + c d/r.
 */
function addBondDesign(data: LiquidData, f: number, box: Float64Array, types: { of: Int32Array }, a: Float64Array, k: number, full: Float64Array, kk: number): void {
  const rows = 3 * data.n;
  full.fill(0);
  for (let r = 0; r < rows; r++) full.set(a.subarray(r * k, (r + 1) * k), r * kk);
  const pairs = data.bondPairs as Int32Array;
  const o = 3 * data.n * f;
  for (let b = 0; b < types.of.length; b++) {
    const i = pairs[2 * b];
    const j = pairs[2 * b + 1];
    const d = [0, 1, 2].map((q) => {
      const v = data.positions[o + 3 * i + q] - data.positions[o + 3 * j + q];
      return v - box[q] * Math.round(v / box[q]);
    });
    const r = Math.hypot(d[0], d[1], d[2]);
    const ca = k + 2 * types.of[b];
    for (let q = 0; q < 3; q++) {
      full[(3 * i + q) * kk + ca] -= d[q];
      full[(3 * j + q) * kk + ca] += d[q];
      full[(3 * i + q) * kk + ca + 1] += d[q] / r;
      full[(3 * j + q) * kk + ca + 1] -= d[q] / r;
    }
  }
}

/** Angle type index of each angle of `data.angleTriples`, with each type's angles. */
function angleLayout(data: LiquidData): { names: string[]; of: Int32Array; members: HarmonicAngleParameters[][] } {
  const t = data.angleTriples ?? new Int32Array(0);
  const names: string[] = [];
  const members: HarmonicAngleParameters[][] = [];
  const of = Int32Array.from({ length: t.length / 3 }, (_, a) => {
    const name = angleTypeName(data, a);
    if (!names.includes(name)) {
      names.push(name);
      members.push([]);
    }
    const q = names.indexOf(name);
    members[q].push({ atoms: [t[3 * a], t[3 * a + 1], t[3 * a + 2]], angle: 0, k: 1 });
    return q;
  });
  return { names, of, members };
}

/**
 * Adds the angle columns of frame f to `full` from column `c0`: for U = a θ²/2 − c θ,
 * F = −a θ∇θ + c ∇θ; −θ∇θ are the forces of unit angles at θ0 = 0 and ∇θ = (F_π − F_0)/π
 * with F_π those at θ0 = π (physics/bonded.ts evaluates both).
 */
function addAngleDesign(data: LiquidData, f: number, box: Float64Array, types: { members: HarmonicAngleParameters[][] }, c0: number, full: Float64Array, kk: number): void {
  const rows = 3 * data.n;
  const x = data.positions.subarray(3 * data.n * f, 3 * data.n * (f + 1));
  const edges: [number, number, number] = [box[0], box[1], box[2]];
  const f0 = new Float64Array(rows);
  const fpi = new Float64Array(rows);
  types.members.forEach((angles, q) => {
    f0.fill(0);
    fpi.fill(0);
    new HarmonicAngles(angles, edges).accumulate(x, 0, f0);
    new HarmonicAngles(angles.map((a) => ({ ...a, angle: Math.PI })), edges).accumulate(x, 0, fpi);
    for (let r = 0; r < rows; r++) {
      if (f0[r] === 0 && fpi[r] === 0) continue;
      full[r * kk + c0 + 2 * q] += f0[r];
      full[r * kk + c0 + 2 * q + 1] += (fpi[r] - f0[r]) / Math.PI;
    }
  });
}

/** Angles of the solved (a, c) of each angle type: k = a, θ0 = c/a. */
function fittedAngles(data: LiquidData, types: { names: string[]; of: Int32Array; members: HarmonicAngleParameters[][] }, ac: Float64Array): NonNullable<PairFmResult['angles']> {
  const fits = types.names.map((name, q) => {
    const k = ac[2 * q];
    if (!(k > 0)) throw new Error(`force matching: angle ${name} came out with k = ${k} kJ/mol/rad²; its angles are not harmonic or the data too few`);
    return { name, k, theta0: ac[2 * q + 1] / k };
  });
  const t = data.angleTriples as Int32Array;
  return { types: fits, angles: Array.from(types.of, (q, a) => ({ atoms: [t[3 * a], t[3 * a + 1], t[3 * a + 2]] as [number, number, number], angle: fits[q].theta0, k: fits[q].k })) };
}

/** Bonds of the solved (a, c) of each bond type: k = a, r0 = c/a. */
function fittedBonds(data: LiquidData, types: { names: string[]; of: Int32Array }, ac: Float64Array): NonNullable<PairFmResult['bonds']> {
  const fits = types.names.map((name, t) => {
    const k = ac[2 * t];
    if (!(k > 0)) throw new Error(`force matching: bond ${name} came out with k = ${k} kJ/mol/nm²; its bonds are not harmonic or the data too few`);
    return { name, k, r0: ac[2 * t + 1] / k };
  });
  const pairs = data.bondPairs as Int32Array;
  return { types: fits, bonds: Array.from(types.of, (t, b) => ({ atoms: [pairs[2 * b], pairs[2 * b + 1]] as [number, number], length: fits[t].r0, k: fits[t].k })) };
}

/** AᵀA += AᵀA and AᵀF += Aᵀf for one frame's design A [rows, k] and forces f from `offset`. */
function accumulateNormal(a: Float64Array, f: ArrayLike<number>, offset: number, rows: number, k: number, ata: Float64Array, atf: Float64Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    const fr = f[offset + r];
    // Columns touched by this row: a bead's design row is non-zero only for the knots its
    // neighbours' distances reach, so skip the zero entries.
    for (let i = 0; i < k; i++) {
      const ai = a[o + i];
      if (ai === 0) continue;
      atf[i] += ai * fr;
      const row = i * k;
      // The upper triangle only: solvePenalised mirrors it.
      for (let j = i; j < k; j++) ata[row + j] += ai * a[o + j];
    }
  }
}

/** (AᵀA + λDᵀD) θ = AᵀF from the upper triangle of `ata`. */
export function solvePenalised(set: PairBasisSet, ataUpper: Float64Array, atf: Float64Array, regularisation: number): Float64Array {
  // Unknowns beyond the spline coefficients (bonds) are not penalised.
  const k = atf.length;
  const m = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      m[i * k + j] = ataUpper[i * k + j];
      m[j * k + i] = ataUpper[i * k + j];
    }
  }
  let diag = 0;
  for (let i = 0; i < set.size; i++) diag += m[i * k + i] / set.size;
  addSmoothness(set, m, regularisation * diag, k);
  const theta = solveSpd(m, k, atf, 1);
  if (!theta) throw new Error('force matching: the normal equations are singular even with the smoothness penalty; use more frames or a coarser --bin');
  return theta;
}

/** m += λ DᵀD, D the second differences within each pair's coefficients; m is [stride, stride]. */
export function addSmoothness(set: PairBasisSet, m: Float64Array, lambda: number, stride = set.size): void {
  const k = stride;
  set.pairs.forEach((p, q) => {
    const o = set.offsets[q];
    for (let i = 0; i + 2 < p.basis.size; i++) {
      const idx = [o + i, o + i + 1, o + i + 2];
      const w = [1, -2, 1];
      for (let s = 0; s < 3; s++) for (let t = 0; t < 3; t++) m[idx[s] * k + idx[t]] += lambda * w[s] * w[t];
    }
  });
}
