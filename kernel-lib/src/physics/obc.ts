/**
 * Generalised-Born implicit solvent of Onufriev, Bashford & Case (Proteins 55, 383, 2004;
 * model II) with the ACE surface-area term, as OpenMM's GBSAOBCForce defines it without cut-off,
 * on one configuration of flat coordinates ([atoms, 3], nm), with analytic forces.
 *
 * Born radii. Atom i has radius R_i, offset radius ρ_i = R_i − dielectricOffset and scaled radius
 * s_i = scale_i·ρ_i. Every other atom j descreens i by the HCT integral of a sphere of radius
 * s_j at distance r, T(ρ_i, s_j, r), zero unless ρ_i < r + s_j; with L = max(ρ_i, |r − s_j|),
 * U = r + s_j, l = 1/L, u = 1/U:
 *
 *   T = l − u + r(u² − l²)/4 + ln(u/l)/(2r) + s_j²(l² − u²)/(4r)  [+ 2(1/ρ_i − l) if ρ_i < s_j − r]
 *
 * (the bracket, for i buried inside j's sphere, is OpenMM's addition to the paper). Then
 * Ψ_i = ½ρ_i Σ_j T and B_i = 1/(1/ρ_i − tanh(αΨ_i − βΨ_i² + γΨ_i³)/R_i).
 *
 * Energy. With f_ij = √(r² + B_iB_j exp(−r²/(4B_iB_j))) (f_ii = B_i),
 *
 *   E = −½ COULOMB (1/ε_solute − 1/ε_solvent) Σ_i Σ_j q_i q_j / f_ij
 *       + 4π·surfaceAreaEnergy Σ_i (R_i + probeRadius)² (R_i/B_i)⁶.
 *
 * Forces follow the chain rule through B: dT/dr at fixed l and u is the whole derivative,
 * because ∂T/∂l and ∂T/∂u vanish wherever l and u depend on r.
 */
import { COULOMB } from '../units.js';

/** Per-atom GB parameters. */
export interface GbsaObcParticle {
  /** Partial charge, e (OpenMM requires the NonbondedForce's charge). */
  charge: number;
  /** Intrinsic (Born) radius R, nm. */
  radius: number;
  /** HCT descreening scale factor, dimensionless. */
  scale: number;
}

/** Everything a GBSAOBCForce holds, with the constants OpenMM fixes made explicit. */
export interface GbsaObcParameters {
  /** Only OBC type II is defined. */
  model: 'OBC2';
  /** Coefficients of Ψ, Ψ², Ψ³ in the tanh (OBC2: 1, 0.8, 4.85; β enters with a minus sign). */
  alpha: number;
  beta: number;
  gamma: number;
  /** Subtracted from each radius in the descreening integrals, nm (OpenMM: 0.009). */
  dielectricOffset: number;
  /** Solvent probe radius of the surface-area term, nm (OpenMM: 0.14). */
  probeRadius: number;
  /** Dielectric constant inside the solute. */
  soluteDielectric: number;
  /** Dielectric constant of the solvent. */
  solventDielectric: number;
  /** Surface tension of the ACE term, kJ/mol/nm². */
  surfaceAreaEnergy: number;
  /** [atoms] per-atom parameters. */
  particles: GbsaObcParticle[];
}

