/**
 * A SchNet filter network tabulated in the pair distance, for simulation (schnetHost.ts). The
 * filter W(d) = filter2(filter1(rbf(d))) depends on the distance alone, so instead of two
 * products per pair at every step, W and dW/dd come from the cubic Hermite interpolant of
 * nodes where both are exact (evaluated once, in float64) — the tabulation of DeePMD-kit's
 * model compression, applied to SchNet's filters. For a 5-bead CGSchNet the filter products
 * are half the arithmetic of a force evaluation.
 *
 * Each interval keeps its cubic's coefficients rather than the values at its ends: the slope
 * from the difference of two float32 values would lose digits as the nodes get closer. The
 * node spacing shrinks (at least halving, further where the error says so) until the table
 * reproduces the network between its nodes to {@link TABLE_TOLERANCE} of the filter's largest
 * value (and its slope to that of the largest slope), checked where cubic Hermite
 * interpolation errs most for each.
 */
import type { Dense } from './mlp.js';
import type { GaussianRbf } from './rbf.js';

/** Interpolation error the table must meet, relative: ~16 float32 roundings. */
export const TABLE_TOLERANCE = 1e-6;

/** Most intervals before the table is taken as it is (the network would then be unusually sharp). */
const MAX_INTERVALS = 1 << 13;

/** A tabulated filter over distances 0 to `cutoff` (nm). */
export interface FilterTable {
  intervals: number;
  /** Node spacing, nm. */
  spacing: number;
  features: number;
  /**
   * [intervals, 4, features]: the cubic c0 + c1 t + c2 t² + c3 t³ of each interval in its
   * fraction t of the way from node k to node k + 1 (W, and spacing × dW/dd at the nodes, exact).
   */
  coefficients: Float32Array;
  /** Largest interpolation error found, relative to the largest value (and slope): ≤ {@link TABLE_TOLERANCE} unless the intervals ran out. */
  error: number;
}

/** A layer's activation in float64, in place: a → act(a) in `y`, and `dy` scaled by act′(a). */
function activation(d: Dense): (y: Float64Array, dy: Float64Array) => void {
  switch (d.activation) {
    case 'tanh':
      return (y, dy) => {
        for (let j = 0; j < y.length; j++) {
          y[j] = Math.tanh(y[j]);
          dy[j] *= 1 - y[j] * y[j];
        }
      };
    case 'ssp':
      return (y, dy) => {
        for (let j = 0; j < y.length; j++) {
          const a = y[j];
          y[j] = (a > 0 ? a + Math.log1p(Math.exp(-a)) : Math.log1p(Math.exp(a))) - Math.LN2;
          dy[j] /= 1 + Math.exp(-a);
        }
      };
    default:
      return () => {};
  }
}

/** A dense layer as float64: weights [nIn, nOut], bias and activation. */
interface Layer {
  nIn: number;
  nOut: number;
  w: Float64Array;
  b: Float64Array;
  act: (y: Float64Array, dy: Float64Array) => void;
}

function layer(d: Dense): Layer {
  return { nIn: d.nIn, nOut: d.nOut, w: Float64Array.from(d.weight.dataSync()), b: d.bias ? Float64Array.from(d.bias.dataSync()) : new Float64Array(d.nOut), act: activation(d) };
}

/** y = act(x W + b) and its derivative dy along dx. */
function pass(l: Layer, x: Float64Array, dx: Float64Array, y: Float64Array, dy: Float64Array): void {
  const { nIn, nOut, w } = l;
  y.set(l.b);
  dy.fill(0);
  // Row by row of the weights, which lie [nIn, nOut] in memory.
  for (let i = 0; i < nIn; i++) {
    const xi = x[i], dxi = dx[i], row = i * nOut;
    for (let j = 0; j < nOut; j++) {
      y[j] += xi * w[row + j];
      dy[j] += dxi * w[row + j];
    }
  }
  l.act(y, dy);
}

