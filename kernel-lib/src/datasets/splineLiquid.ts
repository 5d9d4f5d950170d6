/**
 * A CG liquid with a known answer, for checking the liquid fits (FM, IBI, REM, ARCG): beads
 * sampled by cglab's Langevin sampler from a spline pair potential θ* (a Morse well of 2 kJ/mol
 * at 0.33 nm, put on knots every 0.02 nm up to a 0.7 nm cut-off), with the exact forces of θ* at
 * every frame, optionally with Gaussian noise as mapped atomistic forces have.
 */
import { PairBasis } from '../cg/pairBasis.js';
import { PairTable } from '../cg/pairTable.js';
import { Random } from '../util/random.js';
import type { LiquidData } from '../methods/pairs/data.js';
import { samplePairs } from '../methods/pairs/sample.js';
import { pairPotential } from '../physics/pairPotential.js';
import { makeTopology } from '../topology/topology.js';

/** Cut-off of the known potential, nm. */
export const SPLINE_LIQUID_CUTOFF = 0.7;
/** Its knot spacing, nm (a whole number of 0.002 nm table steps, so its table is exact). */
export const SPLINE_LIQUID_SPACING = 0.02;

const morse = (r: number) => 2 * ((1 - Math.exp(-20 * (r - 0.33))) ** 2 - 1);

/** The known potential: its basis, coefficients θ* (kJ/mol) and table. */
export function splineLiquidPotential(): { basis: PairBasis; theta: Float64Array; table: PairTable } {
  const basis = new PairBasis(0.24, SPLINE_LIQUID_CUTOFF, SPLINE_LIQUID_SPACING);
  const theta = basis.fit((r) => morse(r) - morse(SPLINE_LIQUID_CUTOFF));
  return { basis, theta, table: PairTable.fromBasis(basis, theta) };
}

/** What to sample. */
export interface SplineLiquidOptions {
  /** Beads. */
  n: number;
  /** Cube edge, nm (≥ twice the cut-off). */
  edge: number;
  /** Frames, every `saveEveryPs` (default 0.2 ps) after 4 ps of equilibration, 300 K. */
  frames: number;
  saveEveryPs?: number;
  seed?: number;
  /** Standard deviation of Gaussian noise added to every force component, kJ/mol/nm; default 0. */
  forceNoise?: number;
}

/** Samples the known liquid: frames of one type `CG` (18 amu) with their forces. */
export async function splineLiquid(o: SplineLiquidOptions): Promise<LiquidData> {
  const { n, edge } = o;
  const { table } = splineLiquidPotential();
  const m = Math.ceil(Math.cbrt(n));
  const start = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    start[3 * i] = ((i % m) + 0.5) * (edge / m);
    start[3 * i + 1] = ((Math.floor(i / m) % m) + 0.5) * (edge / m);
    start[3 * i + 2] = (Math.floor(i / (m * m)) + 0.5) * (edge / m);
  }
  const system = { types: new Int32Array(n), typeNames: ['CG'], masses: new Float64Array(n).fill(18) };
  const tables = new Map([['CG-CG', table]]);
  const box: [number, number, number] = [edge, edge, edge];
  const save = o.saveEveryPs ?? 0.2;
  const seed = o.seed ?? 1;
  const s = await samplePairs(tables, system, start, box, { ps: o.frames * save, skipPs: 4, saveEveryPs: save, temperature: 300, seed });
  const positions = Float64Array.from(s.positions);
  const forces = new Float64Array(positions.length);
  pairPotential({ box, ...system, tables }).evaluate(positions, s.frames, forces, new Float64Array(s.frames));
  if (o.forceNoise) {
    const rng = new Random(seed + 101);
    for (let i = 0; i < forces.length; i++) forces[i] += o.forceNoise * rng.normal();
  }
  return {
    source: `spline liquid (${n} beads, ${edge} nm)`, frames: s.frames, n, positions, forces,
    box: new Float64Array(3 * s.frames).fill(edge),
    types: system.types, typeNames: system.typeNames, masses: system.masses, temperature: 300,
    topology: makeTopology(Array.from({ length: n }, (_, i) => ({ name: 'CG', element: '', mass: 18, residue: 'CG', resid: i + 1 }))),
  };
}
