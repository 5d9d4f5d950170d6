/**
 * Lennard-Jones and Coulomb interactions without cut-off (OpenMM's NonbondedForce with
 * NoCutoff) on one configuration of flat coordinates ([atoms, 3], nm), with analytic forces.
 */
import { COULOMB } from '../units.js';

/** Per-atom nonbonded parameters. */
export interface NonbondedParticle {
  /** Partial charge, e. */
  charge: number;
  /** Lennard-Jones σ, nm. */
  sigma: number;
  /** Lennard-Jones ε, kJ/mol. */
  epsilon: number;
}

/**
 * A pair whose interaction replaces the one the combination rule would give: all zero for an
 * exclusion (bonded 1-2 and 1-3 pairs), scaled for a 1-4 pair.
 */
export interface NonbondedException {
  /** The two atoms (0-based indices). */
  atoms: [number, number];
  /** q_i·q_j, e². */
  chargeProd: number;
  /** σ of the pair, nm. */
  sigma: number;
  /** ε of the pair, kJ/mol. */
  epsilon: number;
}

/** Everything a NonbondedForce holds. */
export interface NonbondedParameters {
  /** [atoms] per-atom parameters. */
  particles: NonbondedParticle[];
  /** Pairs with their own parameters; each unordered pair at most once. */
  exceptions: NonbondedException[];
}

/**
 * E = Σ_pairs 4ε[(σ/r)¹² − (σ/r)⁶] + COULOMB·q_i q_j / r over every pair of atoms, with
 * σ = (σ_i + σ_j)/2 and ε = √(ε_i ε_j) (Lorentz–Berthelot) unless the pair is an exception.
 * Pairs are listed once at construction (exceptions in place of their ordinary pair, exclusions
 * dropped), so evaluation is one loop over flat arrays.
 */
export class LennardJonesCoulomb {
  /** Atom indices × 3, [nPairs, 2]. */
  private readonly at: Int32Array;
  /** COULOMB·q_i q_j, kJ/mol·nm. */
  private readonly qq: Float64Array;
  /** σ², nm². */
  private readonly sig2: Float64Array;
  /** 4ε, kJ/mol. */
  private readonly eps4: Float64Array;
  /** s²σ² (nm²) of each pair's soft core, for `soften`. */
  private readonly soft2: Float64Array;

  constructor(p: NonbondedParameters) {
    const n = p.particles.length;
    const special = new Map<number, NonbondedException>();
    for (const ex of p.exceptions) {
      const [a, b] = ex.atoms;
      special.set(Math.min(a, b) * n + Math.max(a, b), ex);
    }
    const at: number[] = [];
    const qq: number[] = [];
    const sig2: number[] = [];
    const eps4: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const pi = p.particles[i];
        const pj = p.particles[j];
        const ex = special.get(i * n + j);
        const q = ex ? ex.chargeProd : pi.charge * pj.charge;
        const sigma = ex ? ex.sigma : 0.5 * (pi.sigma + pj.sigma);
        const epsilon = ex ? ex.epsilon : Math.sqrt(pi.epsilon * pj.epsilon);
        if (q === 0 && epsilon === 0) continue;
        at.push(3 * i, 3 * j);
        qq.push(COULOMB * q);
        sig2.push(sigma * sigma);
        eps4.push(4 * epsilon);
      }
    }
    this.at = Int32Array.from(at);
    this.qq = Float64Array.from(qq);
    this.sig2 = Float64Array.from(sig2);
    this.eps4 = Float64Array.from(eps4);
    this.soft2 = new Float64Array(qq.length);
  }

  /**
   * Soft cores r → √(r² + s² max(σ, 0.1 nm)²) for every pair, which keep energies and forces
   * finite where atoms overlap (structures from an untrained generative model): at s = 1 the
   * Lennard-Jones energy of two atoms on top of each other is 0, and it grows without bound as
   * s → 0, the physical interaction (the default).
   * @param s fraction of each pair's σ, ≥ 0.
   */
  soften(s: number): void {
    for (let p = 0; p < this.soft2.length; p++) this.soft2[p] = s * s * Math.max(this.sig2[p], 0.01);
  }

  /**
   * Energy of the configuration at offset `o` of `x` (nm), kJ/mol; adds its forces −∂E/∂x
   * (kJ/mol/nm) into `f` at the same offset.
   */
  accumulate(x: Float64Array, o: number, f: Float64Array): number {
    const { at, qq, sig2, eps4, soft2 } = this;
    let e = 0;
    for (let p = 0; p < qq.length; p++) {
      const i = o + at[2 * p];
      const j = o + at[2 * p + 1];
      const dx = x[j] - x[i];
      const dy = x[j + 1] - x[i + 1];
      const dz = x[j + 2] - x[i + 2];
      const r2inv = 1 / (dx * dx + dy * dy + dz * dz + soft2[p]);
      const rinv = Math.sqrt(r2inv);
      const s2 = sig2[p] * r2inv;
      const s6 = s2 * s2 * s2;
      const lj = eps4[p] * s6 * (s6 - 1);
      const coul = qq[p] * rinv;
      e += lj + coul;
      // −(dE/dr)/r: the force on j per unit of its displacement from i.
      const g = (eps4[p] * s6 * (12 * s6 - 6) + coul) * r2inv;
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
