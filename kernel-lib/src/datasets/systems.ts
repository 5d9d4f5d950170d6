/**
 * The built-in systems `cglab generate` and `cglab evaluate` know by name: a potential with its
 * topology, masses, constraints, starting structure and the simulation settings it is meant for.
 */
import type { Constraints } from '../md/constraints.js';
import { minimize } from '../md/minimize.js';
import { builtinForceField } from '../physics/forcefield.js';
import type { Potential } from '../physics/potential.js';
import { fccLattice, lennardJones } from '../physics/lj.js';
import { coupled2d, doubleWell1d, doubleWell2d, mullerBrown, type ToyPotential } from '../physics/toy.js';
import { makeTopology, type Topology } from '../topology/topology.js';
import { BOLTZMANN } from '../units.js';
import { buildAlanineDipeptide } from './alanineDipeptide.js';

/** Everything needed to simulate a system and write its data set. */
export interface MolecularSystem {
  name: string;
  /** One line for listings and provenance. */
  description: string;
  potential: Potential;
  topology: Topology;
  /** [nParticles] masses, amu. */
  masses: Float64Array;
  constraints?: Constraints;
  /** [nParticles·dim] starting configuration, nm (minimised where that matters). */
  positions: Float64Array;
  /** Periodic box edges, nm, for periodic systems. */
  box?: [number, number, number];
  /** Temperature, K. */
  temperature: number;
  /** Time step, ps. */
  dt: number;
  /** Langevin friction, 1/ps. */
  friction: number;
}

type Factory = () => MolecularSystem;

function toySystem(p: ToyPotential, start: number[], description: string): MolecularSystem {
  return {
    name: p.name,
    description,
    potential: p,
    topology: makeTopology([{ name: 'X', element: '', mass: 1, residue: 'TOY', resid: 1 }]),
    masses: Float64Array.of(1),
    positions: Float64Array.from(start),
    temperature: p.temperature,
    dt: 0.01,
    friction: 1,
  };
}

function ljFluid(): MolecularSystem {
  // Argon-like: σ = 0.34 nm, ε = 0.996 kJ/mol, at reduced density 0.8 and temperature T* = 1.
  const n = 256;
  const sigma = 0.34;
  const epsilon = 0.996;
  const edge = Math.cbrt(n / 0.8) * sigma;
  return {
    name: 'lj-fluid',
    description: `${n} Lennard-Jones particles (argon-like), ρ* = 0.8, T* = 1, cut-off 2.5σ with shift`,
    potential: lennardJones({ n, box: [edge, edge, edge], sigma, epsilon, cutoff: 2.5 * sigma }),
    topology: makeTopology(Array.from({ length: n }, (_, i) => ({ name: 'AR', element: 'Ar', mass: 39.948, residue: 'AR', resid: i + 1 }))),
    masses: new Float64Array(n).fill(39.948),
    positions: fccLattice(n, edge),
    box: [edge, edge, edge],
    temperature: epsilon / BOLTZMANN,
    dt: 0.005,
    friction: 1,
  };
}

/**
 * The project's standard alanine dipeptide: ff99SB-ILDN + OBC2, no cut-off, X–H bonds
 * constrained, 300 K, friction 1/ps, 2 fs, started from the built structure minimised.
 */
function alanineDipeptide(): MolecularSystem {
  const ff = builtinForceField('alanine-dipeptide', 'obc2');
  const start = minimize(ff, buildAlanineDipeptide(), { constraints: ff.constraints, masses: ff.masses });
  return {
    name: 'alanine-dipeptide',
    description: 'ACE-ALA-NME, AMBER ff99SB-ILDN + OBC2 implicit solvent, no cut-off, H-bond constraints',
    potential: ff,
    topology: ff.topology,
    masses: ff.masses,
    constraints: ff.constraints,
    positions: start.x,
    temperature: 300,
    dt: 0.002,
    friction: 1,
  };
}

const FACTORIES = new Map<string, Factory>([
  ['alanine-dipeptide', alanineDipeptide],
  ['double-well-1d', () => toySystem(doubleWell1d(), [-1], '1-D double well (x² − 1)², barrier 3 kJ/mol')],
  ['double-well-2d', () => toySystem(doubleWell2d(), [-2.5, 0], '2-D double well x1⁴/4 − 3x1² + x1 + x2²/2')],
  ['coupled-2d', () => toySystem(coupled2d(), [-2.5, 3.125], 'coupled 2-D system with an entropic term in its x1 PMF')],
  ['muller-brown', () => toySystem(mullerBrown(), [-0.558, 1.442], 'Müller–Brown surface')],
  ['lj-fluid', ljFluid],
]);

/** Names of all built-in systems. */
export function systemNames(): string[] {
  return [...FACTORIES.keys()];
}

/**
 * A fresh instance of the built-in system `name`.
 * @throws Error listing the known names when `name` is not one.
 */
export function getSystem(name: string): MolecularSystem {
  const f = FACTORIES.get(name);
  if (!f) throw new Error(`unknown system '${name}': expected one of ${systemNames().join(', ')}`);
  return f();
}
