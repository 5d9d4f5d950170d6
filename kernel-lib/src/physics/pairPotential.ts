/**
 * A CG liquid: tabulated pair potentials between typed beads in a periodic orthorhombic box,
 * U = Σ_{i<j} U_{type(i),type(j)}(r_ij) under the minimum image, through the shared Verlet list.
 * Pairs within one molecule (when molecules are given) are left to the molecule's own terms.
 */
import type { PairTable } from '../cg/pairTable.js';
import { addPairForce, checkPeriodicCutoff, minimumImage, NeighbourList } from './neighbours.js';
import type { Potential } from './potential.js';

/** What a CG liquid is made of. */
export interface PairPotentialOptions {
  /** Box edge lengths, nm. */
  box: [number, number, number];
  /** [n] type index of each bead. */
  types: Int32Array;
  /** Type names, by index. */
  typeNames: string[];
  /**
   * Table of each type pair, keyed "A-B" by names (either order); a pair without a table
   * does not interact.
   */
  tables: ReadonlyMap<string, PairTable>;
  /** [n] molecule index of each bead: pairs within a molecule are excluded. Default: none. */
  molecule?: Int32Array;
  /** Verlet skin, nm. Default 0.1. */
  skin?: number;
}

/** A CG pair potential; `cutoff` is the largest table's, nm. */
export interface PairPotential extends Potential {
  readonly options: Readonly<PairPotentialOptions>;
  readonly cutoff: number;
}

/** The table of types A and B from a map keyed "A-B" in either order. */
export function tableOf(tables: ReadonlyMap<string, PairTable>, a: string, b: string): PairTable | undefined {
  return tables.get(`${a}-${b}`) ?? tables.get(`${b}-${a}`);
}

/** A pair potential over `options.types.length` beads; coordinates [batch, n, 3] in nm. */
export function pairPotential(options: PairPotentialOptions): PairPotential {
  const { box, types, typeNames, tables, molecule } = options;
  const n = types.length;
  const nt = typeNames.length;
  for (const key of tables.keys()) {
    const [a, b, ...rest] = key.split('-');
    if (rest.length || !typeNames.includes(a) || !typeNames.includes(b)) {
      throw new Error(`pair potential: table '${key}' does not name two bead types 'A-B' of ${typeNames.join(', ')}`);
    }
  }
  types.forEach((t, i) => {
    if (!(t >= 0 && t < nt)) throw new Error(`pair potential: bead ${i} has type index ${t}, expected 0 … ${nt - 1}`);
  });
  const byPair: (PairTable | undefined)[] = [];
  let cutoff = 0;
  for (let a = 0; a < nt; a++) {
    for (let b = 0; b < nt; b++) {
      const t = tableOf(tables, typeNames[a], typeNames[b]);
      byPair[a * nt + b] = t;
      if (t) cutoff = Math.max(cutoff, t.cutoff);
    }
  }
  if (cutoff === 0) throw new Error('pair potential: no tables given');
  checkPeriodicCutoff(box, cutoff, 'pair potential');
  const skin = options.skin ?? 0.1;
  const lists: NeighbourList[] = [];
  const [ix, iy, iz] = box.map((l) => 1 / l);
  const out = new Float64Array(2);
  return {
    name: 'cg-pairs',
    nParticles: n,
    dim: 3,
    options,
    cutoff,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        const off = 3 * n * b;
        const nl = (lists[b] ??= new NeighbourList({ n, box, cutoff, skin, molecule }));
        nl.update(x, off);
        forces.fill(0, off, off + 3 * n);
        let e = 0;
        for (let i = 0; i < n; i++) {
          const pi = off + 3 * i;
          const row = types[i] * nt;
          for (let k = nl.start[i]; k < nl.start[i + 1]; k++) {
            const j = nl.list[k];
            const table = byPair[row + types[j]];
            if (!table) continue;
            const pj = off + 3 * j;
            const dx = minimumImage(x[pi] - x[pj], box[0], ix);
            const dy = minimumImage(x[pi + 1] - x[pj + 1], box[1], iy);
            const dz = minimumImage(x[pi + 2] - x[pj + 2], box[2], iz);
            const r2 = dx * dx + dy * dy + dz * dz;
            if (r2 >= cutoff * cutoff) continue;
            const r = Math.sqrt(r2);
            table.evaluate(r, out);
            e += out[0];
            const g = out[1] / r;
            addPairForce(forces, pi, pj, g, dx, dy, dz);
          }
        }
        energies[b] = e;
      }
    },
  };
}
