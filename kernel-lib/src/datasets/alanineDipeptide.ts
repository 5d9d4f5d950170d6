/**
 * Capped alanine dipeptide, ACE-ALA-NME (22 atoms), built from standard internal coordinates
 * with AMBER atom names, in the atom order most alanine-dipeptide data sets use.
 */
import { ANGSTROM_TO_NM } from '../units.js';
import { elementMass, makeTopology, type Atom, type Topology } from '../topology/topology.js';
import { zmatrixToCartesian, type ZRow } from '../topology/zmatrix.js';

/** [name, element, residue, resid] in file order. */
const ATOMS: [string, string, string, number][] = [
  ['HH31', 'H', 'ACE', 1], ['CH3', 'C', 'ACE', 1], ['HH32', 'H', 'ACE', 1], ['HH33', 'H', 'ACE', 1],
  ['C', 'C', 'ACE', 1], ['O', 'O', 'ACE', 1],
  ['N', 'N', 'ALA', 2], ['H', 'H', 'ALA', 2], ['CA', 'C', 'ALA', 2], ['HA', 'H', 'ALA', 2],
  ['CB', 'C', 'ALA', 2], ['HB1', 'H', 'ALA', 2], ['HB2', 'H', 'ALA', 2], ['HB3', 'H', 'ALA', 2],
  ['C', 'C', 'ALA', 2], ['O', 'O', 'ALA', 2],
  ['N', 'N', 'NME', 3], ['H', 'H', 'NME', 3], ['CH3', 'C', 'NME', 3],
  ['HH31', 'H', 'NME', 3], ['HH32', 'H', 'NME', 3], ['HH33', 'H', 'NME', 3],
];

const BONDS: [number, number][] = [
  [0, 1], [1, 2], [1, 3], [1, 4], [4, 5], [4, 6], [6, 7], [6, 8], [8, 9], [8, 10], [8, 14],
  [10, 11], [10, 12], [10, 13], [14, 15], [14, 16], [16, 17], [16, 18], [18, 19], [18, 20], [18, 21],
];

/** Indices of the backbone atoms defining φ (C–N–CA–C) and ψ (N–CA–C–N). */
export const ALANINE_DIPEPTIDE_PHI: [number, number, number, number] = [4, 6, 8, 14];
export const ALANINE_DIPEPTIDE_PSI: [number, number, number, number] = [6, 8, 14, 16];

/** The topology: 22 atoms with element masses (amu) and 21 bonds. */
export function alanineDipeptideTopology(): Topology {
  const atoms: Atom[] = ATOMS.map(([name, element, residue, resid]) => ({
    name, element, residue, resid, chain: 'A', mass: elementMass(element) as number,
  }));
  return makeTopology(atoms, BONDS.map(([i, j]) => [i, j]));
}

/**
 * Coordinates (nm, [22, 3] flattened) with standard AMBER bond lengths and angles, trans
 * peptide bonds, staggered methyls and the given backbone dihedrals (degrees). CB is placed
 * for L-alanine: the chiral volume (N−CA)·((C−CA)×(CB−CA)) is positive, as in protein
 * structures.
 */
