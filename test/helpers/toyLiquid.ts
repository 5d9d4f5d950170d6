// A CG liquid with a known answer: beads sampled from a spline pair potential θ* (Langevin,
// cglab's own sampler), with the exact forces of θ* at every frame.
import { PairBasis } from 'cglab/cg/pairBasis';
import { PairTable } from 'cglab/cg/pairTable';
import { makeTopology } from 'cglab/topology/topology';
import type { LiquidData } from 'cglab/methods/pairs/data';
import { samplePairs } from 'cglab/methods/pairs/sample';
import { pairPotential } from 'cglab/physics/pairPotential';
import { morse } from './pairFunctions.js';

/** The known potential: a Morse well (2 kJ/mol at 0.33 nm) on knots every 0.02 nm up to 0.7 nm. */
export const TOY_CUTOFF = 0.7;
export const TOY_SPACING = 0.02;
export const toyBasis = new PairBasis(0.24, TOY_CUTOFF, TOY_SPACING);
export const toyTheta = toyBasis.fit((r) => morse(2, 20, 0.33)(r).u - morse(2, 20, 0.33)(TOY_CUTOFF).u);
export const toyTable = PairTable.fromBasis(toyBasis, toyTheta);

/** `n` beads in a cube of `edge` nm at 300 K, `frames` frames every 0.2 ps after 4 ps. */
export async function toyLiquid(n: number, edge: number, frames: number, seed = 1): Promise<LiquidData> {
  const m = Math.ceil(Math.cbrt(n));
  const start = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    start[3 * i] = ((i % m) + 0.5) * (edge / m);
    start[3 * i + 1] = ((Math.floor(i / m) % m) + 0.5) * (edge / m);
    start[3 * i + 2] = (Math.floor(i / (m * m)) + 0.5) * (edge / m);
  }
  const system = { types: new Int32Array(n), typeNames: ['CG'], masses: new Float64Array(n).fill(18) };
  const tables = new Map([['CG-CG', toyTable]]);
  const box: [number, number, number] = [edge, edge, edge];
  const s = await samplePairs(tables, system, start, box, { ps: frames * 0.2, skipPs: 4, saveEveryPs: 0.2, temperature: 300, seed });
  const positions = Float64Array.from(s.positions);
  const forces = new Float64Array(positions.length);
  const e = new Float64Array(s.frames);
  pairPotential({ box, ...system, tables }).evaluate(positions, s.frames, forces, e);
  return {
    source: 'toy liquid', frames: s.frames, n, positions, forces,
    box: Float64Array.from({ length: 3 * s.frames }, () => edge),
    types: system.types, typeNames: system.typeNames, masses: system.masses, temperature: 300,
    topology: makeTopology(Array.from({ length: n }, (_, i) => ({ name: 'CG', element: '', mass: 18, residue: 'CG', resid: i + 1 }))),
  };
}
