import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forceMatchPairs } from 'cglab/methods/pairs/fm';
import { ibiPairs, KJ_MOL_NM3_TO_BAR, pressureOf } from 'cglab/methods/pairs/ibi';
import { kT } from 'cglab/units';
import { remPairs } from 'cglab/methods/pairs/rem';
import type { PairTable } from 'cglab/cg/pairTable';
import { forEachPairBrute } from '../../helpers/periodicPairs.js';
import { SPLINE_LIQUID_CUTOFF as TOY_CUTOFF, SPLINE_LIQUID_SPACING as TOY_SPACING, splineLiquid, splineLiquidPotential } from 'cglab/datasets/splineLiquid';

const toyTable = splineLiquidPotential().table;

// 125 beads in a 2 nm cube (15.6 /nm³), sampled from the known spline: the three fits must find it.
const data = await splineLiquid({ n: 125, edge: 2.0, frames: 60 });

/** Largest |F − F*| (kJ/mol/nm) over [from, to) nm, every 0.002 nm. */
function forceError(t: PairTable, from: number, to: number): number {
  const a = [0, 0];
  const b = [0, 0];
  let worst = 0;
  for (let r = from; r < to; r += 0.002) {
    t.evaluate(r, a);
    toyTable.evaluate(r, b);
    worst = Math.max(worst, Math.abs(a[1] - b[1]));
  }
  return worst;
}

/** rms of U − U* (kJ/mol) over [from, to). */
function potentialRms(t: PairTable, from: number, to: number): number {
  const a = [0, 0];
  const b = [0, 0];
  let s = 0;
  let n = 0;
  for (let r = from; r < to; r += 0.002) {
    t.evaluate(r, a);
    toyTable.evaluate(r, b);
    s += (a[0] - b[0]) ** 2;
    n++;
  }
  return Math.sqrt(s / n);
}

test('fm: exact forces of a spline potential give back that spline', () => {
  // Noise-free forces in the model's own span: only the penalty (here negligible) and rounding separate
  // the fit from θ*. Compared from the first knot inside the sampled range to the cut-off.
  const res = forceMatchPairs(data, { cutoff: TOY_CUTOFF, spacing: TOY_SPACING, regularisation: 1e-10 });
  const t = res.basis.tables(res.theta).get('CG-CG') as PairTable;
  const from = res.basis.pairs[0].basis.rMin + TOY_SPACING;
  const err = forceError(t, from, TOY_CUTOFF);
  assert.ok(err < 1e-4, `max |F − F*| ${err} kJ/mol/nm over ${from.toFixed(2)}–${TOY_CUTOFF} nm`);
  assert.ok(res.residual < 1e-8 * res.meanSquaredForce, `residual ${res.residual} of ${res.meanSquaredForce}`);
});

test('fm: the default smoothness penalty moves the fit by much less than the force scale', () => {
  const res = forceMatchPairs(data, { cutoff: TOY_CUTOFF, spacing: TOY_SPACING });
  const t = res.basis.tables(res.theta).get('CG-CG') as PairTable;
  const err = forceError(t, 0.3, TOY_CUTOFF);
  const scale = [0, 0];
  toyTable.evaluate(0.3, scale);
  // The penalty is a bias where the forces are steepest; 1 % of the largest force in the range is the bound.
  assert.ok(err < 0.01 * scale[1], `max |F − F*| ${err} kJ/mol/nm over 0.3–${TOY_CUTOFF} nm, F*(0.3 nm) = ${scale[1]}`);
});

test('ibi and rem: from the potential of mean force towards the known potential, RDF error and relative entropy falling', async () => {
  const sampling = { ps: 12, skipPs: 1, saveEveryPs: 0.1, replicas: 1 };
  const ibi = await ibiPairs(data, { cutoff: TOY_CUTOFF, bin: TOY_SPACING, temperature: 300, iterations: 4, seed: 3, sampling, tolerance: 0 });
  const e = ibi.iterations.map((it) => it.rdfError);
  assert.equal(e.length, 4);
  assert.ok(Math.min(...e.slice(1)) < 0.7 * e[0], `IBI RDF errors ${e.map((v) => v.toFixed(3)).join(', ')}: no improvement on the PMF`);
  const rem = await remPairs(data, { cutoff: TOY_CUTOFF, bin: TOY_SPACING, temperature: 300, iterations: 5, seed: 3, sampling });
  const s = rem.relativeEntropy;
  for (let k = 1; k < s.length; k++) assert.ok(s[k] < s[k - 1], `accepted S_rel not decreasing: ${s.map((v) => v.toFixed(2)).join(', ')}`);
  const pmf = potentialRms(ibi.basis.tables(ibi.theta).get('CG-CG') as PairTable, 0.3, TOY_CUTOFF);
  const first = rem.iterations[0].rdfError;
  const last = rem.iterations[rem.iterations.length - 1].rdfError;
  assert.ok(last < first, `REM RDF error ${first} → ${last}`);
  const remErr = potentialRms(rem.tables.get('CG-CG') as PairTable, 0.3, TOY_CUTOFF);
  assert.ok(remErr < 0.5, `REM potential rms error ${remErr} kJ/mol over 0.3–0.7 nm (IBI's: ${pmf})`);
});

test('pressureOf: the virial pressure of θ equals (N kT + Σ r·F / 3) / V by brute force', () => {
  // θ: the exact FM fit (equal to θ* to 1e-4 kJ/mol/nm, see above), on the data's own basis.
  const res = forceMatchPairs(data, { cutoff: TOY_CUTOFF, spacing: TOY_SPACING, regularisation: 1e-10 });
  const frames = 5;
  const box: [number, number, number] = [2, 2, 2];
  const p = pressureOf(res.basis, res.theta, data, { positions: data.positions, frames, box }, 300);
  let w = 0;
  const out = [0, 0];
  for (let f = 0; f < frames; f++) {
    forEachPairBrute(data.positions, data.n, box, (_i, _j, _d, r) => {
      if (r >= TOY_CUTOFF) return;
      toyTable.evaluate(r, out);
      w += r * out[1];
    }, undefined, 3 * data.n * f);
  }
  const expected = ((data.n * kT(300) + w / frames / 3) / 8) * KJ_MOL_NM3_TO_BAR;
  assert.ok(Math.abs(p - expected) < 1e-3 * Math.abs(expected) + 0.1, `pressure ${p} bar, brute force ${expected} bar`);
});
