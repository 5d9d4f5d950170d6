/**
 * Units and physical constants. cglab works in nm, ps, kJ/mol, K and amu internally (the
 * GROMACS/OpenMM convention); conversions happen only at the edges (file readers and writers,
 * user-facing options), and this module is the only place that defines them.
 */

/** Boltzmann constant, kJ/mol/K (molar gas constant R / 1000; CODATA 2018 exact value). */
export const BOLTZMANN = 0.008314462618;
/** Thermochemical calorie: kJ per kcal. */
export const KCAL_TO_KJ = 4.184;
/** nm per Ångström. */
export const ANGSTROM_TO_NM = 0.1;
/** ps per fs. */
export const FS_TO_PS = 1e-3;
/** Coulomb constant 1/(4πε0) in kJ/mol·nm/e² (CODATA 2018; what OpenMM 7.7 uses, measured). */
export const COULOMB = 138.935457644382;

/**
 * kJ/mol per eV (per particle): e·N_A/1000 with the exact 2019 SI values of e and N_A, i.e. the
 * CODATA 2018 Faraday constant 96 485.332 12… C/mol; the energy unit of LAMMPS `units metal`.
 */
export const EV_TO_KJ = 96.485332123310018;

/** Avogadro constant, 1/mol (SI exact). */
export const AVOGADRO = 6.02214076e23;

/** kT in kJ/mol at temperature `kelvin` (K). */
export function kT(kelvin: number): number {
  if (!(kelvin > 0) || !Number.isFinite(kelvin)) {
    throw new RangeError(`temperature must be a positive finite number of kelvin, got ${kelvin}`);
  }
  return BOLTZMANN * kelvin;
}

/**
 * Angles in radians (what `dihedrals`, `angles` and the CG features return) as degrees (what
 * Ramachandran plots, basin definitions and `alanineBasinPopulations` use), as a new array.
 */
export function degrees(radians: ArrayLike<number>): Float64Array {
  return Float64Array.from(radians, (v) => (v * 180) / Math.PI);
}

/** The unit of each physical quantity a data set stores. */
export interface Units {
  length: string;
  time: string;
  energy: string;
  force: string;
  mass: string;
  temperature: string;
}

/** The internal units: what every array inside cglab is expressed in. */
export const INTERNAL_UNITS: Readonly<Units> = Object.freeze({
  length: 'nm',
  time: 'ps',
  energy: 'kJ/mol',
  force: 'kJ/mol/nm',
  mass: 'amu',
  temperature: 'K',
});

export type Quantity = keyof Units;

/** Factor that converts one unit of each accepted spelling into the internal unit. */
const FACTORS: Record<Quantity, Record<string, number>> = {
  length: { nm: 1, angstrom: ANGSTROM_TO_NM, 'å': ANGSTROM_TO_NM, a: ANGSTROM_TO_NM, pm: 1e-3, um: 1e3 },
  time: { ps: 1, fs: FS_TO_PS, ns: 1e3, us: 1e6 },
  energy: { 'kj/mol': 1, 'kcal/mol': KCAL_TO_KJ },
  force: {
    'kj/mol/nm': 1,
    'kcal/mol/angstrom': KCAL_TO_KJ / ANGSTROM_TO_NM,
    'kcal/mol/å': KCAL_TO_KJ / ANGSTROM_TO_NM,
    'kcal/mol/a': KCAL_TO_KJ / ANGSTROM_TO_NM,
    'kj/mol/angstrom': 1 / ANGSTROM_TO_NM,
    'kj/mol/å': 1 / ANGSTROM_TO_NM,
    'kj/mol/a': 1 / ANGSTROM_TO_NM,
  },
  mass: { amu: 1, dalton: 1, da: 1, 'g/mol': 1 },
  temperature: { k: 1 },
};

/**
 * Factor converting a value in `unit` into cglab's internal unit for `quantity`
 * (e.g. `toInternal('length', 'angstrom') === 0.1`). Spelling is case-insensitive.
 * @throws Error naming the quantity, the unit found and the units accepted.
 */
export function toInternal(quantity: Quantity, unit: string): number {
  const table = FACTORS[quantity];
  const f = table[unit.trim().toLowerCase()];
  if (f === undefined) {
    throw new Error(
      `unknown ${quantity} unit '${unit}': expected one of ${Object.keys(table).join(', ')}`,
    );
  }
  return f;
}

/**
 * Check a (possibly partial) units record read from a file and return the conversion factor of
 * every quantity into internal units. `where` names the file/field for error messages.
 */
