/**
 * Bonds of several-bead molecules in a CG liquid, by Boltzmann inversion of the mapped bond
 * lengths: per bond type (the ordered bead types "A-B"), r0 = ⟨r⟩ and k = kT / Var(r). IBI and
 * REM hold them fixed while they fit the pair potentials (force matching fits harmonic bonds
 * with the pairs instead, fm.ts). Exact for a stiff harmonic bond; a soft or multi-modal bond
 * length needs a tabulated bond, not built yet. Angles likewise: θ0 = ⟨θ⟩, k = kT / Var(θ)
 * (the sin θ of the angle's Jacobian is neglected, which a stiff angle away from 0 and π allows).
 */
import type { HarmonicAngleParameters, HarmonicBondParameters } from '../../physics/bonded.js';
import { BOLTZMANN } from '../../units.js';
import type { LiquidData } from './data.js';

/** One bond type's fit. */
export interface BondTypeFit {
  /** "A-B", the types of the bond's first and second bead. */
  name: string;
  count: number;
  /** nm. */
  r0: number;
  /** kJ/mol/nm². */
  k: number;
}

/** Names of a bonded term's bead types joined by '-' ("A-B" for bonds, "A-B-C" for angles). */
function typeName(data: LiquidData, beads: Int32Array, m: number, b: number): string {
  return Array.from(beads.subarray(m * b, m * (b + 1)), (i) => data.typeNames[data.types[i]]).join('-');
}

/** Bond type of bond b of `data.bondPairs`, "A-B" of its ordered bead types. */
export function bondTypeName(data: LiquidData, b: number): string {
  return typeName(data, data.bondPairs as Int32Array, 2, b);
}

/** Angle type of angle a of `data.angleTriples`, "A-B-C" (B the vertex). */
export function angleTypeName(data: LiquidData, a: number): string {
  return typeName(data, data.angleTriples as Int32Array, 3, a);
}

/** One minimum-image arm x_i − x_j of frame f, nm. */
function arm(data: LiquidData, f: number, i: number, j: number): [number, number, number] {
  const o = 3 * data.n * f;
  return [0, 1, 2].map((q) => {
    const l = data.box[3 * f + q];
    const d = data.positions[o + 3 * i + q] - data.positions[o + 3 * j + q];
    return d - l * Math.round(d / l);
  }) as [number, number, number];
}

/**
 * Boltzmann inversion of `count` terms per frame: per type, the mean of `value(f, t)` and
 * k = kT / its variance.
 * @throws Error when a type never varies.
 */
function invert(data: LiquidData, temperature: number, count: number, type: (t: number) => string, value: (f: number, t: number) => number, what: string): { name: string; count: number; mean: number; k: number }[] {
  const stats = new Map<string, { n: number; s: number; s2: number }>();
  for (let f = 0; f < data.frames; f++) {
    for (let t = 0; t < count; t++) {
      const v = value(f, t);
      const key = type(t);
      const st = stats.get(key) ?? { n: 0, s: 0, s2: 0 };
      st.n++;
      st.s += v;
      st.s2 += v * v;
      stats.set(key, st);
    }
  }
  const kt = BOLTZMANN * temperature;
  return [...stats].map(([name, st]) => {
    const mean = st.s / st.n;
    const variance = st.s2 / st.n - mean * mean;
    if (!(variance > 0)) throw new Error(`${data.source}: ${what} ${name} is the same in every frame; it cannot be Boltzmann-inverted`);
    return { name, count: st.n, mean, k: kt / variance };
  });
}

/**
 * The bonds of `data.bondPairs`, each with its type's r0 and k.
 * @throws Error when the data have no bonds or a bond type never varies in length.
 */
export function fitBonds(data: LiquidData, temperature: number): { bonds: HarmonicBondParameters[]; types: BondTypeFit[] } {
  const pairs = data.bondPairs;
  if (!pairs || pairs.length === 0) throw new Error(`${data.source}: no bonds to fit (molecules have one bead each)`);
  const fits = invert(data, temperature, pairs.length / 2, (b) => bondTypeName(data, b), (f, b) => Math.hypot(...arm(data, f, pairs[2 * b], pairs[2 * b + 1])), 'bond');
  const types = fits.map(({ name, count, mean, k }) => ({ name, count, r0: mean, k }));
  const byName = new Map(types.map((t) => [t.name, t]));
  const bonds = Array.from({ length: pairs.length / 2 }, (_, b): HarmonicBondParameters => {
    const t = byName.get(bondTypeName(data, b)) as BondTypeFit;
    return { atoms: [pairs[2 * b], pairs[2 * b + 1]], length: t.r0, k: t.k };
  });
  return { bonds, types };
}

/**
 * The angles of `data.angleTriples`, each with its type's θ0 (rad) and k (kJ/mol/rad²).
 * @throws Error when an angle type never varies.
 */
export function fitAngles(data: LiquidData, temperature: number): { angles: HarmonicAngleParameters[]; types: { name: string; count: number; theta0: number; k: number }[] } {
  const t = data.angleTriples;
  if (!t || t.length === 0) return { angles: [], types: [] };
  const angle = (f: number, a: number) => {
    const u = arm(data, f, t[3 * a], t[3 * a + 1]);
    const v = arm(data, f, t[3 * a + 2], t[3 * a + 1]);
    const cross = Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]);
    return Math.atan2(cross, u[0] * v[0] + u[1] * v[1] + u[2] * v[2]);
  };
  const types = invert(data, temperature, t.length / 3, (a) => angleTypeName(data, a), angle, 'angle').map(({ name, count, mean, k }) => ({ name, count, theta0: mean, k }));
  const byName = new Map(types.map((x) => [x.name, x]));
  const angles = Array.from({ length: t.length / 3 }, (_, a): HarmonicAngleParameters => {
    const ty = byName.get(angleTypeName(data, a)) as { theta0: number; k: number };
    return { atoms: [t[3 * a], t[3 * a + 1], t[3 * a + 2]], angle: ty.theta0, k: ty.k };
  });
  return { angles, types };
}