/** OBC2 polar solvation plus ACE surface-area energy (see the module comment for the formulas). */
export class GbsaObc {
  private readonly n: number;
  private readonly alpha: number;
  private readonly beta: number;
  private readonly gamma: number;
  /** −COULOMB (1/ε_solute − 1/ε_solvent)·q_i, kJ/mol·nm/e. */
  private readonly preq: Float64Array;
  private readonly q: Float64Array;
  private readonly invRadius: Float64Array;
  /** ρ = R − offset, nm, and its inverse. */
  private readonly rho: Float64Array;
  private readonly invRho: Float64Array;
  /** s = scale·ρ, nm. */
  private readonly scaled: Float64Array;
  /** 4π·surfaceAreaEnergy·(R + probe)²·R⁶: the surface term is this / B⁶. */
  private readonly ace: Float64Array;
  /** All unordered pairs i < j (atom indices), [nPairs, 2]. */
  private readonly pairs: Int32Array;
  // Scratch, one value per pair or per atom, reused by every evaluation.
  private readonly pairR: Float64Array;
  private readonly pairRinv: Float64Array;
  /** T(ρ_i, s_j, r) and T(ρ_j, s_i, r) of each pair, nm⁻¹, and their r-derivatives, nm⁻². */
  private readonly tij: Float64Array;
  private readonly tji: Float64Array;
  private readonly dTij: Float64Array;
  private readonly dTji: Float64Array;
  /** −(∂E/∂r)/r of each pair's GB energy at fixed Born radii, kJ/mol/nm². */
  private readonly gPair: Float64Array;
  /** Σ_j T per atom, then the Born radius B, nm. */
  private readonly born: Float64Array;
  private readonly invBorn: Float64Array;
  /** dB_i/d(Σ_j T) per atom, nm². */
  private readonly dBdT: Float64Array;
  /** ∂E/∂B_i per atom, kJ/mol/nm. */
  private readonly dEdB: Float64Array;

  constructor(p: GbsaObcParameters) {
    const n = p.particles.length;
    const pre = -COULOMB * (1 / p.soluteDielectric - 1 / p.solventDielectric);
    this.n = n;
    this.alpha = p.alpha;
    this.beta = p.beta;
    this.gamma = p.gamma;
    this.preq = Float64Array.from(p.particles, (a) => pre * a.charge);
    this.q = Float64Array.from(p.particles, (a) => a.charge);
    this.invRadius = Float64Array.from(p.particles, (a) => 1 / a.radius);
    this.rho = Float64Array.from(p.particles, (a) => a.radius - p.dielectricOffset);
    this.invRho = this.rho.map((r) => 1 / r);
    this.scaled = Float64Array.from(p.particles, (a) => a.scale * (a.radius - p.dielectricOffset));
    this.ace = Float64Array.from(p.particles, (a) => 4 * Math.PI * p.surfaceAreaEnergy * (a.radius + p.probeRadius) ** 2 * a.radius ** 6);
    const nPairs = (n * (n - 1)) / 2;
    this.pairs = new Int32Array(2 * nPairs);
    for (let i = 0, k = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++, k += 2) {
        this.pairs[k] = i;
        this.pairs[k + 1] = j;
      }
    }
    this.pairR = new Float64Array(nPairs);
    this.pairRinv = new Float64Array(nPairs);
    this.tij = new Float64Array(nPairs);
    this.tji = new Float64Array(nPairs);
    this.dTij = new Float64Array(nPairs);
    this.dTji = new Float64Array(nPairs);
    this.gPair = new Float64Array(nPairs);
    this.born = new Float64Array(n);
    this.invBorn = new Float64Array(n);
    this.dBdT = new Float64Array(n);
    this.dEdB = new Float64Array(n);
  }

  /**
   * Energy of the configuration at offset `o` of `x` (nm), kJ/mol; adds its forces −∂E/∂x
   * (kJ/mol/nm) into `f` at the same offset.
   */
  accumulate(x: Float64Array, o: number, f: Float64Array): number {
    const { n, pairs, q, preq, rho, invRho, scaled, invRadius, ace, pairR, pairRinv, tij, tji, dTij, dTji, gPair, born, invBorn, dBdT, dEdB } = this;
    const nPairs = pairR.length;

    // Pass 1: descreening integrals of both atoms of each pair.
    for (let p = 0; p < nPairs; p++) {
      const i = o + 3 * pairs[2 * p];
      const j = o + 3 * pairs[2 * p + 1];
      const dx = x[j] - x[i];
      const dy = x[j + 1] - x[i + 1];
      const dz = x[j + 2] - x[i + 2];
      const r = Math.sqrt(dx * dx + dy * dy + dz * dz);
      pairR[p] = r;
      pairRinv[p] = 1 / r;
    }
    descreen(pairs, 0, rho, invRho, scaled, pairR, pairRinv, tij, dTij);
    descreen(pairs, 1, rho, invRho, scaled, pairR, pairRinv, tji, dTji);

    // Radii, self energies and the surface term.
    born.fill(0);
    for (let p = 0; p < nPairs; p++) {
      born[pairs[2 * p]] += tij[p];
      born[pairs[2 * p + 1]] += tji[p];
    }
    const { alpha, beta, gamma } = this;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const half = 0.5 * rho[i];
      const psi = half * born[i];
      const t = Math.tanh(psi * (alpha - psi * (beta - gamma * psi)));
      const invB = invRho[i] - t * invRadius[i];
      const B = 1 / invB;
      born[i] = B;
      invBorn[i] = invB;
      dBdT[i] = B * B * (1 - t * t) * (alpha - psi * (2 * beta - 3 * gamma * psi)) * half * invRadius[i];
      const self = 0.5 * preq[i] * q[i] * invB;
      const invB2 = invB * invB;
      const sa = ace[i] * invB2 * invB2 * invB2;
      e += self + sa;
      dEdB[i] = -(self + 6 * sa) * invB;
    }

    // Pass 2: pair energies. Their explicit r-dependence is kept per pair, their dependence on
    // the radii collected in dEdB.
    for (let p = 0; p < nPairs; p++) {
      const a = pairs[2 * p];
      const b = pairs[2 * p + 1];
      const r = pairR[p];
      const r2 = r * r;
      const D = 0.25 * r2 * invBorn[a] * invBorn[b];
      const ex = Math.exp(-D);
      const invf = 1 / Math.sqrt(r2 + born[a] * born[b] * ex);
      const invf2 = invf * invf;
      const eij = preq[a] * q[b] * invf;
      e += eij;
      const dEdBB = -0.5 * eij * ex * (1 + D) * invf2;
      dEdB[a] += dEdBB * born[b];
      dEdB[b] += dEdBB * born[a];
      gPair[p] = eij * (1 - 0.25 * ex) * invf2;
    }

    // Pass 3: forces, adding those through the Born radii,
    // dE/dr = Σ_k ∂E/∂B_k · dB_k/dT · dT_k/dr.
    for (let i = 0; i < n; i++) dEdB[i] *= dBdT[i];
    for (let p = 0; p < nPairs; p++) {
      const a = pairs[2 * p];
      const b = pairs[2 * p + 1];
      const g = gPair[p] - (dEdB[a] * dTij[p] + dEdB[b] * dTji[p]) * pairRinv[p];
      const i = o + 3 * a;
      const j = o + 3 * b;
      const fx = g * (x[j] - x[i]);
      const fy = g * (x[j + 1] - x[i + 1]);
      const fz = g * (x[j + 2] - x[i + 2]);
      f[j] += fx;
      f[j + 1] += fy;
      f[j + 2] += fz;
      f[i] -= fx;
      f[i + 1] -= fy;
      f[i + 2] -= fz;
    }
    return e;
  }
}

