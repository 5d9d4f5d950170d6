/**
 * Free energies from histograms: F = −kT ln p on a grid shared by the surfaces being compared,
 * shifted so the lowest populated bin is 0. Unpopulated bins are NaN (infinitely high), never 0.
 */
import { kT } from '../units.js';

/** Equal-width bins over [min, max). */
export interface Grid1d {
  min: number;
  max: number;
  bins: number;
}

/** A 1-D free-energy profile. */
export interface Fes1d {
  grid: Grid1d;
  /** [bins] bin centres, in the unit of the coordinate. */
  centers: Float64Array;
  /** [bins] samples per bin (weighted when weights were given). */
  counts: Float64Array;
  /** [bins] free energy, kJ/mol, minimum 0; NaN where no sample fell. */
  F: Float64Array;
  /** Temperature the surface was computed at, K. */
  temperature: number;
}

function checkGrid(g: Grid1d, what: string): void {
  if (!(g.max > g.min) || !Number.isInteger(g.bins) || g.bins < 1) {
    throw new Error(`${what}: grid needs max > min and a positive integer number of bins, got ${JSON.stringify(g)}`);
  }
}

/** Bin index of `v` in `g`, or −1 outside [min, max). */
export function binOf(g: Grid1d, v: number): number {
  const b = Math.floor(((v - g.min) / (g.max - g.min)) * g.bins);
  return b >= 0 && b < g.bins ? b : -1;
}

/** Histogram counts of `values` (optionally weighted) on `grid`; values outside are dropped. */
export function histogram1d(values: ArrayLike<number>, grid: Grid1d, weights?: ArrayLike<number>): Float64Array {
  checkGrid(grid, 'histogram1d');
  const counts = new Float64Array(grid.bins);
  for (let i = 0; i < values.length; i++) {
    const b = binOf(grid, values[i]);
    if (b >= 0) counts[b] += weights ? weights[i] : 1;
  }
  return counts;
}

/**
 * Probability density of `values` on `grid` (per unit of the coordinate), normalised over the
 * samples inside the grid: bond-length and angle distributions to compare CG with reference.
 * @returns bin centres, the density (integrating to 1 over the grid) and the fraction of
 *   `values` inside the grid.
 */
export function density1d(values: ArrayLike<number>, grid: Grid1d): { centers: Float64Array; density: Float64Array; inside: number } {
  const counts = histogram1d(values, grid);
  const inside = counts.reduce((s, c) => s + c, 0);
  const width = (grid.max - grid.min) / grid.bins;
  return {
    centers: Float64Array.from({ length: grid.bins }, (_, b) => grid.min + (b + 0.5) * width),
    density: counts.map((c) => (inside > 0 ? c / (inside * width) : 0)),
    inside: values.length > 0 ? inside / values.length : 0,
  };
}

/** −kT ln(counts), shifted to a minimum of 0 over populated bins (kJ/mol); NaN where empty. */
export function countsToFreeEnergy(counts: Float64Array, temperature: number): Float64Array {
  const kt = kT(temperature);
  const F = counts.map((c) => (c > 0 ? -kt * Math.log(c) : NaN));
  let min = Infinity;
  for (const f of F) if (f < min) min = f;
  return Number.isFinite(min) ? F.map((f) => f - min) : F;
}

/** Free-energy profile of a 1-D coordinate sampled at `temperature` K. */
export function fes1d(values: ArrayLike<number>, grid: Grid1d, temperature: number, weights?: ArrayLike<number>): Fes1d {
  const counts = histogram1d(values, grid, weights);
  const w = (grid.max - grid.min) / grid.bins;
  const centers = Float64Array.from({ length: grid.bins }, (_, i) => grid.min + (i + 0.5) * w);
  return { grid, centers, counts, F: countsToFreeEnergy(counts, temperature), temperature };
}

/** A 2-D free-energy surface on a grid shared with the surfaces it is compared with. */
export interface Fes2d {
  gridX: Grid1d;
  gridY: Grid1d;
  /** [binsX·binsY] samples per bin, row-major (x outer). */
  counts: Float64Array;
  /** [binsX·binsY] free energy, kJ/mol, minimum 0; NaN where no sample fell. */
  F: Float64Array;
  temperature: number;
}

/** 2-D histogram of (x, y) pairs on gridX × gridY, row-major with x outer; outside values dropped; each pair counts its weight (default 1). */
export function histogram2d(x: ArrayLike<number>, y: ArrayLike<number>, gridX: Grid1d, gridY: Grid1d, weights?: ArrayLike<number>): Float64Array {
  checkGrid(gridX, 'histogram2d x');
  checkGrid(gridY, 'histogram2d y');
  if (x.length !== y.length) throw new Error(`histogram2d: x has ${x.length} values but y has ${y.length}`);
  const counts = new Float64Array(gridX.bins * gridY.bins);
  for (let i = 0; i < x.length; i++) {
    const bx = binOf(gridX, x[i]);
    const by = binOf(gridY, y[i]);
    if (bx >= 0 && by >= 0) counts[bx * gridY.bins + by] += weights ? weights[i] : 1;
  }
  return counts;
}

/** Free-energy surface of two coordinates sampled at `temperature` K. */
export function fes2d(x: ArrayLike<number>, y: ArrayLike<number>, gridX: Grid1d, gridY: Grid1d, temperature: number): Fes2d {
  const counts = histogram2d(x, y, gridX, gridY);
  return { gridX, gridY, counts, F: countsToFreeEnergy(counts, temperature), temperature };
}
