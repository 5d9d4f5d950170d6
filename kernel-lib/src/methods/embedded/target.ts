/**
 * What embedded-physics training learns from: a Boltzmann density exp(−βU(q)) · J(q) over the
 * coordinates q the model generates, with βU and its gradient from a physics engine (no data).
 * Toy surfaces are generated in their own coordinates; molecules as Cartesian coordinates
 * without rigid-body motion (physics/rigidFrame.ts), whose measure brings the Jacobian J.
 */
import type { ClassicalForceField } from '../../physics/forcefield.js';
import { energiesAndForces, type Potential } from '../../physics/potential.js';
import { RigidFrame } from '../../physics/rigidFrame.js';
import type { Topology } from '../../topology/topology.js';
import { BOLTZMANN } from '../../units.js';

/** βU, ln J and their gradients in q for a batch. */
export interface TargetValues {
  /** [batch] βU (dimensionless). */
  betaU: Float64Array;
  /** [batch, dim] ∂βU/∂q, 1/nm. */
  gradBetaU: Float64Array;
  /** [batch] ln J of the coordinates' measure (0 for toys). */
  logJ: Float64Array;
  /** [batch, dim] ∂ln J/∂q, 1/nm. */
  gradLogJ: Float64Array;
}

export interface EmbeddedTarget {
  /** The system's name, for files and reports. */
  readonly name: string;
  /** Generated coordinates per configuration. */
  readonly dim: number;
  /** K. */
  readonly temperature: number;
  /** [dim] a configuration to start the decoder's mean at (a built structure, not data). */
  readonly start: Float64Array;
  /** nm: the decoder's initial spread. */
  readonly scale: number;
  /** The system's atoms (toys: one particle). */
  readonly topology: Topology;
  /** Coordinates per particle of `toCartesian`'s output (3 for molecules). */
  readonly particleDim: number;
  evaluate(q: Float64Array, batch: number): TargetValues;
  /** Configurations [batch, particles·particleDim] (nm) of generated coordinates [batch, dim]. */
  toCartesian(q: Float64Array, batch: number): Float64Array;
  /** Generated coordinates of configurations in any position and orientation. */
  fromCartesian(x: ArrayLike<number>, batch: number): Float64Array;
  /**
   * Set the energy guard for tempering factor a (0 < a ≤ 1); returns what it does, or
   * undefined when none is active (always so at a = 1).
   */
  guard?(a: number): string | undefined;
  /** What is unusual about configuration b of q (for a non-finite energy's diagnosis). */
  diagnose?(q: Float64Array, b: number): string;
}

function checkTemperature(temperature: number, name: string): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`${name}: temperature must be a positive number of K, got ${temperature}`);
}

/**
 * A potential in its own coordinates (the toy surfaces: one particle in `dim` dimensions).
 * @throws Error when the potential gives no force at its start (embedded physics learns from forces).
 */
export function potentialTarget(p: Potential, temperature: number, start: ArrayLike<number>, topology: Topology): EmbeddedTarget {
  checkTemperature(temperature, p.name);
  const dim = p.nParticles * p.dim;
  if (start.length !== dim) throw new Error(`${p.name}: start has ${start.length} coordinates, expected ${dim}`);
  const beta = 1 / (BOLTZMANN * temperature);
  requireForces(p, Float64Array.from(start));
  return {
    name: p.name,
    dim,
    temperature,
    start: Float64Array.from(start),
    scale: 1,
    topology,
    particleDim: p.dim,
    evaluate(q, batch) {
      const { energies, forces } = energiesAndForces(p, q);
      return {
        betaU: energies.map((e) => beta * e),
        gradBetaU: forces.map((f) => -beta * f),
        logJ: new Float64Array(batch),
        gradLogJ: new Float64Array(batch * dim),
      };
    },
    toCartesian: (q) => Float64Array.from(q),
    fromCartesian: (x) => Float64Array.from(x),
  };
}

/**
 * A frame-fixing triple for a molecule: the heavy atom with the most heavy neighbours (ties:
 * the most central one, nearest in bonds to every other heavy atom) and two of them,
 * [neighbour, centre, neighbour], so that both anchor distances in the frame are bond lengths,
 * |y₂| a bond times the sine of an angle, and the frame sits in the middle of the molecule.
 * @throws Error when no atom has two heavy neighbours.
 */
export function frameAnchors(top: Topology): [number, number, number] {
  const n = top.atoms.length;
  const heavy = (i: number) => top.atoms[i].element !== 'H';
  const neighbours = top.atoms.map(() => [] as number[]);
  for (const [i, j] of top.bonds) {
    if (heavy(i) && heavy(j)) {
      neighbours[i].push(j);
      neighbours[j].push(i);
    }
  }
  /** Largest bond count from i to another heavy atom it is connected to. */
  const eccentricity = (i: number) => {
    const depth = new Map([[i, 0]]);
    const queue = [i];
    for (let k = 0; k < queue.length; k++) for (const j of neighbours[queue[k]]) if (!depth.has(j)) depth.set(j, (depth.get(queue[k]) as number) + 1), queue.push(j);
    return Math.max(...depth.values());
  };
  let centre = -1;
  for (let i = 0; i < n; i++) {
    if (neighbours[i].length < 2) continue;
    if (centre < 0 || neighbours[i].length > neighbours[centre].length || (neighbours[i].length === neighbours[centre].length && eccentricity(i) < eccentricity(centre))) centre = i;
  }
  if (centre < 0) throw new Error('frameAnchors: no atom has two bonded heavy-atom neighbours; give the anchors explicitly');
  return [neighbours[centre][0], centre, neighbours[centre][1]];
}

