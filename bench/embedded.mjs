#!/usr/bin/env node
// Embedded-physics CG (issue 20), from the force field alone (no MD frames in training).
//
// Speed (EMB_TIMING 1): energies and forces of a batch of generated alanine dipeptide structures
// (EMB_STRUCTURES 2000, drawn from an untrained model around the built structure) by cglab's
// engine against OpenMM (Reference, and CPU with 1 thread where installed) on the same batch, energies
// checked equal; and one training step of the decoder and encoder alone (the force field
// replaced by a 60-dimensional harmonic well, whose cost is negligible) against PyTorch, 1 thread,
// same sizes (latent 1, hidden EMB_HIDDEN 128,128, batch EMB_BATCH 512).
//
// Toy (EMB_TOY 1): the 2-D double well E = x1⁴/4 − 3x1² + x1 + x2²/2 at kT = 3 kJ/mol, fitEmbedded
// defaults, seeds EMB_SEEDS 1,2,3: left-mode weight against quadrature, KL(exact ‖ model) of the
// x1 histogram (60 bins on [−5, 5]), the bound against −ln Z, importance-weight ESS.
//
// Alanine dipeptide (EMB_ALA 1): fitEmbedded at EMB_T (300 K) with EMB_ALA_OPTIONS (JSON, merged
// over the defaults below), EMB_LATENT 1; the model is kept in EMB_MODEL_DIR (default
// ~/.cache/cglab/embedded) and reused on later runs with the same settings (EMB_ALA_DIR: judge the
// model in that folder, e.g. one of `cglab train embedded`, instead). Then EMB_SAMPLES
// 20000 generated structures against the all-atom reference (EMB_REF, a data set; default the
// cached 4 × 2 ns set of `cglab generate alanine-dipeptide --ns 2 --replicas 4 --save-every-ps 1
// --seed 1`): φ/ψ KL over common bins (60 × 60), basin populations, energies (kJ/mol, flexible
// force field), chirality at CA, and the latent variables' separation of αR from β.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../kernel-lib/dist/backend/select.js';
import { dihedrals, chiralVolume } from '../kernel-lib/dist/analysis/geometry.js';
import { linearSeparation } from '../kernel-lib/dist/analysis/separation.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI, alanineBasin, alanineDipeptideTopology, buildAlanineDipeptide } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { referenceData } from '../kernel-lib/dist/datasets/referenceData.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { writeNpy } from '../kernel-lib/dist/io/npy.js';
import { writePdb } from '../kernel-lib/dist/io/pdb.js';
import { makeTrajectory } from '../kernel-lib/dist/io/trajectory.js';
import { EmbeddedModel } from '../kernel-lib/dist/methods/embedded/model.js';
import { embeddedTarget, loadEmbedded, saveEmbedded } from '../kernel-lib/dist/methods/embedded/modelDir.js';
import { potentialTarget } from '../kernel-lib/dist/methods/embedded/target.js';
import { fitEmbedded, weightedSamples } from '../kernel-lib/dist/methods/embedded/train.js';
import { builtinForceField } from '../kernel-lib/dist/physics/forcefield.js';
import { harmonic } from '../kernel-lib/dist/physics/toy.js';
import { makeTopology } from '../kernel-lib/dist/topology/topology.js';
import { BOLTZMANN, degrees } from '../kernel-lib/dist/units.js';
import { Random } from '../kernel-lib/dist/util/random.js';
import { compare, fmt } from './lib/phipsi.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = (k, d) => process.env[k] ?? d;
const on = (k, d = '1') => env(k, d) === '1';
const hidden = env('EMB_HIDDEN', '128,128').split(',').map(Number);
const batch = Number(env('EMB_BATCH', 512));
await initBackend();

