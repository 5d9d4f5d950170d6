/**
 * How well a few collective variables separate two labelled sets of configurations (e.g. a
 * latent space against the α and β basins): the accuracy of the best linear classifier of the
 * simplest kind — Fisher's discriminant direction, then the best threshold along it.
 */
import { solveSpd } from '../cg/linalg.js';

/** Result of {@link linearSeparation}. */
export interface Separation {
  /** Fraction of points on their own class's side of the best threshold, 0.5–1. */
  accuracy: number;
  /** [dims] unit direction the points are projected on. */
  direction: Float64Array;
  /** Threshold on the projection. */
  threshold: number;
}

/**
 * Fisher's direction w ∝ (Σ₀ + Σ₁)⁻¹(μ₁ − μ₀) (a small ridge keeps it defined), and the
 * threshold on x·w that classifies the most points right.
 * @param x [n, dims] points (row-major).
 * @param labels [n] class of each point (true/false, or 1/0).
 * @throws Error when a class is empty or the sizes disagree.
 */
export function linearSeparation(x: ArrayLike<number>, dims: number, labels: ArrayLike<boolean | number>): Separation {
  const n = labels.length;
  if (!Number.isInteger(dims) || dims < 1 || x.length !== n * dims) throw new Error(`linearSeparation: ${x.length} values for ${n} labels of ${dims} dimensions`);
  const mean = [new Float64Array(dims), new Float64Array(dims)];
  const count = [0, 0];
  for (let i = 0; i < n; i++) {
    const c = labels[i] ? 1 : 0;
    count[c]++;
    for (let k = 0; k < dims; k++) mean[c][k] += x[i * dims + k];
  }
  if (!count[0] || !count[1]) throw new Error(`linearSeparation: needs points of both classes, got ${count[1]} labelled true and ${count[0]} false`);
  for (const c of [0, 1]) for (let k = 0; k < dims; k++) mean[c][k] /= count[c];
  const s = new Float64Array(dims * dims);
  for (let i = 0; i < n; i++) {
    const m = mean[labels[i] ? 1 : 0];
    for (let a = 0; a < dims; a++) for (let b = 0; b < dims; b++) s[a * dims + b] += (x[i * dims + a] - m[a]) * (x[i * dims + b] - m[b]);
  }
  let trace = 0;
  for (let a = 0; a < dims; a++) trace += s[a * dims + a];
  for (let a = 0; a < dims; a++) s[a * dims + a] += 1e-9 * (trace || 1);
  const w = solveSpd(s, dims, Float64Array.from(mean[1], (v, k) => v - mean[0][k]), 1);
  if (!w) throw new Error('linearSeparation: the within-class scatter is singular');
  const norm = Math.hypot(...w) || 1;
  const direction = w.map((v) => v / norm);
  const proj = Array.from({ length: n }, (_, i) => {
    let p = 0;
    for (let k = 0; k < dims; k++) p += x[i * dims + k] * direction[k];
    return { p, c: labels[i] ? 1 : 0 };
  }).sort((u, v) => u.p - v.p);
  // Sweep the threshold: class 0 below, class 1 above (w points from μ₀ to μ₁).
  let right = count[1];
  let best = right;
  let threshold = proj[0].p - 1;
  for (let i = 0; i < n; i++) {
    right += proj[i].c === 0 ? 1 : -1;
    if (right > best && (i === n - 1 || proj[i + 1].p > proj[i].p)) {
      best = right;
      threshold = i === n - 1 ? proj[i].p + 1 : 0.5 * (proj[i].p + proj[i + 1].p);
    }
  }
  return { accuracy: best / n, direction, threshold };
}
