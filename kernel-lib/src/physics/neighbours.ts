/**
 * Verlet neighbour lists in a periodic orthorhombic box, built through cell lists: every pair
 * (i, j > i) closer than cutoff + skin at the last build, under the minimum-image convention.
 * The list stays valid (it holds every pair now within the cut-off) until some particle has
 * moved more than skin/2 since the build; `update` rebuilds it then. Shared by every periodic
 * potential (Lennard-Jones, water, CG pair tables) and the linear pair fits (cg/pairBasisSet.ts).
 */

/** What a neighbour list is built for. */
export interface NeighbourListOptions {
  /** Number of particles. */
  n: number;
  /** Box edge lengths, nm (orthorhombic). */
  box: readonly [number, number, number];
  /** Interaction cut-off, nm; at most half the shortest edge. */
  cutoff: number;
  /** Verlet skin, nm (≥ 0); 0 gives a list exact for the positions of the last build only. */
  skin: number;
  /**
   * [n] molecule index of each particle: pairs within one molecule are left out of the list
   * (their interactions are excluded or handled by the molecule's own terms). Default: none.
   */
  molecule?: Int32Array;
}

/** Minimum-image difference of one coordinate in a periodic edge of length `l` (1/l = `inv`). */
export function minimumImage(d: number, l: number, inv: number): number {
  return d - l * Math.round(d * inv);
}

/**
 * Coordinates [n, 3] from `offset` wrapped into [0, L) per axis, into `out`: the minimum image
 * of a difference of wrapped coordinates is then {@link wrappedImage}, one compare per axis.
 */
export function wrapIntoBox(x: ArrayLike<number>, offset: number, n: number, box: readonly number[], out: Float64Array): void {
  for (let i = 0; i < 3 * n; i += 3) {
    for (let a = 0; a < 3; a++) {
      const v = x[offset + i + a];
      out[i + a] = v - box[a] * Math.floor(v / box[a]);
    }
  }
}

/** The minimum image of a difference d of coordinates wrapped into [0, l); h = l/2. */
export function wrappedImage(d: number, l: number, h: number): number {
  return d > h ? d - l : d < -h ? d + l : d;
}

/**
 * Adds the pair force g·(dx, dy, dz) to the particle at coordinate offset `pi` and its opposite
 * to the one at `pj`; g = −(dU/dr)/r and d = x_i − x_j (minimum image), so F_i = g·d.
 */
export function addPairForce(forces: Float64Array, pi: number, pj: number, g: number, dx: number, dy: number, dz: number): void {
  forces[pi] += g * dx;
  forces[pi + 1] += g * dy;
  forces[pi + 2] += g * dz;
  forces[pj] -= g * dx;
  forces[pj + 1] -= g * dy;
  forces[pj + 2] -= g * dz;
}

/**
 * Checks a box and cut-off for periodic interactions.
 * @param what names the caller in the message (e.g. "spce-water", "cglab fit pairs --cutoff").
 * @throws Error when an edge is not positive and finite, or the cut-off is not positive or
 *   exceeds half the shortest edge (the minimum image would then miss pairs).
 */
export function checkPeriodicCutoff(box: ArrayLike<number>, cutoff: number, what: string): void {
  for (let k = 0; k < 3; k++) {
    if (!(box[k] > 0) || !Number.isFinite(box[k])) throw new Error(`${what}: box edge ${'xyz'[k]} must be a positive finite length (nm), got ${box[k]}`);
  }
  const half = Math.min(box[0], box[1], box[2]) / 2;
  if (!(cutoff > 0) || cutoff > half) {
    throw new Error(`${what}: cutoff ${cutoff} nm must be positive and at most half the shortest box edge (${half} nm)`);
  }
}

/** A Verlet list over the particles of one configuration; `start`/`list` are CSR rows per i. */
export class NeighbourList {
  readonly options: Readonly<NeighbourListOptions>;
  /** Pairs of particle i are `list[start[i] .. start[i + 1])`, each j > i. */
  start: Int32Array;
  list: Int32Array;
  /** How many times the list was built (for tests and tuning). */
  builds = 0;
  private ref: Float64Array;
  private wrapped: Float64Array;
  private built = false;

  /** @throws Error for a bad box, cut-off or skin (see `checkPeriodicCutoff`). */
  constructor(options: NeighbourListOptions) {
    checkPeriodicCutoff(options.box, options.cutoff, 'neighbour list');
    if (!(options.skin >= 0) || !Number.isFinite(options.skin)) throw new Error(`neighbour list: skin must be a non-negative length (nm), got ${options.skin}`);
    if (options.molecule && options.molecule.length !== options.n) {
      throw new Error(`neighbour list: molecule has ${options.molecule.length} entries, expected one per particle (${options.n})`);
    }
    this.options = options;
    this.start = new Int32Array(options.n + 1);
    this.list = new Int32Array(Math.max(16, 64 * options.n));
    this.ref = new Float64Array(3 * options.n);
    this.wrapped = new Float64Array(3 * options.n);
  }

