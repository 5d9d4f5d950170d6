/**
 * Lennard-Jones fluid in a periodic orthorhombic (or cubic) box: U = Σ 4ε[(σ/r)¹² − (σ/r)⁶] −
 * U(rc) for r < rc (energy shifted so it is continuous at the cut-off), minimum-image
 * convention, Verlet neighbour lists built with cell lists and rebuilt when any particle has
 * moved more than half the skin since the last build.
 */
import type { Potential } from './potential.js';

/** Parameters of a Lennard-Jones fluid. */
export interface LJOptions {
  /** Number of particles. */
  n: number;
  /** Box edge lengths, nm (orthorhombic). */
  box: [number, number, number];
  /** σ, nm. */
  sigma: number;
  /** ε, kJ/mol. */
  epsilon: number;
  /** Cut-off, nm (must be below half the shortest box edge). */
  cutoff: number;
  /** Verlet-list skin, nm (0.1σ–0.3σ is typical). */
  skin?: number;
}

/** A periodic LJ potential; `neighbourBuilds` counts list rebuilds (for tests and tuning). */
export interface LJPotential extends Potential {
  readonly options: Readonly<Required<LJOptions>>;
  neighbourBuilds: number;
}

interface ListState {
  /** Positions at the last build. */
  ref: Float64Array;
  /** CSR neighbour list: pairs (i, j>i) for particle i are list[start[i] .. start[i+1]). */
  start: Int32Array;
  list: Int32Array;
}

