/**
 * The built-in systems `cglab generate` and `cglab evaluate` know by name: a potential with its
 * topology, masses, constraints, starting structure and the simulation settings it is meant for.
 */
import type { Constraints } from '../md/constraints.js';
import { minimize } from '../md/minimize.js';
import { builtinForceField } from '../physics/forcefield.js';
import type { Potential } from '../physics/potential.js';
import { HEXANE_MASS, HEXANE_SITES, hexaneLattice, TRAPPE_UA, trappeHexane, wholeMolecules } from '../physics/hexane.js';
import { fccLattice, lennardJones } from '../physics/lj.js';
import { spceConstraints, SPCE, spceWater, waterLattice } from '../physics/water.js';
import { coupled2d, doubleWell1d, doubleWell2d, mullerBrown, type ToyPotential } from '../physics/toy.js';
import { makeTopology, type Topology } from '../topology/topology.js';
import { Random } from '../util/random.js';
import { AVOGADRO, BOLTZMANN } from '../units.js';
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

/**
 * Settings of the systems that take them (the periodic liquids); every field has the system's
 * default. A system that takes none rejects them.
 */
export interface SystemOptions {
  /** Number of molecules. */
  molecules?: number;
  /** Density, g/cm³: sets the cubic box edge from the molecules' mass. */
  density?: number;
  /** Non-bonded cut-off, nm. */
  cutoff?: number;
}

type Factory = (o: SystemOptions) => MolecularSystem;

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

/** Molecules of the VOTCA SPC/E tutorial: 2180 in a cubic box of 4.031 nm. */
const VOTCA_WATER = { molecules: 2180, edge: 4.031 };
const WATER_MASS = SPCE.mO + 2 * SPCE.mH;
/** g/cm³ of `molecules` of molar mass `m` (g/mol) in a cube of `edge` nm (1 nm³ = 1e-21 cm³). */
const density = (molecules: number, m: number, edge: number) => (molecules * m) / AVOGADRO / (edge ** 3 * 1e-21);

/**
 * The molecule count, density (g/cm³) and cubic box (nm) of a liquid from its options and
 * defaults, checked; the messages name the system.
 */
function liquidBox(name: string, o: SystemOptions, molarMass: number, defaults: { molecules: number; density: number }) {
  const molecules = o.molecules ?? defaults.molecules;
  if (!Number.isInteger(molecules) || molecules < 2) throw new Error(`${name}: molecules must be an integer ≥ 2, got ${o.molecules}`);
  const rho = o.density ?? defaults.density;
  if (!(rho > 0) || !Number.isFinite(rho)) throw new Error(`${name}: density must be a positive number of g/cm³, got ${o.density}`);
  const edge = Math.cbrt((molecules * molarMass) / AVOGADRO / rho / 1e-21);
  return { molecules, rho, edge, box: [edge, edge, edge] as [number, number, number] };
}

/**
 * SPC/E water, rigid (three constraints per molecule), reaction field ε_rf = 80 beyond a
 * 1.2 nm cut-off, 300 K, 2 fs, friction 1/ps; by default the VOTCA tutorial's box (2180
 * molecules, 4.031 nm, 0.9957 g/cm³). The start is a lattice of randomly oriented molecules,
 * briefly minimised: equilibrate it (`--equilibrate-ps`) before sampling.
 */
function spceWaterSystem(o: SystemOptions): MolecularSystem {
  const votca = { molecules: VOTCA_WATER.molecules, density: density(VOTCA_WATER.molecules, WATER_MASS, VOTCA_WATER.edge) };
  const { molecules, rho, edge, box } = liquidBox('spce-water', o, WATER_MASS, votca);
  const cutoff = o.cutoff ?? 1.2;
  const potential = spceWater({ molecules, box, cutoff });
  const constraints = spceConstraints(molecules);
  const masses = new Float64Array(3 * molecules);
  const atoms = [];
  for (let m = 0; m < molecules; m++) {
    masses.set([SPCE.mO, SPCE.mH, SPCE.mH], 3 * m);
    for (const [name, element, mass] of [['O', 'O', SPCE.mO], ['H1', 'H', SPCE.mH], ['H2', 'H', SPCE.mH]] as const) {
      atoms.push({ name, element, mass, residue: 'HOH', resid: m + 1 });
    }
  }
  const rng = new Random(20180);
  const lattice = waterLattice(molecules, box, () => rng.uniform());
  // A few hundred iterations remove the lattice's worst contacts; equilibration does the rest.
  const start = minimize(potential, lattice, { constraints, masses, maxIterations: 200, tolerance: 1000 });
  return {
    name: 'spce-water',
    description: `${molecules} SPC/E water molecules, rigid, cubic box ${edge.toFixed(4)} nm (${rho.toFixed(4)} g/cm³), LJ and reaction field (ε_rf = 80) cut off at ${cutoff} nm`,
    potential,
    topology: makeTopology(atoms),
    masses,
    constraints,
    positions: start.x,
    box,
    temperature: 300,
    dt: 0.002,
    friction: 1,
  };
}

