#!/usr/bin/env node
// Force matching on the standard alanine dipeptide set (issue 4): CGnet and CGSchNet on the
// 5- and 6-bead maps, trained on FM_FRAMES frames with the `cglab train` defaults, simulated as
// FM_REPLICAS Langevin replicas from the kept training frames, and compared with the all-atom
// φ/ψ free-energy surface (60×60 grid): KL(ref‖model) over the bins both populate (with the reference's fraction there), MSE of F over bins both populate (kJ/mol)²,
// basin populations and the αR/β ratio (β = C5 + C7eq/PPII), mean ± sd over FM_SEEDS seeds.
// Then speed: one training step (batch 256) and CG simulation steps/s (100 replicas) in cglab
// (with the addon — OpenBLAS products, networks and priors on the host in simulation — and
// without it), and the same in PyTorch (bench/forcematching_torch.py) with 1 and 2 threads.
//
// Sizes (env): FM_DATA (default ~/.cache/cglab/alanine-reference/cglab-10x10ns.npz; a comma-separated
// list of data sets of the same molecule is read as one),
// FM_FRAMES 20000, FM_MODELS cgnet,cgschnet, FM_MAPS backbone5,backbone6, FM_SEEDS 1,2,3,
// FM_EPOCHS (default: the cglab train default), FM_REPLICAS 100, FM_PS 50 (per replica),
// FM_DT 0.002, FM_SAVE_PS 0.25, FM_SKIP_PS 5 (equilibration dropped from each replica),
// FM_REFINE 0 (rounds of dihedral refinement after training, methods/forcematching/refine.ts);
// FM_EVAL_RUN 1 (0, with refinement: evaluate on the refinement's last run, itself a run of the
// final model, instead of simulating the final model once more); FM_RESUME 0 (1: refine the
// refined model kept in FM_MODEL_DIR, <model>-<map>-seed<S>.refined.json, FM_REFINE rounds further;
// with FM_REFINE=0, evaluate it on a fresh run of FM_PS);
// FM_POOL corrected (the runs each round pools: corrected|all|last, refine.ts's pool option);
// FM_ACCURACY 1 / FM_TIMING 1 (0 skips a part); FM_PROFILE 0 (1: kernels of a training step and
// of a force evaluation, by time); FM_JOBS 1 (runs at a time, each in its own
// process: for machines with more cores); FM_OPTIONS, JSON merged into fitForceMatching's
// options (e.g. '{"schedule":"cosine","dihedralPriors":true}'); FM_MODEL_DIR (unset): a folder where
// each trained model is saved as <model>-<map>-seed<S>.json with its training record (and a refined
// one as <model>-<map>-seed<S>.refined.json with its round count and its runs, .refined.runs.npz,
// which later rounds pool with theirs), and loaded
// from on later runs with the same settings instead of training again (training is the longest
// part: this lets the evaluation of a set be spread over several sittings).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernel-lib/dist/backend/select.js';
import { installBackendOptimisations, matMulEngine, useNativeMatMul } from '../kernel-lib/dist/backend/fastops.js';
import { dihedrals } from '../kernel-lib/dist/analysis/geometry.js';
import { degrees, kT } from '../kernel-lib/dist/units.js';
import { fes2d } from '../kernel-lib/dist/analysis/fes.js';
import { klDivergenceCommon } from '../kernel-lib/dist/analysis/divergence.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI, alanineBasinPopulations } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { baoab, initState } from '../kernel-lib/dist/md/integrators.js';
import { Random } from '../kernel-lib/dist/util/random.js';
import { replicaFrames, simulateReplicas } from '../kernel-lib/dist/md/replicas.js';
import { EnergyModel } from '../kernel-lib/dist/nn/energyModel.js';
import { mapDataset } from '../kernel-lib/dist/methods/forcematching/data.js';
import { Adam } from '../kernel-lib/dist/nn/adam.js';
import { BUILTIN_MAPS } from '../kernel-lib/dist/methods/forcematching/mapping.js';
import { buildModel, fitForceMatching, fitPriors } from '../kernel-lib/dist/methods/forcematching/model.js';
import { loadRefinementRuns, pooledRuns, poolRuns, refineDihedrals, saveRefinementRuns } from '../kernel-lib/dist/methods/forcematching/refine.js';
import { T, allBins, betaOf, compare, fmt, grid, ratioJackknife } from './lib/phipsi.mjs';

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
const jobs = Number(env('FM_JOBS', 1));
const refine = Number(env('FM_REFINE', 0));
const evalRun = env('FM_EVAL_RUN', '1') !== '0';
const resume = env('FM_RESUME', '0') === '1';
const pool = env('FM_POOL', 'corrected');
const modelDir = process.env.FM_MODEL_DIR;

