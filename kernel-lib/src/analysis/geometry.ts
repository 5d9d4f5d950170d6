/**
 * Geometry of one configuration on flat coordinates ([atoms, 3], nm): distances, angles and
 * dihedrals with the IUPAC sign convention (the one mdtraj and OpenMM use).
 */

type Vec = [number, number, number];

function at(x: ArrayLike<number>, i: number, offset = 0): Vec {
  const o = offset + 3 * i;
  return [x[o], x[o + 1], x[o + 2]];
}
const sub = (p: Vec, q: Vec): Vec => [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
const dot = (p: Vec, q: Vec) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
const cross = (p: Vec, q: Vec): Vec => [p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]];

/** Distance between atoms i and j, nm. `offset` selects a frame inside a batch (in values). */
export function distance(x: ArrayLike<number>, i: number, j: number, offset = 0): number {
  const d = sub(at(x, i, offset), at(x, j, offset));
  return Math.sqrt(dot(d, d));
}

/** Angle i–j–k at j, radians in [0, π]. */
export function angle(x: ArrayLike<number>, i: number, j: number, k: number, offset = 0): number {
  const a = sub(at(x, i, offset), at(x, j, offset));
  const b = sub(at(x, k, offset), at(x, j, offset));
  return Math.atan2(Math.hypot(...cross(a, b)), dot(a, b));
}

/** Dihedral i–j–k–l, radians in (−π, π], IUPAC sign (φ, ψ of proteins as usually quoted). */
export function dihedral(x: ArrayLike<number>, i: number, j: number, k: number, l: number, offset = 0): number {
  const b1 = sub(at(x, j, offset), at(x, i, offset));
  const b2 = sub(at(x, k, offset), at(x, j, offset));
  const b3 = sub(at(x, l, offset), at(x, k, offset));
  const n2 = cross(b2, b3);
  return Math.atan2(Math.sqrt(dot(b2, b2)) * dot(b1, n2), dot(cross(b1, b2), n2));
}

/** Dihedral `quad` of every frame of a [frames, atoms, 3] array, radians. */
export function dihedrals(x: ArrayLike<number>, nAtoms: number, quad: readonly [number, number, number, number]): Float64Array {
  const frames = x.length / (3 * nAtoms);
  return Float64Array.from({ length: frames }, (_, f) => dihedral(x, quad[0], quad[1], quad[2], quad[3], 3 * nAtoms * f));
}

/** Distance of `pair` in every frame of a [frames, atoms, 3] array (its unit: nm for cglab data). */
export function distances(x: ArrayLike<number>, nAtoms: number, pair: readonly [number, number]): Float64Array {
  const frames = x.length / (3 * nAtoms);
  return Float64Array.from({ length: frames }, (_, f) => distance(x, pair[0], pair[1], 3 * nAtoms * f));
}

/** Angle `triple` (vertex in the middle) in every frame of a [frames, atoms, 3] array, radians. */
export function angles(x: ArrayLike<number>, nAtoms: number, triple: readonly [number, number, number]): Float64Array {
  const frames = x.length / (3 * nAtoms);
  return Float64Array.from({ length: frames }, (_, f) => angle(x, triple[0], triple[1], triple[2], 3 * nAtoms * f));
}

/** Signed volume (j−i)·((k−i)×(l−i)), nm³: its sign tells the handedness of a chiral centre i. */
export function chiralVolume(x: ArrayLike<number>, i: number, j: number, k: number, l: number, offset = 0): number {
  const c = at(x, i, offset);
  return dot(sub(at(x, j, offset), c), cross(sub(at(x, k, offset), c), sub(at(x, l, offset), c)));
}
