/**
 * The linear model of a CG liquid's pair potentials: one spline basis (`PairBasis`) per bead
 * type pair, coefficients stacked in one vector θ, U(R) = θ·φ(R) with φ_k(R) = Σ_pairs B_k(r_ij).
 * What the linear fits need from configurations: the sufficient statistics φ(R) (relative
 * entropy, ARCG's linear critic) and the force design matrix ∂F/∂θ (force matching), both over
 * the pairs within the cut-off under the minimum image, in periodic orthorhombic boxes.
 */
import { checkPeriodicCutoff, minimumImage, NeighbourList } from '../physics/neighbours.js';
import type { PairBasis } from './pairBasis.js';
import { PairTable } from './pairTable.js';

/** One type pair's basis. */
export interface TypePairBasis {
  /** Type names; the pair is unordered. */
  a: string;
  b: string;
  basis: PairBasis;
}

/** Bead types and exclusions of the configurations a basis set is applied to. */
export interface LiquidLayout {
  /** [n] type index of each bead (into the set's typeNames). */
  types: Int32Array;
  /** [n] molecule index of each bead: pairs within a molecule are excluded. */
  molecule?: Int32Array;
}

/** Pair bases of every type pair, with θ offsets. */
export class PairBasisSet {
  /** θ index of the first coefficient of pair p. */
  readonly offsets: number[];
  /** Total number of coefficients. */
  readonly size: number;
  /** Largest cut-off, nm. */
  readonly cutoff: number;
  /** [T·T] pair index of types (a, b), −1 when the pair has no basis (no interaction). */
  private readonly pairOf: Int32Array;
  private lists = new Map<string, NeighbourList>();

  constructor(readonly typeNames: readonly string[], readonly pairs: readonly TypePairBasis[]) {
    const nt = typeNames.length;
    this.pairOf = new Int32Array(nt * nt).fill(-1);
    this.offsets = [];
    let size = 0;
    let cutoff = 0;
    pairs.forEach((p, k) => {
      const a = typeNames.indexOf(p.a);
      const b = typeNames.indexOf(p.b);
      if (a < 0 || b < 0) throw new Error(`pair basis set: pair ${p.a}-${p.b} names a type not in ${typeNames.join(', ')}`);
      if (this.pairOf[a * nt + b] >= 0) throw new Error(`pair basis set: pair ${p.a}-${p.b} given twice`);
      this.pairOf[a * nt + b] = k;
      this.pairOf[b * nt + a] = k;
      this.offsets.push(size);
      size += p.basis.size;
      cutoff = Math.max(cutoff, p.basis.cutoff);
    });
    this.size = size;
    this.cutoff = cutoff;
  }

  /** Name of pair p, "A-B". */
  pairName(p: number): string {
    return `${this.pairs[p].a}-${this.pairs[p].b}`;
  }

  /** The coefficients of pair p within θ. */
  slice(theta: Float64Array, p: number): Float64Array {
    return theta.subarray(this.offsets[p], this.offsets[p] + this.pairs[p].basis.size);
  }

  /** The tables of θ, keyed "A-B", on nodes every `dr` nm. */
  tables(theta: Float64Array, dr = 0.002): Map<string, PairTable> {
    return new Map(this.pairs.map((p, k) => [this.pairName(k), PairTable.fromBasis(p.basis, this.slice(theta, k), dr)]));
  }

  /**
   * Visits every pair of one configuration within its type pair's basis range, with
   * d = x_i − x_j (minimum image), r = |d|, the pair index p, and the four basis values and
   * slopes at r beginning at coefficient `k0` (already offset into θ; entries past the pair's
   * last coefficient are zero).
   * @param x [n, 3] nm from `offset`; box [3] edges, nm.
   */
  forEachPair(
    x: ArrayLike<number>, box: ArrayLike<number>, layout: LiquidLayout, offset: number,
    visit: (i: number, j: number, dx: number, dy: number, dz: number, r: number, k0: number, last: number, values: Float64Array, slopes: Float64Array) => void,
  ): void {
    const n = layout.types.length;
    const edges: [number, number, number] = [box[0], box[1], box[2]];
    checkPeriodicCutoff(edges, this.cutoff, 'pair basis set');
    const key = edges.join(',');
    let nl = this.lists.get(key);
    if (!nl || nl.options.n !== n || nl.options.molecule !== layout.molecule) {
      if (this.lists.size > 8) this.lists.clear();
      nl = new NeighbourList({ n, box: edges, cutoff: this.cutoff, skin: 0, molecule: layout.molecule });
      this.lists.set(key, nl);
    }
    nl.update(x, offset);
    const nt = this.typeNames.length;
    const inv = edges.map((l) => 1 / l);
    const values = new Float64Array(4);
    const slopes = new Float64Array(4);
    for (let i = 0; i < n; i++) {
      const pi = offset + 3 * i;
      for (let q = nl.start[i]; q < nl.start[i + 1]; q++) {
        const j = nl.list[q];
        const p = this.pairOf[layout.types[i] * nt + layout.types[j]];
        if (p < 0) continue;
        const pj = offset + 3 * j;
        const dx = minimumImage(x[pi] - x[pj], edges[0], inv[0]);
        const dy = minimumImage(x[pi + 1] - x[pj + 1], edges[1], inv[1]);
        const dz = minimumImage(x[pi + 2] - x[pj + 2], edges[2], inv[2]);
        const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
        const basis = this.pairs[p].basis;
        const k0 = basis.evaluate(r, values, slopes);
        if (k0 < 0) continue;
        visit(i, j, dx, dy, dz, r, this.offsets[p] + k0, this.offsets[p] + basis.size - 1, values, slopes);
      }
    }
  }

