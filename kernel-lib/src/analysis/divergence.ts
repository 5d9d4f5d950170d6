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

/** Where KL(p‖q) over every bin p populates comes from: see {@link klBreakdown}. */
export interface KlBreakdown {
  /** Σ p ln(p / max(q, floor)) over the bins with p > 0, nats; p and q normalised to 1. */
  kl: number;
  /** The probability q is floored at in bins it does not reach. */
  floor: number;
  /** KL over the bins both populate, each renormalised there ({@link klDivergenceCommon}). */
  common: number;
  /** p's probability in bins q populates. */
  coverage: number;
  /** Bins p populates and q does not: how many, p's probability there, their part of `kl`. */
  unvisited: { bins: number; mass: number; kl: number };
  /** Per region named by `regions`: p's and q's probability there and its part of `kl` (the parts sum to `kl`). */
  regions: Record<string, { p: number; q: number; kl: number }>;
}

/**
 * KL(p‖q) of two histograms on one grid over every bin p populates, q's probability floored at
 * `floor` (default 1e-6) where q has no sample and not renormalised, so that a model that never
 * reaches part of the reference pays ln(p/floor) for it instead of being judged only where it
 * went; beside it the common-bins KL, the coverage, the unvisited bins' share, and the
 * contribution of each region when `regions` labels every bin.
 * @throws Error for histograms of different lengths, labels of another length, or a floor
 *   outside (0, 1).
 */
export function klBreakdown(p: ArrayLike<number>, q: ArrayLike<number>, o: { floor?: number; regions?: readonly string[] } = {}): KlBreakdown {
  sameLength(p, q, 'klBreakdown');
  const floor = o.floor ?? 1e-6;
  if (!(floor > 0 && floor < 1)) throw new Error(`klBreakdown: floor ${floor}, expected a probability in (0, 1)`);
  if (o.regions && o.regions.length !== p.length) throw new Error(`klBreakdown: ${o.regions.length} region labels for ${p.length} bins`);
  const [pn, qn] = [normalise(p, 0), normalise(q, 0)];
  const regions: KlBreakdown['regions'] = {};
  const unvisited = { bins: 0, mass: 0, kl: 0 };
  let kl = 0;
  for (let i = 0; i < pn.length; i++) {
    const region = o.regions ? (regions[o.regions[i]] ??= { p: 0, q: 0, kl: 0 }) : undefined;
    if (region) {
      region.p += pn[i];
      region.q += qn[i];
    }
    if (!(pn[i] > 0)) continue;
    const term = pn[i] * Math.log(pn[i] / Math.max(qn[i], floor));
    kl += term;
    if (region) region.kl += term;
    if (!(qn[i] > 0)) {
      unvisited.bins++;
      unvisited.mass += pn[i];
      unvisited.kl += term;
    }
  }
  const common = klDivergenceCommon(p, q);
  return { kl, floor, common: common.kl, coverage: common.coverage, unvisited, regions };
}
