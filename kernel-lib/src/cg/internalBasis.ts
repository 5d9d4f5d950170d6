/**
 * A linear basis (physics/basisPotential.ts) of CG molecule energies in internal coordinates,
 * for models fitted by their statistics (ARCG, REM): U_θ = Σ θ_k φ_k(R) with
 *
 * - `bond` (i, j), `angle` (i, j, k): u = (q − q₀)/s in the coordinate's own unit (nm, rad),
 *   φ = (u², u): any harmonic well, U = θ₁u² + θ₂u, with q₀ and s fixing the scale (the data's
 *   mean and spread are natural choices) so that θ are kJ/mol of similar size;
 * - `dihedral` (i, j, k, l): φ = (cos nφ, sin nφ) for n = 1 … order (default 2);
 * - `dihedralPair` (a, b): the couplings cos nφ_a cos mφ_b, cos sin, sin cos, sin sin for
 *   n, m = 1 … order (default 1), which a sum of one-dihedral terms cannot express.
 *
 * Beads may be virtual sites (no atom maps to them): the basis does not know the difference;
 * the model that samples it decides what the critic sees (methods/arcg/basisModel.ts).
 */
import type { LinearBasis } from '../physics/basisPotential.js';
import { hostGeometry, type GeometryTuples } from './geometryOp.js';

/** One term of an internal-coordinate basis. */
export type InternalTerm =
  | { kind: 'bond'; beads: [number, number]; q0: number; scale: number }
  | { kind: 'angle'; beads: [number, number, number]; q0: number; scale: number }
  | { kind: 'dihedral'; beads: [number, number, number, number]; order?: number }
  | { kind: 'dihedralPair'; a: [number, number, number, number]; b: [number, number, number, number]; order?: number };

type Quad = [number, number, number, number];

/**
 * The basis of `terms` over molecules of `nBeads` beads.
 * @throws Error naming the term for a bead index out of range, a non-positive scale or order.
 */
