/**
 * Holonomic distance constraints (typically bonds to hydrogen, which allow a 2 fs time step):
 * SHAKE for positions and RATTLE for velocities (Ryckaert et al. 1977; Andersen 1983), iterated
 * to a relative tolerance on every replica of a batch, and SETTLE for rigid three-site
 * molecules. Coordinates are [replicas, atoms, 3].
 */
import { settlePositions, settleVelocities, type SettleGroups } from './settle.js';

/** Fixed distances between atom pairs. */
export interface Constraints {
  /** [nConstraints, 2] atom indices. */
  pairs: Int32Array;
  /** [nConstraints] target distances, nm. */
  distances: Float64Array;
  /**
   * Rigid water-like triangles solved exactly by SETTLE; their three constraints are in
   * `pairs` too (for counting degrees of freedom and for minimisation), and SHAKE/RATTLE leave
   * them to SETTLE.
   */
  settle?: SettleGroups;
}

const iterativeCache = new WeakMap<Constraints, Int32Array>();

/** Indices of the constraints SHAKE/RATTLE iterate on: all but those of SETTLE's triangles. */
function iterative(c: Constraints): Int32Array {
  let idx = iterativeCache.get(c);
  if (idx) return idx;
  const molecule = new Map<number, number>();
  const atoms = c.settle?.atoms ?? new Int32Array(0);
  atoms.forEach((a, k) => molecule.set(a, Math.floor(k / 3)));
  const keep: number[] = [];
  for (let k = 0; k < c.distances.length; k++) {
    const mi = molecule.get(c.pairs[2 * k]);
    if (mi === undefined || mi !== molecule.get(c.pairs[2 * k + 1])) keep.push(k);
  }
  idx = Int32Array.from(keep);
  iterativeCache.set(c, idx);
  return idx;
}

/** Settings of the iterative solvers. */
export interface ConstraintOptions {
  /** Relative tolerance on squared distances (positions) and on r·v/|r|² (velocities). */
  tolerance?: number;
  maxIterations?: number;
}

/** Constraints from [[i, j, d], ...] (d in nm), checking indices and distances. */
export function makeConstraints(list: [number, number, number][], nAtoms: number): Constraints {
  const pairs = new Int32Array(2 * list.length);
  const distances = new Float64Array(list.length);
  list.forEach(([i, j, d], c) => {
    if (!Number.isInteger(i) || !Number.isInteger(j) || i < 0 || j < 0 || i >= nAtoms || j >= nAtoms || i === j) {
      throw new Error(`constraint ${c} (${i}, ${j}) must join two distinct atoms in 0..${nAtoms - 1}`);
    }
    if (!(d > 0)) throw new Error(`constraint ${c} (${i}, ${j}) has distance ${d} nm, expected > 0`);
    pairs[2 * c] = i;
    pairs[2 * c + 1] = j;
    distances[c] = d;
  });
  return { pairs, distances };
}

/**
 * SHAKE: move `x` (updated positions) so every constraint holds, along the constraint vectors
 * of `ref` (positions at the start of the step, which satisfy them). Mass-weighted, so the
 * centre of mass of each pair does not move.
 * @param invMass [atoms] inverse masses, 1/amu
 * @throws Error when the iteration does not converge (a sign of an exploding simulation).
 */
