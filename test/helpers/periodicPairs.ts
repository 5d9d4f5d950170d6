// Periodic liquids for the pair-potential tests (physics/pairPotential, cg/pairBasisSet): seeded
// random configurations and a brute-force O(n²) pair loop whose minimum image is a search over
// the 27 nearest images, independent of the library's `minimumImage` and neighbour lists.
import { Random } from 'cglab/util/random';

export type Box = [number, number, number];

/** x_i − x_j of the nearest of the 27 images of j around i (nm); exact for cut-offs ≤ half an edge. */
export function nearestImage(x: ArrayLike<number>, i: number, j: number, box: Box, offset = 0): [number, number, number] {
  let best: [number, number, number] = [0, 0, 0];
  let bestR2 = Infinity;
  // Unwrapped inputs may be several edges apart: first bring each component near [−L/2, L/2]
  // by whole edges, then search the neighbouring images.
  const c = [0, 1, 2].map((k) => {
    const d = x[offset + 3 * i + k] - x[offset + 3 * j + k];
    return d - box[k] * Math.floor(d / box[k] + 0.5);
  });
  for (let a = -1; a <= 1; a++) {
    for (let b = -1; b <= 1; b++) {
      for (let e = -1; e <= 1; e++) {
        const d: [number, number, number] = [c[0] + a * box[0], c[1] + b * box[1], c[2] + e * box[2]];
        const r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if (r2 < bestR2) [best, bestR2] = [d, r2];
      }
    }
  }
  return best;
}

/**
 * Visits every pair i < j of different molecules (all pairs without `molecule`) with its
 * nearest-image difference d = x_i − x_j and distance r, nm.
 */
export function forEachPairBrute(
  x: ArrayLike<number>, n: number, box: Box, visit: (i: number, j: number, d: [number, number, number], r: number) => void,
  molecule?: Int32Array, offset = 0,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (molecule && molecule[i] === molecule[j]) continue;
      const d = nearestImage(x, i, j, box, offset);
      visit(i, j, d, Math.hypot(d[0], d[1], d[2]));
    }
  }
}

/**
 * Energy (kJ/mol) and forces [n, 3] (kJ/mol/nm) of a pair potential by brute force:
 * U = Σ_{i<j} u(r_ij), F_i = −Σ_j u'(r_ij)(x_i − x_j)/r_ij; `pair` returns undefined for
 * pairs that do not interact.
 */
export function bruteForcePairs(
  x: ArrayLike<number>, n: number, box: Box, pair: (i: number, j: number, r: number) => { u: number; du: number } | undefined,
  molecule?: Int32Array, offset = 0,
): { energy: number; forces: Float64Array } {
  let energy = 0;
  const forces = new Float64Array(3 * n);
  forEachPairBrute(x, n, box, (i, j, d, r) => {
    const p = pair(i, j, r);
    if (!p) return;
    energy += p.u;
    for (let k = 0; k < 3; k++) {
      const f = (-p.du * d[k]) / r;
      forces[3 * i + k] += f;
      forces[3 * j + k] -= f;
    }
  }, molecule, offset);
  return { energy, forces };
}

/**
 * `n` positions (nm) with every nearest-image distance ≥ `minDist`, uniform over
 * [−box, 2·box) per edge: unwrapped, so every periodic image convention is exercised.
 */
export function randomLiquid(n: number, box: Box, minDist: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const x = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let tries = 0; ; tries++) {
      if (tries > 10000) throw new Error(`randomLiquid: cannot place ${n} beads ${minDist} nm apart in ${box.join('×')} nm`);
      for (let k = 0; k < 3; k++) x[3 * i + k] = box[k] * (3 * rng.uniform() - 1);
      let ok = true;
      for (let j = 0; j < i && ok; j++) ok = Math.hypot(...nearestImage(x, i, j, box)) >= minDist;
      if (ok) break;
    }
  }
  return x;
}

/** Largest |a_k − b_k| and largest |b_k| (the scale a tolerance is relative to). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { err: number; scale: number } {
  let err = 0;
  let scale = 0;
  for (let k = 0; k < b.length; k++) {
    err = Math.max(err, Math.abs(a[k] - b[k]));
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return { err, scale };
}