if (on('EMB_TIMING')) {
  const target = embeddedTarget('alanine-dipeptide', 300);
  const n = Number(env('EMB_STRUCTURES', 2000));
  const model = new EmbeddedModel({ dim: target.dim, latent: 1, prior: 'normal', hidden }, target.start, target.scale);
  const { q } = model.sample(n, new Random(3));
  model.dispose();
  const x = target.toCartesian(q, n);
  const ff = builtinForceField('alanine-dipeptide', 'obc2', true);
  const forces = new Float64Array(x.length);
  const energies = new Float64Array(n);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    ff.evaluate(x, n, forces, energies);
    best = Math.min(best, performance.now() - t0);
  }
  const ours = n / (best / 1000);
  const dir = mkdtempSync(join(tmpdir(), 'cglab-embedded-'));
  const pdb = join(dir, 'start.pdb');
  writePdb(pdb, makeTrajectory({ topology: alanineDipeptideTopology(), nFrames: 1, nAtoms: 22, positions: Float32Array.from(buildAlanineDipeptide()) }));
  const npy = join(dir, 'structures.npy');
  writeNpy(npy, { dtype: '<f8', shape: [n, 22, 3], data: x });
  // The harmonic stand-in for the force field: the step's own cost (networks, sampling, Adam).
  const stand = potentialTarget(harmonic(1, target.dim), 300, new Float64Array(target.dim), makeTopology([{ name: 'X', element: '', mass: 1, residue: 'TOY', resid: 1 }]));
  const times = [];
  let last = 0;
  await fitEmbedded(stand, { schedule: [1], hidden, batch, maxSteps: 70, window: 10, finalSteps: 1000, onStep: () => { const t = performance.now(); if (last) times.push(t - last); last = t; } });
  const stepMs = times.slice(20).sort((a, b) => a - b)[Math.floor((times.length - 20) / 2)];
  const peer = JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'embedded_peers.py'), pdb, npy, '1', String(target.dim), String(hidden[0]), String(batch), '1'], { encoding: 'utf8' }));
  const maxRel = peer.energies.reduce((m, e, i) => Math.max(m, Math.abs(e - energies[i]) / Math.max(1, Math.abs(e))), 0);
  console.log(`force field, ${n} generated structures (energies ${fmt(Math.min(...energies), 0)} … ${fmt(Math.max(...energies), 0)} kJ/mol; largest relative difference to OpenMM ${maxRel.toExponential(1)}):`);
  const cpu = peer.cpu_per_s ? `, OpenMM CPU 1 thread ${fmt(peer.cpu_per_s, 0)}/s (ratio ${fmt(ours / peer.cpu_per_s, 2)})` : ' (no OpenMM CPU platform installed)';
  console.log(`  cglab ${fmt(ours, 0)} evaluations/s; OpenMM Reference ${fmt(peer.reference_per_s, 0)}/s (ratio ${fmt(ours / peer.reference_per_s, 2)})${cpu}`);
  console.log(`training step, decoder + encoder (hidden ${hidden}, batch ${batch}): cglab ${fmt(stepMs, 2)} ms, PyTorch 1 thread ${fmt(peer.train_ms, 2)} ms (ratio ${fmt(stepMs / peer.train_ms, 2)})`);
}

if (on('EMB_TOY')) {
  const target = embeddedTarget('double-well-2d');
  const kT = BOLTZMANN * target.temperature;
  const bins = 60;
  const [lo, hi] = [-5, 5];
  const exact = new Float64Array(bins);
  let left = 0;
  let z = 0;
  for (let k = 0; k < 200000; k++) {
    const x = -7 + (14 * (k + 0.5)) / 200000;
    const p = Math.exp(-(x ** 4 / 4 - 3 * x * x + x) / kT);
    z += p;
    if (x < 0.167449) left += p;
    const b = Math.floor(((x - lo) / (hi - lo)) * bins);
    if (b >= 0 && b < bins) exact[b] += p;
  }
  const logZ = Math.log((z * 14) / 200000) + 0.5 * Math.log(2 * Math.PI * kT);
  console.log(`double well at kT = ${fmt(kT)} kJ/mol: exact left weight ${fmt(left / z, 4)}, −ln Z ${fmt(-logZ, 4)}`);
  for (const seed of env('EMB_SEEDS', '1,2,3').split(',').map(Number)) {
    const t0 = performance.now();
    const fit = await fitEmbedded(target, { seed });
    const n = 100000;
    const { q } = fit.model.sample(n, new Random(7));
    const h = new Float64Array(bins);
    let l = 0;
    for (let i = 0; i < n; i++) {
      if (q[2 * i] < 0.167449) l++;
      const b = Math.floor(((q[2 * i] - lo) / (hi - lo)) * bins);
      if (b >= 0 && b < bins) h[b]++;
    }
    const es = exact.reduce((a, b) => a + b);
    const hs = h.reduce((a, b) => a + b);
    let kl = 0;
    for (let b = 0; b < bins; b++) if (exact[b] > 0) kl += (exact[b] / es) * Math.log(exact[b] / es / Math.max(h[b] / hs, 1e-8));
    const w = weightedSamples(fit.model, target, n, new Random(8));
    let lw = 0;
    for (let i = 0; i < n; i++) if (w.q[2 * i] < 0.167449) lw += w.weights[i];
    const bound = w.bound.reduce((a, b) => a + b) / n;
    console.log(`  seed ${seed}: left weight ${fmt(l / n, 4)} (reweighted ${fmt(lw, 4)}, ESS ${fmt(100 * w.ess, 1)} %), KL ${fmt(kl, 4)}, bound ${fmt(bound, 4)}, ${fit.stages.length} rungs, ${fit.steps} steps, ${fmt((performance.now() - t0) / 1000, 0)} s`);
    fit.model.dispose();
  }
}