await initBackend();
// φ and ψ as bead dihedrals of both maps (their first five beads are the backbone), refined together.
const quads = [[0, 1, 2, 3], [1, 2, 3, 4]];
const pairs = [[0, 1]];
const meanSd = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : NaN;
  return `${fmt(m)} ± ${fmt(sd)}`;
};

/** One data set from one file or from several of the same molecule (e.g. replicas generated in parts), frames in order. */
function readParts(paths) {
  for (const p of paths) if (!existsSync(p)) throw new Error(`${p}: no such data set; generate it (bench/alanine-reference.mjs) or set FM_DATA`);
  const parts = paths.map((p) => readDataset(p));
  if (parts.length === 1) return parts[0];
  const cat = (key) => {
    const out = new Float32Array(parts.reduce((s, t) => s + t[key].length, 0));
    let o = 0;
    for (const t of parts) {
      out.set(t[key], o);
      o += t[key].length;
    }
    return out;
  };
  parts.forEach((t, k) => {
    if (t.nAtoms !== parts[0].nAtoms || !t.forces) throw new Error(`${paths[k]}: ${t.nAtoms} atoms${t.forces ? '' : ' without forces'}; every part must hold the same molecule with forces`);
  });
  return { ...parts[0], nFrames: parts.reduce((s, t) => s + t.nFrames, 0), positions: cat('positions'), forces: cat('forces'), time: undefined };
}

/** A model trained with the settings of this run: from FM_MODEL_DIR when it holds one, else trained (and saved there). */
async function trainedModel(data, model, mapName, seed, nFrames) {
  const options = { model, seed, ...(epochs === undefined ? {} : { epochs }), ...extra };
  const settings = { frames: nFrames, options };
  const file = modelDir && join(modelDir, `${model}-${mapName}-seed${seed}.json`);
  const recordFile = file && file.replace(/\.json$/, '.record.json');
  if (file && existsSync(file) && existsSync(recordFile)) {
    const saved = JSON.parse(readFileSync(recordFile, 'utf8'));
    if (JSON.stringify(saved.settings) !== JSON.stringify(settings)) {
      throw new Error(`${recordFile}: trained with ${JSON.stringify(saved.settings)}, this run asks for ${JSON.stringify(settings)}; remove the file or change FM_MODEL_DIR`);
    }
    return { model: EnergyModel.load(file), record: saved.record, trainS: saved.trainS };
  }
  const t = performance.now();
  const fit = await fitForceMatching(data, options);
  if (file) {
    mkdirSync(modelDir, { recursive: true });
    fit.model.save(file);
    writeFileSync(recordFile, JSON.stringify({ settings, record: fit.record, trainS: (performance.now() - t) / 1000 }));
  }
  return fit;
}

