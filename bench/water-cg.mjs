#!/usr/bin/env node
// One-bead CG water from cglab's own SPC/E data, the three classical fits as `cglab fit pairs`
// runs them by default (cut-off 0.9 nm, bins and knots 0.01 nm, 300 K; IBI and REM 10
// iterations of 20 ps after 2 ps, REM saving every 0.1 ps), each final table checked by a
// fresh CG run (20 ps after 2 ps, another seed). Prints the mapped RDF's peaks (beside the
// VOTCA tutorial's target: first peak at 0.28 nm, g ≈ 2.9), each method's table minima, RDF
// error (rms of g − g_target over 0.24–0.9 nm) and for REM the relative entropy per iteration.
// The reference is `cglab generate spce-water --ns 0.025 --save-every-ps 0.5 --equilibrate-ps 20
// --replicas 2 --seed 1` (2180 molecules, 100 frames, 50 ps; cached: the first run generates it,
// ~40 min on 2 cores). Sizes (env): WCG_ITER 10, WCG_PS 20.
import { referenceData } from '../kernel-lib/dist/datasets/referenceData.js';
import { liquidFromTrajectory } from '../kernel-lib/dist/methods/pairs/data.js';
import { forceMatchPairs } from '../kernel-lib/dist/methods/pairs/fm.js';
import { ibiPairs } from '../kernel-lib/dist/methods/pairs/ibi.js';
import { liquidRdf, RDF_ERROR_FROM, rdfRms } from '../kernel-lib/dist/methods/pairs/iterate.js';
import { remPairs } from '../kernel-lib/dist/methods/pairs/rem.js';
import { samplePairs } from '../kernel-lib/dist/methods/pairs/sample.js';
import { progressBar } from '../kernel-lib/dist/util/progress.js';

const ITER = Number(process.env.WCG_ITER ?? 10);
const PS = Number(process.env.WCG_PS ?? 20);
const cutoff = 0.9;
const bin = 0.01;
const temperature = 300;
const t0 = performance.now();
const secs = (t) => ((performance.now() - t) / 1000).toFixed(0);

const bar = progressBar('spce-water reference');
const ref = await referenceData({ system: 'spce-water', ns: 0.025, saveEveryPs: 0.5, equilibratePs: 20, replicas: 2, seed: 1, onProgress: (d, t) => bar.update(d, t) });
const data = liquidFromTrajectory(ref.trajectory, ref.file ?? 'spce-water', { requireForces: true });
const target = liquidRdf(data.positions, data.frames, data.box, data, cutoff, bin);

/** Local maxima (g > 1.02) and minima of an RDF beyond 0.25 nm, with block errors when known. */
function extrema(g) {
  const v = g.g[0];
  const e = g.error?.[0];
  const peaks = [];
  const minima = [];
  for (let b = 1; b + 1 < v.length; b++) {
    if (g.r[b] < 0.25) continue;
    const at = `${g.r[b].toFixed(3)} nm g ${v[b].toFixed(3)}${e ? ` ± ${e[b].toFixed(3)}` : ''}`;
    if (v[b] > v[b - 1] && v[b] >= v[b + 1] && v[b] > 1.02) peaks.push(at);
    if (v[b] < v[b - 1] && v[b] <= v[b + 1]) minima.push(at);
  }
  return `peaks ${peaks.join('; ')}; minima ${minima.slice(0, 3).join('; ')}`;
}
console.log(`reference: ${data.frames} frames of ${data.n} beads (${ref.cached ? 'cached' : 'generated'}), box ${data.box[0].toFixed(3)} nm`);
console.log(`mapped RDF: ${extrema(target)}  (VOTCA tutorial target: first peak 0.28 nm, g ≈ 2.9)`);

/** The first three local minima of U of a table from 0.24 nm to the cut-off, nm and kJ/mol. */
function tableMinima(t) {
  const out = [0, 0];
  const u = [];
  for (let r = 0.24; r < cutoff; r += 0.002) {
    t.evaluate(r, out);
    u.push([r, out[0]]);
  }
  return u.filter((p, i) => i > 0 && i + 1 < u.length && p[1] < u[i - 1][1] && p[1] <= u[i + 1][1]).slice(0, 3).map(([r, v]) => `${r.toFixed(3)} nm (${v.toFixed(2)} kJ/mol)`).join(', ');
}
async function check(name, tables) {
  const t = performance.now();
  const s = await samplePairs(tables, data, data.positions, [data.box[0], data.box[1], data.box[2]], { ps: PS, skipPs: 2, saveEveryPs: 0.2, temperature, seed: 999 });
  const g = liquidRdf(s.positions, s.frames, s.box, data, cutoff, bin);
  console.log(`${name}: U minima ${tableMinima(tables.get('HOH-HOH'))}; check run ${s.frames} frames (${secs(t)} s): RDF error ${rdfRms(g, target, RDF_ERROR_FROM, cutoff).toFixed(4)}, ${extrema(g)}`);
}

let t = performance.now();
const fm = forceMatchPairs(data, { cutoff, spacing: bin });
console.log(`\nfm: ${fm.frames} frames in ${secs(t)} s, residual ${(fm.residual / fm.meanSquaredForce).toFixed(3)} of the mean squared mapped force`);
await check('fm', fm.basis.tables(fm.theta));

const sampling = { ps: PS, skipPs: 2, saveEveryPs: 0.2 };
const line = (m) => (it) => console.log(`  ${m} iteration ${it.iteration}: RDF error ${it.rdfError.toFixed(4)}${it.relativeEntropy !== undefined ? `, S_rel ${it.relativeEntropy.toFixed(1)} k_B${it.accepted === false ? ' (rejected)' : ''}` : ''}, ${it.seconds.toFixed(0)} s`);
t = performance.now();
const ibi = await ibiPairs(data, { cutoff, bin, temperature, iterations: ITER, seed: 1, sampling, onIteration: line('ibi') });
console.log(`ibi: ${ibi.iterations.length} iterations, ${ibi.converged ? 'converged (RDF error < 0.02)' : 'not converged'}, ${secs(t)} s`);
await check('ibi', ibi.tables);

t = performance.now();
const rem = await remPairs(data, { cutoff, bin, temperature, iterations: ITER, seed: 1, sampling: { ...sampling, saveEveryPs: 0.1 }, onIteration: line('rem') });
const s = rem.relativeEntropy;
console.log(`rem: ${rem.iterations.length} iterations, accepted S_rel ${s.map((v) => v.toFixed(1)).join(' → ')} k_B (${s.every((v, i) => i === 0 || v < s[i - 1]) ? 'decreasing' : 'not monotone'}), ${secs(t)} s`);
await check('rem', rem.tables);
console.log(`\ntotal ${secs(t0)} s`);
