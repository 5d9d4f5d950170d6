#!/usr/bin/env node
// Autograin: CG auto-encoders that learn the mapping (issue 16).
//
// Sweep (AG_SWEEP 1): alanine dipeptide (AG_REF, a data set; default the cached 4 × 2 ns set of
// `cglab generate alanine-dipeptide --ns 2 --replicas 4 --save-every-ps 1 --seed 1`), beads
// AG_BEADS 2–10 × seeds AG_SEEDS 1,2,3, at ρ = 0 and ρ = AG_RHO (3e-8 nm²/(kJ/mol/nm)²), fitAutograin
// defaults otherwise: the reconstruction error of the learnt map (least-squares decoder, held-out
// frames, nm² and Å²; mean ± standard deviation over seeds), how often the map passes the chemistry
// check (beads connected in the bond graph, hydrogens with their heavy atom), and the mapped-force
// variance (the force-matching noise floor of the map). AG_OUT: write the table as JSON there.
//
// Speed (AG_TIMING 1): one epoch of the 6-bead auto-encoder (straight-through Gumbel-softmax,
// linear decoder, force term on; batch 256) on the same frames against the same model in PyTorch
// (1 thread), in this script; the losses of both on one fixed noise are printed side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernel-lib/dist/backend/select.js';
import { checkAssignment, oneHot } from '../kernel-lib/dist/cg/assignment.js';
import { basicForceMap, mappedForceVariance } from '../kernel-lib/dist/cg/forceMap.js';
import { groupMap } from '../kernel-lib/dist/cg/linearMap.js';
import { referenceData } from '../kernel-lib/dist/datasets/referenceData.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { writeNpy } from '../kernel-lib/dist/io/npy.js';
import { CgAutoencoder } from '../kernel-lib/dist/methods/autograin/autoencoder.js';
import { autograinSamples } from '../kernel-lib/dist/methods/autograin/data.js';
import { fitAutograin } from '../kernel-lib/dist/methods/autograin/train.js';
import { Random } from '../kernel-lib/dist/util/random.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const env = (k, d) => process.env[k] ?? d;
const on = (k, d = '1') => env(k, d) === '1';
const fmt = (v, d = 3) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(d) : v.toFixed(d));
const meanSd = (xs) => {
  const m = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1)) : 0;
  return [m, sd];
};
await initBackend();

const reference = env('AG_REF')
  ? readDataset(env('AG_REF'))
  : (await referenceData({ system: 'alanine-dipeptide', ns: 2, replicas: 4, saveEveryPs: 1, seed: 1 })).trajectory;
const samples = autograinSamples(reference, { needForces: true });
const top = samples.topology;
const nA = samples.masses.length;
console.log(`alanine dipeptide: ${samples.frames} frames, ${nA} atoms`);

if (on('AG_SWEEP')) {
  const beadCounts = env('AG_BEADS', '2,3,4,5,6,7,8,9,10').split(',').map(Number);
  const seeds = env('AG_SEEDS', '1,2,3').split(',').map(Number);
  const rhos = [0, Number(env('AG_RHO', 3e-8))];
  const table = [];
  console.log('beads  ρ        reconstruction nm² (Å²), mean ± sd      checks passed   mapped-force variance (kJ/mol/nm)²   s/fit');
  for (const beads of beadCounts) {
    for (const rho of rhos) {
      const rows = [];
      for (const seed of seeds) {
        const t0 = performance.now();
        const fit = await fitAutograin(samples, { beads, seed, rho });
        const seconds = (performance.now() - t0) / 1000;
        const check = checkAssignment(fit.groups, top.bonds, top.atoms.map((a) => a.element));
        const variance = mappedForceVariance(basicForceMap(groupMap(nA, fit.groups, { weighting: 'geometry' })), samples.forces);
        rows.push({ seed, reconstruction: fit.reconstruction.validation, ok: check.ok, disconnected: check.disconnected.length, strayHydrogens: check.strayHydrogens.length, variance, seconds, groups: fit.groups.map((g) => g.map((i) => `${top.atoms[i].residue}:${top.atoms[i].name}`).join(' ')) });
        fit.model.dispose();
      }
      const [m, sd] = meanSd(rows.map((r) => r.reconstruction));
      const [vm, vsd] = meanSd(rows.map((r) => r.variance));
      const passed = rows.filter((r) => r.ok).length;
      console.log(`${String(beads).padStart(5)}  ${rho.toExponential(0).padEnd(7)}  ${fmt(m, 5)} ± ${fmt(sd, 5)} (${fmt(100 * m)} ± ${fmt(100 * sd)})   ${passed}/${rows.length} (stray H ${rows.map((r) => r.strayHydrogens).join(',')}; disconnected ${rows.map((r) => r.disconnected).join(',')})   ${fmt(vm, 3)} ± ${fmt(vsd, 2)}   ${fmt(meanSd(rows.map((r) => r.seconds))[0], 1)}`);
      table.push({ beads, rho, rows });
    }
  }
  const six = table.filter((t) => t.beads === 6);
  for (const t of six) for (const r of t.rows) console.log(`6 beads, ρ ${t.rho}, seed ${r.seed}: ${r.groups.join(' | ')}`);
  if (env('AG_OUT')) writeFileSync(env('AG_OUT'), JSON.stringify(table, null, 1));
}