export function internalBasis(nBeads: number, terms: readonly InternalTerm[], name = 'internal-coordinate basis'): LinearBasis {
  const tuples: { pairs: [number, number][]; angles: [number, number, number][]; dihedrals: Quad[] } = { pairs: [], angles: [], dihedrals: [] };
  const dihedralIndex = (q: Quad): number => {
    const k = tuples.dihedrals.findIndex((d) => d.join() === q.join());
    if (k >= 0) return k;
    tuples.dihedrals.push(q);
    return tuples.dihedrals.length - 1;
  };
  // Each basis function reads one or two features: how, and its name.
  type Fn = { name: string; value: (v: Float64Array, dv: Float64Array | undefined, o: number) => number };
  const fns: Fn[] = [];
  const pending: (() => void)[] = [];
  // Scratch for the derivatives of one harmonic in its (cos, sin) features, made once per basis:
  // evaluate runs on the MD hot path.
  const ga = new Float64Array(2);
  const gb = new Float64Array(2);
  terms.forEach((t, ti) => {
    const where = `${name}: term ${ti} (${t.kind})`;
    const beads = t.kind === 'dihedralPair' ? [...t.a, ...t.b] : t.beads;
    for (const b of beads) if (!Number.isInteger(b) || b < 0 || b >= nBeads) throw new Error(`${where}: bead ${b} is not among the ${nBeads} beads`);
    if (t.kind === 'bond' || t.kind === 'angle') {
      if (!(t.scale > 0) || !Number.isFinite(t.q0)) throw new Error(`${where}: needs a finite q0 and a positive scale, got q0 ${t.q0}, scale ${t.scale}`);
      const list = t.kind === 'bond' ? tuples.pairs : tuples.angles;
      list.push(t.beads as never);
      const index = list.length - 1;
      const label = `${t.kind} ${t.beads.join('-')}`;
      // Feature offsets are known once every term is placed: pairs, then angles, then dihedrals.
      pending.push(() => {
        const k = t.kind === 'bond' ? index : tuples.pairs.length + index;
        fns.push({ name: `${label} u²`, value: (v, dv, o) => { const u = (v[k] - t.q0) / t.scale; if (dv) dv[o + k] += (2 * u) / t.scale; return u * u; } });
        fns.push({ name: `${label} u`, value: (v, dv, o) => { if (dv) dv[o + k] += 1 / t.scale; return (v[k] - t.q0) / t.scale; } });
      });
      return;
    }
    const order = t.order ?? (t.kind === 'dihedral' ? 2 : 1);
    if (!Number.isInteger(order) || order < 1) throw new Error(`${where}: order must be a positive integer, got ${order}`);
    if (t.kind === 'dihedral') {
      const d = dihedralIndex(t.beads);
      pending.push(() => {
        for (let n = 1; n <= order; n++) {
          for (const trig of ['cos', 'sin'] as const) {
            fns.push({ name: `dihedral ${t.beads.join('-')} ${trig} ${n}φ`, value: (v, dv, o) => {
              const f = dihedralFeature(tuples, d);
              if (!dv) return harmonicAt(v, f, n, trig);
              const h = harmonicAt(v, f, n, trig, ga);
              dv[o + f] += ga[0];
              dv[o + f + 1] += ga[1];
              return h;
            } });
          }
        }
      });
      return;
    }
    const da = dihedralIndex(t.a);
    const db = dihedralIndex(t.b);
    pending.push(() => {
      for (let n = 1; n <= order; n++) {
        for (let m = 1; m <= order; m++) {
          for (const ta of ['cos', 'sin'] as const) {
            for (const tb of ['cos', 'sin'] as const) {
              fns.push({
                name: `dihedrals ${t.a.join('-')} × ${t.b.join('-')} ${ta} ${n}φ ${tb} ${m}ψ`,
                value: (v, dv, o) => {
                  const fa = dihedralFeature(tuples, da);
                  const fb = dihedralFeature(tuples, db);
                  const a = harmonicAt(v, fa, n, ta, ga);
                  const b = harmonicAt(v, fb, m, tb, gb);
                  if (dv) {
                    dv[o + fa] += ga[0] * b;
                    dv[o + fa + 1] += ga[1] * b;
                    dv[o + fb] += a * gb[0];
                    dv[o + fb + 1] += a * gb[1];
                  }
                  return a * b;
                },
              });
            }
          }
        }
      }
    });
  });
  for (const p of pending) p();
  const geometry: GeometryTuples = tuples;
  const nFeatures = tuples.pairs.length + tuples.angles.length + 2 * tuples.dihedrals.length;
  const per = 3 * nBeads;
  const x1 = new Float64Array(per);
  // Scratch for the gradient: the features' derivatives and one function's bead gradient.
  const dv = new Float64Array(nFeatures);
  const out = new Float64Array(per);
  return {
    name, size: fns.length, nParticles: nBeads, dim: 3, names: fns.map((f) => f.name),
    evaluate(x, offset, phi, gradient) {
      for (let i = 0; i < per; i++) x1[i] = x[offset + i];
      const g = hostGeometry(x1, 1, nBeads, geometry);
      fns.forEach((f, k) => {
        if (!gradient) {
          phi[k] = f.value(g.values, undefined, 0);
          return;
        }
        dv.fill(0);
        phi[k] = f.value(g.values, dv, 0);
        out.fill(0);
        g.addGradient(dv, out);
        gradient.set(out, k * per);
      });
    },
  };
}

/** Offset of dihedral d's (cos, sin) pair among the features. */
function dihedralFeature(t: { pairs: unknown[]; angles: unknown[] }, d: number): number {
  return t.pairs.length + t.angles.length + 2 * d;
}

/**
 * cos nφ or sin nφ from the features (cos φ, sin φ) at v[f], v[f + 1], as a polynomial in them;
 * with `grad`, its derivatives in cos φ and sin φ are written to grad[0] and grad[1].
 */
function harmonicAt(v: Float64Array, f: number, n: number, trig: 'cos' | 'sin', grad?: Float64Array): number {
  const c = v[f];
  const s = v[f + 1];
  // cos nφ + i sin nφ = (c + i s)^n, and its derivatives: n (c + i s)^(n−1) in c, i n (c + i s)^(n−1) in s.
  let re = 1;
  let im = 0;
  for (let k = 0; k < n - 1; k++) [re, im] = [re * c - im * s, re * s + im * c];
  const [pre, pim] = [re * c - im * s, re * s + im * c];
  if (grad) {
    if (trig === 'cos') {
      grad[0] = n * re;
      grad[1] = -n * im;
    } else {
      grad[0] = n * im;
      grad[1] = n * re;
    }
  }
  return trig === 'cos' ? pre : pim;
}
