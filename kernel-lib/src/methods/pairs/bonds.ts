/**
 * Bonds of several-bead molecules in a CG liquid, by Boltzmann inversion of the mapped bond
 * lengths: per bond type (the ordered bead types "A-B"), r0 = ⟨r⟩ and k = kT / Var(r). IBI and
 * REM hold them fixed while they fit the pair potentials (force matching fits harmonic bonds
 * with the pairs instead, fm.ts). Exact for a stiff harmonic bond; a soft or multi-modal bond
 * length needs a tabulated bond, not built yet.
 */
import type { HarmonicBondParameters } from '../../physics/bonded.js';
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
