#!/usr/bin/env node
// ARCG's cost against REM's, in the same run on the same machine:
//   1. per iteration on a CG liquid (datasets/splineLiquid.ts: 343 beads in a 3 nm cube, the
//      known spline potential on knots every 0.02 nm to 0.7 nm): `remPairs` and `arcgPairs`
//      (linear critic, KL) from the same PMF start, the same basis and the same CG runs
//      (equal seeds, so iteration 0 samples the same configurations), wall time per iteration
//      and its ratio; and on one fixed set of CG samples, the method's own work beside the
//      sampling (REM: statistics, covariance, Newton solve; ARCG: statistics, 3 critic Newton
//      steps, the covariance estimator, the Fisher solve);
//   2. CG samples per second with reweighting reuse against without, on the hidden-site toy
//      (datasets/hiddenSite.ts, a mapped bead on a virtual double-well site): ARCG with
//      minEss 0.5 (reuse while the effective sample size stays above half) against minEss 1
//      (a fresh run every iteration), same iterations; samples used per second of wall time,
//      and the KL of each fit against the exact marginal, so the speed is not bought with
//      accuracy.
// Sizes (env): LIQ_ITER 4, LIQ_PS 10, TOY_ITER 30.
import { boltzmannGradient, uniformWeights, weightedMoments } from '../kernel-lib/dist/analysis/reweight.js';
import { solveSpd } from '../kernel-lib/dist/cg/linalg.js';
import { gridKl, hiddenSiteBasis, hiddenSiteMarginal, sampleGrid, TOY_LENGTH, uniformGrid } from '../kernel-lib/dist/datasets/hiddenSite.js';
import { SPLINE_LIQUID_CUTOFF, SPLINE_LIQUID_SPACING, splineLiquid } from '../kernel-lib/dist/datasets/splineLiquid.js';
import { fitArcg } from '../kernel-lib/dist/methods/arcg/arcg.js';
import { basisModel } from '../kernel-lib/dist/methods/arcg/basisModel.js';
import { arcgPairs } from '../kernel-lib/dist/methods/arcg/pairs.js';
import { liquidRdf, pmfStart } from '../kernel-lib/dist/methods/pairs/iterate.js';
import { remPairs, statistics } from '../kernel-lib/dist/methods/pairs/rem.js';
import { samplePairs } from '../kernel-lib/dist/methods/pairs/sample.js';
import { LinearCritic } from '../kernel-lib/dist/nn/critic.js';
import { fDivergence } from '../kernel-lib/dist/nn/fDivergence.js';
import { kT } from '../kernel-lib/dist/units.js';

const env = (k, d) => Number(process.env[k] ?? d);
const LIQ_ITER = env('LIQ_ITER', 4);
const LIQ_PS = env('LIQ_PS', 10);
const TOY_ITER = env('TOY_ITER', 30);
const T = 300;
const beta = 1 / kT(T);
const seconds = (t) => (performance.now() - t) / 1000;
const fmt = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

// 1. Per iteration on a liquid.
const data = await splineLiquid({ n: 343, edge: 3, frames: 100, seed: 11 });
const settings = { cutoff: SPLINE_LIQUID_CUTOFF, bin: SPLINE_LIQUID_SPACING, temperature: T, iterations: LIQ_ITER, seed: 5, sampling: { ps: LIQ_PS, skipPs: 1, saveEveryPs: 0.1 } };
let t = performance.now();
const rem = await remPairs(data, settings);
const remPer = seconds(t) / rem.iterations.length;
t = performance.now();
const arcg = await arcgPairs(data, settings);
const arcgPer = seconds(t) / arcg.iterations.length;
arcg.critic.dispose();
console.log(`1. CG liquid, 343 beads, ${arcg.basis.size} coefficients, ${LIQ_ITER} iterations of ${LIQ_PS} ps (${rem.iterations[0].frames} frames each):`);
console.log(`   REM  ${fmt(remPer, 2)} s/iteration   ARCG ${fmt(arcgPer, 2)} s/iteration   ARCG/REM ${fmt(arcgPer / remPer, 2)}`);
console.log(`   final RDF error: REM ${fmt(rem.iterations.at(-1).rdfError, 4)}, ARCG ${fmt(arcg.iterations.at(-1).rdfError, 4)}`);

