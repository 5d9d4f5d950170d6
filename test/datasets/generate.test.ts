import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'cglab/datasets/generate';
import { referenceData } from 'cglab/datasets/referenceData';
import { getSystem } from 'cglab/datasets/systems';
import { readDataset } from 'cglab/io/dataset';
import { BOLTZMANN } from 'cglab/units';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));

test('frames carry the atomistic forces −dU/dx of their own positions', async () => {
  const r = await generate({ system: 'muller-brown', ns: 0.05, saveEveryPs: 1, replicas: 2, seed: 1, equilibratePs: 1 });
  const p = getSystem('muller-brown').potential;
  assert.equal(r.trajectory.nFrames, 100);
  for (let f = 0; f < r.trajectory.nFrames; f += 7) {
    const x = Float64Array.of(r.trajectory.positions[3 * f], r.trajectory.positions[3 * f + 1]);
    const forces = new Float64Array(2);
    p.evaluate(x, 1, forces, new Float64Array(1));
    // Positions are stored as float32: forces recomputed from them differ by ≈ |∇F|·6e-8·|x|.
    assert.ok(Math.abs(forces[0] - r.trajectory.forces![3 * f]) < 1e-2 && Math.abs(forces[1] - r.trajectory.forces![3 * f + 1]) < 1e-2);
    assert.equal(r.trajectory.forces![3 * f + 2], 0);
  }
});

test('the same seed gives identical data whatever the number of workers; another seed differs', async () => {
  const opts = { system: 'double-well-2d', ns: 0.02, saveEveryPs: 0.5, replicas: 3, seed: 9, equilibratePs: 1 };
  const a = await generate({ ...opts, workers: 1 });
  const b = await generate({ ...opts, workers: 2 });
  const c = await generate({ ...opts, seed: 10, workers: 2 });
  assert.deepEqual(a.framesPerReplica, [40, 40, 40]);
  assert.deepEqual(Array.from(a.trajectory.positions), Array.from(b.trajectory.positions));
  assert.notDeepEqual(Array.from(a.trajectory.positions), Array.from(c.trajectory.positions));
});

test('--temperature sets the thermostat: the x2 variance of the 2-D double well is kT', async () => {
  // x2 is a harmonic coordinate with unit spring constant, so Var x2 = kT (kJ/mol): 2 × 4000
  // frames every 0.5 ps, correlation time ~1 ps, give a few per cent of sampling error.
  const base = getSystem('double-well-2d').temperature;
  const hot = 2 * base;
  const r = await generate({ system: 'double-well-2d', ns: 2, saveEveryPs: 0.5, replicas: 2, seed: 3, equilibratePs: 5, temperature: hot });
  assert.equal(r.trajectory.provenance?.temperature_K, hot);
  const x2 = Array.from({ length: r.trajectory.nFrames }, (_, f) => r.trajectory.positions[3 * f + 1]);
  const variance = x2.reduce((a, v) => a + v * v, 0) / x2.length;
  const kT = BOLTZMANN * hot;
  assert.ok(Math.abs(variance / kT - 1) < 0.1, `Var x2 ${variance} against kT ${kT}`);
  await assert.rejects(generate({ system: 'double-well-2d', ns: 0.01, saveEveryPs: 0.5, replicas: 1, seed: 1, temperature: -1 }), /--temperature \(K\) must be a positive number/);
});

test('aborting keeps the frames computed so far and says so', async () => {
  const ac = new AbortController();
  const r = await generate({
    system: 'coupled-2d', ns: 100, saveEveryPs: 1, replicas: 2, seed: 1, equilibratePs: 0.1, signal: ac.signal,
    onProgress: (done) => { if (done > 20000) ac.abort(); },
  });
  assert.equal(r.interrupted, true);
  assert.ok(r.trajectory.nFrames > 0 && r.trajectory.nFrames < 200000);
  assert.equal(r.trajectory.provenance?.interrupted, true);
});

