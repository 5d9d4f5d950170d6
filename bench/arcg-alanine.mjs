#!/usr/bin/env node
// ARCG on alanine dipeptide's backbone beads (C N CA C N, the backbone5 map), judged by the φ/ψ
// free-energy surface of the fitted model against the all-atom one, beside force matching on
// the same data:
//   - arcg-linear: the chain terms (harmonic bonds and angles, φ and ψ Fourier series to 2nd
//     order) plus the φ×ψ coupling terms to 2nd order, a linear critic in that span (= REM);
//   - arcg-mlp: the same model, an MLP critic (32, 32) on the beads' distances, angles and
//     dihedral (cos, sin);
//   - arcg-virtual: arcg-linear plus a virtual CB site tied to CA (a bond, two angles, an
//     improper and two dihedrals with the backbone), which the critic never sees;
//   - cgnet: `cglab train forcematching --model cgnet` with its defaults, then `cglab simulate`.
// Every ARCG fit is `cglab train arcg` (wall time by the clock); each model is then run as
// ARCG_REPLICAS Langevin replicas × ARCG_PS ps (first 5 ps dropped) and its φ/ψ surface
// compared with bench/lib/phipsi.mjs (KL on common bins, αR/β).
// Env: ARCG_DATA (a data set; default: generated and cached, ALA_REPLICAS × ALA_NS ns, a frame
// every 1 ps), ALA_REPLICAS 4, ALA_NS 2, ARCG_ITER 20, ARCG_REPLICAS 32, ARCG_PS 50,
// ARCG_FIT_PS 20 (CG ps per replica per ARCG iteration), ARCG_MODELS arcg-linear,arcg-mlp,arcg-virtual,cgnet.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dihedrals } from '../kernel-lib/dist/analysis/geometry.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { degrees } from '../kernel-lib/dist/units.js';
import { afterSkip, cglab } from './lib/cglab.mjs';
import { betaOf, compare, fmt } from './lib/phipsi.mjs';

const env = (k, d) => process.env[k] ?? d;
const ITER = Number(env('ARCG_ITER', 20));
const REPLICAS = Number(env('ARCG_REPLICAS', 32));
const PS = Number(env('ARCG_PS', 50));
const FIT_PS = Number(env('ARCG_FIT_PS', 20));
const MODELS = env('ARCG_MODELS', 'arcg-linear,arcg-mlp,arcg-virtual,cgnet').split(',');
const dir = mkdtempSync(join(tmpdir(), 'cglab-bench-arcg-ala-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));


let data = process.env.ARCG_DATA;
if (!data) {
  data = join(dir, 'ala.npz');
  const g = cglab(['generate', 'alanine-dipeptide', '--ns', env('ALA_NS', '2'), '--replicas', env('ALA_REPLICAS', '4'), '--save-every-ps', '1', '--equilibrate-ps', '10', '--seed', '1', '--out', data]);
  console.log(`data: generated (or read from the cache) in ${fmt(g.s, 0)} s`);
}
const all = readDataset(data);
const ref = compare(degrees(dihedrals(all.positions, all.nAtoms, ALANINE_DIPEPTIDE_PHI)), degrees(dihedrals(all.positions, all.nAtoms, ALANINE_DIPEPTIDE_PSI)));
console.log(`reference: ${all.nFrames} frames; αR ${fmt(ref.pops.alphaR)}, β ${fmt(betaOf(ref.pops))}, αR/β ${fmt(ref.ratio)}`);

const phiPsi = [[0, 1, 2, 3], [1, 2, 3, 4]];
const coupling = { kind: 'dihedralPair', a: phiPsi[0], b: phiPsi[1], order: 2 };
const virtualTerms = [
  { kind: 'bond', beads: [2, 5], q0: 0.153, scale: 0.01 },
  { kind: 'angle', beads: [1, 2, 5], q0: 1.91, scale: 0.1 },
  { kind: 'angle', beads: [3, 2, 5], q0: 1.91, scale: 0.1 },
  { kind: 'dihedral', beads: [1, 3, 2, 5], order: 1 },
  { kind: 'dihedral', beads: [0, 1, 2, 5], order: 2 },
  { kind: 'dihedral', beads: [5, 2, 3, 4], order: 2 },
];
const sampling = { replicas: 32, ps: FIT_PS, saveEveryPs: 0.2, dt: 0.002 };
const specs = {
  'arcg-linear': { terms: [coupling], sampling, iterations: ITER },
  'arcg-mlp': { terms: [coupling], critic: { kind: 'mlp', hidden: [32, 32] }, sampling, iterations: ITER, learningRate: 0.5 },
  'arcg-virtual': { virtualSites: [{ name: 'CB', mass: 15, near: 2 }], terms: [coupling, ...virtualTerms], sampling, iterations: ITER },
};

/** φ/ψ (degrees) of a `cglab simulate` run of the model folder `out` (first 5 ps dropped). */
function runModel(out) {
  const traj = join(out, 'check.npz');
  cglab(['simulate', '--model', out, '--replicas', String(REPLICAS), '--ps', String(PS + 5), '--dt', '0.002', '--save-every-ps', '0.5', '--seed', '77', '--out', traj]);
  const sim = readDataset(traj);
  const kept = afterSkip(sim, REPLICAS, Math.round(5 / 0.5));
  return phiPsi.map((q) => degrees(dihedrals(kept, sim.nAtoms, q)));
}

function report(name, seconds, phi, psi) {
  const r = compare(phi, psi, ref);
  console.log(`  ${name.padEnd(13)} fit ${fmt(seconds, 0).padStart(5)} s; KL ${fmt(r.kl)} (coverage ${fmt(r.coverage)}), MSE ${fmt(r.mse, 2)}, αR ${fmt(r.pops.alphaR)}, β ${fmt(betaOf(r.pops))}, αR/β ${fmt(r.ratio)} (${fmt((100 * (r.ratio - ref.ratio)) / ref.ratio, 1)} %)`);
}

console.log(`models judged on ${REPLICAS} replicas × ${PS} ps after 5 ps; ARCG: ${ITER} iterations of 32 replicas × ${FIT_PS} ps`);
for (const name of MODELS) {
  const out = join(dir, name);
  if (name === 'cgnet') {
    const train = cglab(['train', 'forcematching', '--data', data, '--map', 'backbone5', '--model', 'cgnet', '--out', out]);
    const [phi, psi] = runModel(out);
    report(name, train.s, phi, psi);
    continue;
  }
  const spec = join(dir, `${name}.json`);
  rmSync(out, { recursive: true, force: true });
  writeFileSync(spec, JSON.stringify(specs[name]));
  const fit = cglab(['train', 'arcg', '--data', data, '--model', spec, '--out', out]);
  const [phi, psi] = runModel(out);
  report(name, fit.s, phi, psi);
}
