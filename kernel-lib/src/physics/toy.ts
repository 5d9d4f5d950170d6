/**
 * Toy potentials with analytic answers, for tests of samplers, free energies and CG methods.
 * They are dimensionless surfaces read as kJ/mol over nm; each names a temperature at which
 * its barriers are a few kT (`temperature`), so short simulations cross them.
 */
import { BOLTZMANN } from '../units.js';
import type { Potential } from './potential.js';

/** A toy surface: a Potential of one particle plus the temperature it is meant for. */
export interface ToyPotential extends Potential {
  /** Suggested temperature, K. */
  readonly temperature: number;
  /** Energy of one configuration (the same function `evaluate` uses), kJ/mol. */
  energy(x: ArrayLike<number>): number;
}

/** Temperature at which kT = 1 kJ/mol, K. */
export const UNIT_KT_TEMPERATURE = 1 / BOLTZMANN;
/** Temperature at which kT = 3 kJ/mol, K: the 2-D double wells' barriers are then ≈ 4 kT. */
const TWO_D_TEMPERATURE = 3 / BOLTZMANN;

/** Per-configuration energy, writing the gradient ∂U/∂x into `g` (length dim). */
type EnergyGrad = (x: Float64Array, o: number, g: Float64Array) => number;

function toy(name: string, dim: number, temperature: number, eg: EnergyGrad): ToyPotential {
  const g = new Float64Array(dim);
  return {
    name,
    nParticles: 1,
    dim,
    temperature,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        const o = b * dim;
        energies[b] = eg(x, o, g);
        for (let k = 0; k < dim; k++) forces[o + k] = -g[k];
      }
    },
    energy(x) {
      return eg(Float64Array.from(x), 0, new Float64Array(dim));
    },
  };
}

/** 1-D double well U = (x² − 1)² · h with barrier height `h` kJ/mol (minima at x = ±1 nm). */
export function doubleWell1d(barrier = 3): ToyPotential {
  return toy('double-well-1d', 1, UNIT_KT_TEMPERATURE, (x, o, g) => {
    const s = x[o] * x[o] - 1;
    g[0] = 4 * barrier * x[o] * s;
    return barrier * s * s;
  });
}

/** 2-D double well U = x1⁴/4 − 3x1² + x1 + x2²/2 (Schöberl et al.'s test system). */
export function doubleWell2d(): ToyPotential {
  return toy('double-well-2d', 2, TWO_D_TEMPERATURE, (x, o, g) => {
    const a = x[o];
    const b = x[o + 1];
    g[0] = a * a * a - 6 * a + 1;
    g[1] = b;
    return (a * a * a * a) / 4 - 3 * a * a + a + (b * b) / 2;
  });
}

/**
 * Coupled 2-D system U = x1⁴/4 − 3x1² + x1 + ½(1 + x1²)(x2 − x1²/2)². Integrating out x2 gives
 * the exact PMF in x1: x1⁴/4 − 3x1² + x1 + ½kT ln(1 + x1²) + const (the entropic term comes
 * from the x1-dependent width of the x2 channel); see `coupled2dPmf`.
 */
export function coupled2d(): ToyPotential {
  return toy('coupled-2d', 2, TWO_D_TEMPERATURE, (x, o, g) => {
    const a = x[o];
    const b = x[o + 1];
    const w = 1 + a * a;
    const d = b - (a * a) / 2;
    g[0] = a * a * a - 6 * a + 1 + a * d * d - w * d * a;
    g[1] = w * d;
    return (a * a * a * a) / 4 - 3 * a * a + a + 0.5 * w * d * d;
  });
}

/** Exact potential of mean force of `coupled2d` along x1 (nm) at temperature T (K), kJ/mol. */
export function coupled2dPmf(x1: number, temperature: number): number {
  return (x1 ** 4) / 4 - 3 * x1 * x1 + x1 + 0.5 * BOLTZMANN * temperature * Math.log(1 + x1 * x1);
}

const MB = {
  A: [-200, -100, -170, 15],
  a: [-1, -1, -6.5, 0.7],
  b: [0, 0, 11, 0.6],
  c: [-10, -10, -6.5, 0.7],
  x0: [1, 0, -0.5, -1],
  y0: [0, 0.5, 1.5, 1],
};

/**
 * Müller–Brown surface with its standard parameters (minima ≈ −146.7, −108.2 and −80.8).
 * Barriers are tens of units, so its suggested temperature gives kT = 15 kJ/mol.
 */
export function mullerBrown(): ToyPotential {
  return toy('muller-brown', 2, 15 / BOLTZMANN, (x, o, g) => {
    let e = 0;
    g[0] = 0;
    g[1] = 0;
    for (let k = 0; k < 4; k++) {
      const dx = x[o] - MB.x0[k];
      const dy = x[o + 1] - MB.y0[k];
      const t = MB.A[k] * Math.exp(MB.a[k] * dx * dx + MB.b[k] * dx * dy + MB.c[k] * dy * dy);
      e += t;
      g[0] += t * (2 * MB.a[k] * dx + MB.b[k] * dy);
      g[1] += t * (MB.b[k] * dx + 2 * MB.c[k] * dy);
    }
    return e;
  });
}

/** Harmonic well U = ½k|x|² in `dim` dimensions, spring constant k in kJ/mol/nm². */
export function harmonic(k = 1, dim = 1): ToyPotential {
  return toy(`harmonic-${dim}d`, dim, UNIT_KT_TEMPERATURE, (x, o, g) => {
    let e = 0;
    for (let i = 0; i < dim; i++) {
      g[i] = k * x[o + i];
      e += 0.5 * k * x[o + i] * x[o + i];
    }
    return e;
  });
}