  /**
   * Adds φ(R) = Σ_pairs B(r_ij) of one configuration to `out` [size]: U_θ(R) = θ·φ(R), the
   * sufficient statistics of relative entropy minimisation.
   */
  addStatistics(x: ArrayLike<number>, box: ArrayLike<number>, layout: LiquidLayout, offset: number, out: Float64Array): void {
    this.forEachPair(x, box, layout, offset, (_i, _j, _dx, _dy, _dz, _r, k0, last, values) => {
      for (let q = 0; q < 4 && k0 + q <= last; q++) out[k0 + q] += values[q];
    });
  }

  /**
   * φ(R) of every frame of `x` [frames, n, 3] (nm) in the boxes `box(f)` [3] (nm), as rows
   * [frames, size]: REM's statistics and ARCG's ∂U/∂θ and linear critic features.
   */
  frameStatistics(x: ArrayLike<number>, frames: number, box: (frame: number) => ArrayLike<number>, layout: LiquidLayout): Float64Array {
    const n = layout.types.length;
    const rows = new Float64Array(frames * this.size);
    for (let f = 0; f < frames; f++) this.addStatistics(x, box(f), layout, 3 * n * f, rows.subarray(f * this.size, (f + 1) * this.size));
    return rows;
  }

  /**
   * Per-bead statistics of one configuration: row i of `out` [beads.length, size] gets
   * φ_i = ½ Σ_j B(r_ij) for bead beads[i] (each pair's basis values split between its two
   * beads, so the rows of all beads sum to φ(R)): the bead's local environment.
   */
  addBeadStatistics(x: ArrayLike<number>, box: ArrayLike<number>, layout: LiquidLayout, offset: number, beads: Int32Array, out: Float64Array): void {
    const row = new Int32Array(layout.types.length).fill(-1);
    beads.forEach((b, i) => (row[b] = i));
    const k = this.size;
    this.forEachPair(x, box, layout, offset, (i, j, _dx, _dy, _dz, _r, k0, last, values) => {
      for (const b of [row[i], row[j]]) {
        if (b < 0) continue;
        for (let q = 0; q < 4 && k0 + q <= last; q++) out[b * k + k0 + q] += 0.5 * values[q];
      }
    });
  }

  /**
   * Adds ψ(R) = Σ_pairs r_ij B'(r_ij) (nm · 1/nm) of one configuration to `out` [size]: the pair
   * virial is Σ r·F = −θ·ψ, so the pressure of θ is (N kT − θ·⟨ψ⟩/3)/V.
   */
  addVirial(x: ArrayLike<number>, box: ArrayLike<number>, layout: LiquidLayout, offset: number, out: Float64Array): void {
    this.forEachPair(x, box, layout, offset, (_i, _j, _dx, _dy, _dz, r, k0, last, _values, slopes) => {
      for (let q = 0; q < 4 && k0 + q <= last; q++) out[k0 + q] += r * slopes[q];
    });
  }

  /**
   * The force design matrix of one configuration: F(R) = A θ, A [3n, size] row-major
   * (overwritten), F_i = −Σ_j B'(r_ij) (x_i − x_j)/r_ij. Force matching's least squares.
   */
  forceDesign(x: ArrayLike<number>, box: ArrayLike<number>, layout: LiquidLayout, offset: number, a: Float64Array): void {
    const k = this.size;
    a.fill(0, 0, 3 * layout.types.length * k);
    this.forEachPair(x, box, layout, offset, (i, j, dx, dy, dz, r, k0, last, _values, slopes) => {
      for (let q = 0; q < 4 && k0 + q <= last; q++) {
        const g = -slopes[q] / r;
        const c = k0 + q;
        a[(3 * i) * k + c] += g * dx;
        a[(3 * i + 1) * k + c] += g * dy;
        a[(3 * i + 2) * k + c] += g * dz;
        a[(3 * j) * k + c] -= g * dx;
        a[(3 * j + 1) * k + c] -= g * dy;
        a[(3 * j + 2) * k + c] -= g * dz;
      }
    });
  }
}
