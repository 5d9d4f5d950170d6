#!/usr/bin/env node
// A converged reference for the standard alanine dipeptide system (ff99SB-ILDN + OBC2, 300 K):
// temperature replica exchange (`cglab generate --exchange`) against plain MD of the same cost
// (the same walker-nanoseconds). Basin populations — φ > 0 (αL, C7ax) included, the one plain
// MD cannot pin down — with standard errors over independent ladders (replica exchange) or
// replicas (plain MD), the αR/β ratio, and each run's KL to the other over every bin it
// populates (judgePhiPsi: CG side floored at 1e-6), the plain run's split-half KL beside it.
//
// Env: REMD_LADDERS (4), REMD_NS per walker (5), REMD_TOP K (600), REMD_RUNGS (6). Plain MD runs
// REMD_LADDERS × REMD_RUNGS replicas of REMD_NS. Both data sets are cached (CGLAB_CACHE_DIR), so
// a rerun only recomputes the analysis; the REMD set is the reference data set
// (frames + forces at 300 K) for `cglab train forcematching`.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dihedrals } from '../kernel-lib/dist/analysis/geometry.js';
import { describePhiPsi, judgePhiPsi } from '../kernel-lib/dist/analysis/ramachandran.js';
import { cacheDir } from '../kernel-lib/dist/datasets/cache.js';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI, alanineBasinPopulations } from '../kernel-lib/dist/datasets/alanineDipeptide.js';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { degrees } from '../kernel-lib/dist/units.js';

const env = (k, d) => Number(process.env[k] ?? d);
const [ladders, ns, top, rungs] = [env('REMD_LADDERS', 4), env('REMD_NS', 5), env('REMD_TOP', 600), env('REMD_RUNGS', 6)];
const dir = join(cacheDir(), 'alanine-remd');
mkdirSync(dir, { recursive: true });
const bin = fileURLToPath(new URL('../kernel-lib/bin/cglab.mjs', import.meta.url));

/** `cglab generate alanine-dipeptide …` (through the cache); its wall time, s. */
function generate(out, extra) {
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, 'generate', 'alanine-dipeptide', '--ns', String(ns), '--save-every-ps', '1', '--seed', '1', '--out', out, ...extra], { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cglab generate ${extra.join(' ')} failed: ${r.stderr.split('\n').slice(-3).join(' | ')}`);
  const lines = r.stderr.split(/[\r\n]/).filter((l) => /^cglab generate:/.test(l));
  return { s: (performance.now() - t) / 1000, lines };
}
const remdFile = join(dir, `remd-${ladders}x${ns}ns-${rungs}to${top}K.npz`);
const plainFile = join(dir, `plain-${ladders * rungs}x${ns}ns.npz`);
const remdRun = generate(remdFile, ['--replicas', String(ladders), '--exchange', `${top}:${rungs}`]);
const plainRun = generate(plainFile, ['--replicas', String(ladders * rungs)]);

function load(file) {
  const t = readDataset(file);
  const perReplica = t.provenance.frames_per_replica;
  return {
    t,
    perReplica,
    phi: degrees(dihedrals(t.positions, 22, ALANINE_DIPEPTIDE_PHI)),
    psi: degrees(dihedrals(t.positions, 22, ALANINE_DIPEPTIDE_PSI)),
  };
}
const remd = load(remdFile);
const plain = load(plainFile);

/** Basin populations: mean and standard error over the set's independent replicas. */
function populations(d) {
  let at = 0;
  const per = d.perReplica.map((n) => {
    const p = alanineBasinPopulations(d.phi.subarray(at, at + n), d.psi.subarray(at, at + n));
    at += n;
    return p;
  });
  const out = {};
  for (const k of Object.keys(per[0])) {
    const v = per.map((p) => p[k]);
    const m = v.reduce((a, c) => a + c, 0) / v.length;
    out[k] = { mean: m, se: Math.sqrt(v.reduce((a, c) => a + (c - m) ** 2, 0) / (v.length - 1) / v.length) };
  }
  const ratio = per.map((p) => p.alphaR / (p.C5 + p['C7eq/PPII']));
  const rm = ratio.reduce((a, c) => a + c, 0) / ratio.length;
  out['αR/β'] = { mean: rm, se: Math.sqrt(ratio.reduce((a, c) => a + (c - rm) ** 2, 0) / (ratio.length - 1) / ratio.length) };
  return out;
}
const fmt = (x) => `${x.mean.toFixed(4)} ± ${x.se.toFixed(4)}`;
const pr = populations(remd);
const pp = populations(plain);
const prov = remd.t.provenance;
console.log(`replica exchange: ${ladders} ladders × ${ns} ns per walker, ${rungs} rungs ${prov.exchange_temperatures_K.map((t) => t.toFixed(0)).join(', ')} K, exchanges every ${prov.exchange_every_ps} ps; ${remd.t.nFrames} frames at 300 K; ${remdRun.s.toFixed(0)} s`);
console.log(`  acceptance between neighbours ${prov.exchange_acceptance.map((a) => a.toFixed(2)).join(', ')}; round trips per ladder ${prov.exchange_round_trips.join(', ')}`);
console.log(`plain MD: ${ladders * rungs} replicas × ${ns} ns at 300 K (the same walker time); ${plain.t.nFrames} frames; ${plainRun.s.toFixed(0)} s`);
console.log('basin       replica exchange (± s.e. over ladders)   plain MD (± s.e. over replicas)');
for (const k of Object.keys(pr)) console.log(`${k.padEnd(10)}  ${fmt(pr[k]).padEnd(40)}  ${fmt(pp[k])}`);
console.log('plain MD judged against replica exchange:');
for (const l of describePhiPsi(judgePhiPsi(remd, plain))) console.log(`  ${l}`);
const half = (d, k) => {
  // Replica-major sets: the first and second halves of the replicas are independent runs.
  const cut = d.perReplica.slice(0, d.perReplica.length >> 1).reduce((a, c) => a + c, 0);
  return k === 0 ? { phi: d.phi.subarray(0, cut), psi: d.psi.subarray(0, cut) } : { phi: d.phi.subarray(cut), psi: d.psi.subarray(cut) };
};
for (const [name, d] of [['replica exchange', remd], ['plain MD', plain]]) {
  const j = judgePhiPsi(half(d, 0), half(d, 1));
  console.log(`${name}, one half of its replicas against the other: KL over every bin ${j.kl.toFixed(4)} (common bins ${j.common.toFixed(4)}), φ > 0 ${j.populations.reference['phi>0'].toFixed(4)} vs ${j.populations.model['phi>0'].toFixed(4)}`);
}
