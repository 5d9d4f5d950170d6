#!/usr/bin/env node
// Force matching on the standard alanine dipeptide set (issue 4): CGnet and CGSchNet on the
// 5- and 6-bead maps, trained on FM_FRAMES frames with the `cglab train` defaults, simulated as
// FM_REPLICAS Langevin replicas from the kept training frames, and compared with the all-atom
// φ/ψ free-energy surface (60×60 grid): KL(ref‖model), MSE of F over bins both populate (kJ/mol)²,
// basin populations and the αR/β ratio (β = C5 + C7eq/PPII), mean ± sd over FM_SEEDS seeds.
// Then speed: one training step (batch 256) and CG simulation steps/s (100 replicas) in cglab,
// and the same in PyTorch (bench/forcematching_torch.py) with 1 and 2 threads.
//
// Sizes (env): FM_DATA (default ~/.cache/cglab/alanine-reference/cglab-10x10ns.npz),
// FM_FRAMES 20000, FM_MODELS cgnet,cgschnet, FM_MAPS backbone5,backbone6, FM_SEEDS 1,2,3,
// FM_EPOCHS (default: the cglab train default), FM_REPLICAS 100, FM_PS 50 (per replica),
// FM_DT 0.002, FM_SAVE_PS 0.25, FM_SKIP_PS 5 (equilibration dropped from each replica),
// FM_ACCURACY 1 / FM_TIMING 1 (0 skips a part); FM_OPTIONS, JSON merged into fitForceMatching's
// options (e.g. '{"schedule":"cosine","dihedralPriors":true}').
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernel-lib/dist/backend/select.js';
import { dihedrals } from '../kernel-lib/dist/analysis/geometry.js';
import { fes2d } from '../kernel-lib/dist/analysis/fes.js';
import { fesMse, klDivergence } from '../kernel-lib/dist/analysis/divergence.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI, alanineBasinPopulations } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { baoab, initState } from '../kernel-lib/dist/md/integrators.js';
import { Random } from '../kernel-lib/dist/md/random.js';
import { simulateReplicas } from '../kernel-lib/dist/md/replicas.js';
import { mapDataset } from '../kernel-lib/dist/methods/forcematching/data.js';
import { Adam } from '../kernel-lib/dist/methods/forcematching/adam.js';
import { BUILTIN_MAPS } from '../kernel-lib/dist/methods/forcematching/mapping.js';
import { buildModel, fitForceMatching, fitPriors } from '../kernel-lib/dist/methods/forcematching/model.js';

const env = (k, d) => process.env[k] ?? d;
const list = (k, d) => env(k, d).split(',').filter(Boolean);
const dataPath = env('FM_DATA', join(homedir(), '.cache/cglab/alanine-reference/cglab-10x10ns.npz'));
const frames = Number(env('FM_FRAMES', 20000));
const models = list('FM_MODELS', 'cgnet,cgschnet');
const maps = list('FM_MAPS', 'backbone5,backbone6');
const seeds = list('FM_SEEDS', '1,2,3').map(Number);
const epochs = process.env.FM_EPOCHS === undefined ? undefined : Number(process.env.FM_EPOCHS);
const extra = JSON.parse(env('FM_OPTIONS', '{}'));
const replicas = Number(env('FM_REPLICAS', 100));
const ps = Number(env('FM_PS', 50));
const dt = Number(env('FM_DT', 0.002));
const savePs = Number(env('FM_SAVE_PS', 0.25));
const skipPs = Number(env('FM_SKIP_PS', 5));
const T = 300;