export function buildAlanineDipeptide(phi = -80, psi = 150): Float64Array {
  // [atom, a, bond Å, b, angle °, c, dihedral °], in build order: references come first.
  const spec: [number, number, number, number, number, number, number][] = [
    [1, -1, 0, -1, 0, -1, 0],
    [4, 1, 1.522, -1, 0, -1, 0],
    [5, 4, 1.229, 1, 120.4, -1, 0],
    [6, 4, 1.335, 1, 116.6, 5, 180],
    [8, 6, 1.449, 4, 121.9, 1, 180],
    [14, 8, 1.522, 6, 110.1, 4, phi],
    [16, 14, 1.335, 8, 116.6, 6, psi],
    [18, 16, 1.449, 14, 121.9, 8, 180],
    [15, 14, 1.229, 8, 120.4, 6, psi + 180],
    [7, 6, 1.01, 4, 120.0, 5, 180],
    [9, 8, 1.09, 6, 109.5, 4, phi + 120],
    [10, 8, 1.526, 6, 109.5, 4, phi - 120],
    [11, 10, 1.09, 8, 109.5, 6, 60],
    [12, 10, 1.09, 8, 109.5, 6, 180],
    [13, 10, 1.09, 8, 109.5, 6, 300],
    [17, 16, 1.01, 14, 120.0, 15, 180],
    [0, 1, 1.09, 4, 109.5, 5, 0],
    [2, 1, 1.09, 4, 109.5, 5, 120],
    [3, 1, 1.09, 4, 109.5, 5, 240],
    [19, 18, 1.09, 16, 109.5, 14, 60],
    [20, 18, 1.09, 16, 109.5, 14, 180],
    [21, 18, 1.09, 16, 109.5, 14, 300],
  ];
  const slot = new Map(spec.map(([atom], k) => [atom, k]));
  const ref = (i: number) => (i < 0 ? 0 : (slot.get(i) as number));
  const rows: ZRow[] = spec.map(([, a, bond, b, angle, c, dihedral]) => ({
    a: ref(a), bond: bond * ANGSTROM_TO_NM, b: ref(b), angle, c: ref(c), dihedral,
  }));
  const built = zmatrixToCartesian(rows);
  const x = new Float64Array(built.length);
  spec.forEach(([atom], k) => x.set(built.subarray(3 * k, 3 * k + 3), 3 * atom));
  return x;
}

/** Conformational basins of alanine dipeptide on the Ramachandran plane. */
export type AlanineBasin = 'C5' | 'C7eq/PPII' | 'alphaR' | 'phi>0';

/**
 * Basin of a (φ, ψ) pair in degrees: φ > 0 (αL, C7ax: rare at 300 K); otherwise αR for
 * −120° ≤ ψ < 50°, and the extended region (ψ ≥ 50° or ψ < −120°, which wraps to ψ ≈ 180°)
 * split at φ = −120° into C5 (more negative) and C7eq/PPII. Rectangular cuts through the low
 * saddle regions, so populations are insensitive to their exact placement.
 */
export function alanineBasin(phiDeg: number, psiDeg: number): AlanineBasin {
  if (phiDeg > 0) return 'phi>0';
  if (psiDeg >= -120 && psiDeg < 50) return 'alphaR';
  return phiDeg < -120 ? 'C5' : 'C7eq/PPII';
}

/** Frames from which angles that all lie within ±π are taken to be radians passed by mistake. */
const RADIANS_CHECK_FRAMES = 100;

/**
 * Fraction of frames in each basin; φ and ψ in degrees, one value per frame (`degrees(dihedrals(…))`).
 * @throws when the lengths differ, or when ≥ 100 frames all lie within ±π: radians passed for
 *   degrees, which would otherwise put every frame in αR or C7eq/PPII silently (in degrees,
 *   any 100 frames of alanine dipeptide spread far beyond ±3.15).
 */
export function alanineBasinPopulations(phiDeg: ArrayLike<number>, psiDeg: ArrayLike<number>): Record<AlanineBasin, number> {
  if (phiDeg.length !== psiDeg.length) {
    throw new Error(`alanineBasinPopulations: φ has ${phiDeg.length} values but ψ has ${psiDeg.length}; pass one (φ, ψ) pair per frame`);
  }
  let largest = 0;
  for (let i = 0; i < phiDeg.length; i++) largest = Math.max(largest, Math.abs(phiDeg[i]), Math.abs(psiDeg[i]));
  if (phiDeg.length >= RADIANS_CHECK_FRAMES && largest <= Math.PI + 1e-6) {
    throw new Error(`alanineBasinPopulations: all ${phiDeg.length} φ/ψ values lie within ±π, so they look like radians; pass degrees, e.g. degrees(dihedrals(…))`);
  }
  const out: Record<AlanineBasin, number> = { C5: 0, 'C7eq/PPII': 0, alphaR: 0, 'phi>0': 0 };
  for (let i = 0; i < phiDeg.length; i++) out[alanineBasin(phiDeg[i], psiDeg[i])] += 1 / phiDeg.length;
  return out;
}