/** Options of {@link moleculeTarget}. */
export interface MoleculeTargetOptions {
  /** Atoms that fix the frame; default {@link frameAnchors}. */
  anchors?: [number, number, number];
  /** Softening s of non-bonded pairs (fraction of their σ) at the smallest tempering factor; default 1. */
  softening?: number;
  /** The smallest tempering factor, where the softening is `softening`; default 1e-10. */
  aStart?: number;
}

/**
 * A molecule's force field over Cartesian coordinates without rigid-body motion.
 *
 * Energy guard: early in tempering the generated structures are far from physical and atoms
 * overlap, where Lennard-Jones and Coulomb energies and forces grow without bound. The guard
 * softens non-bonded pairs to √(r² + s²σ²) with s = s₀ · ln a / ln a₀, falling from s₀ (1: two
 * atoms on top of each other cost no Lennard-Jones energy) at the first factor a₀ to exactly 0
 * at a = 1, so that the repulsion builds up with a and the final rung samples the force field
 * itself.
 * @param ff a force field without constraints (every atom is placed by the model).
 * @throws Error for a force field with constraints, or one that gives no force at `start`.
 */
export function moleculeTarget(ff: ClassicalForceField, temperature: number, start: ArrayLike<number>, opts: MoleculeTargetOptions = {}): EmbeddedTarget {
  checkTemperature(temperature, ff.name);
  if (ff.constraints.distances.length > 0) {
    throw new Error(`${ff.name}: the force field constrains ${ff.constraints.distances.length} bonds, but embedded physics places every atom: use a flexible force field (every bond a harmonic term, e.g. builtinForceField(…, true))`);
  }
  const n = ff.nParticles;
  if (start.length !== 3 * n) throw new Error(`${ff.name}: start has ${start.length} coordinates, expected ${n} atoms × 3`);
  const frame = new RigidFrame(n, opts.anchors ?? frameAnchors(ff.topology));
  const beta = 1 / (BOLTZMANN * temperature);
  const s0 = opts.softening ?? 1;
  const logA0 = Math.log(opts.aStart ?? 1e-10);
  requireForces(ff, Float64Array.from(start));
  return {
    name: ff.name,
    dim: frame.dim,
    temperature,
    start: frame.reduce(start, 1),
    scale: 0.05,
    topology: ff.topology,
    particleDim: 3,
    evaluate(q, batch) {
      const x = frame.embed(q, batch);
      const { energies, forces } = energiesAndForces(ff, x);
      const gradBetaU = frame.pullBack(forces, batch).map((f) => -beta * f);
      const gradLogJ = new Float64Array(batch * frame.dim);
      const logJ = Float64Array.from({ length: batch }, (_, b) => frame.logJacobian(q, b, gradLogJ));
      return { betaU: energies.map((e) => beta * e), gradBetaU, logJ, gradLogJ };
    },
    toCartesian: (q, batch) => frame.embed(q, batch),
    fromCartesian: (x, batch) => frame.reduce(x, batch),
    guard(a) {
      const s = a >= 1 ? 0 : Math.max(0, s0 * (Math.log(a) / logA0));
      ff.setSoftening(s);
      return s > 0 ? `non-bonded pairs softened to √(r² + s²σ²), s = ${s.toFixed(4)}` : undefined;
    },
    diagnose(q, b) {
      const x = frame.embed(q.subarray(b * frame.dim, (b + 1) * frame.dim), 1);
      let best = Infinity;
      let pair = [0, 0];
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const r = Math.hypot(x[3 * j] - x[3 * i], x[3 * j + 1] - x[3 * i + 1], x[3 * j + 2] - x[3 * i + 2]);
          if (r < best) [best, pair] = [r, [i, j]];
        }
      }
      const name = (i: number) => `${ff.topology.atoms[i].name}${ff.topology.atoms[i].resid}`;
      return `closest atoms ${name(pair[0])}–${name(pair[1])} at ${best.toExponential(3)} nm`;
    },
  };
}

/** Forces at the start and beside it (a start at a minimum has none there). */
function requireForces(p: Potential, x: Float64Array): void {
  const both = Float64Array.from([...x, ...x.map((v, k) => v + 0.01 * (1 + (k % 3)))]);
  const { energies, forces } = energiesAndForces(p, both);
  if (!energies.every(Number.isFinite) || !forces.every(Number.isFinite)) throw new Error(`${p.name}: the energy or forces at the start structure are not finite (${energies[0]} kJ/mol)`);
  if (forces.every((f) => f === 0)) throw new Error(`${p.name}: the system gives no forces (all zero at and beside its start structure); embedded physics learns from the forces of a potential`);
}