test('cglab generate writes a data set, then reuses the checksummed cache; a corrupted cache entry is regenerated', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-gen-'));
  const env = { ...process.env, CGLAB_CACHE_DIR: join(dir, 'cache') };
  const args = ['generate', 'double-well-2d', '--ns', '0.02', '--save-every-ps', '1', '--replicas', '2', '--seed', '4', '--equilibrate-ps', '1'];
  const out1 = join(dir, 'a.npz');
  execFileSync(bin, [...args, '--out', out1], { env, stdio: 'pipe' });
  const t = readDataset(out1);
  assert.equal(t.nFrames, 40);
  assert.equal(t.provenance?.system, 'double-well-2d');
  assert.ok(t.forces);
  const out2 = join(dir, 'b.npz');
  const second = spawnSync(bin, [...args, '--out', out2], { env, encoding: 'utf8' });
  assert.match(second.stderr, /reused the cached data set .* \(checksum verified\)/);
  assert.deepEqual(readFileSync(out2), readFileSync(out1));
  const key = t.provenance?.cache_key as string;
  writeFileSync(join(dir, 'cache', `${key}.npz`), 'garbage');
  const third = spawnSync(bin, [...args, '--out', join(dir, 'c.npz')], { env, encoding: 'utf8' });
  assert.equal(third.status, 0);
  assert.doesNotMatch(third.stderr, /reused/);
});

test('referenceData (the API behind cglab generate) generates once, then reads the same data set from the cache', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-ref-'));
  const saved = process.env.CGLAB_CACHE_DIR;
  process.env.CGLAB_CACHE_DIR = join(dir, 'cache');
  try {
    const o = { system: 'double-well-2d', ns: 0.01, saveEveryPs: 1, replicas: 2, seed: 5, equilibratePs: 1 };
    const first = await referenceData(o);
    assert.equal(first.cached, false);
    assert.ok(first.file && existsSync(first.file));
    const second = await referenceData(o);
    assert.equal(second.cached, true);
    assert.equal(second.file, first.file);
    assert.deepEqual(second.trajectory.positions, first.trajectory.positions);
    assert.deepEqual(second.trajectory.forces, first.trajectory.forces);
    assert.equal(second.trajectory.provenance?.cache_key, first.key);
    const fresh = await referenceData({ ...o, cache: false });
    assert.equal(fresh.cached, false);
    assert.equal(fresh.file, undefined);
    await assert.rejects(referenceData({ ...o, system: 'no-such-system' }), /no-such-system/);
  } finally {
    if (saved === undefined) delete process.env.CGLAB_CACHE_DIR;
    else process.env.CGLAB_CACHE_DIR = saved;
  }
});

test('unknown systems and bad settings are clear errors', () => {
  const run = (a: string[]) => spawnSync(bin, ['generate', ...a], { encoding: 'utf8' });
  assert.match(run(['water', '--ns', '1', '--out', '/tmp/x.npz']).stderr, /unknown system 'water': expected one of .*alanine-dipeptide|unknown system 'water': expected one of .*coupled-2d/);
  assert.match(run(['coupled-2d', '--ns', '-1', '--out', '/tmp/x.npz']).stderr, /--ns \(ns\) must be a positive number/);
  assert.match(run(['coupled-2d', '--ns', '1']).stderr, /--out file\.npz is required/);
  assert.match(run(['coupled-2d', '--ns', '1', '--out', 'x.dcd']).stderr, /--out must name a \.npz file/);
});

test('Ctrl-C (SIGINT) during cglab generate writes the frames computed so far, marked interrupted, and does not cache them', async () => {
  const { spawn } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'cglab-gen-int-'));
  const out = join(dir, 'partial.npz');
  const env = { ...process.env, CGLAB_CACHE_DIR: join(dir, 'cache') };
  const child = spawn(bin, ['generate', 'coupled-2d', '--ns', '1000', '--replicas', '2', '--seed', '1', '--equilibrate-ps', '0.1', '--out', out], { env });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    // Interrupt once the first progress line shows frames are being produced.
    if (/\d+\/\d+/.test(stderr) && !child.killed) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted — finishing the current frames/);
  const t = readDataset(out);
  assert.ok(t.nFrames > 0);
  assert.equal(t.provenance?.interrupted, true);
  assert.equal(existsSync(join(dir, 'cache')), false);
});

