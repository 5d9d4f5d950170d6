/**
 * Multistate Bennett acceptance ratio (MBAR; Shirts & Chodera 2008): pool samples drawn from
 * several thermodynamic states — here, runs of models that differ by a known potential — into
 * one estimate of each state's free energy, and reweight all of them to any state whose reduced
 * energy can be evaluated at the samples.
 */

/** What {@link mbar} returns. */
export interface Mbar {
  /** Reduced free energy f_k = −ln Z_k of each state, with f_0 = 0. */
  freeEnergies: Float64Array;
  /**
   * Per pooled sample n, ln Σ_k N_k exp(f_k − u_k(x_n)): the log density of the mixture the
   * samples were drawn from. A state with reduced energy u gives sample n the weight
   * exp(−u(x_n) − logMixture[n]), normalised over the samples.
   */
  logMixture: Float64Array;
  /** Self-consistent iterations run. */
  iterations: number;
}

/**
 * Solve the MBAR equations f_i = −ln Σ_n exp(−u_i(x_n) − logMixture_n) by self-consistent
 * iteration, in log-sum-exp form so that states far apart in energy do not overflow.
 * @param reduced per state k, its reduced energy u_k = U_k/kT (dimensionless) at every pooled
 *   sample, all of one length; only differences between states matter.
 * @param counts per state, how many of the pooled samples it drew (they sum to the samples).
 * @param o tolerance: converged when no f_k moves by more than this (default 1e-8);
 *   maxIterations (default 10,000).
 * @throws Error when the lengths disagree, a count is not a positive integer, or the iteration does
 *   not converge.
 */
export function mbar(reduced: readonly Float64Array[], counts: readonly number[], o: { tolerance?: number; maxIterations?: number } = {}): Mbar {
  const states = reduced.length;
  if (states === 0 || counts.length !== states) throw new Error(`mbar: ${states} reduced-energy rows need as many counts, got ${counts.length}`);
  const samples = reduced[0].length;
  reduced.forEach((u, k) => {
    if (u.length !== samples) throw new Error(`mbar: reduced[${k}] has ${u.length} samples, reduced[0] ${samples}; every state's energies must be evaluated at all pooled samples`);
  });
  if (counts.some((c) => !Number.isInteger(c) || c <= 0) || counts.reduce((a, b) => a + b, 0) !== samples) {
    throw new Error(`mbar: counts [${counts.join(', ')}] must be positive integers summing to the ${samples} pooled samples`);
  }
  const logCounts = counts.map(Math.log);
  const f = new Float64Array(states);
  const logMixture = new Float64Array(samples);
  const terms = new Float64Array(states);
  const updateMixture = (): void => {
    for (let n = 0; n < samples; n++) {
      let max = -Infinity;
      for (let k = 0; k < states; k++) {
        terms[k] = logCounts[k] + f[k] - reduced[k][n];
        max = Math.max(max, terms[k]);
      }
      let s = 0;
      for (let k = 0; k < states; k++) s += Math.exp(terms[k] - max);
      logMixture[n] = max + Math.log(s);
    }
  };
  const tolerance = o.tolerance ?? 1e-8;
  const maxIterations = o.maxIterations ?? 10_000;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    updateMixture();
    const next = reduced.map((u) => {
      let max = -Infinity;
      for (let n = 0; n < samples; n++) max = Math.max(max, -u[n] - logMixture[n]);
      let s = 0;
      for (let n = 0; n < samples; n++) s += Math.exp(-u[n] - logMixture[n] - max);
      return -(max + Math.log(s));
    });
    let moved = 0;
    for (let k = 0; k < states; k++) {
      const v = next[k] - next[0];
      moved = Math.max(moved, Math.abs(v - f[k]));
      f[k] = v;
    }
    if (moved <= tolerance) {
      updateMixture();
      return { freeEnergies: f, logMixture, iterations: iteration };
    }
  }
  throw new Error(`mbar: the free energies did not converge to ${tolerance} in ${maxIterations} iterations; the states may share too few samples`);
}
