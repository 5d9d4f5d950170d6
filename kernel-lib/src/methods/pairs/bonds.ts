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

/**
 * The bonds of `data.bondPairs`, each with its type's r0 and k.
 * @throws Error when the data have no bonds or a bond type never varies in length.
 */
export function fitBonds(data: LiquidData, temperature: number): { bonds: HarmonicBondParameters[]; types: BondTypeFit[] } {
  const pairs = data.bondPairs;
  if (!pairs || pairs.length === 0) throw new Error(`${data.source}: no bonds to fit (molecules have one bead each)`);
  const name = (b: number) => `${data.typeNames[data.types[pairs[2 * b]]]}-${data.typeNames[data.types[pairs[2 * b + 1]]]}`;
  const stats = new Map<string, { n: number; s: number; s2: number }>();
  for (let f = 0; f < data.frames; f++) {
    const o = 3 * data.n * f;
    for (let b = 0; b < pairs.length / 2; b++) {
      const i = o + 3 * pairs[2 * b];
      const j = o + 3 * pairs[2 * b + 1];
      let r2 = 0;
      for (let a = 0; a < 3; a++) {
        const l = data.box[3 * f + a];
        let d = data.positions[i + a] - data.positions[j + a];
        d -= l * Math.round(d / l);
        r2 += d * d;
      }
      const key = name(b);
      const st = stats.get(key) ?? { n: 0, s: 0, s2: 0 };
      const r = Math.sqrt(r2);
      st.n++;
      st.s += r;
      st.s2 += r * r;
      stats.set(key, st);
    }
  }
  const kt = BOLTZMANN * temperature;
  const types = [...stats].map(([key, st]) => {
    const r0 = st.s / st.n;
    const v = st.s2 / st.n - r0 * r0;
    if (!(v > 0)) throw new Error(`${data.source}: bond ${key} has the same length in every frame; it cannot be Boltzmann-inverted`);
    return { name: key, count: st.n, r0, k: kt / v };
  });
  const byName = new Map(types.map((t) => [t.name, t]));
  const bonds = Array.from({ length: pairs.length / 2 }, (_, b): HarmonicBondParameters => {
    const t = byName.get(name(b)) as BondTypeFit;
    return { atoms: [pairs[2 * b], pairs[2 * b + 1]], length: t.r0, k: t.k };
  });
  return { bonds, types };
}

/** Bead-type name of angle a of `data.angleTriples`, "A-B-C". */
export function angleTypeName(data: LiquidData, a: number): string {
  const t = data.angleTriples as Int32Array;
  return [0, 1, 2].map((q) => data.typeNames[data.types[t[3 * a + q]]]).join('-');
}

/**
 * The angles of `data.angleTriples`, each with its type's θ0 (rad) and k (kJ/mol/rad²).
 * @throws Error when an angle type never varies.
 */
export function fitAngles(data: LiquidData, temperature: number): { angles: HarmonicAngleParameters[]; types: { name: string; count: number; theta0: number; k: number }[] } {
  const t = data.angleTriples;
  if (!t || t.length === 0) return { angles: [], types: [] };
  const stats = new Map<string, { n: number; s: number; s2: number }>();
  for (let f = 0; f < data.frames; f++) {
    const o = 3 * data.n * f;
    for (let a = 0; a < t.length / 3; a++) {
      const arm = (p: number) => [0, 1, 2].map((q) => {
        const l = data.box[3 * f + q];
        const d = data.positions[o + 3 * t[3 * a + p] + q] - data.positions[o + 3 * t[3 * a + 1] + q];
        return d - l * Math.round(d / l);
      });
      const u = arm(0);
      const v = arm(2);
      const cross = Math.hypot(u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]);
      const theta = Math.atan2(cross, u[0] * v[0] + u[1] * v[1] + u[2] * v[2]);
      const key = angleTypeName(data, a);
      const st = stats.get(key) ?? { n: 0, s: 0, s2: 0 };
      st.n++;
      st.s += theta;
      st.s2 += theta * theta;
      stats.set(key, st);
    }
  }
  const kt = BOLTZMANN * temperature;
  const types = [...stats].map(([name, st]) => {
    const theta0 = st.s / st.n;
    const v = st.s2 / st.n - theta0 * theta0;
    if (!(v > 0)) throw new Error(`${data.source}: angle ${name} is the same in every frame; it cannot be Boltzmann-inverted`);
    return { name, count: st.n, theta0, k: kt / v };
  });
  const byName = new Map(types.map((x) => [x.name, x]));
  const angles = Array.from({ length: t.length / 3 }, (_, a): HarmonicAngleParameters => {
    const ty = byName.get(angleTypeName(data, a)) as { theta0: number; k: number };
    return { atoms: [t[3 * a], t[3 * a + 1], t[3 * a + 2]], angle: ty.theta0, k: ty.k };
  });
  return { angles, types };
}
