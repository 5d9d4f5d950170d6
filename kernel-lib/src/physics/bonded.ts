/**
 * Bonded terms of a classical force field (OpenMM's HarmonicBondForce, HarmonicAngleForce and
 * PeriodicTorsionForce) on one configuration of flat coordinates ([atoms, 3], nm), with
 * analytic forces. Each term keeps its parameters in typed arrays and allocates nothing when
 * evaluated, since it runs in the MD inner loop.
 */

/** A harmonic bond: E = k/2 (r − length)². */
export interface HarmonicBondParameters {
  /** The two atoms (0-based indices). */
  atoms: [number, number];
  /** Equilibrium length, nm. */
  length: number;
  /** Force constant, kJ/mol/nm². */
  k: number;
}

/** A harmonic angle at the middle atom: E = k/2 (θ − angle)². */
export interface HarmonicAngleParameters {
  /** The three atoms, the vertex in the middle. */
  atoms: [number, number, number];
  /** Equilibrium angle, rad. */
  angle: number;
  /** Force constant, kJ/mol/rad². */
  k: number;
}

/**
 * A periodic torsion, proper or improper: E = k (1 + cos(nφ − phase)), where φ is the dihedral
 * of the four atoms with the IUPAC sign (analysis/geometry.ts `dihedral`, OpenMM's convention).
 */
export interface PeriodicTorsionParameters {
  /** The four atoms; for an AMBER improper the central atom is the third. */
  atoms: [number, number, number, number];
  /** n, a positive integer. */
  periodicity: number;
  /** Phase, rad. */
  phase: number;
  /** Barrier amplitude, kJ/mol. */
  k: number;
}

/** The minimum image of a difference along axis `a` of a periodic box; the difference itself without one. */
function image(d: number, box: readonly number[] | undefined, a: number): number {
  return box ? d - box[a] * Math.round(d / box[a]) : d;
}

/** Σ k/2 (r − r0)² over harmonic bonds. */
export class HarmonicBonds {
  /** Atom indices × 3 (offsets into a configuration), [nBonds, 2]. */
  private readonly at: Int32Array;
  private readonly r0: Float64Array;
  private readonly k: Float64Array;

  /** Edges of a periodic orthorhombic box, nm: bond vectors are then minimum images. */
  private readonly box?: readonly [number, number, number];

  constructor(bonds: readonly HarmonicBondParameters[], box?: readonly [number, number, number]) {
    this.at = Int32Array.from(bonds.flatMap((b) => b.atoms.map((a) => 3 * a)));
    this.r0 = Float64Array.from(bonds, (b) => b.length);
    this.k = Float64Array.from(bonds, (b) => b.k);
    this.box = box;
  }

  /**
   * Energy of the configuration at offset `o` of `x` (nm), kJ/mol; adds its forces −∂E/∂x
   * (kJ/mol/nm) into `f` at the same offset.
   */
  accumulate(x: Float64Array, o: number, f: Float64Array): number {
    const { at, r0, k, box } = this;
    let e = 0;
    for (let b = 0; b < r0.length; b++) {
      const i = o + at[2 * b];
      const j = o + at[2 * b + 1];
      const dx = image(x[j] - x[i], box, 0);
      const dy = image(x[j + 1] - x[i + 1], box, 1);
      const dz = image(x[j + 2] - x[i + 2], box, 2);
      const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
      const dr = r - r0[b];
      e += 0.5 * k[b] * dr * dr;
      const g = (-k[b] * dr) / r;
      f[j] += g * dx;
      f[j + 1] += g * dy;
      f[j + 2] += g * dz;
      f[i] -= g * dx;
      f[i + 1] -= g * dy;
      f[i + 2] -= g * dz;
    }
    return e;
  }
}

/** Σ k/2 (θ − θ0)² over harmonic angles. */
export class HarmonicAngles {
  private readonly at: Int32Array;
  private readonly theta0: Float64Array;
  private readonly k: Float64Array;

  /** Edges of a periodic orthorhombic box, nm: arm vectors are then minimum images. */
  private readonly box?: readonly [number, number, number];