/** A Lennard-Jones potential over `opts.n` particles; coordinates [batch, n, 3] in nm. */
export function lennardJones(opts: LJOptions): LJPotential {
  const o: Required<LJOptions> = { skin: 0.3 * opts.sigma, ...opts };
  const { n, box, sigma, epsilon, cutoff, skin } = o;
  if (!(n >= 2) || !Number.isInteger(n)) throw new Error(`lj: n must be an integer ≥ 2, got ${n}`);
  if (box.some((l) => !(l > 0))) throw new Error(`lj: box edges must be positive (nm), got ${box}`);
  if (!(sigma > 0) || !(epsilon > 0)) throw new Error(`lj: sigma (nm) and epsilon (kJ/mol) must be positive`);
  if (!(cutoff > 0) || 2 * cutoff > Math.min(...box)) {
    throw new Error(`lj: cutoff ${cutoff} nm must be positive and at most half the shortest box edge (${Math.min(...box) / 2} nm)`);
  }
  const rc2 = cutoff * cutoff;
  const rl = cutoff + skin;
  const sr6c = (sigma * sigma / rc2) ** 3;
  const shift = 4 * epsilon * (sr6c * sr6c - sr6c);
  const s2 = sigma * sigma;
  const states: ListState[] = [];
  const pot: LJPotential = {
    name: 'lj-fluid',
    nParticles: n,
    dim: 3,
    options: o,
    neighbourBuilds: 0,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        const off = 3 * n * b;
        let st = states[b];
        if (!st || needsRebuild(st, x, off)) st = states[b] = build(x, off);
        let e = 0;
        forces.fill(0, off, off + 3 * n);
        for (let i = 0; i < n; i++) {
          const pi = off + 3 * i;
          for (let q = st.start[i]; q < st.start[i + 1]; q++) {
            const pj = off + 3 * st.list[q];
            let dx = x[pi] - x[pj];
            let dy = x[pi + 1] - x[pj + 1];
            let dz = x[pi + 2] - x[pj + 2];
            dx -= box[0] * Math.round(dx / box[0]);
            dy -= box[1] * Math.round(dy / box[1]);
            dz -= box[2] * Math.round(dz / box[2]);
            const r2 = dx * dx + dy * dy + dz * dz;
            if (r2 >= rc2) continue;
            const sr2 = s2 / r2;
            const sr6 = sr2 * sr2 * sr2;
            e += 4 * epsilon * (sr6 * sr6 - sr6) - shift;
            // −dU/dr · 1/r, so that F_i = g·(x_i − x_j).
            const g = (24 * epsilon * (2 * sr6 * sr6 - sr6)) / r2;
            forces[pi] += g * dx;
            forces[pi + 1] += g * dy;
            forces[pi + 2] += g * dz;
            forces[pj] -= g * dx;
            forces[pj + 1] -= g * dy;
            forces[pj + 2] -= g * dz;
          }
        }
        energies[b] = e;
      }
    },
  };

  function needsRebuild(st: ListState, x: Float64Array, off: number): boolean {
    const lim = (skin / 2) ** 2;
    for (let i = 0; i < 3 * n; i += 3) {
      const dx = x[off + i] - st.ref[i];
      const dy = x[off + i + 1] - st.ref[i + 1];
      const dz = x[off + i + 2] - st.ref[i + 2];
      if (dx * dx + dy * dy + dz * dz > lim) return true;
    }
    return false;
  }

  /** Verlet list within rc + skin, found through cells at least that wide (or all pairs for small boxes). */
  function build(x: Float64Array, off: number): ListState {
    pot.neighbourBuilds++;
    const ref = Float64Array.from(x.subarray(off, off + 3 * n));
    const nc = box.map((l) => Math.max(1, Math.floor(l / rl)));
    const useCells = nc.every((c) => c >= 3);
    const cellOf = new Int32Array(n);
    const head = new Int32Array(useCells ? nc[0] * nc[1] * nc[2] : 1).fill(-1);
    const next = new Int32Array(n).fill(-1);
    const cellIndex = (i: number) => {
      const c = [0, 1, 2].map((k) => {
        const w = ref[3 * i + k] / box[k];
        return wrap(Math.floor((w - Math.floor(w)) * nc[k]), nc[k]);
      });
      return (c[0] * nc[1] + c[1]) * nc[2] + c[2];
    };
    if (useCells) {
      for (let i = 0; i < n; i++) {
        cellOf[i] = cellIndex(i);
        next[i] = head[cellOf[i]];
        head[cellOf[i]] = i;
      }
    }
    const rl2 = rl * rl;
    const pairs: number[][] = Array.from({ length: n }, () => []);
    const consider = (i: number, j: number) => {
      if (j <= i) return;
      let dx = ref[3 * i] - ref[3 * j];
      let dy = ref[3 * i + 1] - ref[3 * j + 1];
      let dz = ref[3 * i + 2] - ref[3 * j + 2];
      dx -= box[0] * Math.round(dx / box[0]);
      dy -= box[1] * Math.round(dy / box[1]);
      dz -= box[2] * Math.round(dz / box[2]);
      if (dx * dx + dy * dy + dz * dz < rl2) pairs[i].push(j);
    };
    if (!useCells) {
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) consider(i, j);
    } else {
      for (let i = 0; i < n; i++) {
        const c = cellOf[i];
        const cz = c % nc[2];
        const cy = Math.floor(c / nc[2]) % nc[1];
        const cx = Math.floor(c / (nc[1] * nc[2]));
        for (let ax = -1; ax <= 1; ax++) for (let ay = -1; ay <= 1; ay++) for (let az = -1; az <= 1; az++) {
          const cc = (wrap(cx + ax, nc[0]) * nc[1] + wrap(cy + ay, nc[1])) * nc[2] + wrap(cz + az, nc[2]);
          for (let j = head[cc]; j >= 0; j = next[j]) consider(i, j);
        }
      }
    }
    const start = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) start[i + 1] = start[i] + pairs[i].length;
    const list = new Int32Array(start[n]);
    pairs.forEach((ps, i) => list.set(ps, start[i]));
    return { ref, start, list };
  }

  return pot;
}

const wrap = (c: number, m: number) => ((c % m) + m) % m;

/**
 * Particles on a face-centred cubic lattice filling a cubic box of edge `edge` nm with
 * 4·k³ ≥ n sites (the first n are used): a start without overlaps for a dense fluid.
 * @returns [n, 3] positions, nm
 */
export function fccLattice(n: number, edge: number): Float64Array {
  const k = Math.ceil(Math.cbrt(n / 4));
  const a = edge / k;
  const basis = [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]];
  const x = new Float64Array(3 * n);
  let i = 0;
  for (let u = 0; u < k && i < n; u++) for (let v = 0; v < k && i < n; v++) for (let w = 0; w < k && i < n; w++) {
    for (const bb of basis) {
      if (i >= n) break;
      x.set([(u + bb[0] + 0.25) * a, (v + bb[1] + 0.25) * a, (w + bb[2] + 0.25) * a], 3 * i++);
    }
  }
  return x;
}
