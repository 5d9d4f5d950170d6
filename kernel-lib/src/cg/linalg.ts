/**
 * The little dense linear algebra the CG fits need (optimal force maps, Fourier prior fits):
 * symmetric positive-definite solves by Cholesky, in float64 on row-major arrays. Systems are
 * small (one unknown per atom or per harmonic), so nothing blocked or sparse.
 */

/**
 * Solve A X = B for symmetric positive-definite A.
 * @param a [n, n] row-major; only the lower triangle is read.
 * @param b [n, m] row-major right-hand sides.
 * @returns X, [n, m] row-major; undefined when A is not numerically positive definite (a pivot
 *   ≤ n·ε·max diag), so the caller can say which fit failed and why.
 */
export function solveSpd(a: Float64Array, n: number, b: Float64Array, m: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, a[i * n + i]);
  const floor = n * Number.EPSILON * maxDiag;
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > floor)) return undefined;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  const x = Float64Array.from(b);
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < n; i++) {
      let s = x[i * m + c];
      for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = x[i * m + c];
      for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k * m + c];
      x[i * m + c] = s / l[i * n + i];
    }
  }
  return x;
}