  constructor(angles: readonly HarmonicAngleParameters[], box?: readonly [number, number, number]) {
    this.at = Int32Array.from(angles.flatMap((a) => a.atoms.map((i) => 3 * i)));
    this.theta0 = Float64Array.from(angles, (a) => a.angle);
    this.k = Float64Array.from(angles, (a) => a.k);
    this.box = box;
  }

  /** As {@link HarmonicBonds.accumulate}. */
  accumulate(x: Float64Array, o: number, f: Float64Array): number {
    const { at, theta0, k, box } = this;
    let e = 0;
    for (let n = 0; n < theta0.length; n++) {
      const i = o + at[3 * n];
      const j = o + at[3 * n + 1];
      const l = o + at[3 * n + 2];
      const ax = image(x[i] - x[j], box, 0);
      const ay = image(x[i + 1] - x[j + 1], box, 1);
      const az = image(x[i + 2] - x[j + 2], box, 2);
      const bx = image(x[l] - x[j], box, 0);
      const by = image(x[l + 1] - x[j + 1], box, 1);
      const bz = image(x[l + 2] - x[j + 2], box, 2);
      // p = a × b; θ = atan2(|p|, a·b) stays accurate near 0 and π, where acos loses digits.
      const px = ay * bz - az * by;
      const py = az * bx - ax * bz;
      const pz = ax * by - ay * bx;
      const p = Math.sqrt(px * px + py * py + pz * pz);
      const d = Math.atan2(p, ax * bx + ay * by + az * bz) - theta0[n];
      e += 0.5 * k[n] * d * d;
      // A straight angle has no bending plane, so no direction for the force: leave it zero.
      if (p === 0) continue;
      // ∂θ/∂x_i = (a × p)/(|a|²|p|) and ∂θ/∂x_k = (p × b)/(|b|²|p|): in the plane, perpendicular to the arm.
      const gi = (-k[n] * d) / ((ax * ax + ay * ay + az * az) * p);
      const gk = (-k[n] * d) / ((bx * bx + by * by + bz * bz) * p);
      const fix = gi * (ay * pz - az * py);
      const fiy = gi * (az * px - ax * pz);
      const fiz = gi * (ax * py - ay * px);
      const fkx = gk * (py * bz - pz * by);
      const fky = gk * (pz * bx - px * bz);
      const fkz = gk * (px * by - py * bx);
      f[i] += fix;
      f[i + 1] += fiy;
      f[i + 2] += fiz;
      f[l] += fkx;
      f[l + 1] += fky;
      f[l + 2] += fkz;
      f[j] -= fix + fkx;
      f[j + 1] -= fiy + fky;
      f[j + 2] -= fiz + fkz;
    }
    return e;
  }
}

/**
 * Σ k (1 + cos(nφ − phase)) over periodic torsions. cos nφ and sin nφ come from cos φ and sin φ
 * by the angle-addition recurrence, so evaluation needs no atan2, cos or sin.
 */
export class PeriodicTorsions {
  private readonly at: Int32Array;
  private readonly n: Int32Array;
  private readonly cosPhase: Float64Array;
  private readonly sinPhase: Float64Array;
  private readonly k: Float64Array;

  /** Edges of a periodic orthorhombic box, nm: bond vectors are then minimum images. */
  private readonly box?: readonly [number, number, number];

  constructor(torsions: readonly PeriodicTorsionParameters[], box?: readonly [number, number, number]) {
    this.at = Int32Array.from(torsions.flatMap((t) => t.atoms.map((i) => 3 * i)));
    this.n = Int32Array.from(torsions, (t) => t.periodicity);
    this.cosPhase = Float64Array.from(torsions, (t) => Math.cos(t.phase));
    this.sinPhase = Float64Array.from(torsions, (t) => Math.sin(t.phase));
    this.k = Float64Array.from(torsions, (t) => t.k);
    this.box = box;
  }

