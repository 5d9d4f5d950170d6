/**
 * United-atom n-hexane, TraPPE-UA (Martin & Siepmann, J. Phys. Chem. B 102, 2569 (1998)), as a
 * periodic liquid in an orthorhombic box. Each molecule is six sites CH3–CH2–CH2–CH2–CH2–CH3.
 *
 *   U = Σ_bonds k_b/2 (r − r0)² + Σ_angles k_θ/2 (θ − θ0)²
 *     + Σ_torsions c1(1 + cos φ) + c2(1 − cos 2φ) + c3(1 + cos 3φ)
 *     + Σ_pairs 4ε_ij((σ_ij/r)¹² − (σ_ij/r)⁶)   for r < rc,
 *
 * φ with the IUPAC sign (trans = 180°), σ_ij and ε_ij by Lorentz–Berthelot. The LJ pairs are all
 * pairs of different molecules and, within a molecule, only the sites more than three bonds
 * apart (1-5 and 1-6). The LJ term is truncated at rc without a shift or a tail correction, as
 * OpenMM's NonbondedForce does with CutoffPeriodic and no dispersion correction (the peer test
 * compares against it). Every difference, bonded ones included, is a minimum image, so frames
 * wrapped atom by atom give the same energy and forces as whole molecules.
 *
 * TraPPE fixes the bonds at 0.154 nm; this is the common flexible variant with a stiff harmonic
 * bond (k_b = 2.5e5 kJ/mol/nm²), so the Langevin engine runs it at 2 fs without constraints: the
 * chain's stretching modes have periods of 29–36 fs (normal modes of the all-trans molecule;
 * 33 fs for an isolated CH2–CH2 pair), ≥ 14 steps each.
 */
import { BOLTZMANN } from '../units.js';
import type { Random } from '../util/random.js';
import { HarmonicAngles, HarmonicBonds, PeriodicTorsions, type PeriodicTorsionParameters } from './bonded.js';
import { addPairForce, checkPeriodicCutoff, minimumImage, NeighbourList, wrapIntoBox, wrappedImage } from './neighbours.js';
import type { Potential } from './potential.js';

/** TraPPE-UA n-alkane parameters as published (energies as ε/kB, K), and the bond variant used here. */
export const TRAPPE_UA = Object.freeze({
  /** Masses, amu: C + 3H and C + 2H with C 12.011, H 1.008. */
  massCH3: 15.035,
  massCH2: 14.027,
  /** LJ σ, nm. */
  sigmaCH3: 0.375,
  sigmaCH2: 0.395,
  /** LJ ε/kB, K. */
  epsilonCH3: 98,
  epsilonCH2: 46,
  /** C–C bond length, nm (fixed in TraPPE). */
  bondLength: 0.154,
  /** Harmonic bond constant of the flexible variant, kJ/mol/nm² (not TraPPE's: its bonds are rigid). */
  bondK: 2.5e5,
  /** CHx–CH2–CHx angle, degrees. */
  angle: 114,
  /** Angle constant k_θ/kB, K/rad². */
  angleK: 62500,
  /** OPLS torsion coefficients c1, c2, c3 over kB, K. */
  c1: 355.03,
  c2: -68.19,
  c3: 791.32,
});

/** Sites per molecule. */
export const HEXANE_SITES = 6;

/** Molar mass of one molecule, g/mol. */
export const HEXANE_MASS = 2 * TRAPPE_UA.massCH3 + 4 * TRAPPE_UA.massCH2;

/** Settings of a hexane box. */
export interface HexaneOptions {
  /** Number of molecules; coordinates are [batch, 6·molecules sites (C1…C6, C1…C6, ...), 3]. */
  molecules: number;
  /** Box edge lengths, nm. */
  box: [number, number, number];
  /** LJ cut-off, nm. Default 1.4. */
  cutoff?: number;
  /** Verlet skin of the site neighbour list, nm. Default 0.1. */
  skin?: number;
}

/** A TraPPE-UA hexane potential; `options` holds the settings with defaults filled in. */
export interface HexanePotential extends Potential {
  readonly options: Readonly<Required<HexaneOptions>>;
}

/**
 * The TraPPE torsion over sites a–b–c–d as three periodic terms k(1 + cos(nφ − phase)), kJ/mol:
 * c2(1 − cos 2φ) is c2(1 + cos(2φ − π)).
 */
export function trappeTorsions(atoms: [number, number, number, number]): PeriodicTorsionParameters[] {
  return [
    { atoms, periodicity: 1, phase: 0, k: TRAPPE_UA.c1 * BOLTZMANN },
    { atoms, periodicity: 2, phase: Math.PI, k: TRAPPE_UA.c2 * BOLTZMANN },
    { atoms, periodicity: 3, phase: 0, k: TRAPPE_UA.c3 * BOLTZMANN },
  ];
}