if (on('AG_TIMING')) {
  const beads = 6;
  const batch = 256;
  const n = Math.floor(samples.frames / batch) * batch;
  const rho = 3e-8;
  const dir = mkdtempSync(join(tmpdir(), 'cglab-autograin-'));
  const model = new CgAutoencoder(beads, samples.masses, { seed: 1 });
  const noise = model.drawNoise(new Random(2));
  const x = samples.positions.subarray(0, n * nA * 3);
  const f = samples.forces.subarray(0, n * nA * 3);
  for (const [name, data, shape] of [['x', x, [n, nA, 3]], ['f', f, [n, nA, 3]], ['masses', samples.masses, [nA]], ['logits', model.logits.dataSync(), [nA, beads]], ['decoder', model.decoder.dataSync(), [nA, beads]], ['noise', noise, [nA, beads]]]) {
    writeNpy(join(dir, `${name}.npy`), { dtype: data instanceof Float64Array ? '<f8' : '<f4', shape, data });
  }
  // The loss on one fixed noise, here and in PyTorch (same parameters): the two compute one model.
  const ours = tf.tidy(() => {
    const c = model.assignment(noise, 1, true);
    const l = model.losses(tf.tensor3d(x.subarray(0, batch * nA * 3), [batch, nA, 3]), tf.tensor3d(f.subarray(0, batch * nA * 3), [batch, nA, 3]), c);
    return [l.reconstruction.dataSync()[0], l.force.dataSync()[0]];
  });
  model.dispose();
  // fitAutograin's own steps over one epoch (validation and the least-squares decoder left out
  // of the clock, as PyTorch does none): the time from the first step's end to the last's, per
  // step, times the steps of an epoch; the second of two epochs, so that warm-up is excluded.
  const stamps = [];
  const fit = await fitAutograin({ ...samples, positions: x, forces: f, frames: n }, {
    beads, epochs: 2, rho, forceWarmup: 0, batchSize: batch, validationFraction: 1 / n,
    onProgress: (p) => { if (p.kind === 'step' && p.epoch === 2) stamps.push(performance.now()); },
  });
  fit.model.dispose();
  const steps = Math.ceil((n - 1) / batch);
  const epochMs = ((stamps[stamps.length - 1] - stamps[0]) / (stamps.length - 1)) * steps;
  const peer = JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'autograin_torch.py'), dir, String(batch), String(rho), '1'], { encoding: 'utf8' }));
  console.log(`loss on one noise, batch ${batch}: reconstruction cglab ${fmt(ours[0], 6)} PyTorch ${fmt(peer.reconstruction, 6)} nm²; force cglab ${fmt(ours[1], 6)} PyTorch ${fmt(peer.force, 6)} (kJ/mol/nm)²`);
  console.log(`epoch of ${n} frames (batch ${batch}, ${beads} beads, ${nA} atoms): cglab ${fmt(epochMs, 1)} ms (fitAutograin's steps), PyTorch 1 thread ${fmt(peer.epoch_ms, 1)} ms (ratio ${fmt(epochMs / peer.epoch_ms, 2)})`);
}
