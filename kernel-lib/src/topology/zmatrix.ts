/**
 * Cartesian coordinates from internal coordinates (a Z-matrix): each atom is placed from a bond
 * length to one earlier atom, an angle with a second and a dihedral with a third (the NeRF
 * construction, Parsons et al. 2005). This is how cglab builds molecules with standard geometry
 * without downloading structures.
 */

/** One row: the atom is `bond` nm from `a`, makes `angle` degrees b–a–atom, and `dihedral` degrees c–b–a–atom. */
export interface ZRow {
  a: number;
  bond: number;
  b: number;
  angle: number;
  c: number;
  dihedral: number;
}

const DEG = Math.PI / 180;

/**
 * Coordinates (nm) of atoms built from `rows`: the first three atoms are placed in the xy plane
 * (their rows use only the references that exist), every later atom from its three references.
 * @returns [atoms, 3] flattened
 */
export function zmatrixToCartesian(rows: ZRow[]): Float64Array {
  const n = rows.length;
  const x = new Float64Array(3 * n);
  const at = (i: number) => [x[3 * i], x[3 * i + 1], x[3 * i + 2]];
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (i === 0) continue;
    if (r.a >= i || (i > 1 && r.b >= i) || (i > 2 && r.c >= i)) {
      throw new Error(`Z-matrix row ${i} refers to an atom that is not placed yet (references must come earlier)`);
    }
    if (i === 1) {
      x.set([x[3 * r.a] + r.bond, x[3 * r.a + 1], x[3 * r.a + 2]], 3);
      continue;
    }
    // For the third atom, invent a reference c off the a–b line so the dihedral is defined.
    const A = at(r.a);
    const B = at(r.b);
    const C = i === 2 ? [B[0], B[1] + 1, B[2]] : at(r.c);
    x.set(place(C, B, A, r.bond, r.angle * DEG, i === 2 ? 0 : r.dihedral * DEG), 3 * i);
  }
  return x;
}

/** D at `bond` from A with angle B–A–D and dihedral C–B–A–D (radians; IUPAC sign). */
function place(C: number[], B: number[], A: number[], bond: number, angle: number, dihedral: number): number[] {
  const bc = unit(sub(A, B));
  const n = unit(cross(sub(B, C), bc));
  const m = cross(n, bc);
  const u = -bond * Math.cos(angle);
  const v = bond * Math.sin(angle) * Math.cos(dihedral);
  const w = bond * Math.sin(angle) * Math.sin(dihedral);
  return [0, 1, 2].map((k) => A[k] + u * bc[k] + v * m[k] + w * n[k]);
}

const sub = (p: number[], q: number[]) => [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
const cross = (p: number[], q: number[]) => [p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]];
function unit(p: number[]): number[] {
  const l = Math.hypot(p[0], p[1], p[2]);
  return p.map((v) => v / l);
}
