// Helpers for the nn tests: put a model's parameters on a 2⁻¹² grid (so finite differences
// step exactly) with non-zero biases (so every parameter matters), and read/write single entries.
import * as tf from '@tensorflow/tfjs-core';
import { gridValues } from './finiteDifferences.js';

/**
 * Give every variable seeded values on a 2⁻¹² grid, uniform in ±(its current largest
 * magnitude, or 0.2 for all-zero biases): the initialisation's scale, without zeros.
 */
export function gridParameters(vars: Record<string, tf.Variable>, seed: number): void {
  Object.values(vars).forEach((v, k) => {
    const current = v.dataSync();
    const scale = Math.max(0.2, ...Array.from(current, Math.abs));
    tf.tidy(() => v.assign(tf.tensor(gridValues(v.size, seed + k, -scale, scale), v.shape)));
  });
}

/** One entry of a parameter: which variable and which flat index. */
export interface Entry {
  name: string;
  index: number;
}

/** The first and last entry of every variable. */
export function probeEntries(vars: Record<string, tf.Variable>): Entry[] {
  return Object.entries(vars).flatMap(([name, v]) => (v.size > 1 ? [{ name, index: 0 }, { name, index: v.size - 1 }] : [{ name, index: 0 }]));
}

/** Current values of the entries. */
export function readEntries(vars: Record<string, tf.Variable>, entries: readonly Entry[]): number[] {
  return entries.map(({ name, index }) => vars[name].dataSync()[index]);
}

/** Set the entries to `values`, leaving the rest of each variable as it is. */
export function writeEntries(vars: Record<string, tf.Variable>, entries: readonly Entry[], values: readonly number[]): void {
  const touched = new Map<string, Float32Array>();
  entries.forEach(({ name, index }, k) => {
    const data = touched.get(name) ?? Float32Array.from(vars[name].dataSync());
    data[index] = values[k];
    touched.set(name, data);
  });
  for (const [name, data] of touched) tf.tidy(() => vars[name].assign(tf.tensor(data, vars[name].shape)));
}
