/**
 * Comparing histograms and free-energy surfaces on a shared grid: Kullback–Leibler and
 * Jensen–Shannon divergences of the normalised histograms, and the mean squared difference of
 * free energies over bins both populate (free energies are defined only up to a constant, so the
 * constant that minimises the difference is removed first).
 */

function normalise(counts: ArrayLike<number>, eps: number): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] + eps;
  return Float64Array.from(counts, (c) => (c + eps) / total);
}

function sameLength(p: ArrayLike<number>, q: ArrayLike<number>, what: string): void {
  if (p.length !== q.length) throw new Error(`${what}: histograms have ${p.length} and ${q.length} bins; use one shared grid`);
}

/**
 * KL(p‖q) = Σ p ln(p/q) in nats of two histograms (counts) on the same grid. `eps` pseudo-
 * counts are added to every bin of both (default 1e-6 of a count) so bins empty in q but
 * populated in p give a large finite penalty instead of infinity.
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>, eps = 1e-6): number {
  sameLength(p, q, 'klDivergence');
  const pn = normalise(p, eps);
  const qn = normalise(q, eps);
  let kl = 0;
  for (let i = 0; i < pn.length; i++) kl += pn[i] * Math.log(pn[i] / qn[i]);
  return kl;
}

/**
 * KL(p‖q) in nats over the bins both histograms populate, each renormalised there: the
 * comparison of surfaces "over commonly populated bins", which is finite without pseudo-counts
 * and insensitive to sparsely sampled edges (report the populated fraction alongside it).
 * @returns the divergence and the fraction of p's samples in the common bins
 */
export function klDivergenceCommon(p: ArrayLike<number>, q: ArrayLike<number>): { kl: number; coverage: number } {
  sameLength(p, q, 'klDivergenceCommon');
  let sp = 0;
  let sq = 0;
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    total += p[i];
    if (p[i] > 0 && q[i] > 0) {
      sp += p[i];
      sq += q[i];
    }
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0 && q[i] > 0) kl += (p[i] / sp) * Math.log((p[i] / sp) / (q[i] / sq));
  }
  return { kl, coverage: total > 0 ? sp / total : 0 };
}

/** Jensen–Shannon divergence in nats (symmetric, at most ln 2) of two histograms on the same grid. */
export function jsDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  sameLength(p, q, 'jsDivergence');
  const pn = normalise(p, 0);
  const qn = normalise(q, 0);
  let js = 0;
  for (let i = 0; i < pn.length; i++) {
    const m = 0.5 * (pn[i] + qn[i]);
    if (pn[i] > 0) js += 0.5 * pn[i] * Math.log(pn[i] / m);
    if (qn[i] > 0) js += 0.5 * qn[i] * Math.log(qn[i] / m);
  }
  return js;
}

/**
 * Mean squared difference of two free-energy surfaces (same grid, same unit) over bins where
 * both are finite, after removing the best constant offset; NaN when no bin is shared.
 */
export function fesMse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b, 'fesMse');
  const idx: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]) && Number.isFinite(b[i])) idx.push(i);
  if (idx.length === 0) return NaN;
  const shift = idx.reduce((s, i) => s + a[i] - b[i], 0) / idx.length;
  return idx.reduce((s, i) => s + (a[i] - b[i] - shift) ** 2, 0) / idx.length;
}
