/**
 * Lennard-Jones fluid in a periodic orthorhombic (or cubic) box: U = Σ 4ε[(σ/r)¹² − (σ/r)⁶] −
 * U(rc) for r < rc (energy shifted so it is continuous at the cut-off), minimum-image
 * convention, Verlet neighbour lists built with cell lists and rebuilt when any particle has
 * moved more than half the skin since the last build.
 */
import { addPairForce, checkPeriodicCutoff, minimumImage, NeighbourList } from './neighbours.js';
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
  readonly neighbourBuilds: number;
}

/** A Lennard-Jones potential over `opts.n` particles; coordinates [batch, n, 3] in nm. */
export function lennardJones(opts: LJOptions): LJPotential {
  const o: Required<LJOptions> = { skin: 0.3 * opts.sigma, ...opts };
  const { n, box, sigma, epsilon, cutoff, skin } = o;
  if (!(n >= 2) || !Number.isInteger(n)) throw new Error(`lj: n must be an integer ≥ 2, got ${n}`);
  if (!(sigma > 0) || !(epsilon > 0)) throw new Error(`lj: sigma (nm) and epsilon (kJ/mol) must be positive`);
  checkPeriodicCutoff(box, cutoff, 'lj');
  const rc2 = cutoff * cutoff;
  const sr6c = (sigma * sigma / rc2) ** 3;
  const shift = 4 * epsilon * (sr6c * sr6c - sr6c);
  const s2 = sigma * sigma;
  const lists: NeighbourList[] = [];
  const [ix, iy, iz] = box.map((l) => 1 / l);
  const pot: LJPotential = {
    name: 'lj-fluid',
    nParticles: n,
    dim: 3,
    options: o,
    get neighbourBuilds() {
      return lists.reduce((a, l) => a + l.builds, 0);
    },
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        const off = 3 * n * b;
        const st = (lists[b] ??= new NeighbourList({ n, box, cutoff, skin }));
        st.update(x, off);
        let e = 0;
        forces.fill(0, off, off + 3 * n);
        for (let i = 0; i < n; i++) {
          const pi = off + 3 * i;
          for (let q = st.start[i]; q < st.start[i + 1]; q++) {
            const pj = off + 3 * st.list[q];
            const dx = minimumImage(x[pi] - x[pj], box[0], ix);
            const dy = minimumImage(x[pi + 1] - x[pj + 1], box[1], iy);
            const dz = minimumImage(x[pi + 2] - x[pj + 2], box[2], iz);
            const r2 = dx * dx + dy * dy + dz * dz;
            if (r2 >= rc2) continue;
            const sr2 = s2 / r2;
            const sr6 = sr2 * sr2 * sr2;
            e += 4 * epsilon * (sr6 * sr6 - sr6) - shift;
            // −dU/dr · 1/r, so that F_i = g·(x_i − x_j).
            const g = (24 * epsilon * (2 * sr6 * sr6 - sr6)) / r2;
            addPairForce(forces, pi, pj, g, dx, dy, dz);
          }
        }
        energies[b] = e;
      }
    },
  };

  return pot;
}

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
