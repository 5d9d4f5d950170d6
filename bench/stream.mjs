#!/usr/bin/env node
// Force matching from TRR sets of 1, 2 and 4 million alanine-dipeptide frames (the 400 frames
// of test/fixtures/cg/alanine-dipeptide-400.npz repeated, positions and forces, single
// precision), streamed: peak memory (RSS) of `cglab train forcematching --stream` for one epoch
// at each size beside the in-memory path on the smallest, and the readers' throughput against
// mdtraj on the same files in the same run (TRR with positions and forces; XTC with positions,
// written by mdtraj from the same frames).
//
// Env: STREAM_MILLIONS (default "1,2,4"), STREAM_XTC=0 to skip XTC, STREAM_KEEP=1 to keep the
// files (in $TMPDIR/cglab-bench-stream; several GB).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from '../kernel-lib/dist/io/dataset.js';
import { formatPdb } from '../kernel-lib/dist/io/pdb.js';
import { openTrrWriter, streamTrr } from '../kernel-lib/dist/io/trr.js';
import { streamXtc } from '../kernel-lib/dist/io/xtc.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const millions = (process.env.STREAM_MILLIONS ?? '1,2,4').split(',').map(Number);
const dir = join(tmpdir(), 'cglab-bench-stream');
mkdirSync(dir, { recursive: true });
const source = readDataset(join(root, 'test/fixtures/cg/alanine-dipeptide-400.npz'));
const { nAtoms } = source;
const per = 3 * nAtoms;
const top = join(dir, 'top.pdb');
writeFileSync(top, formatPdb({ ...source, nFrames: 1, positions: source.positions.subarray(0, per), forces: undefined }));
const fmt = (v, d = 2) => v.toFixed(d);
const seconds = (t0) => (performance.now() - t0) / 1000;

/** `frames` frames (the source repeated) as a TRR file, written in blocks; kept between runs (STREAM_KEEP) with a marker. */
function writeSet(path, frames) {
  const marker = `${path}.frames`;
  if (existsSync(path) && existsSync(marker) && readFileSync(marker, 'utf8') === String(frames)) return;
  const block = 40_000;
  const reps = block / source.nFrames;
  const x = new Float32Array(block * per);
  const f = new Float32Array(block * per);
  for (let r = 0; r < reps; r++) {
    x.set(source.positions, r * source.nFrames * per);
    f.set(source.forces, r * source.nFrames * per);
  }
  const w = openTrrWriter(path);
  for (let s = 0; s < frames; s += block) {
    const time = Float32Array.from({ length: block }, (_, k) => s + k);
    w.write({ nFrames: block, nAtoms, positions: x, forces: f, time, step: Float64Array.from(time, (t) => 500 * t) });
  }
  w.close();
  writeFileSync(marker, String(frames));
}

/** Wall time and peak RSS of a cglab command in a child process. */
function cglab(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--require', join(here, 'lib/peak-rss.cjs'), join(root, 'kernel-lib/bin/cglab.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = seconds(t0);
  if (r.status !== 0) throw new Error(`cglab ${args.join(' ')} failed:\n${r.stderr.slice(-3000)}`);
  const rss = Number(/peak-rss-kb (\d+)/.exec(r.stderr)?.[1]) / 1024;
  return { wall, rss, stderr: r.stderr };
}

const PY_READ = String.raw`
import sys, time
from mdtraj.formats import TRRTrajectoryFile, XTCTrajectoryFile
kind, path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter(); n = 0
if kind == 'trr':
    with TRRTrajectoryFile(path) as t:
        while True:
            x, tt, st, box, lam, v, f = t._read(100000, None, get_velocities=False, get_forces=True)
            if len(x) == 0: break
            n += len(x)
else:
    with XTCTrajectoryFile(path) as t:
        while True:
            x, tt, st, box = t.read(100000)
            if len(x) == 0: break
            n += len(x)
print(n, time.perf_counter() - t0)
`;
const PY_XTC = String.raw`
import sys
from mdtraj.formats import TRRTrajectoryFile, XTCTrajectoryFile
src, out = sys.argv[1], sys.argv[2]
with TRRTrajectoryFile(src) as t, XTCTrajectoryFile(out, 'w') as o:
    while True:
        x, tt, st, box, lam = t._read(100000, None, get_velocities=False, get_forces=False)[:5]
        if len(x) == 0: break
        o.write(x, time=tt, step=st)
`;
const python = (script, args) => {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split(/\s+/).map(Number);
};