  /**
   * Makes the list valid for the configuration at `x[offset .. offset + 3n)` (nm), rebuilding
   * it when needed.
   * @returns true when it was rebuilt.
   */
  update(x: ArrayLike<number>, offset = 0): boolean {
    if (this.built && !this.movedTooFar(x, offset)) return false;
    this.build(x, offset);
    return true;
  }

  /** Number of pairs in the list. */
  get size(): number {
    return this.start[this.options.n];
  }

  private movedTooFar(x: ArrayLike<number>, offset: number): boolean {
    const lim = (this.options.skin / 2) ** 2;
    const ref = this.ref;
    for (let i = 0; i < ref.length; i += 3) {
      const dx = x[offset + i] - ref[i];
      const dy = x[offset + i + 1] - ref[i + 1];
      const dz = x[offset + i + 2] - ref[i + 2];
      if (dx * dx + dy * dy + dz * dz > lim) return true;
    }
    return false;
  }

  private build(x: ArrayLike<number>, offset: number): void {
    this.builds++;
    this.built = true;
    const { n, box, cutoff, skin, molecule } = this.options;
    const ref = this.ref;
    for (let i = 0; i < 3 * n; i++) ref[i] = x[offset + i];
    const rl = cutoff + skin;
    const rl2 = rl * rl;
    const [lx, ly, lz] = box;
    const [hx, hy, hz] = [lx / 2, ly / 2, lz / 2];
    const w = this.wrapped;
    wrapIntoBox(ref, 0, n, box, w);
    const nc = box.map((l) => Math.max(1, Math.floor(l / rl)));
    // Cells are at least rl wide, so the 27 around a particle's hold all its neighbours; with
    // fewer than three per edge those 27 would repeat cells, so small boxes take every pair.
    const useCells = nc[0] >= 3 && nc[1] >= 3 && nc[2] >= 3;
    const cells = useCells ? nc[0] * nc[1] * nc[2] : 1;
    // Particles counting-sorted by cell: the candidates of a cell are one contiguous run.
    const cellOf = new Int32Array(n);
    const cellStart = new Int32Array(cells + 1);
    for (let i = 0; i < n; i++) {
      let c = 0;
      if (useCells) {
        for (let k = 0; k < 3; k++) c = c * nc[k] + Math.min(nc[k] - 1, Math.floor((w[3 * i + k] / box[k]) * nc[k]));
      }
      cellOf[i] = c;
      cellStart[c + 1]++;
    }
    for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
    const sorted = new Int32Array(n);
    const fill = cellStart.slice(0, cells);
    for (let i = 0; i < n; i++) sorted[fill[cellOf[i]]++] = i;
    const around = new Int32Array(27);
    let list = this.list;
    let size = 0;
    for (let i = 0; i < n; i++) {
      this.start[i] = size;
      let m = 1;
      if (useCells) {
        const c = cellOf[i];
        const cz = c % nc[2];
        const cy = Math.floor(c / nc[2]) % nc[1];
        const cx = Math.floor(c / (nc[1] * nc[2]));
        m = 0;
        for (let ax = -1; ax <= 1; ax++) {
          for (let ay = -1; ay <= 1; ay++) {
            for (let az = -1; az <= 1; az++) around[m++] = (wrap(cx + ax, nc[0]) * nc[1] + wrap(cy + ay, nc[1])) * nc[2] + wrap(cz + az, nc[2]);
          }
        }
      } else {
        around[0] = 0;
      }
      const xi = w[3 * i];
      const yi = w[3 * i + 1];
      const zi = w[3 * i + 2];
      const mi = molecule ? molecule[i] : -1;
      if (size + n > list.length) {
        const grown = new Int32Array(Math.max(2 * list.length, size + n));
        grown.set(list.subarray(0, size));
        list = grown;
      }
      for (let q = 0; q < m; q++) {
        const cc = around[q];
        for (let k = cellStart[cc]; k < cellStart[cc + 1]; k++) {
          const j = sorted[k];
          if (j <= i || (molecule && molecule[j] === mi)) continue;
          const dx = wrappedImage(xi - w[3 * j], lx, hx);
          const dy = wrappedImage(yi - w[3 * j + 1], ly, hy);
          const dz = wrappedImage(zi - w[3 * j + 2], lz, hz);
          if (dx * dx + dy * dy + dz * dz < rl2) list[size++] = j;
        }
      }
    }
    this.start[n] = size;
    this.list = list;
  }
}

const wrap = (c: number, m: number) => ((c % m) + m) % m;
