// Finite-difference checks of autodiff gradients for the cg/ and nn/ tests, in float32 tfjs.
// Central differences with one Richardson step, (4·D(h/2) − D(h))/3, truncation error O(h⁴);
// the rounding of f (float32, ~100 ulps accumulated over a model's ops) adds ~1.5·δf/h.
// Values on a 2⁻¹² grid and h = 2⁻⁵ make x ± h and x ± h/2 exact in float32.
import assert from 'node:assert/strict';
import { Random } from 'cglab/util/random';

export const H = 2 ** -5;
const ULP = 2 ** -24;

/** `n` values in [lo, hi) on a 2⁻¹² grid, seeded. */
export function gridValues(n: number, seed: number, lo: number, hi: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Math.round((lo + (hi - lo) * rng.uniform()) * 4096) / 4096);
}

/** Finite-difference gradient of f at v in the coordinates `which` (default all), and its rounding bound. */
export function fdGradient(f: (v: number[]) => number, v: number[], which: readonly number[] = v.map((_, k) => k)): { grad: number[]; roundingBound: number } {
  const central = (k: number, h: number) => {
    const plus = v.slice();
    const minus = v.slice();
    plus[k] += h;
    minus[k] -= h;
    return (f(plus) - f(minus)) / (2 * h);
  };
  const grad = which.map((k) => (4 * central(k, H / 2) - central(k, H)) / 3);
  return { grad, roundingBound: (100 * ULP * Math.abs(f(v))) / H };
}

/**
 * Autodiff `got` agrees with finite differences within 1e-3 of the largest derivative plus the
 * rounding bound; a wrong gradient term is off by far more. The gradient must not vanish.
 */
export function assertGradClose(what: string, got: readonly number[], fd: { grad: number[]; roundingBound: number }): void {
  const scale = Math.max(...fd.grad.map(Math.abs));
  assert.ok(scale > 1e-3, `${what}: the finite-difference gradient vanishes, so the check tests nothing`);
  const allowed = 1e-3 * scale + fd.roundingBound;
  assert.equal(got.length, fd.grad.length, `${what}: gradient length`);
  got.forEach((g, k) => {
    const err = Math.abs(g - fd.grad[k]);
    assert.ok(err <= allowed, `${what}[${k}]: autodiff ${g}, finite differences ${fd.grad[k]} (error ${err} > ${allowed})`);
  });
}
