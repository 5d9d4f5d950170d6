/**
 * Variational f-divergences (Nguyen, Wainwright & Jordan 2010; the f-GAN of Nowozin, Cseke &
 * Tomioka 2016): for a critic with raw output v(R),
 *
 *   D_f(P‖Q) ≥ E_P[g(v)] − E_Q[f*(g(v))],
 *
 * with equality at the best critic; g is the output activation that keeps g(v) in the domain
 * of the convex conjugate f*. ARCG's critic maximises the bound (P: the mapped reference, Q:
 * the CG model) and the CG model minimises it. Each divergence is given as the two terms of
 * the bound as functions of v, with their first and second derivatives (a linear critic is
 * fitted by Newton's method on them):
 *
 * - `kl`: relative entropy KL(P‖Q); g(v) = v, f*(t) = exp(t − 1). At the best critic
 *   exp(v − 1) = p/q.
 * - `js`: Jensen–Shannon; g(v) = ln 2 − ln(1 + e^−v), f*(t) = −ln(2 − e^t), so the bound is
 *   E_P[ln σ(v)] + E_Q[ln(1 − σ(v))] + ln 4 (logistic regression) and estimates 2·JSD, which
 *   lies in [0, 2 ln 2]; σ(v) = p/(p + q) at the best critic.
 */

/** Names of the divergences. */
export type DivergenceName = 'kl' | 'js';
export const DIVERGENCES: readonly DivergenceName[] = ['kl', 'js'];

/** One f-divergence's variational bound, term by term. */
export interface FDivergence {
  readonly name: DivergenceName;
  /** The P term g(v) and its first two derivatives in v. */
  reference(v: number): [number, number, number];
  /** The Q term f*(g(v)) and its first two derivatives in v. */
  model(v: number): [number, number, number];
  /** What the bound estimates, as the divergence itself (KL; JSD = bound / 2). */
  fromBound(bound: number): number;
}

const LN2 = Math.log(2);

/** ln(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const KL: FDivergence = {
  name: 'kl',
  reference: (v) => [v, 1, 0],
  model: (v) => {
    const e = Math.exp(v - 1);
    return [e, e, e];
  },
  fromBound: (b) => b,
};

const JS: FDivergence = {
  name: 'js',
  reference: (v) => {
    const s = sigmoid(v);
    return [LN2 - softplus(-v), 1 - s, -s * (1 - s)];
  },
  model: (v) => {
    const s = sigmoid(v);
    return [softplus(v) - LN2, s, s * (1 - s)];
  },
  fromBound: (b) => b / 2,
};

/**
 * The divergence called `name`.
 * @throws Error naming the choices when there is none of that name.
 */
export function fDivergence(name: string, where = 'divergence'): FDivergence {
  if (name === 'kl') return KL;
  if (name === 'js') return JS;
  throw new Error(`${where}: unknown divergence '${name}': expected one of ${DIVERGENCES.join(', ')}`);
}