/** Site pairs of one molecule more than three bonds apart: the only intramolecular LJ pairs. */
const INTRA = Int32Array.from([0, 4, 0, 5, 1, 5]);

/** LJ type of each site along the chain: 0 = CH3, 1 = CH2. */
const SITE_TYPE = [0, 1, 1, 1, 1, 0];

/** The TraPPE-UA potential of `opts.molecules` n-hexane molecules. */
export function trappeHexane(opts: HexaneOptions): HexanePotential {
  const o: Required<HexaneOptions> = { cutoff: 1.4, skin: 0.1, ...opts };
  const { molecules: nm, box, cutoff: rc, skin } = o;
  if (!Number.isInteger(nm) || nm < 1) throw new Error(`hexane-liquid: molecules must be a positive integer, got ${nm}`);
  checkPeriodicCutoff(box, rc, 'hexane-liquid');
  // Bonded vectors and the 1-5/1-6 pairs are taken as minimum images, which are the chain's own
  // only while a chain (at most five bonds long) spans less than half the box.
  const span = 5 * TRAPPE_UA.bondLength;
  const half = Math.min(...box) / 2;
  if (span >= half) throw new Error(`hexane-liquid: half the shortest box edge (${half} nm) must exceed the chain's length ${span.toFixed(2)} nm, for minimum images within a molecule`);
  const n = HEXANE_SITES * nm;
  const per = 3 * n;
  const type = Uint8Array.from({ length: n }, (_, i) => SITE_TYPE[i % HEXANE_SITES]);
  // Per type pair (2·t_i + t_j): σ² and 4ε, Lorentz–Berthelot.
  const sigma = [TRAPPE_UA.sigmaCH3, TRAPPE_UA.sigmaCH2];
  const epsilon = [TRAPPE_UA.epsilonCH3 * BOLTZMANN, TRAPPE_UA.epsilonCH2 * BOLTZMANN];
  const s2 = new Float64Array(4);
  const eps4 = new Float64Array(4);
  for (let a = 0; a < 2; a++) {
    for (let b = 0; b < 2; b++) {
      s2[2 * a + b] = ((sigma[a] + sigma[b]) / 2) ** 2;
      eps4[2 * a + b] = 4 * Math.sqrt(epsilon[a] * epsilon[b]);
    }
  }
  const bonds = [];
  const angles = [];
  const torsions = [];
  const theta0 = (TRAPPE_UA.angle * Math.PI) / 180;
  for (let m = 0; m < nm; m++) {
    const s = HEXANE_SITES * m;
    for (let k = 0; k < 5; k++) bonds.push({ atoms: [s + k, s + k + 1] as [number, number], length: TRAPPE_UA.bondLength, k: TRAPPE_UA.bondK });
    for (let k = 0; k < 4; k++) angles.push({ atoms: [s + k, s + k + 1, s + k + 2] as [number, number, number], angle: theta0, k: TRAPPE_UA.angleK * BOLTZMANN });
    for (let k = 0; k < 3; k++) torsions.push(...trappeTorsions([s + k, s + k + 1, s + k + 2, s + k + 3]));
  }
  const bondTerms = new HarmonicBonds(bonds, box);
  const angleTerms = new HarmonicAngles(angles, box);
  const torsionTerms = new PeriodicTorsions(torsions, box);
  const molecule = Int32Array.from({ length: n }, (_, i) => Math.floor(i / HEXANE_SITES));
  // The first list is built here so that a bad skin is reported at construction.
  const lists = [new NeighbourList({ n, box, cutoff: rc, skin, molecule })];
  const rc2 = rc * rc;
  const [lx, ly, lz] = box;
  const [hx, hy, hz] = [lx / 2, ly / 2, lz / 2];
  // Sites wrapped into the box for the LJ pairs: a minimum image is then one compare per axis.
  const w = new Float64Array(per);

  /**
   * LJ energy of sites i and j (type pair tt = 2·t_i + t_j) from their wrapped coordinates;
   * adds their forces into `forces` at offset `off`.
   */
  const pair = (forces: Float64Array, off: number, i: number, j: number, tt: number): number => {
    const dx = wrappedImage(w[3 * i] - w[3 * j], lx, hx);
    const dy = wrappedImage(w[3 * i + 1] - w[3 * j + 1], ly, hy);
    const dz = wrappedImage(w[3 * i + 2] - w[3 * j + 2], lz, hz);
    const r2 = dx * dx + dy * dy + dz * dz;
    if (r2 >= rc2) return 0;
    const inv2 = 1 / r2;
    const sr2 = s2[tt] * inv2;
    const sr6 = sr2 * sr2 * sr2;
    // g = −(dU/dr)/r, so that F_i = g·(x_i − x_j).
    addPairForce(forces, off + 3 * i, off + 3 * j, 6 * eps4[tt] * (2 * sr6 * sr6 - sr6) * inv2, dx, dy, dz);
    return eps4[tt] * (sr6 * sr6 - sr6);
  };

  return {
    name: 'hexane-liquid',
    nParticles: n,
    dim: 3,
    options: o,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        const off = per * b;
        const nl = (lists[b] ??= new NeighbourList({ n, box, cutoff: rc, skin, molecule }));
        nl.update(x, off);
        wrapIntoBox(x, off, n, box, w);
        forces.fill(0, off, off + per);
        let e = 0;
        const { start, list } = nl;
        for (let i = 0; i < n; i++) {
          const ti = 2 * type[i];
          for (let q = start[i]; q < start[i + 1]; q++) {
            const j = list[q];
            e += pair(forces, off, i, j, ti + type[j]);
          }
        }
        for (let s = 0; s < n; s += HEXANE_SITES) {
          for (let k = 0; k < INTRA.length; k += 2) {
            e += pair(forces, off, s + INTRA[k], s + INTRA[k + 1], 2 * SITE_TYPE[INTRA[k]] + SITE_TYPE[INTRA[k + 1]]);
          }
        }
        e += bondTerms.accumulate(x, off, forces) + angleTerms.accumulate(x, off, forces) + torsionTerms.accumulate(x, off, forces);
        energies[b] = e;
      }
    },
  };
}