export function unitFactors(units: Partial<Units>, where: string): Record<Quantity, number> {
  const out = {} as Record<Quantity, number>;
  for (const q of Object.keys(INTERNAL_UNITS) as Quantity[]) {
    const u = units[q] ?? INTERNAL_UNITS[q];
    if (typeof u !== 'string') {
      throw new Error(`${where}: units.${q} must be a string such as '${INTERNAL_UNITS[q]}', got ${JSON.stringify(u)}`);
    }
    try {
      out[q] = toInternal(q, u);
    } catch (e) {
      throw new Error(`${where}: units.${q}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** nm per Bohr radius (CODATA 2018). */
export const BOHR_TO_NM = 0.0529177210903;
/** kJ/mol per Hartree (CODATA 2018: 4.3597447222071e-18 J × N_A / 1000). */
export const HARTREE_TO_KJ = 2625.4996394799;
/** kJ/mol per J per particle (N_A / 1000). */
const J_TO_KJ_PER_MOL = AVOGADRO / 1000;

/** A LAMMPS `units` style: the unit names it uses and the factor of each into internal units. */
export interface LammpsUnitStyle {
  /** Unit names of the style (as the LAMMPS `units` documentation gives them). */
  names: Units;
  /** Internal units per style unit: length → nm, time → ps, energy → kJ/mol, force → kJ/mol/nm. */
  length: number;
  time: number;
  energy: number;
  force: number;
}

/** The physical LAMMPS styles. Force is energy per length in every one of them. */
const LAMMPS_STYLES: Record<string, { names: Units; length: number; time: number; energy: number }> = {
  real: { names: { length: 'angstrom', time: 'fs', energy: 'kcal/mol', force: 'kcal/mol/angstrom', mass: 'g/mol', temperature: 'K' }, length: ANGSTROM_TO_NM, time: FS_TO_PS, energy: KCAL_TO_KJ },
  metal: { names: { length: 'angstrom', time: 'ps', energy: 'eV', force: 'eV/angstrom', mass: 'g/mol', temperature: 'K' }, length: ANGSTROM_TO_NM, time: 1, energy: EV_TO_KJ },
  // attogram nm²/ns² = 1e-21 J per particle
  nano: { names: { length: 'nm', time: 'ns', energy: 'attogram nm^2/ns^2', force: 'attogram nm/ns^2', mass: 'attogram', temperature: 'K' }, length: 1, time: 1e3, energy: 1e-21 * J_TO_KJ_PER_MOL },
  // picogram µm²/µs² = 1e-15 J per particle
  micro: { names: { length: 'um', time: 'us', energy: 'picogram um^2/us^2', force: 'picogram um/us^2', mass: 'picogram', temperature: 'K' }, length: 1e3, time: 1e6, energy: 1e-15 * J_TO_KJ_PER_MOL },
  si: { names: { length: 'm', time: 's', energy: 'J', force: 'N', mass: 'kg', temperature: 'K' }, length: 1e9, time: 1e12, energy: J_TO_KJ_PER_MOL },
  cgs: { names: { length: 'cm', time: 's', energy: 'erg', force: 'dyne', mass: 'g', temperature: 'K' }, length: 1e7, time: 1e12, energy: 1e-7 * J_TO_KJ_PER_MOL },
  electron: { names: { length: 'bohr', time: 'fs', energy: 'hartree', force: 'hartree/bohr', mass: 'amu', temperature: 'K' }, length: BOHR_TO_NM, time: FS_TO_PS, energy: HARTREE_TO_KJ },
};

/**
 * The LAMMPS `units` style `style` (real, metal, nano, micro, si, cgs, electron), with the
 * factors that convert its values into cglab's internal units.
 * @throws Error naming the style and listing those accepted; `lj` is refused because reduced
 *   units have no conversion without the run's σ, ε and m.
 */
export function lammpsUnitStyle(style: string): LammpsUnitStyle {
  if (style === 'lj') {
    throw new Error(`LAMMPS units style 'lj' is reduced (σ, ε, m of the run): cglab cannot convert it to nm and kJ/mol; convert the values yourself or run with a physical style (${Object.keys(LAMMPS_STYLES).join(', ')})`);
  }
  const s = Object.hasOwn(LAMMPS_STYLES, style) ? LAMMPS_STYLES[style] : undefined;
  if (!s) throw new Error(`unknown LAMMPS units style '${style}': expected one of ${Object.keys(LAMMPS_STYLES).join(', ')}`);
  return { names: { ...s.names }, length: s.length, time: s.time, energy: s.energy, force: s.energy / s.length };
}
