/**
 * Periodic boxes: edge lengths and angles (what PDB CRYST1 records and DCD unit-cell blocks
 * store) ↔ box vectors as rows (what a Trajectory stores). The vectors follow the
 * lower-triangular convention of mdtraj, OpenMM and GROMACS: a along x, b in the xy plane,
 * so every file that stores only lengths and angles maps onto one matrix.
 */

/** Edge lengths (nm) and angles (degrees) of one periodic cell. */
export interface BoxLengthsAngles {
  /** [a, b, c], nm. */
  lengths: [number, number, number];
  /** [α, β, γ], degrees: α between b and c, β between a and c, γ between a and b. */
  angles: [number, number, number];
  /** [cos α, cos β, cos γ], exactly 0 for perpendicular vectors (what DCD files store). */
  cosines: [number, number, number];
}

const DEG = Math.PI / 180;

/** Cosine of an angle in degrees, exactly 0 at 90° so that orthorhombic boxes stay diagonal. */
function cosDeg(deg: number): number {
  return Math.abs(deg - 90) < 1e-9 ? 0 : Math.cos(deg * DEG);
}

/**
 * Box vectors as rows, [3, 3] flat (a, b, c), from edge `lengths` [a, b, c] (nm) and `angles`
 * [α, β, γ] (degrees). a = (a, 0, 0); b = (b cos γ, b sin γ, 0);
 * c = (c cos β, c (cos α − cos β cos γ) / sin γ, c_z) with c_z fixed by |c| = c.
 * @throws Error when a length is not positive and finite, an angle is outside (0, 180), or the
 *   three angles cannot belong to one cell (c_z² ≤ 0).
 */
export function lengthsAnglesToBoxVectors(lengths: ArrayLike<number>, angles: ArrayLike<number>): Float64Array {
  const [a, b, c] = [lengths[0], lengths[1], lengths[2]];
  const [alpha, beta, gamma] = [angles[0], angles[1], angles[2]];
  for (const [name, v] of [['a', a], ['b', b], ['c', c]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) {
      throw new Error(`box length ${name} must be a positive finite number of nm, got ${v}`);
    }
  }
  for (const [name, v] of [['alpha', alpha], ['beta', beta], ['gamma', gamma]] as const) {
    if (!(v > 0 && v < 180)) {
      throw new Error(`box angle ${name} must lie strictly between 0 and 180 degrees, got ${v}`);
    }
  }
  const ca = cosDeg(alpha);
  const cb = cosDeg(beta);
  const cg = cosDeg(gamma);
  const sg = Math.sin(gamma * DEG);
  const cx = c * cb;
  const cy = (c * (ca - cb * cg)) / sg;
  const cz2 = c * c - cx * cx - cy * cy;
  // A relative threshold: angles such as (10, 10, 170) give c_z² of rounding size, not a cell.
  if (!(cz2 > 1e-12 * c * c)) {
    throw new Error(`box angles (${alpha}, ${beta}, ${gamma}) degrees do not describe a cell with positive volume`);
  }
  return Float64Array.of(a, 0, 0, b * cg, b * sg, 0, cx, cy, Math.sqrt(cz2));
}

/**
 * Edge lengths (nm) and angles (degrees) of the box whose vectors are the rows of the [3, 3]
 * matrix starting at `offset` in `box` (nm); pass `9 * frame` to read one frame of a
 * [frames, 3, 3] array. Any orientation is accepted: lengths and angles do not depend on it.
 * @throws Error when a vector has zero or non-finite length.
 */
export function boxVectorsToLengthsAngles(box: ArrayLike<number>, offset = 0): BoxLengthsAngles {
  const v = (k: number) => [box[offset + 3 * k], box[offset + 3 * k + 1], box[offset + 3 * k + 2]];
  const rows = [v(0), v(1), v(2)];
  const dot = (p: number[], q: number[]) => p[0] * q[0] + p[1] * q[1] + p[2] * q[2];
  const len = rows.map((r) => Math.sqrt(dot(r, r)));
  len.forEach((l, k) => {
    if (!(l > 0) || !Number.isFinite(l)) {
      throw new Error(`box vector ${'abc'[k]} (${rows[k].join(', ')}) nm must have a positive finite length`);
    }
  });
  const cos = (p: number, q: number) => Math.min(1, Math.max(-1, dot(rows[p], rows[q]) / (len[p] * len[q])));
  const cosines: [number, number, number] = [cos(1, 2), cos(0, 2), cos(0, 1)];
  const [alpha, beta, gamma] = cosines.map((c) => (c === 0 ? 90 : Math.acos(c) / DEG));
  return { lengths: [len[0], len[1], len[2]], angles: [alpha, beta, gamma], cosines };
}