await initBackend();
const grid = { min: -180, max: 180, bins: 60 };
const deg = (a) => Float64Array.from(a, (v) => (v * 180) / Math.PI);
const betaOf = (p) => p.C5 + p['C7eq/PPII'];
const fmt = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const meanSd = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${fmt(m)} ± ${fmt(sd)}`;
};

/** φ/ψ surface, basin populations, KL and MSE against the reference. */
function compare(phi, psi, ref) {
  const s = fes2d(phi, psi, grid, grid, T);
  const pops = alanineBasinPopulations(phi, psi);
  return {
    kl: ref ? klDivergence(ref.fes.counts, s.counts) : 0,
    mse: ref ? fesMse(ref.fes.F, s.F) : 0,
    pops,
    ratio: pops.alphaR / betaOf(pops),
    fes: s,
  };
}

if (env('FM_ACCURACY', '1') !== '0') {
  if (!existsSync(dataPath)) throw new Error(`${dataPath}: no such data set; generate it (bench/alanine-reference.mjs) or set FM_DATA`);
  const all = readDataset(dataPath);
  const ref = compare(deg(dihedrals(all.positions, 22, ALANINE_DIPEPTIDE_PHI)), deg(dihedrals(all.positions, 22, ALANINE_DIPEPTIDE_PSI)));
  // The reference's own noise floor: KL between its two halves (replica-major, so whole replicas).
  const half = Math.floor(all.nFrames / 2);
  const angles = (from, to) => [deg(dihedrals(all.positions.subarray(from * 66, to * 66), 22, ALANINE_DIPEPTIDE_PHI)), deg(dihedrals(all.positions.subarray(from * 66, to * 66), 22, ALANINE_DIPEPTIDE_PSI))];
  const h1 = compare(...angles(0, half));
  const h2 = compare(...angles(half, all.nFrames), h1);
  console.log(`reference ${dataPath}: ${all.nFrames} frames; basins ${JSON.stringify(Object.fromEntries(Object.entries(ref.pops).map(([k, v]) => [k, +v.toFixed(3)])))}; αR/β ${fmt(ref.ratio)}; split-half KL ${fmt(h2.kl, 4)}, MSE ${fmt(h2.mse, 2)} (kJ/mol)²`);
  console.log(`settings: ${frames} training frames, epochs ${epochs ?? 'default'}, options ${JSON.stringify(extra)}, ${replicas} replicas × ${ps} ps (dt ${dt} ps, first ${skipPs} ps dropped, saved every ${savePs} ps), seeds ${seeds.join(',')}`);
  const rows = [];
  for (const mapName of maps) {
    const t0 = performance.now();
    const cg = mapDataset(all, BUILTIN_MAPS[mapName], { maxFrames: frames, mapName });
    console.log(`${mapName}: mapped ${cg.trajectory.nFrames} frames (${cg.forceMapKind} force map) in ${fmt((performance.now() - t0) / 1000, 1)} s`);
    const data = { positions: cg.trajectory.positions, forces: cg.trajectory.forces, topology: cg.trajectory.topology, temperature: cg.temperature };
    const masses = Float64Array.from(cg.trajectory.topology.atoms, (a) => a.mass);
    const beads = cg.trajectory.nAtoms;
    for (const model of models) {
      const runs = [];
      for (const seed of seeds) {
        const t1 = performance.now();
        const fit = await fitForceMatching(data, { model, seed, ...(epochs === undefined ? {} : { epochs }), ...extra });
        const trainS = (performance.now() - t1) / 1000;
        const t2 = performance.now();
        let sim;
        try {
          sim = await simulateReplicas(fit.model.asPotential(`${model} ${mapName} seed ${seed}`), {
            starts: cg.trajectory.positions, replicas, masses, temperature: T, dt, ps, saveEveryPs: savePs, seed,
          });
        } catch (e) {
          console.log(`  ${model} ${mapName} seed ${seed}: simulation failed: ${e.message}`);
          runs.push({ failed: true });
          fit.model.dispose();
          continue;
        }
        const simS = (performance.now() - t2) / 1000;
        const skip = Math.round(skipPs / savePs);
        const kept = [];
        for (let r = 0; r < replicas; r++) kept.push(sim.positions.subarray((r * sim.frames + skip) * beads * 3, (r + 1) * sim.frames * beads * 3));
        const x = Float32Array.from(kept.flatMap((k) => Array.from(k)));
        const res = compare(deg(dihedrals(x, beads, [0, 1, 2, 3])), deg(dihedrals(x, beads, [1, 2, 3, 4])), ref);
        runs.push(res);
        console.log(`  ${model} ${mapName} seed ${seed}: train ${fmt(trainS, 0)} s (${fit.record.epochs.length} epochs, ${fit.record.stoppedBy}, val ${fmt(fit.record.bestValidationLoss, 0)} from ${fmt(fit.record.initialValidationLoss, 0)} (kJ/mol/nm)²), simulate ${fmt(simS, 0)} s; KL ${fmt(res.kl)}, MSE ${fmt(res.mse, 2)}, αR ${fmt(res.pops.alphaR)}, β ${fmt(betaOf(res.pops))}, φ>0 ${fmt(res.pops['phi>0'])}, αR/β ${fmt(res.ratio)}`);
        fit.model.dispose();
      }
      const ok = runs.filter((r) => !r.failed);
      rows.push({ model, mapName, ok, failed: runs.length - ok.length });
    }
  }
  console.log(`\nsummary (mean ± sd over seeds; reference αR ${fmt(ref.pops.alphaR)}, β ${fmt(betaOf(ref.pops))}, αR/β ${fmt(ref.ratio)}):`);
  for (const { model, mapName, ok, failed } of rows) {
    if (!ok.length) {
      console.log(`  ${model.padEnd(8)} ${mapName.padEnd(9)} all ${failed} runs failed`);
      continue;
    }
    console.log(`  ${model.padEnd(8)} ${mapName.padEnd(9)} KL ${meanSd(ok.map((r) => r.kl))}  MSE ${meanSd(ok.map((r) => r.mse))}  αR ${meanSd(ok.map((r) => r.pops.alphaR))}  β ${meanSd(ok.map((r) => betaOf(r.pops)))}  αR/β ${meanSd(ok.map((r) => r.ratio))}${failed ? `  (${failed} unstable)` : ''}`);
  }
}

if (env('FM_TIMING', '1') !== '0') {
  // Speed on random 5-bead chains with the default architectures; priors from those chains.
  const n = 5;
  const top = { atoms: ['C', 'N', 'CA', 'C', 'N'].map((name, i) => ({ name, element: name[0], mass: 12, residue: 'X', resid: i })), bonds: [[0, 1], [1, 2], [2, 3], [3, 4]] };
  // Zig-zag chains (bonds ≈ 0.15 nm, angles ≈ 110°) with 0.01 nm noise.
  const rng = new Random(1);
  const chain = Float32Array.from({ length: 2000 * n * 3 }, (_, i) => {
    const [k, d] = [Math.floor(i / 3) % n, i % 3];
    return (d === 0 ? 0.12 * k : d === 1 ? 0.09 * (k % 2) : 0) + 0.01 * rng.normal();
  });
  const priors = fitPriors(chain, top, { temperature: T });
  const dir = mkdtempSync(join(tmpdir(), 'cglab-bench-fm-'));
  const here = fileURLToPath(new URL('.', import.meta.url));
  const best = (fn, reps, inner) => {
    let b = Infinity;
    for (let r = 0; r < reps; r++) {
      const t = performance.now();
      for (let i = 0; i < inner; i++) fn();
      b = Math.min(b, (performance.now() - t) / inner);
    }
    return b;
  };
  console.log('\nspeed (5 beads; training step: batch 256, forces by autodiff, loss gradient, Adam; simulation: BAOAB step of 100 replicas):');
  for (const kind of ['cgnet', 'cgschnet']) {
    const model = buildModel(kind, top, chain, priors, { seed: 1 });
    const file = join(dir, `${kind}.json`);
    model.save(file);
    const x = tf.tensor3d(chain.subarray(0, 256 * n * 3), [256, n, 3]);
    const f = tf.randomNormal([256, n, 3], 0, 100);
    // The step of train.ts: loss gradient by tf.variableGrads, then Adam (the output bias has
    // no gradient: forces do not depend on it).
    const params = model.parameters();
    const byVariable = new Map(Object.entries(params).map(([name, v]) => [v.name, name]));
    const adam = new Adam(params);
    const step = () => tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => model.forceMatchingLoss(x, f), Object.values(params));
      adam.apply(Object.fromEntries(Object.entries(grads).map(([v, g]) => [byVariable.get(v), g])), 1e-4);
      return value.dataSync();
    });
    step();
    const trainMs = best(step, 3, 5);
    const pot = model.asPotential();
    const xs = Float64Array.from(chain.subarray(0, 100 * n * 3));
    const masses = new Float64Array(n).fill(13);
    const st = initState(pot, xs, masses, T, 1);
    const integrator = baoab({ dt, temperature: T, friction: 1, masses });
    integrator.step(pot, st);
    const simStepsPerS = 1000 / best(() => integrator.step(pot, st), 3, 20);
    const torch = [1, 2].map((threads) => JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'forcematching_torch.py'), file, '256', '100', String(threads)], { encoding: 'utf8' })));
    console.log(`  ${kind.padEnd(8)} cglab (wasm, 1 thread/op): train step ${fmt(trainMs, 1)} ms, simulation ${fmt(simStepsPerS, 0)} steps/s`);
    for (const t of torch) {
      console.log(`  ${kind.padEnd(8)} PyTorch ${t.threads} thread${t.threads > 1 ? 's' : ''}:      train step ${fmt(t.train_ms, 1)} ms, simulation ${fmt(t.sim_steps_per_s, 0)} steps/s; ratio cglab/PyTorch: training ${fmt(t.train_ms / trainMs, 2)}×, simulation ${fmt(simStepsPerS / t.sim_steps_per_s, 2)}× (> 1: cglab faster)`);
    }
    x.dispose();
    f.dispose();
    adam.dispose();
    model.dispose();
  }
}