export function shakePositions(
  c: Constraints, ref: Float64Array, x: Float64Array, invMass: Float64Array, replicas: number, opts: ConstraintOptions = {},
): void {
  if (c.settle) settlePositions(c.settle, ref, x, invMass, replicas);
  const tol = opts.tolerance ?? 1e-10;
  const maxIt = opts.maxIterations ?? 1000;
  const n = invMass.length;
  const todo = iterative(c);
  if (todo.length === 0) return;
  for (let r = 0; r < replicas; r++) {
    const o = 3 * n * r;
    let it = 0;
    for (let done = false; !done; it++) {
      if (it >= maxIt) throw new Error(`SHAKE did not converge in ${maxIt} iterations for replica ${r}: constrained atoms moved too far in one step; reduce the time step`);
      done = true;
      for (const k of todo) {
        const i = c.pairs[2 * k];
        const j = c.pairs[2 * k + 1];
        const pi = o + 3 * i;
        const pj = o + 3 * j;
        const dx = x[pi] - x[pj];
        const dy = x[pi + 1] - x[pj + 1];
        const dz = x[pi + 2] - x[pj + 2];
        const d2 = c.distances[k] * c.distances[k];
        const diff = d2 - (dx * dx + dy * dy + dz * dz);
        if (Math.abs(diff) <= tol * d2) continue;
        done = false;
        const rx = ref[pi] - ref[pj];
        const ry = ref[pi + 1] - ref[pj + 1];
        const rz = ref[pi + 2] - ref[pj + 2];
        const dot = rx * dx + ry * dy + rz * dz;
        if (!(dot > 0.1 * d2)) {
          throw new Error(`SHAKE failed for constraint ${i}–${j} in replica ${r}: the bond rotated too far in one step; reduce the time step`);
        }
        const g = diff / (2 * dot * (invMass[i] + invMass[j]));
        x[pi] += g * rx * invMass[i];
        x[pi + 1] += g * ry * invMass[i];
        x[pi + 2] += g * rz * invMass[i];
        x[pj] -= g * rx * invMass[j];
        x[pj + 1] -= g * ry * invMass[j];
        x[pj + 2] -= g * rz * invMass[j];
      }
    }
  }
}

/**
 * RATTLE's velocity half: remove from `v` every component along a constraint, so constrained
 * distances do not change to first order. `x` must satisfy the constraints.
 */
export function rattleVelocities(
  c: Constraints, x: Float64Array, v: Float64Array, invMass: Float64Array, replicas: number, opts: ConstraintOptions = {},
): void {
  if (c.settle) settleVelocities(c.settle, x, v, invMass, replicas);
  const tol = opts.tolerance ?? 1e-10;
  const maxIt = opts.maxIterations ?? 1000;
  const n = invMass.length;
  const todo = iterative(c);
  if (todo.length === 0) return;
  for (let r = 0; r < replicas; r++) {
    const o = 3 * n * r;
    let it = 0;
    for (let done = false; !done; it++) {
      if (it >= maxIt) throw new Error(`RATTLE did not converge in ${maxIt} iterations for replica ${r}`);
      done = true;
      for (const k of todo) {
        const i = c.pairs[2 * k];
        const j = c.pairs[2 * k + 1];
        const pi = o + 3 * i;
        const pj = o + 3 * j;
        const rx = x[pi] - x[pj];
        const ry = x[pi + 1] - x[pj + 1];
        const rz = x[pi + 2] - x[pj + 2];
        const r2 = rx * rx + ry * ry + rz * rz;
        const rv = rx * (v[pi] - v[pj]) + ry * (v[pi + 1] - v[pj + 1]) + rz * (v[pi + 2] - v[pj + 2]);
        // rv/r2 is a rate (1/ps); 1e-10 of it is far below anything that matters over a run.
        if (Math.abs(rv) <= tol * r2) continue;
        done = false;
        const g = rv / (r2 * (invMass[i] + invMass[j]));
        v[pi] -= g * rx * invMass[i];
        v[pi + 1] -= g * ry * invMass[i];
        v[pi + 2] -= g * rz * invMass[i];
        v[pj] += g * rx * invMass[j];
        v[pj + 1] += g * ry * invMass[j];
        v[pj + 2] += g * rz * invMass[j];
      }
    }
  }
}

/** Largest relative deviation |d − d0|/d0 over all constraints and replicas (for checks). */
export function maxConstraintError(c: Constraints, x: Float64Array, nAtoms: number, replicas: number): number {
  let worst = 0;
  for (let r = 0; r < replicas; r++) {
    for (let k = 0; k < c.distances.length; k++) {
      const a = 3 * (nAtoms * r + c.pairs[2 * k]);
      const b = 3 * (nAtoms * r + c.pairs[2 * k + 1]);
      const d = Math.hypot(x[a] - x[b], x[a + 1] - x[b + 1], x[a + 2] - x[b + 2]);
      worst = Math.max(worst, Math.abs(d - c.distances[k]) / c.distances[k]);
    }
  }
  return worst;
}
