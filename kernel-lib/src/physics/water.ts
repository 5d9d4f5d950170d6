/**
 * SPC/E water (Berendsen, Grigera & Straatsma 1987) in a periodic orthorhombic box: rigid
 * molecules O, H, H (the geometry is kept by constraints, see `spceConstraints`), Lennard-Jones
 * between oxygens, point charges on every atom, reaction-field electrostatics beyond the cut-off.
 *
 * Between atoms i, j of different molecules closer than the cut-off rc:
 *   U = COULOMB·qᵢqⱼ·(1/r + k_rf r² − c_rf) + [O–O] 4ε((σ/r)¹² − (σ/r)⁶),
 *   k_rf = (ε_rf − 1) / ((2ε_rf + 1) rc³),  c_rf = 1/rc + k_rf rc².
 * The cut-off is per atom pair and the LJ term is truncated without a shift or a dispersion
 * correction, which is what OpenMM's NonbondedForce does with CutoffPeriodic (the peer test
 * compares against it). Pairs within one molecule do not interact (their distances are fixed).
 */
import type { Constraints } from '../md/constraints.js';
import { COULOMB } from '../units.js';
import { addPairForce, checkPeriodicCutoff, minimumImage, NeighbourList } from './neighbours.js';
import type { Potential } from './potential.js';

/** SPC/E parameters. */
export const SPCE = Object.freeze({
  /** O–H bond, nm. */
  rOH: 0.1,
  /** H–O–H angle, degrees. */
  angleHOH: 109.47,
  /** Charges, e. */
  qO: -0.8476,
  qH: 0.4238,
  /** Oxygen LJ σ (nm) and ε (kJ/mol); hydrogens have none. */
  sigma: 0.316557,
  epsilon: 0.650194,
  /** Masses, amu. */
  mO: 15.9994,
  mH: 1.008,
});

/** Settings of an SPC/E box. */
export interface WaterOptions {
  /** Number of molecules; coordinates are [batch, 3·molecules atoms (O, H, H, ...), 3]. */
  molecules: number;
  /** Box edge lengths, nm. */
  box: [number, number, number];
  /** Cut-off of LJ and electrostatics, nm. Default 1.2. */
  cutoff?: number;
  /** Dielectric constant of the reaction field beyond the cut-off. Default 80. */
  epsilonRF?: number;
  /** Verlet skin of the molecule neighbour list, nm. Default 0.1. */
  skin?: number;
}

/** An SPC/E potential; `options` holds the settings with defaults filled in. */
export interface WaterPotential extends Potential {
  readonly options: Readonly<Required<WaterOptions>>;
}

/** H–H distance of the rigid SPC/E molecule, nm. */
export function spceHH(): number {
  return 2 * SPCE.rOH * Math.sin((SPCE.angleHOH * Math.PI) / 360);
}

/** The SPC/E potential of `opts.molecules` molecules. */
export function spceWater(opts: WaterOptions): WaterPotential {
  const o: Required<WaterOptions> = { cutoff: 1.2, epsilonRF: 80, skin: 0.1, ...opts };
  const { molecules: nm, box, cutoff: rc, epsilonRF, skin } = o;
  if (!Number.isInteger(nm) || nm < 2) throw new Error(`spce-water: molecules must be an integer ≥ 2, got ${nm}`);
  if (!(epsilonRF >= 1)) throw new Error(`spce-water: epsilonRF must be ≥ 1, got ${epsilonRF}`);
  checkPeriodicCutoff(box, rc, 'spce-water');
  // Atom pairs within rc have oxygens within rc + 2·rOH: the molecule list is built on that,
  // and it must still be below half the box so the oxygens' minimum image is the atoms' too.
  const reach = rc + 2 * SPCE.rOH;
  checkPeriodicCutoff(box, reach, `spce-water (cut-off ${rc} nm plus the molecule's span ${2 * SPCE.rOH} nm)`);
  // ε_rf = ∞ (a conducting continuum) is the limit k_rf = 1/(2rc³).
  const kRF = Number.isFinite(epsilonRF) ? (epsilonRF - 1) / ((2 * epsilonRF + 1) * rc ** 3) : 1 / (2 * rc ** 3);
  const cRF = 1 / rc + kRF * rc * rc;
  const rc2 = rc * rc;
  const reach2 = reach * reach;
  const q = [SPCE.qO, SPCE.qH, SPCE.qH];
  const qq = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) qq[3 * a + b] = COULOMB * q[a] * q[b];
  const s2 = SPCE.sigma ** 2;
  const eps4 = 4 * SPCE.epsilon;
  const [ix, iy, iz] = box.map((l) => 1 / l);
  const lists: NeighbourList[] = [];
  const oxygens = new Float64Array(3 * nm);
  const whole = new Float64Array(9 * nm);
  const per = 9 * nm;
  return {
    name: 'spce-water',
    nParticles: 3 * nm,
    dim: 3,
    options: o,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        const off = per * b;
        // Molecules made whole (each H at its O's nearest image), since files may hold frames
        // wrapped atom by atom; the pair loop below then shifts whole molecules.
        for (let m = 0; m < nm; m++) {
          for (let d = 0; d < 3; d++) {
            const xo = x[off + 9 * m + d];
            oxygens[3 * m + d] = xo;
            whole[9 * m + d] = xo;
            whole[9 * m + 3 + d] = xo + minimumImage(x[off + 9 * m + 3 + d] - xo, box[d], 1 / box[d]);
            whole[9 * m + 6 + d] = xo + minimumImage(x[off + 9 * m + 6 + d] - xo, box[d], 1 / box[d]);
          }
        }
        const nl = (lists[b] ??= new NeighbourList({ n: nm, box, cutoff: reach, skin }));
        nl.update(oxygens);
        forces.fill(0, off, off + per);
        let e = 0;
        for (let m = 0; m < nm; m++) {
          const pm = 9 * m;
          for (let k = nl.start[m]; k < nl.start[m + 1]; k++) {
            const pn = 9 * nl.list[k];
            // One image shift per molecule pair, from the oxygens (molecules are kept whole).
            const ox = whole[pm] - whole[pn];
            const oy = whole[pm + 1] - whole[pn + 1];
            const oz = whole[pm + 2] - whole[pn + 2];
            const dxo = minimumImage(ox, box[0], ix);
            const dyo = minimumImage(oy, box[1], iy);
            const dzo = minimumImage(oz, box[2], iz);
            if (dxo * dxo + dyo * dyo + dzo * dzo >= reach2) continue;
            const sx = dxo - ox;
            const sy = dyo - oy;
            const sz = dzo - oz;
            for (let a = 0; a < 3; a++) {
              const pa = pm + 3 * a;
              for (let c = 0; c < 3; c++) {
                const pc = pn + 3 * c;
                const dx = whole[pa] - whole[pc] + sx;
                const dy = whole[pa + 1] - whole[pc + 1] + sy;
                const dz = whole[pa + 2] - whole[pc + 2] + sz;
                const r2 = dx * dx + dy * dy + dz * dz;
                if (r2 >= rc2) continue;
                const inv2 = 1 / r2;
                const inv = Math.sqrt(inv2);
                const k = qq[3 * a + c];
                e += k * (inv + kRF * r2 - cRF);
                // g = −(dU/dr)/r, so that F_a = g·(x_a − x_c).
                let g = k * (inv * inv2 - 2 * kRF);
                if (a === 0 && c === 0) {
                  const sr2 = s2 * inv2;
                  const sr6 = sr2 * sr2 * sr2;
                  e += eps4 * (sr6 * sr6 - sr6);
                  g += 6 * eps4 * (2 * sr6 * sr6 - sr6) * inv2;
                }
                addPairForce(forces, off + pa, off + pc, g, dx, dy, dz);
              }
            }
          }
        }
        energies[b] = e;
      }
    },
  };
}