async function readRate(kind, path) {
  const t0 = performance.now();
  let n = 0;
  const stream = kind === 'trr' ? streamTrr(path, { require: ['forces'] }) : streamXtc(path);
  for await (const b of stream) n += b.nFrames;
  const ours = n / seconds(t0);
  const [m, t] = python(PY_READ, [kind, path]);
  return { ours, mdtraj: m / t, frames: n };
}

const files = {};
for (const m of millions) {
  const path = join(dir, `ala2-${m}M.trr`);
  const t0 = performance.now();
  writeSet(path, m * 1_000_000);
  files[m] = path;
  process.stdout.write(`${path}: ${m} million frames, ${fmt(statSync(path).size / 1e9)} GB (${fmt(seconds(t0), 1)} s to write or check)\n`);
}

process.stdout.write('\nReaders, frames/s (cglab streaming blocks | mdtraj reading 100 000-frame chunks), same file:\n');
const mid = files[millions.includes(2) ? 2 : millions[0]];
const trr = await readRate('trr', mid);
process.stdout.write(`  TRR x+f, ${trr.frames} frames: cglab ${Math.round(trr.ours)} | mdtraj ${Math.round(trr.mdtraj)} | ratio ${fmt(trr.ours / trr.mdtraj)}\n`);
if (process.env.STREAM_XTC !== '0') {
  const xtc = mid.replace(/\.trr$/, '.xtc');
  if (!existsSync(xtc)) python(PY_XTC, [mid, xtc]);
  const r = await readRate('xtc', xtc);
  process.stdout.write(`  XTC x, ${r.frames} frames: cglab ${Math.round(r.ours)} | mdtraj ${Math.round(r.mdtraj)} | ratio ${fmt(r.ours / r.mdtraj)}\n`);
}

process.stdout.write('\nForce matching, CGnet on backbone5, one epoch, batch 1024 (peak RSS of the whole command):\n');
const train = ['train', 'forcematching', '--top', top, '--map', 'backbone5', '--model', 'cgnet', '--epochs', '1', '--batch-size', '1024', '--temperature', '300', '--force-map', 'basic', '--seed', '1'];
const rows = [];
const run = (m, stream) => {
  const out = join(dir, `model-${m}M-${stream ? 'stream' : 'memory'}`);
  rmSync(out, { recursive: true, force: true });
  const r = cglab([...train, '--data', files[m], '--out', out, ...(stream ? ['--stream'] : [])]);
  const info = JSON.parse(readFileSync(join(out, 'forcematching.json'), 'utf8'));
  const epoch = info.record.epochs[0];
  rows.push({ m, stream, ...r, epochSeconds: epoch.seconds, val: epoch.validationLoss, initial: info.record.initialValidationLoss });
  process.stdout.write(`  ${m}M ${stream ? 'streamed ' : 'in memory'}: peak RSS ${Math.round(r.rss)} MB, wall ${fmt(r.wall, 1)} s, epoch ${fmt(epoch.seconds, 1)} s (${Math.round((m * 1e6) / epoch.seconds)} frames/s), validation loss ${fmt(info.record.initialValidationLoss, 0)} → ${fmt(epoch.validationLoss, 0)} (kJ/mol/nm)²\n`);
};
run(millions[0], false);
for (const m of millions) run(m, true);
const streamed = rows.filter((r) => r.stream);
if (streamed.length > 1) {
  const [a, b] = [streamed[0], streamed[streamed.length - 1]];
  process.stdout.write(`\nStreamed peak RSS from ${a.m}M to ${b.m}M frames: ${Math.round(a.rss)} → ${Math.round(b.rss)} MB (× ${fmt(b.rss / a.rss)} for × ${b.m / a.m} the frames)\n`);
}
if (process.env.STREAM_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