  /** As {@link HarmonicBonds.accumulate}. */
  accumulate(x: Float64Array, o: number, f: Float64Array): number {
    const { at, n, cosPhase, sinPhase, k, box } = this;
    let e = 0;
    for (let t = 0; t < k.length; t++) {
      const i = o + at[4 * t];
      const j = o + at[4 * t + 1];
      const l = o + at[4 * t + 2];
      const m = o + at[4 * t + 3];
      // b1, b2, b3 along the chain; n1 = b1 × b2 and n2 = b2 × b3 are the two planes' normals.
      const b1x = image(x[j] - x[i], box, 0);
      const b1y = image(x[j + 1] - x[i + 1], box, 1);
      const b1z = image(x[j + 2] - x[i + 2], box, 2);
      const b2x = image(x[l] - x[j], box, 0);
      const b2y = image(x[l + 1] - x[j + 1], box, 1);
      const b2z = image(x[l + 2] - x[j + 2], box, 2);
      const b3x = image(x[m] - x[l], box, 0);
      const b3y = image(x[m + 1] - x[l + 1], box, 1);
      const b3z = image(x[m + 2] - x[l + 2], box, 2);
      const n1x = b1y * b2z - b1z * b2y;
      const n1y = b1z * b2x - b1x * b2z;
      const n1z = b1x * b2y - b1y * b2x;
      const n2x = b2y * b3z - b2z * b3y;
      const n2y = b2z * b3x - b2x * b3z;
      const n2z = b2x * b3y - b2y * b3x;
      const b2sq = b2x * b2x + b2y * b2y + b2z * b2z;
      const b2len = Math.sqrt(b2sq);
      const n1sq = n1x * n1x + n1y * n1y + n1z * n1z;
      const n2sq = n2x * n2x + n2y * n2y + n2z * n2z;
      // Collinear bonds leave φ undefined: count it as 0, with no force (a set of measure zero).
      if (n1sq === 0 || n2sq === 0) {
        e += k[t] * (1 + cosPhase[t]);
        continue;
      }
      // |n1||n2| cos φ = n1·n2 and |n1||n2| sin φ = |b2| b1·n2 (IUPAC sign).
      const norm = 1 / Math.sqrt(n1sq * n2sq);
      const cosPhi = (n1x * n2x + n1y * n2y + n1z * n2z) * norm;
      const sinPhi = b2len * (b1x * n2x + b1y * n2y + b1z * n2z) * norm;
      let cn = cosPhi;
      let sn = sinPhi;
      for (let p = 1; p < n[t]; p++) {
        const c = cn * cosPhi - sn * sinPhi;
        sn = sn * cosPhi + cn * sinPhi;
        cn = c;
      }
      // cos(nφ − δ) and sin(nφ − δ)
      const cosArg = cn * cosPhase[t] + sn * sinPhase[t];
      const sinArg = sn * cosPhase[t] - cn * sinPhase[t];
      e += k[t] * (1 + cosArg);
      // Forces of Bekker (1996): the end atoms move along their plane's normal; the middle
      // pair takes the rest so that the net force and torque vanish.
      const dEdphi = -k[t] * n[t] * sinArg;
      const ci = (dEdphi * b2len) / n1sq;
      const cm = (-dEdphi * b2len) / n2sq;
      const fix = ci * n1x;
      const fiy = ci * n1y;
      const fiz = ci * n1z;
      const fmx = cm * n2x;
      const fmy = cm * n2y;
      const fmz = cm * n2z;
      const proj1 = (b1x * b2x + b1y * b2y + b1z * b2z) / b2sq;
      const proj3 = (b3x * b2x + b3y * b2y + b3z * b2z) / b2sq;
      const fjx = -(proj1 + 1) * fix + proj3 * fmx;
      const fjy = -(proj1 + 1) * fiy + proj3 * fmy;
      const fjz = -(proj1 + 1) * fiz + proj3 * fmz;
      f[i] += fix;
      f[i + 1] += fiy;
      f[i + 2] += fiz;
      f[m] += fmx;
      f[m + 1] += fmy;
      f[m + 2] += fmz;
      f[j] += fjx;
      f[j + 1] += fjy;
      f[j + 2] += fjz;
      f[l] -= fix + fmx + fjx;
      f[l + 1] -= fiy + fmy + fjy;
      f[l + 2] -= fiz + fmz + fjz;
    }
    return e;
  }
}