/**
 * T(ρ_i, s_j, r) of every pair (module comment) into `t`, for i the pair's first atom
 * (`side` 0) or its second (`side` 1); the r-derivatives go into `dT`.
 */
function descreen(
  pairs: Int32Array, side: 0 | 1, rhoOf: Float64Array, invRhoOf: Float64Array, scaledOf: Float64Array,
  pairR: Float64Array, pairRinv: Float64Array, t: Float64Array, dT: Float64Array,
): void {
  for (let p = 0; p < pairR.length; p++) {
    const i = pairs[2 * p + side];
    const j = pairs[2 * p + 1 - side];
    const rho = rhoOf[i];
    const s = scaledOf[j];
    const r = pairR[p];
    const U = r + s;
    if (rho >= U) {
      t[p] = 0;
      dT[p] = 0;
      continue;
    }
    const rinv = pairRinv[p];
    const d = Math.abs(r - s);
    const L = rho > d ? rho : d;
    const inv = 1 / (L * U);
    const l = U * inv;
    const u = L * inv;
    const diff = l * l - u * u;
    const log = Math.log(L * u);
    // r(u² − l²)/4 + s²(l² − u²)/(4r) = (s² − r²)(l² − u²)/(4r)
    let term = l - u + rinv * (0.5 * log + 0.25 * (s * s - r * r) * diff);
    if (rho < s - r) term += 2 * (invRhoOf[i] - l);
    t[p] = term;
    dT[p] = -rinv * rinv * (0.25 * (r * r + s * s) * diff + 0.5 * log);
  }
}
