/**
 * The little dense linear algebra cglab needs: symmetric positive-definite solves by Cholesky
 * (optimal force maps, Fourier prior fits) and symmetric eigenproblems by Jacobi rotations
 * (TICA), in float64 on row-major arrays. Systems are small (one unknown per atom, harmonic or
 * feature), so nothing blocked or sparse.
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

/**
 * Weighted linear least squares by the normal equations (Xᵀ W X) c = Xᵀ W v.
 * @param row writes row `i` of the design matrix X into `out` (length `nCoef`).
 * @returns c, or undefined when XᵀWX is not numerically positive definite (the rows cannot
 *   separate the coefficients).
 */
export function weightedLeastSquares(nCoef: number, row: (i: number, out: Float64Array) => void, values: ArrayLike<number>, weights: ArrayLike<number>): Float64Array | undefined {
  const xtwx = new Float64Array(nCoef * nCoef);
  const xtwv = new Float64Array(nCoef);
  const r = new Float64Array(nCoef);
  for (let i = 0; i < values.length; i++) {
    row(i, r);
    for (let a = 0; a < nCoef; a++) {
      xtwv[a] += weights[i] * r[a] * values[i];
      for (let b = 0; b <= a; b++) xtwx[a * nCoef + b] += weights[i] * r[a] * r[b];
    }
  }
  return solveSpd(xtwx, nCoef, xtwv, 1);
}

/**
 * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (accurate to
 * machine precision for the small matrices here: features of a CG model, one per coordinate).
 * @param a [n, n] row-major, symmetric (the upper triangle is read).
 * @returns values in descending order and vectors as the rows of [n, n] (row k belongs to value k).
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes m[p][q]: tan 2θ = 2 a_pq / (a_qq − a_pp), the smaller root.
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const [mkp, mkq] = [m[k * n + p], m[k * n + q]];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          const [mpk, mqk] = [m[p * n + k], m[q * n + k]];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const [vpk, vqk] = [v[p * n + k], v[q * n + k]];
          v[p * n + k] = c * vpk - s * vqk;
          v[q * n + k] = s * vpk + c * vqk;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => m[j * n + j] - m[i * n + i]);
  const values = Float64Array.from(order, (i) => m[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((i, k) => vectors.set(v.subarray(i * n, (i + 1) * n), k * n));
  return { values, vectors };
}
