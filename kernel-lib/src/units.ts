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
