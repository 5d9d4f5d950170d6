/**
 * Integrators for many independent replicas of one system, on flat Float64Arrays.
 *
 * Units: x in nm, v in nm/ps, F in kJ/mol/nm, m in amu (g/mol), t in ps, kT in kJ/mol. These
 * are consistent without any factor: 1 kJ/mol / (1 g/mol) = 1 nm²/ps², so F/m is in nm/ps² and
 * kT/m in nm²/ps².
 */
import type { Potential } from '../physics/potential.js';
import { BOLTZMANN, kT as kTOf } from '../units.js';
import { rattleVelocities, shakePositions, type Constraints } from './constraints.js';
import { Random } from '../util/random.js';

/** Positions, velocities and forces of all replicas, plus the step count and the random stream. */
export interface MDState {
  replicas: number;
  /** [replicas, nParticles·dim], nm. */
  x: Float64Array;
  /** [replicas, nParticles·dim], nm/ps (unused by overdamped dynamics). */
  v: Float64Array;
  /** [replicas, nParticles·dim] forces at x, kJ/mol/nm. */
  f: Float64Array;
  /** [replicas] potential energies at x, kJ/mol. */
  energies: Float64Array;
  step: number;
  rng: Random;
}

/** Settings shared by the integrators. */
export interface IntegratorOptions {
  /** Time step, ps. */
  dt: number;
  /** Temperature, K (ignored by velocity Verlet). */
  temperature: number;
  /** Friction γ, 1/ps (Langevin collision rate; overdamped: sets the diffusion D = kT/(mγ)). */
  friction: number;
  /** Mass per particle, amu. */
  masses: Float64Array;
  /** Fixed distances (e.g. bonds to hydrogen), kept by SHAKE/RATTLE; particles must be 3-D. */
  constraints?: Constraints;
}

/** One integrator: advances every replica of `state` by one step (forces kept current). */
export interface Integrator {
  readonly kind: 'baoab' | 'overdamped' | 'verlet';
  readonly options: Readonly<IntegratorOptions>;
  step(p: Potential, s: MDState): void;
}

/**
 * A fresh state from starting positions, forces evaluated; velocities drawn from the
 * Maxwell–Boltzmann distribution at `temperature` K (zero when temperature is 0). With
 * `constraints`, positions are first made to satisfy them and velocities along them removed.
 * @param x0 [replicas, nParticles·dim] starting positions, nm (copied)
 */
export function initState(
  p: Potential, x0: Float64Array, masses: Float64Array, temperature: number, seed: number, constraints?: Constraints,
): MDState {
  const per = p.nParticles * p.dim;
  if (x0.length === 0 || x0.length % per !== 0) {
    throw new Error(`starting positions have ${x0.length} values, expected replicas × ${p.nParticles} particles × ${p.dim}`);
  }
  checkMasses(p, masses);
  const replicas = x0.length / per;
  const rng = new Random(seed);
  const v = new Float64Array(x0.length);
  if (temperature > 0) {
    const kT = kTOf(temperature);
    for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(kT / masses[Math.floor((i % per) / p.dim)]) * rng.normal();
  }
  const x = Float64Array.from(x0);
  if (constraints) {
    checkConstrainable(p);
    const invM = masses.map((m) => 1 / m);
    shakePositions(constraints, x0, x, invM, replicas);
    rattleVelocities(constraints, x, v, invM, replicas);
  }
  const s: MDState = { replicas, x, v, f: new Float64Array(x0.length), energies: new Float64Array(replicas), step: 0, rng };
  p.evaluate(s.x, replicas, s.f, s.energies);
  return s;
}

function checkConstrainable(p: Potential): void {
  if (p.dim !== 3) throw new Error(`${p.name}: constraints need 3-D particles, this potential has ${p.dim}-D ones`);
}

function checkMasses(p: Potential, masses: Float64Array): void {
  if (masses.length !== p.nParticles) {
    throw new Error(`${p.name}: ${masses.length} masses given for ${p.nParticles} particles`);
  }
  masses.forEach((m, i) => {
    if (!(m > 0) || !Number.isFinite(m)) throw new Error(`${p.name}: mass of particle ${i} is ${m} amu, expected a positive number`);
  });
}

