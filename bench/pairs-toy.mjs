#!/usr/bin/env node
// The linear check of the liquid fits: CG data sampled from a known spline pair potential θ*
// (datasets/splineLiquid.ts: a 2 kJ/mol Morse well on knots every 0.02 nm to 0.7 nm), 343
// beads in a 3 nm cube at 300 K. FM from forces with Gaussian noise (σ = 30 kJ/mol/nm per
// component, like mapped atomistic forces) and REM from the potential of mean force must both
// recover θ* within their statistical errors, on the knots the data sample (0.30–0.70 nm).
// Statistical errors: the spread over TOY_FITS independent data sets (seeds), each fitted by
// FM and by REM (its last accepted iterate); the tables show the mean over data sets minus θ*.
// Sizes (env): TOY_FITS 4, TOY_FRAMES 200, REM_ITER 12, REM_PS 20.
import { splineLiquid, splineLiquidPotential, SPLINE_LIQUID_CUTOFF, SPLINE_LIQUID_SPACING } from '../kernel-lib/dist/datasets/splineLiquid.js';
import { forceMatchPairs } from '../kernel-lib/dist/methods/pairs/fm.js';
import { remPairs } from '../kernel-lib/dist/methods/pairs/rem.js';

const FRAMES = Number(process.env.TOY_FRAMES ?? 200);
const REM_ITER = Number(process.env.REM_ITER ?? 12);
const REM_PS = Number(process.env.REM_PS ?? 20);
const FITS = Number(process.env.TOY_FITS ?? 4);
const truth = splineLiquidPotential();
const FROM = 0.3;

/** U and F of a table at the knots in [FROM, cut-off). */
function atKnots(table) {
  const out = [0, 0];
  const r = [];
  for (let x = FROM; x < SPLINE_LIQUID_CUTOFF - 1e-9; x += SPLINE_LIQUID_SPACING) r.push(Number(x.toFixed(4)));
  return r.map((x) => {
    table.evaluate(x, out);
    return { r: x, u: out[0], f: out[1] };
  });
}
const ref = atKnots(truth.table);
const t0 = performance.now();
const fmFits = [];
const remFits = [];
for (let s = 0; s < FITS; s++) {
  const t = performance.now();
  const data = await splineLiquid({ n: 343, edge: 3, frames: FRAMES, forceNoise: 30, seed: 11 + s });
  const fm = forceMatchPairs(data, { cutoff: SPLINE_LIQUID_CUTOFF, spacing: SPLINE_LIQUID_SPACING });
  fmFits.push(atKnots(fm.basis.tables(fm.theta).get('CG-CG')));
  const res = await remPairs(data, { cutoff: SPLINE_LIQUID_CUTOFF, bin: SPLINE_LIQUID_SPACING, temperature: 300, iterations: REM_ITER, seed: 100 + s, sampling: { ps: REM_PS, skipPs: 1, saveEveryPs: 0.1 } });
  remFits.push(atKnots(res.tables.get('CG-CG')));
  const sr = res.relativeEntropy.map((v) => v.toFixed(1)).join(', ');
  console.log(`data set ${s}: ${data.frames} frames of ${data.n} beads; fm residual ${(fm.residual / fm.meanSquaredForce).toFixed(3)} of the mean squared force; rem ${res.iterations.length} iterations (${res.iterations.filter((i) => i.accepted === false).length} rejected), RDF rms ${res.iterations[0].rdfError.toFixed(4)} → ${res.iterations.at(-1).rdfError.toFixed(4)}, S_rel [${sr}] k_B; ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sem = (xs) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1) / xs.length);
console.log('\n   r nm |   U* kJ/mol |    FM U − U* (s.e.)     |  REM U − U* (s.e.)     |   F* kJ/mol/nm |  FM F − F* (s.e.) | REM F − F* (s.e.)');
let fmOut = 0;
let remOut = 0;
ref.forEach((k, i) => {
  const fmU = mean(fmFits.map((b) => b[i].u)) - k.u;
  const fmUe = sem(fmFits.map((b) => b[i].u));
  const fmF = mean(fmFits.map((b) => b[i].f)) - k.f;
  const fmFe = sem(fmFits.map((b) => b[i].f));
  const remU = mean(remFits.map((b) => b[i].u)) - k.u;
  const remUe = sem(remFits.map((b) => b[i].u));
  const remF = mean(remFits.map((b) => b[i].f)) - k.f;
  const remFe = sem(remFits.map((b) => b[i].f));
  if (Math.abs(fmU) > 3 * fmUe) fmOut++;
  if (Math.abs(remU) > 3 * remUe) remOut++;
  const c = (v, e) => `${v.toFixed(3).padStart(8)} (${e.toFixed(3)})`;
  console.log(`  ${k.r.toFixed(2)}  | ${k.u.toFixed(3).padStart(10)}  | ${c(fmU, fmUe).padStart(22)}  | ${c(remU, remUe).padStart(21)}  | ${k.f.toFixed(2).padStart(13)}  | ${c(fmF, fmFe).padStart(17)} | ${c(remF, remFe).padStart(17)}`);
});
console.log(`\nknots where |U − U*| > 3 standard errors: FM ${fmOut} of ${ref.length}, REM ${remOut} of ${ref.length}; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