/**
 * The three distance constraints (O–H, O–H, H–H) of each rigid molecule, as pairs and
 * distances, solved by SETTLE.
 */
export function spceConstraints(molecules: number): Constraints {
  const pairs = new Int32Array(6 * molecules);
  const distances = new Float64Array(3 * molecules);
  const hh = spceHH();
  for (let m = 0; m < molecules; m++) {
    pairs.set([3 * m, 3 * m + 1, 3 * m, 3 * m + 2, 3 * m + 1, 3 * m + 2], 6 * m);
    distances.set([SPCE.rOH, SPCE.rOH, hh], 3 * m);
  }
  const atoms = Int32Array.from({ length: 3 * molecules }, (_, i) => i);
  return { pairs, distances, settle: { atoms, dOH: SPCE.rOH, dHH: hh } };
}

/**
 * A starting configuration: molecules on a simple cubic lattice filling the box, each in a
 * random orientation (from `random`, uniform in [0, 1)), in exact SPC/E geometry.
 * @returns [3·molecules, 3] positions, nm
 */
export function waterLattice(molecules: number, box: [number, number, number], random: () => number): Float64Array {
  const k = Math.ceil(Math.cbrt(molecules));
  const x = new Float64Array(9 * molecules);
  const half = (SPCE.angleHOH * Math.PI) / 360;
  // The molecule in its own frame: O at the origin, H's in the xy plane.
  const local = [
    [0, 0, 0],
    [SPCE.rOH * Math.sin(half), SPCE.rOH * Math.cos(half), 0],
    [-SPCE.rOH * Math.sin(half), SPCE.rOH * Math.cos(half), 0],
  ];
  for (let m = 0; m < molecules; m++) {
    const cell = [Math.floor(m / (k * k)), Math.floor(m / k) % k, m % k];
    // A uniformly random rotation from a random unit quaternion (Shoemake 1992).
    const [u1, u2, u3] = [random(), random(), random()];
    const a = Math.sqrt(1 - u1);
    const bq = Math.sqrt(u1);
    const [w, qx, qy, qz] = [a * Math.sin(2 * Math.PI * u2), a * Math.cos(2 * Math.PI * u2), bq * Math.sin(2 * Math.PI * u3), bq * Math.cos(2 * Math.PI * u3)];
    const rot = [
      [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - w * qz), 2 * (qx * qz + w * qy)],
      [2 * (qx * qy + w * qz), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - w * qx)],
      [2 * (qx * qz - w * qy), 2 * (qy * qz + w * qx), 1 - 2 * (qx * qx + qy * qy)],
    ];
    for (let at = 0; at < 3; at++) {
      for (let d = 0; d < 3; d++) {
        const l = local[at];
        x[9 * m + 3 * at + d] = ((cell[d] + 0.5) * box[d]) / k + rot[d][0] * l[0] + rot[d][1] * l[1] + rot[d][2] * l[2];
      }
    }
  }
  return x;
}