function checkOptions(o: IntegratorOptions, needsTemperature: boolean): void {
  if (!(o.dt > 0)) throw new Error(`time step dt must be positive (ps), got ${o.dt}`);
  if (needsTemperature && !(o.temperature > 0)) throw new Error(`temperature must be positive (K), got ${o.temperature}`);
  if (needsTemperature && !(o.friction > 0)) throw new Error(`friction must be positive (1/ps), got ${o.friction}`);
}

/** Per-coordinate inverse masses, repeated over `dim`. */
function inverseMasses(masses: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(masses.length * dim);
  for (let i = 0; i < out.length; i++) out[i] = 1 / masses[Math.floor(i / dim)];
  return out;
}

/**
 * BAOAB Langevin splitting (Leimkuhler & Matthews 2013): half kick, half drift, exact
 * Ornstein–Uhlenbeck velocity update, half drift, force, half kick. Its configurational
 * sampling error is O(dt²) with a small constant, which is why it is the default.
 */
export function baoab(options: IntegratorOptions): Integrator {
  checkOptions(options, true);
  const { dt, friction, masses, constraints } = options;
  const kT = kTOf(options.temperature);
  const c1 = Math.exp(-friction * dt);
  const c2 = Math.sqrt(1 - c1 * c1);
  const atomInvM = masses.map((m) => 1 / m);
  let invM: Float64Array | undefined;
  let noiseScale: Float64Array | undefined;
  let xStart = new Float64Array(0);
  let scratch = new Float64Array(0);
  return {
    kind: 'baoab',
    options,
    step(p, s) {
      const per = p.nParticles * p.dim;
      invM ??= inverseMasses(masses, p.dim);
      noiseScale ??= invM.map((im) => c2 * Math.sqrt(kT * im));
      const { x, v, f } = s;
      const h = dt / 2;
      if (!constraints) {
        for (let o = 0; o < x.length; o += per) {
          for (let k = 0; k < per; k++) {
            const i = o + k;
            v[i] += h * f[i] * invM[k];
            x[i] += h * v[i];
            v[i] = c1 * v[i] + noiseScale[k] * s.rng.normal();
            x[i] += h * v[i];
          }
        }
      } else {
        // Constrained: RATTLE after each kick; one SHAKE after the whole A-O-A drift, whose
        // correction δ enters the velocity as δ/dt. This is OpenMM's LangevinMiddle scheme
        // (our kicks are split in half around it), which samples configurations as BAOAB does.
        if (xStart.length !== x.length) {
          xStart = new Float64Array(x.length);
          scratch = new Float64Array(x.length);
        }
        kick(v, f, invM, h, per);
        rattleVelocities(constraints, x, v, atomInvM, s.replicas);
        xStart.set(x);
        for (let o = 0; o < x.length; o += per) {
          for (let k = 0; k < per; k++) {
            const i = o + k;
            x[i] += h * v[i];
            v[i] = c1 * v[i] + noiseScale[k] * s.rng.normal();
            x[i] += h * v[i];
          }
        }
        shakeAndCorrect(constraints, xStart, x, v, atomInvM, s.replicas, dt, scratch);
      }
      p.evaluate(x, s.replicas, f, s.energies);
      kick(v, f, invM, h, per);
      if (constraints) rattleVelocities(constraints, x, v, atomInvM, s.replicas);
      s.step++;
    },
  };
}

/** v += τ·F/m for every replica; `invM` holds one value per coordinate of a configuration. */
function kick(v: Float64Array, f: Float64Array, invM: Float64Array, tau: number, per: number): void {
  for (let o = 0; o < v.length; o += per) {
    for (let k = 0; k < per; k++) v[o + k] += tau * f[o + k] * invM[k];
  }
}

/**
 * SHAKE `x` against `xStart`, adding the correction δx / `tau` to the velocities. `scratch`
 * (same length as x) avoids an allocation per step.
 */
