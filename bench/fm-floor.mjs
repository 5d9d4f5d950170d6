#!/usr/bin/env node
// Force matching at the sampling floor (issue 23): models from the command line's defaults,
// judged on every φ/ψ bin a converged reference populates. For each model and seed:
// `cglab train forcematching --data <set> --frames 20000 --map backbone5 --model M --seed S`,
// then, for each refinement variant, a copy of the trained folder refined with `cglab refine`
// and that variant's options, then `cglab simulate` of FLOOR_REPLICAS × FLOOR_PS ps at each
// FLOOR_DT, the first fifth dropped, against the whole reference set: KL over every bin the
// reference populates (CG floored at 1e-6) with its parts by basin and unvisited bins, the
// common-bins KL, coverage and αR/β — and the reference's own floor: KL of one half of its
// replicas (independent ladders) against the other.
//
// Env: FLOOR_DATA (default: the replica-exchange set of bench/alanine-remd.mjs at its default
// size), FLOOR_FRAMES 20000, FLOOR_MODELS cgschnet,cgnet, FLOOR_SEEDS 1, FLOOR_REFINE variants
// of refine options separated by ';' (default one variant, the defaults), FLOOR_DT 0.005 (a
// comma list), FLOOR_REPLICAS 100, FLOOR_PS 600, FLOOR_OUT (keep the folders there).
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dihedrals } from '../kernel-lib/dist/analysis/geometry.js';
import { describePhiPsi, judgePhiPsi } from '../kernel-lib/dist/analysis/ramachandran.js';
import { cacheDir } from '../kernel-lib/dist/datasets/cache.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { degrees } from '../kernel-lib/dist/units.js';
import { afterSkip, cglab } from './lib/cglab.mjs';

const env = (k, d) => process.env[k] ?? d;
const data = env('FLOOR_DATA', join(cacheDir(), 'alanine-remd', 'remd-4x5ns-6to600K.npz'));
const frames = env('FLOOR_FRAMES', '20000');
const models = env('FLOOR_MODELS', 'cgschnet,cgnet').split(',').filter(Boolean);
const seeds = env('FLOOR_SEEDS', '1').split(',').filter(Boolean);
const variants = env('FLOOR_REFINE', '').split(';').map((v) => v.trim().split(/\s+/).filter(Boolean));
const dts = env('FLOOR_DT', '0.005').split(',').map(Number);
const [replicas, ps] = [Number(env('FLOOR_REPLICAS', 100)), Number(env('FLOOR_PS', 600))];
const savePs = 0.25;
if (!existsSync(data)) {
  console.log(`${data}: no such data set; make it with bench/alanine-remd.mjs or set FLOOR_DATA`);
  process.exit(1);
}
const out = process.env.FLOOR_OUT ?? mkdtempSync(join(tmpdir(), 'cglab-bench-floor-'));

const angles = (x, n) => ({ phi: degrees(dihedrals(x, n, n === 22 ? ALANINE_DIPEPTIDE_PHI : [0, 1, 2, 3])), psi: degrees(dihedrals(x, n, n === 22 ? ALANINE_DIPEPTIDE_PSI : [1, 2, 3, 4])) });

const all = readDataset(data);
const ref = angles(all.positions, 22);
const perReplica = all.provenance?.frames_per_replica ?? [all.nFrames];
const cut = perReplica.slice(0, perReplica.length >> 1).reduce((a, c) => a + c, 0);
const self = judgePhiPsi({ phi: ref.phi.subarray(0, cut), psi: ref.psi.subarray(0, cut) }, { phi: ref.phi.subarray(cut), psi: ref.psi.subarray(cut) });
console.log(`reference: ${all.nFrames} frames of ${data} (${all.provenance?.sampler ?? 'plain MD'})`);
console.log(`  its floor, one half of its replicas against the other: KL over every bin ${self.kl.toFixed(4)}, common bins ${self.common.toFixed(4)}, φ > 0 ${self.populations.reference['phi>0'].toFixed(4)} vs ${self.populations.model['phi>0'].toFixed(4)}`);
try {
  for (const model of models) {
    for (const seed of seeds) {
      const trained = join(out, `${model}-seed${seed}`);
      rmSync(trained, { recursive: true, force: true });
      const train = cglab(['train', 'forcematching', '--data', data, '--frames', frames, '--map', 'backbone5', '--model', model, '--seed', seed, '--out', trained]);
      console.log(`${model} seed ${seed}: trained in ${train.s.toFixed(0)} s; ${train.lines.at(-1)}`);
      for (const [v, extra] of variants.entries()) {
        const dir = `${trained}-refine${v}`;
        rmSync(dir, { recursive: true, force: true });
        cpSync(trained, dir, { recursive: true });
        const refine = cglab(['refine', '--model', dir, '--data', data, ...extra]);
        const total = train.s + refine.s;
        console.log(`  refine ${extra.length ? extra.join(' ') : '(defaults)'}: ${refine.s.toFixed(0)} s, train + refine ${(total / 60).toFixed(1)} min (${total <= 600 ? 'within' : 'over'} 10 min)`);
        for (const dt of dts) {
          const traj = join(dir, `check-${dt}.npz`);
          const sim = cglab(['simulate', '--model', dir, '--replicas', String(replicas), '--ps', String(ps), '--dt', String(dt), '--save-every-ps', String(savePs), '--seed', String(1000 + Number(seed)), '--out', traj]);
          const t = readDataset(traj);
          const j = judgePhiPsi(ref, angles(afterSkip(t, replicas, Math.round(t.nFrames / replicas / 5)), t.nAtoms));
          console.log(`    check ${replicas} × ${ps} ps at dt ${dt} ps (${sim.s.toFixed(0)} s):`);
          for (const l of describePhiPsi(j)) console.log(`      ${l}`);
        }
      }
    }
  }
} finally {
  if (process.env.FLOOR_OUT === undefined) rmSync(out, { recursive: true, force: true });
}
