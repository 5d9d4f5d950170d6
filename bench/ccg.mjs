#!/usr/bin/env node
// CCG back-mapping of alanine dipeptide (issue: cycle coarse-graining, must-show 2, and its
// performance), on the project's own reference (4 × 2 ns at 300 K, frames every ps, generated
// and cached):
// 1. `cglab train ccg` with its defaults for the backbone5 and backbone6 maps: held-out frames
//    back-mapped, all-atom energies (median and 5–95 %) against the true structures', heavy-atom
//    RMSD, bond means, chirality, closest atom pair.
// 2. The same back-mapping on the frames of a CG run of a force-matching model (CGnet, backbone5):
//    energies, bonds and handedness against the reference ensemble; the structures are written
//    for NGL (CCG_KEEP=1 keeps them).
// 3. Back-mapped structures per second, and one maximum-likelihood training step of the same
//    flow (6 affine couplings, [128, 128] conditioners, batch 256) against PyTorch on 1 thread.
//
// Env: CCG_STEPS (default 3000, the CLI's), CCG_MAPS (default "backbone5,backbone6").
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../kernel-lib/dist/backend/select.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { backmap, backmapQuality } from '../kernel-lib/dist/methods/ccg/molecule.js';
import { loadCcg } from '../kernel-lib/dist/methods/ccg/modelDir.js';
import { conditionOf } from '../kernel-lib/dist/methods/ccg/representation.js';
import { Adam } from '../kernel-lib/dist/nn/adam.js';
import { Random } from '../kernel-lib/dist/util/random.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dir = mkdtempSync(join(tmpdir(), 'cglab-bench-ccg-'));
const steps = process.env.CCG_STEPS ?? '3000';
const maps = (process.env.CCG_MAPS ?? 'backbone5,backbone6').split(',');
const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const cglab = (args) => {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(root, 'kernel-lib/bin/cglab.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`cglab ${args.join(' ')} failed:\n${r.stderr.slice(-3000)}`);
  return { s: (performance.now() - t0) / 1000, stderr: r.stderr };
};
const line = (q) => `energy ${fmt(q.energy.q50)} [${fmt(q.energy.q05)}, ${fmt(q.energy.q95)}] kJ/mol, mean ${fmt(q.energy.mean)} ± ${fmt(q.energy.sd)} (reference ${fmt(q.referenceEnergy.q50)} [${fmt(q.referenceEnergy.q05)}, ${fmt(q.referenceEnergy.q95)}], ${fmt(q.referenceEnergy.mean)} ± ${fmt(q.referenceEnergy.sd)}); `
  + `${Number.isFinite(q.heavyRmsd) ? `heavy-atom RMSD ${fmt(10 * q.heavyRmsd, 2)} Å; ` : ''}bond means within ${fmt(1000 * q.bondMeanError, 2)} pm, spreads ≤ ${fmt(q.bondSpreadRatio, 2)} × the reference's; chirality kept ${fmt(100 * q.chirality, 1)} %; closest pair ${fmt(q.closestPair, 3)} nm, ${fmt(100 * q.clashFraction, 2)} % of samples under 0.1 nm`;

await initBackend();
const data = join(dir, 'ala300.npz');
const g = cglab(['generate', 'alanine-dipeptide', '--ns', '2', '--replicas', '4', '--save-every-ps', '1', '--equilibrate-ps', '10', '--seed', '1', '--out', data]);
console.log(`data: 8000 frames at 300 K (generated or read from the cache in ${fmt(g.s, 0)} s)`);
const reference = readDataset(data);

for (const map of maps) {
  const out = join(dir, `ccg-${map}`);
  const t = cglab(['train', 'ccg', '--data', data, '--map', map, '--steps', steps, '--seed', '1', '--out', out]);
  const m = loadCcg(out);
  console.log(`\n${map}: trained in ${fmt(t.s, 0)} s (${m.info.training.steps} steps, ${m.info.training.warmup} of them likelihood warm-up), ${m.rep.fineDim} free coordinates`);
  console.log(`  held-out (${m.info.quality.frames} frames × ${m.info.quality.samples / m.info.quality.frames}): ${line(m.info.quality)}`);
}

// 2. A CG run of a force-matching model, back-mapped.
const fm = join(dir, 'fm5');
cglab(['train', 'forcematching', '--data', data, '--map', 'backbone5', '--model', 'cgnet', '--epochs', '10', '--seed', '1', '--out', fm]);
const run = join(dir, 'cg.npz');
cglab(['simulate', '--model', fm, '--replicas', '10', '--ps', '20', '--save-every-ps', '0.2', '--seed', '1', '--out', run]);
const m5 = loadCcg(join(dir, 'ccg-backbone5'));
const cg = readDataset(run);
let t0 = performance.now();
const x = backmap(m5.flow, m5.rep, cg.positions, 1, new Random(5));
const rate = cg.nFrames / ((performance.now() - t0) / 1000);
const picked = Float64Array.from(reference.positions.subarray(0, 2000 * 66));
const q = backmapQuality(x, picked, m5.info.atomistic, m5.system, m5.rep.placed);
console.log(`\nCGnet run (10 × 20 ps, ${cg.nFrames} frames) back-mapped with backbone5: ${line(q)}`);
const aa = join(dir, 'cg-backmapped.npz');
cglab(['backmap', '--model', join(dir, 'ccg-backbone5'), '--coords', run, '--out', aa]);
console.log(`  written for NGL: ${aa}`);

// 3. Speed.
console.log(`\nback-mapping: ${Math.round(rate)} structures/s (batches of 1024, one sample per CG frame)`);
const flow = m5.flow;
const rep = m5.rep;
const batch = 256;
const sRows = Float32Array.from(reference.positions.subarray(0, batch * 66));
const s = tf.tensor2d(Float32Array.from(rep.project(Float64Array.from(sRows), batch)), [batch, rep.cgDim]);
const context = conditionOf(rep, s);
const y = tf.tensor2d(Float32Array.from(rep.encode(Float64Array.from(sRows), batch)), [batch, rep.fineDim]);
const params = flow.parameters();
const byVariable = new Map(Object.entries(params).map(([k, v]) => [v.name, k]));
const adam = new Adam(params);
const stepOnce = () => tf.tidy(() => {
  const { value, grads } = tf.variableGrads(() => tf.neg(tf.mean(flow.logProb(y, context))), Object.values(params));
  adam.apply(Object.fromEntries(Object.entries(grads).map(([n, gr]) => [byVariable.get(n), gr])), 1e-4);
  return value.dataSync()[0];
});
for (let k = 0; k < 5; k++) stepOnce();
const reps = 30;
t0 = performance.now();
for (let k = 0; k < reps; k++) stepOnce();
const ours = (performance.now() - t0) / reps;
const py = spawnSync('/usr/bin/python3', [join(here, 'ccg_torch.py'), String(rep.fineDim), String(rep.contextDim), String(batch), String(reps)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
if (py.status !== 0) throw new Error(py.stderr);
const torchMs = Number(py.stdout.trim());
console.log(`flow training step (likelihood, ${rep.fineDim} dims, context ${rep.contextDim}, batch ${batch}): cglab ${fmt(ours, 2)} ms, PyTorch (1 thread) ${fmt(torchMs, 2)} ms, ratio ${fmt(ours / torchMs, 2)}`);
if (process.env.CCG_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
else console.log(`kept: ${dir}`);