function shakeAndCorrect(
  c: Constraints, xStart: Float64Array, x: Float64Array, v: Float64Array, invM: Float64Array, replicas: number, tau: number,
  scratch: Float64Array,
): void {
  scratch.set(x);
  shakePositions(c, xStart, x, invM, replicas);
  for (let i = 0; i < x.length; i++) v[i] += (x[i] - scratch[i]) / tau;
}

/**
 * Overdamped Langevin (Euler–Maruyama): dx = (D/kT) F dt + √(2D dt) ξ with D = kT/(mγ), nm²/ps.
 * First order in dt: use a smaller step than BAOAB for the same accuracy.
 */
export function overdamped(options: IntegratorOptions): Integrator {
  checkOptions(options, true);
  if (options.constraints) throw new Error('overdamped Langevin does not support constraints: use baoab, or drop the constraints');
  const { dt, friction, masses } = options;
  const kT = kTOf(options.temperature);
  let drift: Float64Array | undefined;
  let noise: Float64Array | undefined;
  return {
    kind: 'overdamped',
    options,
    step(p, s) {
      const per = p.nParticles * p.dim;
      if (!drift || !noise) {
        const D = inverseMasses(masses, p.dim).map((im) => (kT * im) / friction);
        drift = D.map((d) => (d / kT) * dt);
        noise = D.map((d) => Math.sqrt(2 * d * dt));
      }
      const { x, f } = s;
      for (let i = 0; i < x.length; i++) {
        const k = i % per;
        x[i] += drift[k] * f[i] + noise[k] * s.rng.normal();
      }
      p.evaluate(x, s.replicas, f, s.energies);
      s.step++;
    },
  };
}

/** Velocity Verlet: energy-conserving (NVE) dynamics, for checking forces and time steps. */
export function verlet(options: IntegratorOptions): Integrator {
  checkOptions(options, false);
  const { dt, masses, constraints } = options;
  const atomInvM = masses.map((m) => 1 / m);
  let invM: Float64Array | undefined;
  let xStart = new Float64Array(0);
  let scratch = new Float64Array(0);
  return {
    kind: 'verlet',
    options,
    step(p, s) {
      const per = p.nParticles * p.dim;
      invM ??= inverseMasses(masses, p.dim);
      const { x, v, f } = s;
      const h = dt / 2;
      if (constraints) {
        if (xStart.length !== x.length) {
          xStart = new Float64Array(x.length);
          scratch = new Float64Array(x.length);
        }
        xStart.set(x);
      }
      for (let i = 0; i < x.length; i++) {
        v[i] += h * f[i] * invM[i % per];
        x[i] += dt * v[i];
      }
      if (constraints) shakeAndCorrect(constraints, xStart, x, v, atomInvM, s.replicas, dt, scratch);
      p.evaluate(x, s.replicas, f, s.energies);
      for (let i = 0; i < x.length; i++) v[i] += h * f[i] * invM[i % per];
      if (constraints) rattleVelocities(constraints, x, v, atomInvM, s.replicas);
      s.step++;
    },
  };
}

/** Kinetic energy of each replica, kJ/mol. */
export function kineticEnergies(p: Potential, s: MDState, masses: Float64Array): Float64Array {
  const per = p.nParticles * p.dim;
  const out = new Float64Array(s.replicas);
  for (let i = 0; i < s.v.length; i++) {
    out[Math.floor(i / per)] += 0.5 * masses[Math.floor((i % per) / p.dim)] * s.v[i] * s.v[i];
  }
  return out;
}


/**
 * Instantaneous kinetic temperature of each replica, K: 2·KE / (N_dof k_B) with
 * N_dof = nParticles·dim − constraints (no centre-of-mass removal: Langevin dynamics does not conserve momentum).
 */
export function kineticTemperatures(p: Potential, s: MDState, masses: Float64Array, constraints?: Constraints): Float64Array {
  const dof = p.nParticles * p.dim - (constraints?.distances.length ?? 0);
  return kineticEnergies(p, s, masses).map((ke) => (2 * ke) / (dof * BOLTZMANN));
}