// The methods' own work on one fixed set of samples (no CG run).
const target = liquidRdf(data.positions, data.frames, data.box, data, settings.cutoff, settings.bin);
const { set, theta } = pmfStart(data, target, settings);
const samples = await samplePairs(set.tables(theta), data, data.positions, [data.box[0], data.box[1], data.box[2]], { ps: LIQ_PS, skipPs: 1, saveEveryPs: 0.1, temperature: T, seed: 5 });
const box = (f) => data.box.subarray(3 * f, 3 * f + 3);
const refRows = set.frameStatistics(data.positions, data.frames, box, data);
const reps = 5;
// Both methods compute the reference's statistics once per fit, not per iteration.
const refMean = statistics(set, data.positions, data.frames, box, data, false).mean;
t = performance.now();
for (let r = 0; r < reps; r++) {
  const ref = refMean;
  const cg = statistics(set, samples.positions, samples.frames, () => samples.box, data, true);
  const h = cg.cov.map((v) => beta * beta * v);
  for (let i = 0; i < set.size; i++) h[i * set.size + i] += 1e-6;
  solveSpd(h, set.size, Float64Array.from(ref, (v, i) => -beta * (v - cg.mean[i])), 1);
}
const remOwn = seconds(t) / reps;
t = performance.now();
for (let r = 0; r < reps; r++) {
  const rows = set.frameStatistics(samples.positions, samples.frames, () => samples.box, data);
  const critic = new LinearCritic(set.size, fDivergence('kl'), { x: refRows, n: data.frames });
  const model = { x: rows, n: samples.frames };
  critic.train({ x: refRows, n: data.frames }, model, 3);
  const fstar = Float64Array.from(critic.values(model), (v) => critic.divergence.model(v)[0]);
  const w = uniformWeights(samples.frames).weights;
  const g = boltzmannGradient(fstar, rows, set.size, w, beta).gradient;
  const f = weightedMoments(rows, samples.frames, set.size, w).cov.map((v) => beta * beta * v);
  for (let i = 0; i < set.size; i++) f[i * set.size + i] += 1e-6;
  solveSpd(f, set.size, g, 1);
}
const arcgOwn = seconds(t) / reps;
console.log(`   the methods' own work on ${samples.frames} CG frames (no sampling): REM ${fmt(remOwn * 1000, 1)} ms, ARCG ${fmt(arcgOwn * 1000, 1)} ms, ratio ${fmt(arcgOwn / remOwn, 2)}`);

// 2. Reweighting reuse on the hidden-site toy.
const kTv = kT(T);
const grid = uniformGrid(-0.3, 0.3, 601);
const exact = hiddenSiteMarginal([7.5, 12], kTv, grid);
const refX = sampleGrid(exact, 4000, 3);
const features = { size: 2, evaluate: (r, off, out) => { const s = r[off] / TOY_LENGTH; out[0] = s * s; out[1] = s ** 4; } };
const ref = { x: new Float64Array(2 * refX.length), n: refX.length };
refX.forEach((x, i) => features.evaluate([x], 0, ref.x.subarray(2 * i, 2 * i + 2)));
const starts = new Float64Array(128);
for (let i = 0; i < 64; i++) starts.set([refX[i], refX[i]], 2 * i);
console.log(`2. hidden-site toy, ${TOY_ITER} ARCG iterations (64 replicas × 20 ps per CG run, linear critic on s², s⁴):`);
for (const minEss of [1, 0.5]) {
  const model = basisModel({ basis: hiddenSiteBasis(), mapped: 1, features, starts, masses: Float64Array.of(12, 12), temperature: T, replicas: 64, ps: 20, saveEveryPs: 0.1, dt: 0.005, seed: 5 });
  t = performance.now();
  const res = await fitArcg(model, ref, new LinearCritic(2, fDivergence('kl'), ref), Float64Array.of(2, 5), { kT: kTv, iterations: TOY_ITER, minEss, tolerance: 0 });
  const s = seconds(t);
  const used = res.records.reduce((a, r) => a + r.frames, 0);
  const runs = res.records.filter((r) => r.resampled).length;
  console.log(`   ${minEss === 1 ? 'without reuse' : 'with reuse   '} ${res.records.length} iterations, ${runs} CG runs, ${fmt(used / s, 0)} samples used per s (${fmt(s, 2)} s), KL to the exact marginal ${gridKl(exact, hiddenSiteMarginal(res.theta, kTv, grid)).toExponential(2)}`);
}