test('replica exchange: the lowest rung samples its own temperature (Var x2 = kT₀ with walkers up to 4 T₀), identically on 1, 2 or 3 threads', async () => {
  const base = getSystem('double-well-2d').temperature;
  const exchange = { temperatures: [base, 1.6 * base, 2.5 * base, 4 * base], everyPs: 0.5 };
  const opts = { system: 'double-well-2d', ns: 2, saveEveryPs: 0.5, replicas: 2, seed: 5, equilibratePs: 2, exchange };
  const a = await generate({ ...opts, workers: 2 });
  assert.deepEqual(a.framesPerReplica, [4000, 4000]);
  const prov = a.trajectory.provenance as Record<string, unknown>;
  assert.equal(prov.temperature_K, base);
  assert.deepEqual(prov.exchange_temperatures_K, exchange.temperatures);
  const acceptance = prov.exchange_acceptance as number[];
  assert.equal(acceptance.length, 3);
  acceptance.forEach((f) => assert.ok(f > 0.2 && f < 1, `acceptance ${acceptance}`));
  // x2 is harmonic with unit spring constant: Var x2 = kT at the rung sampled. A walker that
  // came down from 4 T₀ without its velocities rescaled, or frames kept from a hot rung, would
  // raise it (by 3 kT₀ per such frame's share).
  const x2 = Array.from({ length: a.trajectory.nFrames }, (_, f) => a.trajectory.positions[3 * f + 1]);
  const variance = x2.reduce((s, v) => s + v * v, 0) / x2.length;
  assert.ok(Math.abs(variance / (BOLTZMANN * base) - 1) < 0.1, `Var x2 ${variance} against kT₀ ${BOLTZMANN * base}`);
  for (const workers of [1, 3]) {
    const b = await generate({ ...opts, ns: 0.2, workers });
    const c = await generate({ ...opts, ns: 0.2, workers: 2 });
    assert.deepEqual(Array.from(b.trajectory.positions), Array.from(c.trajectory.positions), `${workers} threads against 2`);
  }
  await assert.rejects(generate({ ...opts, exchange: { temperatures: [2 * base, 3 * base], everyPs: 1 } }), /must start at the temperature sampled/);
  await assert.rejects(generate({ ...opts, exchange: { temperatures: [base, base], everyPs: 1 } }), /must rise/);
});

test('cglab generate --exchange Tmax:N runs N rungs in a constant ratio and reports acceptance; bad ladders are clear errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-gen-ex-'));
  const out = join(dir, 'ex.npz');
  const r = spawnSync(bin, ['generate', 'double-well-1d', '--ns', '0.05', '--save-every-ps', '0.5', '--equilibrate-ps', '0.5', '--exchange', `${(3 / BOLTZMANN).toFixed(3)}:3`, '--exchange-every-ps', '0.25', '--no-cache', '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /3 rungs each \(120, 208, 361 K\)/);
  assert.match(r.stderr, /exchanges accepted between neighbouring rungs \d\.\d\d, \d\.\d\d; round trips/);
  const t = readDataset(out);
  const temperatures = t.provenance?.exchange_temperatures_K as number[];
  assert.ok(Math.abs(temperatures[1] / temperatures[0] - temperatures[2] / temperatures[1]) < 1e-9);
  assert.equal(t.provenance?.exchange_every_ps, 0.25);
  const run = (a: string[]) => spawnSync(bin, ['generate', 'double-well-1d', '--ns', '0.01', '--out', join(dir, 'x.npz'), ...a], { encoding: 'utf8' }).stderr;
  assert.match(run(['--exchange', 'hot']), /--exchange must be Tmax:N .* got 'hot'/);
  assert.match(run(['--exchange', '100:4']), /the top temperature must exceed the run's, 120\.2\d* K/);
  assert.match(run(['--exchange', '130,120']), /must rise .* 120 K follows 130 K/);
  assert.match(run(['--exchange-every-ps', '1']), /--exchange-every-ps needs --exchange/);
});

test('aborting replica exchange keeps the lowest rungs\' frames so far and says so', async () => {
  const ac = new AbortController();
  const base = getSystem('coupled-2d').temperature;
  const r = await generate({
    system: 'coupled-2d', ns: 100, saveEveryPs: 1, replicas: 2, seed: 1, equilibratePs: 0.1, signal: ac.signal,
    exchange: { temperatures: [base, 2 * base], everyPs: 1 },
    onProgress: (done) => { if (done > 40000) ac.abort(); },
  });
  assert.equal(r.interrupted, true);
  assert.equal(r.framesPerReplica[0], r.framesPerReplica[1]);
  assert.ok(r.trajectory.nFrames > 0 && r.trajectory.nFrames < 200000, `${r.trajectory.nFrames} frames`);
  assert.equal(r.trajectory.provenance?.interrupted, true);
});
