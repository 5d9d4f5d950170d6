#!/usr/bin/env node
// The command line's defaults on ~20k frames (issue 4: "defaults must give a good model on ~20k
// alanine-dipeptide frames in ≤ 10 minutes on this machine"). For each model and seed, as a user
// runs them: `cglab train forcematching --data <set> --frames 20000 --map backbone5 --model M
// --seed S --out <dir>`, then `cglab refine --model <dir> --data <set>`, both with every other
// option at its default, timed by the wall clock (start-up and data loading included). Then the
// refined model is judged on a fresh run, `cglab simulate` of CLI_REPLICAS replicas × CLI_PS ps
// at 5 fs (first 10 ps dropped), against the all-atom φ/ψ surface of the whole set: KL(ref‖CG),
// MSE, αR/β with its jackknife sd (the issue asks for αR/β within 10 % and KL well under 0.1).
//
// Env: CLI_DATA (default ~/.cache/cglab/alanine-reference/cglab-10x10ns.npz, made by
// bench/alanine-reference.mjs), CLI_FRAMES 20000, CLI_MODELS cgnet,cgschnet, CLI_MAP backbone5,
// CLI_SEEDS 1, CLI_REPLICAS 100, CLI_PS 200, CLI_OUT (a folder to keep the model folders in;
// default a temporary one, removed at the end).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dihedrals } from '../kernel-lib/dist/analysis/geometry.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { degrees } from '../kernel-lib/dist/units.js';
import { afterSkip, cglab } from './lib/cglab.mjs';
import { allBins, betaOf, compare, fmt, ratioJackknife } from './lib/phipsi.mjs';

const env = (k, d) => process.env[k] ?? d;
const list = (k, d) => env(k, d).split(',').filter(Boolean);
const data = env('CLI_DATA', join(homedir(), '.cache/cglab/alanine-reference/cglab-10x10ns.npz'));
const frames = env('CLI_FRAMES', '20000');
const models = list('CLI_MODELS', 'cgnet,cgschnet');
const mapName = env('CLI_MAP', 'backbone5');
const seeds = list('CLI_SEEDS', '1');
const replicas = Number(env('CLI_REPLICAS', 100));
const ps = Number(env('CLI_PS', 200));
const [dt, savePs, skipPs] = [0.005, 0.25, 10];
const budgetS = 600;

if (!existsSync(data)) {
  console.log(`${data}: no such data set; make it with bench/alanine-reference.mjs or set CLI_DATA`);
  process.exit(1);
}
const out = process.env.CLI_OUT ?? mkdtempSync(join(tmpdir(), 'cglab-bench-cli-'));


const all = readDataset(data);
const ref = compare(degrees(dihedrals(all.positions, 22, ALANINE_DIPEPTIDE_PHI)), degrees(dihedrals(all.positions, 22, ALANINE_DIPEPTIDE_PSI)));
console.log(`reference: ${all.nFrames} frames of ${data}; αR ${fmt(ref.pops.alphaR)}, β ${fmt(betaOf(ref.pops))}, αR/β ${fmt(ref.ratio)}`);
console.log(`cglab train forcematching --frames ${frames} --map ${mapName} and cglab refine, defaults otherwise; judged on cglab simulate ${replicas} × ${ps} ps at ${dt * 1000} fs (first ${skipPs} ps dropped):`);
try {
  for (const model of models) {
    for (const seed of seeds) {
      const dir = join(out, `${model}-${mapName}-seed${seed}`);
      rmSync(dir, { recursive: true, force: true });
      const train = cglab(['train', 'forcematching', '--data', data, '--frames', frames, '--map', mapName, '--model', model, '--seed', seed, '--out', dir]);
      const refine = cglab(['refine', '--model', dir, '--data', data]);
      const traj = join(dir, 'check.npz');
      cglab(['simulate', '--model', dir, '--replicas', String(replicas), '--ps', String(ps), '--dt', String(dt), '--save-every-ps', String(savePs), '--seed', String(1000 + Number(seed)), '--out', traj]);
      const sim = readDataset(traj);
      const kept = afterSkip(sim, replicas, Math.round(skipPs / savePs));
      const [phi, psi] = [[0, 1, 2, 3], [1, 2, 3, 4]].map((q) => degrees(dihedrals(kept, sim.nAtoms, q)));
      const res = compare(phi, psi, ref);
      const total = train.s + refine.s;
      console.log(`  ${model} seed ${seed}: train ${fmt(train.s, 0)} s + refine ${fmt(refine.s, 0)} s = ${fmt(total / 60, 1)} min (${total <= budgetS ? 'within' : 'over'} 10 min); refined model: KL ${fmt(res.kl)} (coverage ${fmt(res.coverage)}), MSE ${fmt(res.mse, 2)}, αR ${fmt(res.pops.alphaR)}, β ${fmt(betaOf(res.pops))}, αR/β ${fmt(res.ratio)} ± ${fmt(ratioJackknife(phi, psi, [phi.length], replicas).sd)} (${fmt((100 * (res.ratio - ref.ratio)) / ref.ratio, 1)} %)`);
      console.log(`    ${allBins(res)}`);
      console.log(`    train: ${train.lines.at(-1)}`);
      console.log(`    refine: ${refine.lines.filter((l) => /^\s*run \d+:|^cglab refine:/.test(l)).join(' | ')}`);
    }
  }
} finally {
  if (process.env.CLI_OUT === undefined) rmSync(out, { recursive: true, force: true });
}
