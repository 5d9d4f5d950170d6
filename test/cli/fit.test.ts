import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from 'cglab/io/dataset';
import { npyArray } from 'cglab/io/npy';
import { readNpz, writeNpz } from 'cglab/io/npz';
import { readLammpsTable, readPairTableCsv } from 'cglab/io/pairTableFiles';
import { makeTrajectory } from 'cglab/io/trajectory';
import { writeTrr } from 'cglab/io/trr';
import { SPLINE_LIQUID_CUTOFF as TOY_CUTOFF, splineLiquid } from 'cglab/datasets/splineLiquid';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-fit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const at = (name: string) => join(dir, name);

// A plain NumPy NPZ as a user brings it: positions, forces and box edges [frames, 3], no topology.
const data = await splineLiquid({ n: 125, edge: 2.0, frames: 20 });
const npz = at('liquid.npz');
writeNpz(npz, {
  positions: npyArray(Float32Array.from(data.positions), [data.frames, data.n, 3]),
  forces: npyArray(Float32Array.from(data.forces as Float64Array), [data.frames, data.n, 3]),
  box: npyArray(Float32Array.from(data.box), [data.frames, 3]),
});

test('fit pairs --method fm writes a model folder with CSV and LAMMPS tables that simulate runs, writing positions and box', () => {
  const out = at('fm');
  const r = cglab(['fit', 'pairs', '--data', npz, '--method', 'fm', '--cutoff', String(TOY_CUTOFF), '--bin', '0.02', '--temperature', '300', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /20 frames of 125 beads \(CG\)/);
  const info = JSON.parse(readFileSync(join(out, 'pairs.json'), 'utf8'));
  assert.equal(info.format, 'cglab-pairs');
  assert.equal(info.method, 'fm');
  assert.deepEqual(info.typeNames, ['CG']);
  // Forces of the model's own span: what is left is the default smoothness penalty's bias (float32 files add ~1e-7).
  assert.ok(info.record.residual < 1e-2 * info.record.meanSquaredForce, `residual ${info.record.residual} of ${info.record.meanSquaredForce}`);
  const csv = readFileSync(join(out, 'tables', 'CG-CG.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'r_nm,U_kJmol,F_kJmolnm');
  const rows = csv.slice(1).map((l) => l.split(',').map(Number));
  rows.forEach((row, i) => i && assert.ok(Math.abs(row[0] - rows[i - 1][0] - 0.002) < 1e-9, `row ${i} spacing`));
  assert.equal(rows[rows.length - 1][0], TOY_CUTOFF);
  assert.equal(rows[rows.length - 1][1], 0);
  assert.ok(rows[0][2] > 0, 'repulsive at short range');
  const back = readPairTableCsv(join(out, 'tables', 'CG-CG.csv'));
  const lammps = readLammpsTable(join(out, 'tables', 'CG-CG.lammps'), 'CG-CG', 'real');
  const a = [0, 0];
  const b = [0, 0];
  back.evaluate(0.4, a);
  lammps.evaluate(0.4, b);
  assert.ok(Math.abs(a[1] - b[1]) < 1e-6 * Math.abs(a[1]) + 1e-9, `CSV and LAMMPS tables differ at 0.4 nm: ${a[1]} vs ${b[1]}`);
  assert.ok(readDataset(join(out, 'frames.npz')).box, 'kept frames carry the box');

  const traj = at('fm-traj.npz');
  const s = cglab(['simulate', '--model', out, '--replicas', '2', '--ps', '0.4', '--save-every-ps', '0.2', '--out', traj]);
  assert.equal(s.status, 0, s.stderr);
  const z = readNpz(traj);
  assert.deepEqual(z.get('positions').shape, [2, 2, 125, 3]);
  assert.deepEqual(z.get('box').shape, [2, 2, 3, 3]);
  assert.equal(readDataset(traj).box?.[0], 2);
});

test('fit pairs --method ibi keeps every iteration and its RDF error; --start frames with a box restart simulate', () => {
  const out = at('ibi');
  const r = cglab(['fit', 'pairs', '--data', npz, '--method', 'ibi', '--cutoff', String(TOY_CUTOFF), '--bin', '0.02', '--temperature', '300', '--iterations', '2', '--ps', '1', '--skip-ps', '0.4', '--tolerance', '0', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /ibi iteration 0: RDF rms error \d\.\d{4}/);
  assert.match(r.stderr, /ibi iteration 1: RDF rms error/);
  const info = JSON.parse(readFileSync(join(out, 'pairs.json'), 'utf8'));
  assert.equal(info.record.iterations.length, 2);
  for (const k of ['0', '1']) assert.ok(existsSync(join(out, 'iterations', k, 'CG-CG.csv')), `iteration ${k} table`);
  assert.equal(readFileSync(join(out, 'rdf-target.csv'), 'utf8').split('\n')[0], 'r_nm,CG-CG');
  const s = cglab(['simulate', '--model', out, '--start', npz, '--replicas', '1', '--ps', '0.2', '--save-every-ps', '0.2', '--out', at('ibi-traj.npz')]);
  assert.equal(s.status, 0, s.stderr);
});

test('fit pairs: bad input names the file and what is wrong', () => {
  const half = cglab(['fit', 'pairs', '--data', npz, '--method', 'fm', '--cutoff', '1.2', '--out', at('bad1')]);
  assert.notEqual(half.status, 0);
  assert.match(half.stderr, /--cutoff 1\.2 nm.*liquid\.npz, box of frame 0.*at most half the shortest box edge \(1 nm\)/);
  const method = cglab(['fit', 'pairs', '--data', npz, '--method', 'vq', '--out', at('bad2')]);
  assert.match(method.stderr, /--method must be one of fm, ibi, rem, arcg, got 'vq'/);
  // A target RDF that is zero where the liquid has pairs cannot be inverted.
  const target = at('target.csv');
  const lines = ['r_nm,CG-CG', ...Array.from({ length: 35 }, (_, b) => `${(0.01 + 0.02 * b).toFixed(2)},${b >= 14 && b < 18 ? 0 : 1}`)];
  writeFileSync(target, lines.join('\n') + '\n');
  const zero = cglab(['fit', 'pairs', '--data', npz, '--method', 'ibi', '--cutoff', String(TOY_CUTOFF), '--bin', '0.02', '--target', target, '--out', at('bad3')]);
  assert.notEqual(zero.status, 0);
  assert.match(zero.stderr, /target\.csv: column 'CG-CG' is 0 at r = 0\.2900 nm, where the data have pairs/);
});

test('fit pairs --method rem: Ctrl-C after an iteration keeps the model of the iterations done (exit 130)', async () => {
  const out = at('rem-int');
  const child = spawn(bin, ['fit', 'pairs', '--data', npz, '--method', 'rem', '--cutoff', String(TOY_CUTOFF), '--bin', '0.02', '--temperature', '300', '--iterations', '50', '--ps', '1', '--skip-ps', '0.2', '--out', out]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // The first iteration's table appears once it is done.
  while (!existsSync(join(out, 'iterations', '0', 'CG-CG.csv'))) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted — keeping what was computed/);
  const info = JSON.parse(readFileSync(join(out, 'pairs.json'), 'utf8'));
  assert.ok(info.record.iterations.length >= 1 && info.record.iterations.length < 50, `${info.record.iterations.length} iterations`);
  assert.ok(existsSync(join(out, 'tables', 'CG-CG.csv')));
});

test('fit pairs --method fm --stream over TRR parts of the set gives the coefficients of the whole set in memory, exactly', () => {
  const whole = readDataset(npz, { requireTopology: false });
  const per = 3 * whole.nAtoms;
  const parts = [[0, 7], [7, 20]].map(([a, b], k) => {
    const path = at(`part${k + 1}.trr`);
    writeTrr(path, makeTrajectory({ nFrames: b - a, nAtoms: whole.nAtoms, positions: whole.positions.slice(a * per, b * per), forces: whole.forces?.slice(a * per, b * per), box: whole.box?.slice(9 * a, 9 * b) }));
    return path;
  });
  const args = ['--method', 'fm', '--cutoff', String(TOY_CUTOFF), '--bin', '0.02', '--temperature', '300'];
  const memory = cglab(['fit', 'pairs', '--data', npz, ...args, '--out', at('fm-memory')]);
  assert.equal(memory.status, 0, memory.stderr);
  const streamed = cglab(['fit', 'pairs', '--data', at('part*.trr'), ...args, '--stream', '--out', at('fm-stream')]);
  assert.equal(streamed.status, 0, streamed.stderr);
  assert.match(streamed.stderr, /streaming 2 files .*\(20 frames, .* GB of positions and forces\); the target RDF and start frames from 20 frames drawn at random/);
  const record = (name: string) => JSON.parse(readFileSync(join(at(name), 'pairs.json'), 'utf8')).record;
  assert.deepEqual(record('fm-stream').coefficients, record('fm-memory').coefficients);
  assert.equal(record('fm-stream').frames, 20);
  assert.equal(readFileSync(join(at('fm-stream'), 'rdf-target.csv'), 'utf8'), readFileSync(join(at('fm-memory'), 'rdf-target.csv'), 'utf8'));
  assert.match(cglab(['fit', 'pairs', '--data', npz, '--method', 'ibi', '--stream', '--out', at('ibi-stream')]).stderr, /--stream is an option of --method fm; ibi holds the mapped reference frames in memory/);
  assert.match(cglab(['fit', 'pairs', '--data', npz, ...args, '--stream', '--frames', '5', '--out', at('fm-frames')]).stderr, /--frames strides over frames held in memory; a streamed set \(20 frames/);
});