/** Train one model and simulate it; compare with `ref`. */
async function runOne(all, ref, mapName, model, seed) {
  const t0 = performance.now();
  const cg = mapDataset(all, BUILTIN_MAPS[mapName], { maxFrames: frames, mapName });
  const mapS = (performance.now() - t0) / 1000;
  const data = { positions: cg.trajectory.positions, forces: cg.trajectory.forces, topology: cg.trajectory.topology, temperature: cg.temperature };
  const masses = Float64Array.from(cg.trajectory.topology.atoms, (a) => a.mass);
  const beads = cg.trajectory.nAtoms;
  const t1 = performance.now();
  const fit = await trainedModel(data, model, mapName, seed, cg.trajectory.nFrames);
  const trainS = fit.trainS ?? (performance.now() - t1) / 1000;
  let head = `${model} ${mapName} seed ${seed}: ${cg.trajectory.nFrames} frames (${cg.forceMapKind} force map, ${mapS.toFixed(1)} s), ${fit.trainS === undefined ? 'train' : `loaded from ${modelDir} (trained in`} ${fmt(trainS, 0)} s${fit.trainS === undefined ? '' : ')'} (${fit.record.epochs.length} epochs, ${fit.record.stoppedBy}, val ${fmt(fit.record.bestValidationLoss, 0)} from ${fmt(fit.record.initialValidationLoss, 0)} (kJ/mol/nm)²)`;
  let final = fit.model;
  // FM_RESUME=1 without rounds: a fresh run of the kept refined model (e.g. a longer one, to
  // measure it with less sampling noise than its refinement's runs have).
  const keptRefined = modelDir && join(modelDir, `${model}-${mapName}-seed${seed}.refined.json`);
  if (refine === 0 && resume) {
    if (!existsSync(keptRefined)) {
      fit.model.dispose();
      return { failed: true, line: `${head}; FM_RESUME=1 but no refined model ${keptRefined ?? '(FM_MODEL_DIR unset)'}` };
    }
    final = EnergyModel.load(keptRefined);
    head += `, its refined model (${JSON.parse(readFileSync(keptRefined.replace(/\.json$/, '.record.json'), 'utf8')).rounds} rounds)`;
  }
  // With refinement, its last round is a run of the final model independent of the correction
  // (fitted to the round before): pooled with the evaluation run, it halves the sampling noise.
  let finalRun;
  if (refine > 0) {
    // Dihedral refinement rounds (refine.ts), each a run as long as the evaluation runs.
    const t3 = performance.now();
    const rounds = [];
    let refined;
    let lastRun;
    // With FM_MODEL_DIR the refined model is kept; FM_RESUME=1 refines a kept one further.
    const refinedFile = keptRefined;
    const resumed = resume && refinedFile && existsSync(refinedFile);
    if (resume && !resumed) {
      fit.model.dispose();
      return { failed: true, line: `${head}; FM_RESUME=1 but no refined model ${refinedFile ?? '(FM_MODEL_DIR unset)'}` };
    }
    const recordFile = refinedFile && refinedFile.replace(/\.json$/, '.record.json');
    // The runs of every round, pooled by the next ones (refinements from before the runs were kept
    // have none). A resumed refinement's first run has a seed of its own: the model's last run is kept already.
    const runsFile = refinedFile && refinedFile.replace(/\.json$/, '.runs.npz');
    const earlier = resumed ? JSON.parse(readFileSync(recordFile, 'utf8')).rounds : 0;
    const earlierRuns = resumed && existsSync(runsFile) ? loadRefinementRuns(runsFile) : [];
    if (resumed) head += `, resumed after ${earlier} refinement rounds (${earlierRuns.length} runs kept)`;
    try {
      refined = await refineDihedrals(resumed ? EnergyModel.load(refinedFile) : fit.model, quads, {
        pairs, pool, reference: cg.trajectory.positions, masses, temperature: T, iterations: refine, replicas, ps, skipPs, dt, saveEveryPs: savePs, seed: seed + 100 + (resumed ? earlier + 1 : 0), runs: earlierRuns,
        onRound: (round, [phi, psi]) => {
          const p = alanineBasinPopulations(degrees(phi), degrees(psi));
          rounds.push(`${round}: ${fmt(p.alphaR / betaOf(p))}`);
          if (round === refine) lastRun = [degrees(phi), degrees(psi)];
        },
      });
    } catch (e) {
      fit.model.dispose();
      return { failed: true, line: `${head}; dihedral refinement failed: ${e.message}` };
    }
    final = refined.model;
    finalRun = lastRun;
    if (refinedFile) {
      final.save(refinedFile);
      saveRefinementRuns(runsFile, refined.runs);
      writeFileSync(recordFile, JSON.stringify({ rounds: earlier + refine }));
    }
    // The runs a next round would pool, reweighted to the final model (they differ only in
    // dihedral terms): its αR/β from all that sampling, beside the direct run's.
    const usable = pooledRuns(refined.runs, pool);
    const { angles, bias } = poolRuns(usable, quads, { pairs, kT: kT(T) });
    const lowest = bias ? bias.reduce((x, y) => Math.min(x, y), Infinity) : 0;
    const weights = bias && bias.map((v) => Math.exp(lowest - v));
    const all = ratioJackknife(degrees(angles[0]), degrees(angles[1]), usable.map((r) => r.angles[0].length), replicas, weights);
    const effective = weights ? weights.reduce((x, y) => x + y, 0) ** 2 / (weights.length * weights.reduce((x, y) => x + y * y, 0)) : 1;
    head += `, dihedral refinement ${fmt((performance.now() - t3) / 1000, 0)} s (αR/β by round ${rounds.join(', ')}; effective fraction of the reweighted frames (runs pooled) by round ${refined.reweighting.map((r, k) => `${k + 1}: ${fmt(r.effectiveFraction)} (${r.runs})`).join(', ')}; αR/β of the final model from ${usable.length} of the ${refined.runs.length} runs (FM_POOL ${pool}) reweighted by MBAR ${fmt(all.ratio)} ± ${fmt(all.sd)}, effective fraction ${fmt(effective)})`;
  }
  let evaluated = finalRun;
  let simS;
  if (!finalRun || evalRun) {
    const t2 = performance.now();
    let sim;
    try {
      sim = await simulateReplicas(final.asPotential(`${model} ${mapName} seed ${seed}`), {
        starts: cg.trajectory.positions, replicas, masses, temperature: T, dt, ps, saveEveryPs: savePs, seed,
      });
    } catch (e) {
      fit.model.dispose();
      return { failed: true, line: `${head}; simulation failed: ${e.message}` };
    }
    simS = (performance.now() - t2) / 1000;
    const x = replicaFrames(sim, Math.round(skipPs / savePs));
    evaluated = quads.map((q) => degrees(dihedrals(x, beads, q)));
  }
  fit.model.dispose();
  if (final !== fit.model) final.dispose();
  const [phi, psi] = evaluated;
  const res = compare(phi, psi, ref);
  // The first and second half of every replica's kept frames: populations that still drift
  // between the halves mean the replicas have not forgotten their starts.
  const perReplica = phi.length / replicas;
  const half = Math.floor(perReplica / 2);
  const ratioOfHalf = (second) => {
    const [from, n] = second ? [half, perReplica - half] : [0, half];
    const pick = (a) => Float64Array.from({ length: replicas * n }, (_, i) => a[Math.floor(i / n) * perReplica + from + (i % n)]);
    const p = alanineBasinPopulations(pick(phi), pick(psi));
    return p.alphaR / betaOf(p);
  };
  const drift = [ratioOfHalf(false), ratioOfHalf(true)];
  // The run's own sampling noise: KL between its first and second half of replicas.
  const h = phi.length / 2;
  const selfKl = klDivergenceCommon(fes2d(phi.subarray(0, h), psi.subarray(0, h), grid, grid, T).counts, fes2d(phi.subarray(h), psi.subarray(h), grid, grid, T).counts).kl;
  const run = simS === undefined ? 'evaluated on the refinement\'s last run' : `simulate ${fmt(simS, 0)} s`;
  const line = `${head}, ${run}; KL ${fmt(res.kl)} (coverage ${fmt(res.coverage)}), MSE ${fmt(res.mse, 2)}, αR ${fmt(res.pops.alphaR)}, β ${fmt(betaOf(res.pops))}, φ>0 ${fmt(res.pops['phi>0'])}, αR/β ${fmt(res.ratio)} ± ${fmt(ratioJackknife(phi, psi, [phi.length], replicas).sd)} (time halves ${fmt(drift[0])}, ${fmt(drift[1])}); KL between replica halves ${fmt(selfKl)}; ${allBins(res)}`;
  if (!finalRun || !evalRun) return { selfKl, kl: res.kl, coverage: res.coverage, mse: res.mse, pops: res.pops, ratio: res.ratio, drift, line };
  const cat = (a, b) => {
    const out = new Float64Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  const pooled = compare(cat(phi, finalRun[0]), cat(psi, finalRun[1]), ref);
  const both = `${line}; pooled with the refinement's last run: KL ${fmt(pooled.kl)} (coverage ${fmt(pooled.coverage)}; ${allBins(pooled)}), MSE ${fmt(pooled.mse, 2)}, αR ${fmt(pooled.pops.alphaR)}, β ${fmt(betaOf(pooled.pops))}, αR/β ${fmt(pooled.ratio)} ± ${fmt(ratioJackknife(cat(phi, finalRun[0]), cat(psi, finalRun[1]), [phi.length, finalRun[0].length], replicas).sd)}`;
  return { selfKl, kl: pooled.kl, coverage: pooled.coverage, mse: pooled.mse, pops: pooled.pops, ratio: pooled.ratio, drift, line: both };
}

/** Runs in child processes, `jobs` at a time: each child is this script with FM_RUN set. */
async function runPool(list, jobs) {
  const script = fileURLToPath(import.meta.url);
  const results = new Array(list.length);
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const k = next++;
      const [mapName, model, seed] = list[k];
      const out = await new Promise((resolve) => {
        execFile(process.execPath, [script], { env: { ...process.env, FM_RUN: `${mapName}:${model}:${seed}`, FM_TIMING: '0' }, maxBuffer: 1 << 24 }, (err, stdout, stderr) => resolve({ err, stdout, stderr }));
      });
      const found = out.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      results[k] = found ? JSON.parse(found.slice(7)) : { failed: true, line: `${model} ${mapName} seed ${seed}: run failed: ${(out.err?.message ?? '') + out.stderr.slice(-500)}` };
      console.log(`  ${results[k].line}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, list.length) }, worker));
  return results;
}

if (env('FM_ACCURACY', '1') !== '0') {
  const all = readParts(dataPath.split(','));
  const ref = compare(degrees(dihedrals(all.positions, 22, ALANINE_DIPEPTIDE_PHI)), degrees(dihedrals(all.positions, 22, ALANINE_DIPEPTIDE_PSI)));
  if (process.env.FM_RUN) {
    const [mapName, model, seed] = process.env.FM_RUN.split(':');
    console.log(`RESULT ${JSON.stringify(await runOne(all, ref, mapName, model, Number(seed)))}`);
    process.exit(0);
  }
  // The reference's own noise floor: KL between its two halves (replica-major, so whole replicas).
  const half = Math.floor(all.nFrames / 2);
  const angles = (from, to) => [degrees(dihedrals(all.positions.subarray(from * 66, to * 66), 22, ALANINE_DIPEPTIDE_PHI)), degrees(dihedrals(all.positions.subarray(from * 66, to * 66), 22, ALANINE_DIPEPTIDE_PSI))];
  const h1 = compare(...angles(0, half));
  const h2 = compare(...angles(half, all.nFrames), h1);
  // Sampling floor: the reference sampled as the CG runs are (FM_REPLICAS windows as long as the
  // kept part of a run, within replicas) against all of it, over five draws.
  const fpr = all.provenance?.frames_per_replica;
  const perReplica = Array.isArray(fpr) ? Math.min(...fpr.map(Number)) : Number(fpr ?? all.nFrames);
  const win = Math.max(1, Math.round((ps - skipPs) / Number(all.provenance?.save_every_ps ?? 1)));
  const rng = new Random(7);
  const floor = Array.from({ length: 5 }, () => {
    const x = new Float32Array(replicas * win * 66);
    for (let r = 0; r < replicas; r++) {
      // Replica-major frames; equal replica lengths assumed (uninterrupted data sets).
      const rep = Math.floor(rng.uniform() * Math.floor(all.nFrames / perReplica));
      const start = rep * perReplica + Math.floor(rng.uniform() * (perReplica - win));
      x.set(all.positions.subarray(start * 66, (start + win) * 66), r * win * 66);
    }
    return compare(degrees(dihedrals(x, 22, ALANINE_DIPEPTIDE_PHI)), degrees(dihedrals(x, 22, ALANINE_DIPEPTIDE_PSI)), ref);
  });
  console.log(`reference ${dataPath}: ${all.nFrames} frames; basins ${JSON.stringify(Object.fromEntries(Object.entries(ref.pops).map(([k, v]) => [k, +v.toFixed(3)])))}; αR/β ${fmt(ref.ratio)}; split-half KL ${fmt(h2.kl, 4)} (coverage ${fmt(h2.coverage)}), MSE ${fmt(h2.mse, 2)} (kJ/mol)²`);
  console.log(`sampling floor (the reference sampled like the CG runs: ${replicas} windows of ${win} frames, 5 draws): KL ${meanSd(floor.map((f) => f.kl))} (coverage ${meanSd(floor.map((f) => f.coverage))}), αR/β ${meanSd(floor.map((f) => f.ratio))}`);
  console.log(`settings: ${frames} training frames, epochs ${epochs ?? 'default'}, options ${JSON.stringify(extra)}, ${refine} dihedral refinement rounds${refine > 0 ? ` (runs pooled: ${pool})` : ''}, ${replicas} replicas × ${ps} ps (dt ${dt} ps, first ${skipPs} ps dropped, saved every ${savePs} ps), seeds ${seeds.join(',')}, ${jobs} job${jobs > 1 ? 's' : ''} at a time${refine > 0 ? (evalRun ? '; the summary pools each evaluation run with the refinement\'s last run (two independent runs of the refined model)' : '; evaluated on the refinement\'s last run (a run of the refined model)') : ''}`);
  const list = maps.flatMap((mapName) => models.flatMap((model) => seeds.map((seed) => [mapName, model, seed])));
  const results = jobs > 1 ? await runPool(list, jobs) : [];
  if (jobs <= 1) {
    for (const [mapName, model, seed] of list) {
      const r = await runOne(all, ref, mapName, model, seed);
      console.log(`  ${r.line}`);
      results.push(r);
    }
  }
  console.log(`\nsummary (mean ± sd over seeds; reference αR ${fmt(ref.pops.alphaR)}, β ${fmt(betaOf(ref.pops))}, αR/β ${fmt(ref.ratio)}):`);
  for (const mapName of maps) {
    for (const model of models) {
      const runs = results.filter((_, k) => list[k][0] === mapName && list[k][1] === model);
      const ok = runs.filter((r) => !r.failed);
      const failed = runs.length - ok.length;
      if (!ok.length) {
        console.log(`  ${model.padEnd(8)} ${mapName.padEnd(9)} all ${failed} runs failed`);
        continue;
      }
      console.log(`  ${model.padEnd(8)} ${mapName.padEnd(9)} KL ${meanSd(ok.map((r) => r.kl))}  MSE ${meanSd(ok.map((r) => r.mse))}  αR ${meanSd(ok.map((r) => r.pops.alphaR))}  β ${meanSd(ok.map((r) => betaOf(r.pops)))}  αR/β ${meanSd(ok.map((r) => r.ratio))}${failed ? `  (${failed} unstable)` : ''}`);
    }
  }
}

/** Kernels of `fn` by name and input shapes: count and time, each the minimum over `reps` profiled runs. */
async function kernelProfile(fn, reps) {
  const byKernel = new Map();
  let count = 0;
  for (let r = 0; r < reps; r++) {
    const prof = await tf.profile(() => {
      fn();
    });
    count = prof.kernels.length;
    const run = new Map();
    for (const k of prof.kernels) {
      const key = `${k.name}${JSON.stringify(k.inputShapes)}`;
      const a = run.get(key) ?? { n: 0, ms: 0 };
      a.n++;
      a.ms += await k.kernelTimeMs;
      run.set(key, a);
    }
    for (const [key, a] of run) if (!byKernel.has(key) || a.ms < byKernel.get(key).ms) byKernel.set(key, a);
  }
  const rows = [...byKernel].sort((a, b) => b[1].ms - a[1].ms);
  return { count, totalMs: rows.reduce((t, [, a]) => t + a.ms, 0), top: rows.slice(0, 6) };
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
    const xs = Float64Array.from(chain.subarray(0, 100 * n * 3));
    const masses = new Float64Array(n).fill(13);
    const integrator = baoab({ dt, temperature: T, friction: 1, masses });
    const simulation = (pot) => {
      const st = initState(pot, xs, masses, T, 1);
      integrator.step(pot, st);
      return 1000 / best(() => integrator.step(pot, st), 3, 20);
    };
    const timeBoth = (pot) => {
      step();
      return { trainMs: best(step, 3, 5), simStepsPerS: simulation(pot) };
    };
    // Without the addon first (tfjs-wasm's own products, every term by tfjs), for what it buys;
    // then cglab's default (OpenBLAS products; in simulation, the networks and priors on the host).
    const wasm = tf.getBackend() === 'wasm';
    if (wasm) useNativeMatMul(false);
    const ownProducts = wasm ? timeBoth(model.asPotential('tfjs', { onHost: false })) : undefined;
    installBackendOptimisations(tf.getBackend());
    const pot = model.asPotential();
    const { trainMs, simStepsPerS } = timeBoth(pot);
    const tfjsStepsPerS = simulation(model.asPotential('tfjs', { onHost: false }));
    const torch = [1, 2].map((threads) => JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'forcematching_torch.py'), file, '256', '100', String(threads)], { encoding: 'utf8' })));
    console.log(`  ${kind.padEnd(8)} cglab (${tf.getBackend()}, ${matMulEngine()} products, 1 thread/op): train step ${fmt(trainMs, 1)} ms, simulation ${fmt(simStepsPerS, 0)} steps/s`);
    if (ownProducts) {
      console.log(`  ${kind.padEnd(8)} cglab with tfjs-wasm's own products: train step ${fmt(ownProducts.trainMs, 1)} ms, simulation ${fmt(ownProducts.simStepsPerS, 0)} steps/s (the addon: ${fmt(ownProducts.trainMs / trainMs, 2)}× and ${fmt(simStepsPerS / ownProducts.simStepsPerS, 2)}× faster)`);
    }
    console.log(`  ${kind.padEnd(8)} cglab simulation with every term by tfjs autodiff (OpenBLAS products): ${fmt(tfjsStepsPerS, 0)} steps/s (on the host: ${fmt(simStepsPerS / tfjsStepsPerS, 2)}× faster)`);
    if (env('FM_PROFILE', '0') !== '0') {
      const f100 = new Float64Array(xs.length);
      const e100 = new Float64Array(100);
      for (const [what, fn] of [['training step', step], ['force evaluation (100 replicas)', () => pot.evaluate(xs, 100, f100, e100)]]) {
        const p = await kernelProfile(fn, 10);
        console.log(`    ${what}: ${p.count} kernels, ${fmt(p.totalMs, 2)} ms inside them (per-kernel minimum of 10 runs); most time: ${p.top.map(([k, v]) => `${k} ${v.n}× ${fmt(v.ms, 2)} ms`).join('; ')}`);
      }
    }
    for (const t of torch) {
      console.log(`  ${kind.padEnd(8)} PyTorch ${t.threads} thread${t.threads > 1 ? 's' : ''}:      train step ${fmt(t.train_ms, 1)} ms, simulation ${fmt(t.sim_steps_per_s, 0)} steps/s; ratio cglab/PyTorch: training ${fmt(t.train_ms / trainMs, 2)}×, simulation ${fmt(simStepsPerS / t.sim_steps_per_s, 2)}× (> 1: cglab faster)`);
    }
    if (kind === 'cgschnet') console.log(`  ${kind.padEnd(8)} (in simulation cglab tabulates the filter networks in the pair distance; PyTorch evaluates them)`);
    x.dispose();
    f.dispose();
    adam.dispose();
    model.dispose();
  }
}