/** The filter and its slope at distance `d`, nm, into `value` and `slope` (features each): a forward pass carrying the derivative along. */
function exactFilter(rbf: GaussianRbf, l1: Layer, l2: Layer) {
  const [g, dg, t, dt] = [rbf.n, rbf.n, l1.nOut, l1.nOut].map((n) => new Float64Array(n));
  return (d: number, value: Float64Array, slope: Float64Array): void => {
    for (let c = 0; c < rbf.n; c++) {
      const u = d - rbf.centers[c];
      g[c] = Math.exp(-rbf.gamma * u * u);
      dg[c] = -2 * rbf.gamma * u * g[c];
    }
    pass(l1, g, dg, t, dt);
    pass(l2, t, dt, value, slope);
  };
}

/** Tabulate `filter2(filter1(rbf(d)))` over 0 ≤ d ≤ rbf.cutoff. */
export function filterTable(rbf: GaussianRbf, filter1: Dense, filter2: Dense): FilterTable {
  const f = filter2.nOut;
  const exact = exactFilter(rbf, layer(filter1), layer(filter2));
  const [v0, s0, v1, s1, v, s] = [0, 0, 0, 0, 0, 0].map(() => new Float64Array(f));
  // Start at a quarter of the Gaussians' width 1/√(2γ), over which the filter varies.
  let intervals = Math.ceil(4 * rbf.cutoff * Math.sqrt(2 * rbf.gamma));
  for (;;) {
    const spacing = rbf.cutoff / intervals;
    const coefficients = new Float32Array(intervals * 4 * f);
    let [scale, slopeScale] = [0, 0];
    exact(0, v1, s1);
    for (let k = 0; k < intervals; k++) {
      v0.set(v1);
      s0.set(s1);
      exact((k + 1) * spacing, v1, s1);
      const c = k * 4 * f;
      for (let z = 0; z < f; z++) {
        const [m0, m1, dv] = [spacing * s0[z], spacing * s1[z], v1[z] - v0[z]];
        coefficients[c + z] = v0[z];
        coefficients[c + f + z] = m0;
        coefficients[c + 2 * f + z] = 3 * dv - 2 * m0 - m1;
        coefficients[c + 3 * f + z] = m0 + m1 - 2 * dv;
        scale = Math.max(scale, Math.abs(v0[z]));
        slopeScale = Math.max(slopeScale, Math.abs(s0[z]));
      }
    }
    // Cubic Hermite interpolation errs most in value midway between nodes, in slope at
    // 1/2 ± 1/(2√3) of the way.
    let [err, slopeErr] = [0, 0];
    for (let k = 0; k < intervals; k++) {
      for (const t of [0.5 - 0.5 / Math.sqrt(3), 0.5, 0.5 + 0.5 / Math.sqrt(3)]) {
        exact((k + t) * spacing, v, s);
        const c = k * 4 * f;
        for (let z = 0; z < f; z++) {
          const a0 = coefficients[c + z], a1 = coefficients[c + f + z], a2 = coefficients[c + 2 * f + z], a3 = coefficients[c + 3 * f + z];
          err = Math.max(err, Math.abs(a0 + t * (a1 + t * (a2 + t * a3)) - v[z]));
          slopeErr = Math.max(slopeErr, Math.abs((a1 + t * (2 * a2 + 3 * t * a3)) / spacing - s[z]));
        }
      }
    }
    const error = Math.max(err / (scale || 1), slopeErr / (slopeScale || 1));
    if (error <= TABLE_TOLERANCE || intervals >= MAX_INTERVALS) return { intervals, spacing, features: f, coefficients, error };
    // The slope's error falls as spacing³ (the value's as spacing⁴): aim at half the tolerance.
    intervals = Math.min(MAX_INTERVALS, Math.max(2 * intervals, Math.ceil(intervals * Math.cbrt(error / (0.5 * TABLE_TOLERANCE)))));
  }
}