/**
 * United-atom n-hexane, TraPPE-UA with stiff harmonic bonds instead of rigid ones (see
 * physics/hexane.ts), LJ cut off at 1.4 nm without shift or tail correction, 300 K, 2 fs,
 * friction 1/ps, no constraints; by default 150 molecules at 0.655 g/cm³ (TraPPE's liquid
 * density near 298 K), a 3.20 nm box. The start is a lattice of randomly oriented all-trans
 * chains, minimised: equilibrate it (`--equilibrate-ps`) before sampling.
 */
function hexaneLiquid(o: SystemOptions): MolecularSystem {
  const { molecules, rho, edge, box } = liquidBox('hexane-liquid', o, HEXANE_MASS, { molecules: 150, density: 0.655 });
  const cutoff = o.cutoff ?? 1.4;
  const potential = trappeHexane({ molecules, box, cutoff });
  const siteMass = (s: number) => (s === 0 || s === HEXANE_SITES - 1 ? TRAPPE_UA.massCH3 : TRAPPE_UA.massCH2);
  const masses = Float64Array.from({ length: HEXANE_SITES * molecules }, (_, i) => siteMass(i % HEXANE_SITES));
  const atoms = Array.from({ length: HEXANE_SITES * molecules }, (_, i) => ({
    name: `C${(i % HEXANE_SITES) + 1}`, element: 'C', mass: masses[i], residue: 'HEX', resid: Math.floor(i / HEXANE_SITES) + 1,
  }));
  const bonds = Array.from({ length: 5 * molecules }, (_, b): [number, number] => {
    const i = HEXANE_SITES * Math.floor(b / 5) + (b % 5);
    return [i, i + 1];
  });
  const lattice = hexaneLattice(molecules, box, new Random(1998));
  // The lattice's chains overlap (forces up to ~1e14 kJ/mol/nm): minimisation takes them apart,
  // with first steps long enough to throw sites across the box, hence the molecules made whole.
  const start = minimize(potential, lattice, { maxIterations: 500, tolerance: 500 });
  return {
    name: 'hexane-liquid',
    description: `${molecules} united-atom n-hexane molecules (TraPPE-UA, harmonic bonds 0.154 nm with k = 2.5e5 kJ/mol/nm²), cubic box ${edge.toFixed(4)} nm (${rho.toFixed(4)} g/cm³), LJ cut off at ${cutoff} nm without shift or tail correction`,
    potential,
    topology: makeTopology(atoms, bonds),
    masses,
    positions: wholeMolecules(start.x, molecules, box),
    box,
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
  ['spce-water', spceWaterSystem],
  ['hexane-liquid', hexaneLiquid],
]);

/** Systems that take `SystemOptions`, and which of them. */
const TAKES: Record<string, (keyof SystemOptions)[]> = {
  'spce-water': ['molecules', 'density', 'cutoff'],
  'hexane-liquid': ['molecules', 'density', 'cutoff'],
};

/** Names of all built-in systems. */
export function systemNames(): string[] {
  return [...FACTORIES.keys()];
}

/**
 * A fresh instance of the built-in system `name`, with `options` where it takes them.
 * @throws Error listing the known names when `name` is not one, or naming an option the system
 *   does not take.
 */
export function getSystem(name: string, options: SystemOptions = {}): MolecularSystem {
  const f = FACTORIES.get(name);
  if (!f) throw new Error(`unknown system '${name}': expected one of ${systemNames().join(', ')}`);
  const takes = TAKES[name] ?? [];
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined && !takes.includes(k as keyof SystemOptions)) {
      throw new Error(`system '${name}' has no option '${k}'${takes.length ? ` (it takes ${takes.join(', ')})` : ' (it takes none)'}`);
    }
  }
  return f(options);
}