if (on('EMB_ALA', '0')) {
  const T = Number(env('EMB_T', 300));
  const options = { seed: 1, aStart: 1e-10, targetEss: 0.3, window: 50, batch: 512, hidden: [128, 128], maxSteps: 40000, latent: Number(env('EMB_LATENT', 1)), ...JSON.parse(env('EMB_ALA_OPTIONS', '{}')) };
  const dir = env('EMB_ALA_DIR') ?? join(env('EMB_MODEL_DIR', join(homedir(), '.cache/cglab/embedded')), `ala2-${T}K-${Buffer.from(JSON.stringify(options)).toString('base64url').slice(0, 40)}`);
  if (!existsSync(join(dir, 'model.json'))) {
    const target = embeddedTarget('alanine-dipeptide', T, options.aStart);
    const t0 = performance.now();
    const fit = await fitEmbedded(target, { ...options, onStage: (s) => { if (s.stage % 10 === 0 || s.a === 1) console.log(`  rung ${s.stage}: a ${s.a.toExponential(2)}, loss ${fmt(s.loss, 2)} kT, ESS to next ${fmt(s.ess, 2)}${s.guard ? `, ${s.guard}` : ''}`); } });
    mkdirSync(dir, { recursive: true });
    saveEmbedded(dir, target, 'alanine-dipeptide', fit, { seconds: (performance.now() - t0) / 1000, options });
    console.log(`trained in ${fmt((performance.now() - t0) / 1000, 0)} s, ${fit.steps} steps, a = ${fit.a}; saved in ${dir}`);
    fit.model.dispose();
  }
  const { model, target } = loadEmbedded(dir);
  const ref = env('EMB_REF') ? readDataset(env('EMB_REF')) : (await referenceData({ system: 'alanine-dipeptide', ns: 2, replicas: 4, saveEveryPs: 1, seed: 1 })).trajectory;
  const n = Number(env('EMB_SAMPLES', 20000));
  const w = weightedSamples(model, target, n, new Random(11));
  const x = target.toCartesian(w.q, n);
  const angle = (xs, quad) => degrees(dihedrals(xs, 22, quad));
  const phi = angle(x, ALANINE_DIPEPTIDE_PHI);
  const psi = angle(x, ALANINE_DIPEPTIDE_PSI);
  const rphi = angle(ref.positions, ALANINE_DIPEPTIDE_PHI);
  const rpsi = angle(ref.positions, ALANINE_DIPEPTIDE_PSI);
  const r = compare(rphi, rpsi);
  const g = compare(phi, psi, r);
  const pops = (p) => Object.entries(p).map(([k, v]) => `${k} ${fmt(v)}`).join(', ');
  console.log(`alanine dipeptide at ${T} K, ${n} generated structures (importance-weight ESS ${fmt(100 * w.ess, 2)} %) against ${ref.nFrames} reference frames:`);
  console.log(`  φ/ψ KL(ref ‖ generated) over common bins ${fmt(g.kl)} (reference probability there ${fmt(g.coverage)}); populations generated: ${pops(g.pops)}; reference: ${pops(r.pops)}`);
  const ff = builtinForceField('alanine-dipeptide', 'obc2', true);
  const energy = (xs, frames) => {
    const e = new Float64Array(frames);
    ff.evaluate(Float64Array.from(xs), frames, new Float64Array(xs.length), e);
    const mean = e.reduce((a, b) => a + b) / frames;
    return { mean, sd: Math.sqrt(e.reduce((a, b) => a + (b - mean) ** 2, 0) / frames) };
  };
  const eg = energy(x, n);
  const er = energy(ref.positions, ref.nFrames);
  console.log(`  energies (flexible force field): generated ${fmt(eg.mean, 1)} ± ${fmt(eg.sd, 1)} kJ/mol, reference ${fmt(er.mean, 1)} ± ${fmt(er.sd, 1)} (the reference's X–H bonds are constrained)`);
  const top = ref.topology;
  const idx = (name, resid) => top.atoms.findIndex((a) => a.name === name && a.resid === resid);
  const [ca, nn, c, cb] = [idx('CA', 2), idx('N', 2), idx('C', 2), idx('CB', 2)];
  const handed = chiralVolume(ref.positions, ca, nn, c, cb) > 0;
  let same = 0;
  for (let f = 0; f < n; f++) if (chiralVolume(x, ca, nn, c, cb, 66 * f) > 0 === handed) same++;
  console.log(`  chirality at CA as the reference (L-alanine): ${fmt((100 * same) / n, 1)} % of generated structures`);
  const zr = model.encode(target.fromCartesian(ref.positions, ref.nFrames), ref.nFrames);
  const dims = model.config.latent;
  const keep = [];
  for (let f = 0; f < ref.nFrames; f++) {
    const b = alanineBasin(rphi[f], rpsi[f]);
    if (b !== 'phi>0') keep.push([f, b === 'alphaR']);
  }
  const sep = linearSeparation(Float64Array.from(keep.flatMap(([f]) => Array.from(zr.subarray(f * dims, (f + 1) * dims)))), dims, keep.map(([, a]) => a));
  console.log(`  latent space (${dims}-D) of the reference frames: αR against β (C5 + C7eq/PPII) separated with accuracy ${fmt(sep.accuracy)} by a threshold along the Fisher direction`);
  model.dispose();
}