/**
 * A starting configuration: all-trans molecules (bonds 0.154 nm, angles 114°) centred on a simple
 * cubic lattice filling the box, each in a uniformly random orientation drawn from `rng`.
 * Neighbouring chains overlap at liquid density: minimise before simulating.
 * @returns [6·molecules, 3] positions, nm (molecules whole, not wrapped into the box)
 */
export function hexaneLattice(molecules: number, box: [number, number, number], rng: Random): Float64Array {
  const k = Math.ceil(Math.cbrt(molecules));
  const x = new Float64Array(3 * HEXANE_SITES * molecules);
  // The zigzag in its own plane: along u by l·sin(θ/2) per bond, alternating ±l·cos(θ/2)/2 along v.
  const half = (TRAPPE_UA.angle * Math.PI) / 360;
  const along = TRAPPE_UA.bondLength * Math.sin(half);
  const across = (TRAPPE_UA.bondLength * Math.cos(half)) / 2;
  for (let m = 0; m < molecules; m++) {
    const cell = [Math.floor(m / (k * k)), Math.floor(m / k) % k, m % k];
    // A uniform random rotation: the chain axis u uniform on the sphere, then v uniform on the
    // circle perpendicular to it (an isotropic normal vector with its u-component removed).
    const u = unit([rng.normal(), rng.normal(), rng.normal()]);
    const g = [rng.normal(), rng.normal(), rng.normal()];
    const gu = g[0] * u[0] + g[1] * u[1] + g[2] * u[2];
    const v = unit([g[0] - gu * u[0], g[1] - gu * u[1], g[2] - gu * u[2]]);
    for (let s = 0; s < HEXANE_SITES; s++) {
      const a = (s - (HEXANE_SITES - 1) / 2) * along;
      const c = s % 2 === 0 ? across : -across;
      for (let d = 0; d < 3; d++) x[3 * (HEXANE_SITES * m + s) + d] = ((cell[d] + 0.5) * box[d]) / k + a * u[d] + c * v[d];
    }
  }
  return x;
}

/**
 * Makes every molecule of `x` ([6·molecules, 3], nm) whole, in place: each site moves by box
 * vectors to the nearest image of the site before it along the chain. Energies and forces do not
 * change, since every difference the potential takes is a minimum image; but a minimiser can
 * leave sites several box edges from their neighbours, and mappings that average a molecule's
 * sites need it whole.
 * @returns x
 */
export function wholeMolecules(x: Float64Array, molecules: number, box: readonly [number, number, number]): Float64Array {
  for (let m = 0; m < molecules; m++) {
    for (let s = 1; s < HEXANE_SITES; s++) {
      const i = 3 * (HEXANE_SITES * m + s);
      for (let d = 0; d < 3; d++) x[i + d] = x[i - 3 + d] + minimumImage(x[i + d] - x[i - 3 + d], box[d], 1 / box[d]);
    }
  }
  return x;
}

const unit = (w: number[]): number[] => {
  const l = Math.hypot(w[0], w[1], w[2]);
  return [w[0] / l, w[1] / l, w[2] / l];
};
