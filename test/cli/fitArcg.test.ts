import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npyArray } from 'cglab/io/npy';
import { writeNpz } from 'cglab/io/npz';
import { readLammpsTable, readPairTableCsv } from 'cglab/io/pairTableFiles';
import { SPLINE_LIQUID_CUTOFF as TOY_CUTOFF, splineLiquid } from 'cglab/datasets/splineLiquid';

// `cglab fit pairs --method arcg` end to end: the model folder, the resume file, the critics and
// divergences, bad options and Ctrl-C. Short CG runs (a few iterations of 2 ps) on the 20-frame
// toy liquid: too few frames for a meaningful fit (the linear critic separates them and its KL
// estimate grows), so these tests check what is written, not how good it is.
const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-fit-arcg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const at = (name: string) => join(dir, name);
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

// A plain NumPy NPZ as a user brings it: positions, forces and box edges [frames, 3], no topology.
const data = await splineLiquid({ n: 125, edge: 2.0, frames: 20 });
const shape = [data.frames, data.n, 3];
const npz = at('liquid.npz');
writeNpz(npz, {
  positions: npyArray(Float32Array.from(data.positions), shape),
  forces: npyArray(Float32Array.from(data.forces as Float64Array), shape),
  box: npyArray(Float32Array.from(data.box), [data.frames, 3]),
});

/** The CG runs and RDF of every arcg fit here. */
// --tolerance 0: every iteration runs (no early convergence), so counts are fixed.
const RUN = ['--cutoff', String(TOY_CUTOFF), '--bin', '0.02', '--temperature', '300', '--ps', '2', '--skip-ps', '0.5', '--save-every-ps', '0.1', '--tolerance', '0'];
const arcg = (out: string, ...more: string[]) => cglab(['fit', 'pairs', '--data', npz, '--method', 'arcg', ...RUN, ...more, '--out', out]);
/** Default largest step of one coefficient per iteration (methods/arcg/arcg.ts maxStep), kT. */
const MAX_STEP = 0.5;

interface Rec { iteration: number; rdfError: number; divergence: number; step: number; resampled: boolean; frames: number; [k: string]: unknown }

function checkRecords(iterations: Rec[], count: number, where: string): void {
  assert.equal(iterations.length, count, `${where}: ${iterations.length} iterations`);
  iterations.forEach((r, k) => {
    const w = `${where}: iteration ${k}`;
    assert.equal(r.iteration, k, w);
    assert.ok(Number.isFinite(r.rdfError) && r.rdfError >= 0, `${w}: rdfError ${r.rdfError}`);
    assert.ok(Number.isFinite(r.divergence), `${w}: divergence ${r.divergence}`);
    assert.ok(Number.isFinite(r.step) && r.step >= 0 && r.step <= MAX_STEP + 1e-9, `${w}: step ${r.step} kT`);
    assert.equal(typeof r.resampled, 'boolean', `${w}: resampled`);
    assert.ok(Number.isInteger(r.frames) && r.frames >= 2, `${w}: frames ${r.frames}`);
  });
  assert.equal(iterations[0].resampled, true, `${where}: the first iteration samples`);
}

/** The arcg-state.json of a model folder, checked as a cglab parameter file of kind 'arcg-state'. */
function readState(out: string) {
  const file = join(out, 'arcg-state.json');
  assert.ok(existsSync(file), `${file} exists`);
  const s = json(file);
  assert.equal(s.format, 'cglab-params');
  assert.equal(s.version, 1);
  assert.equal(s.config.kind, 'arcg-state');
  assert.ok(Array.isArray(s.config.theta) && s.config.theta.every(Number.isFinite), 'state theta');
  assert.ok(Array.isArray(s.config.records), 'state records');
  assert.equal(typeof s.config.critic, 'object');
  return s as { config: { iteration: number; theta: number[]; records: Rec[]; critic: Record<string, unknown> }; tensors: Record<string, { shape: number[] }> };
}

/** Three iterations with the defaults (linear critic, kl), shared by the first two tests. */
let full: ReturnType<typeof cglab> | undefined;
function fullRun() {
  full ??= arcg(at('arcg'), '--iterations', '3');
  return full;
}

test('fit pairs --method arcg (linear critic, kl) writes the model folder, its record and arcg-state.json', () => {
  const out = at('arcg');
  const r = fullRun();
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /20 frames of 125 beads \(CG\)/);
  for (const k of [0, 1, 2]) {
    assert.match(r.stderr, new RegExp(`arcg iteration ${k}: RDF rms error \\d\\.\\d{4} \\(\\d+ CG frames\\), kl estimate -?\\d\\.\\d{3}e[-+]\\d+(, step \\d\\.\\d{4} kT|, raised the divergence: rejected, step halved)`), `iteration ${k} line`);
  }
  assert.doesNotMatch(r.stderr, /arcg iteration 3/);

  const info = json(join(out, 'pairs.json'));
  assert.equal(info.format, 'cglab-pairs');
  assert.equal(info.method, 'arcg');
  assert.deepEqual(info.typeNames, ['CG']);
  const rec = info.record;
  checkRecords(rec.iterations, 3, 'pairs.json');
  assert.equal(rec.critic, 'linear');
  assert.equal(rec.divergence, 'kl');
  assert.equal(typeof rec.converged, 'boolean');
  assert.equal(rec.finalRdfError, rec.iterations[2].rdfError);
  assert.deepEqual(Object.keys(rec.coefficients), ['CG-CG']);
  const c = rec.coefficients['CG-CG'];
  assert.ok(c.r0 > 0 && c.r0 < TOY_CUTOFF, `r0 ${c.r0}`);
  assert.ok(Math.abs(c.h - 0.02) < 1e-9, `knot spacing ${c.h}`);
  assert.ok(c.theta.length > 3 && c.theta.every(Number.isFinite), `${c.theta.length} coefficients`);
  assert.equal(c.error.length, c.theta.length);
  assert.ok(c.error.every((e: number) => e === -1 || (Number.isFinite(e) && e >= 0)), `errors ${c.error}`);
  assert.ok(c.error.some((e: number) => e > 0), 'sampling errors of θ after the last iteration');

  // Tables: CSV and LAMMPS of the same potential, zero at the cutoff.
  const csv = readFileSync(join(out, 'tables', 'CG-CG.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'r_nm,U_kJmol,F_kJmolnm');
  const last = csv[csv.length - 1].split(',').map(Number);
  assert.equal(last[0], TOY_CUTOFF);
  assert.equal(last[1], 0);
  const a = [0, 0];
  const b = [0, 0];
  readPairTableCsv(join(out, 'tables', 'CG-CG.csv')).evaluate(0.4, a);
  readLammpsTable(join(out, 'tables', 'CG-CG.lammps'), 'CG-CG', 'real').evaluate(0.4, b);
  assert.ok(Math.abs(a[1] - b[1]) < 1e-6 * Math.abs(a[1]) + 1e-9, `CSV and LAMMPS tables differ at 0.4 nm: ${a[1]} vs ${b[1]}`);
  for (const k of ['0', '1', '2']) assert.ok(existsSync(join(out, 'iterations', k, 'CG-CG.csv')), `iteration ${k} table`);
  assert.ok(!existsSync(join(out, 'iterations', '3')), 'no table of an iteration not run');
  // Iteration 0's table is the starting θ (the PMF); the model's has moved from it.
  assert.notEqual(readFileSync(join(out, 'iterations', '0', 'CG-CG.csv'), 'utf8'), readFileSync(join(out, 'tables', 'CG-CG.csv'), 'utf8'));
  assert.equal(readFileSync(join(out, 'rdf-target.csv'), 'utf8').split('\n')[0], 'r_nm,CG-CG');

  const s = readState(out);
  assert.equal(s.config.iteration, 3);
  assert.equal(s.config.theta.length, c.theta.length);
  s.config.theta.forEach((t, k) => assert.ok(Math.abs(t - c.theta[k]) <= 1e-12 * Math.abs(t) + 1e-12, `state θ[${k}] ${t} vs pairs.json ${c.theta[k]}`));
  assert.deepEqual(s.config.records, rec.iterations);
  assert.equal(s.config.critic.kind, 'linear');
  assert.equal(s.config.critic.divergence, 'kl');
  assert.equal(s.config.critic.features, c.theta.length);
  assert.ok('u' in s.tensors, `critic tensors ${Object.keys(s.tensors)}`);
});

test('fit pairs --method arcg --resume goes on from arcg-state.json as if never stopped; an empty folder names the missing file', () => {
  const out = at('arcg-resume');
  const first = arcg(out, '--iterations', '1');
  assert.equal(first.status, 0, first.stderr);
  assert.equal(readState(out).config.iteration, 1);
  const before = json(join(out, 'pairs.json')).record.iterations as Rec[];
  checkRecords(before, 1, 'first run');

  const r = arcg(out, '--iterations', '3', '--resume');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming from .*arcg-resume[/\\]arcg-state\.json at iteration 1\n/);
  assert.doesNotMatch(r.stderr, /arcg iteration 0:/);
  assert.match(r.stderr, /arcg iteration 1: RDF rms error/);
  assert.match(r.stderr, /arcg iteration 2: RDF rms error/);
  const rec = json(join(out, 'pairs.json')).record;
  checkRecords(rec.iterations, 3, 'resumed pairs.json');
  assert.deepEqual(rec.iterations[0], before[0], 'the saved iteration is kept as it was');
  assert.equal(rec.iterations[1].resampled, true, 'a resumed fit has no samples to reweight: it samples');
  assert.equal(rec.finalRdfError, rec.iterations[2].rdfError);
  const s = readState(out);
  assert.equal(s.config.iteration, 3);
  assert.deepEqual(s.config.records, rec.iterations);
  for (const k of ['0', '1', '2']) assert.ok(existsSync(join(out, 'iterations', k, 'CG-CG.csv')), `iteration ${k} table`);

  // θ, the critic and the seeds restored: the iterations match the uninterrupted run's while it
  // too drew fresh samples (a run that reweighted its last samples cannot be replayed after a restart).
  const f = fullRun();
  assert.equal(f.status, 0, f.stderr);
  const ref = json(join(at('arcg'), 'pairs.json')).record.iterations as Rec[];
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-6 * Math.abs(y) + 1e-9;
  for (let k = 1; k < 3 && ref[k].resampled; k++) {
    assert.ok(close(rec.iterations[k].rdfError, ref[k].rdfError), `iteration ${k} RDF error: resumed ${rec.iterations[k].rdfError}, uninterrupted ${ref[k].rdfError}`);
    assert.ok(close(rec.iterations[k].divergence, ref[k].divergence), `iteration ${k} divergence: resumed ${rec.iterations[k].divergence}, uninterrupted ${ref[k].divergence}`);
    assert.ok(close(rec.iterations[k].step, ref[k].step), `iteration ${k} step: resumed ${rec.iterations[k].step}, uninterrupted ${ref[k].step}`);
  }

  // A state of another critic, divergence or basis is refused, naming the file and the fix.
  const js = arcg(out, '--iterations', '4', '--resume', '--divergence', 'js');
  assert.notEqual(js.status, 0);
  assert.match(js.stderr, /arcg-state\.json holds a linear critic for kl, not the linear critic for js asked for: resume with the same --critic and --divergence/);
  const bin = arcg(out, '--iterations', '4', '--resume', '--bin', '0.035');
  assert.notEqual(bin.status, 0);
  assert.match(bin.stderr, /the state to resume from has \d+ coefficients, the basis of these settings \d+: resume with the --cutoff and --bin it was fitted with/);

  const empty = at('arcg-empty');
  mkdirSync(empty);
  const none = arcg(empty, '--iterations', '2', '--resume');
  assert.notEqual(none.status, 0);
  assert.match(none.stderr, /arcg-empty[/\\]arcg-state\.json: no ARCG state to resume from/);
  assert.ok(!existsSync(join(empty, 'pairs.json')), 'no model written');
});

test('fit pairs --method arcg --critic mlp --divergence js records the critic and divergence', () => {
  const out = at('arcg-mlp');
  const r = arcg(out, '--iterations', '2', '--critic', 'mlp', '--divergence', 'js', '--critic-steps', '5');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /arcg iteration 0: RDF rms error \d\.\d{4} \(\d+ CG frames\), js estimate /);
  assert.match(r.stderr, /arcg iteration 1: RDF rms error .*js estimate /);
  assert.doesNotMatch(r.stderr, /kl estimate/);
  const rec = json(join(out, 'pairs.json')).record;
  assert.equal(rec.critic, 'mlp');
  assert.equal(rec.divergence, 'js');
  checkRecords(rec.iterations, 2, 'mlp pairs.json');
  // The JS estimate is the Jensen–Shannon divergence itself, at most ln 2.
  for (const it of rec.iterations as Rec[]) assert.ok(it.divergence <= Math.log(2) + 1e-9, `JSD ${it.divergence} > ln 2`);
  const s = readState(out);
  assert.equal(s.config.iteration, 2);
  assert.equal(s.config.critic.kind, 'mlp');
  assert.equal(s.config.critic.divergence, 'js');
  assert.ok(Object.keys(s.tensors).some((n) => n.startsWith('net/')), `critic tensors ${Object.keys(s.tensors)}`);
});

test('fit pairs --method arcg: bad options and bad data fail with a message and write no model', () => {
  const fails = (name: string, args: string[], message: RegExp) => {
    const out = at(name);
    const r = cglab(['fit', 'pairs', ...args, '--out', out]);
    assert.notEqual(r.status, 0, `${name}: exit ${r.status}`);
    assert.match(r.stderr, message, name);
    assert.ok(!existsSync(join(out, 'pairs.json')), `${name}: no pairs.json`);
  };
  const base = ['--data', npz, ...RUN, '--iterations', '1'];
  fails('bad-critic', [...base, '--method', 'arcg', '--critic', 'quadratic'], /--critic must be one of linear, mlp, got 'quadratic'/);
  fails('bad-critic-on', [...base, '--method', 'arcg', '--critic-on', 'grid'], /--critic-on must be bead or box, got 'grid'/);
  fails('critic-on-rem', [...base, '--method', 'rem', '--critic-on', 'box'], /--critic-on is an option of --method arcg/);
  fails('bad-divergence', [...base, '--method', 'arcg', '--divergence', 'wasserstein'], /--divergence: unknown divergence 'wasserstein': expected one of kl, js/);
  fails('critic-rem', [...base, '--method', 'rem', '--critic', 'linear'], /--critic is an option of --method arcg/);
  fails('resume-ibi', [...base, '--method', 'ibi', '--resume'], /--resume is an option of --method arcg/);
  fails('target-arcg', [...base, '--method', 'arcg', '--target', at('x.csv')], /--target is an option of --method ibi/);
  fails('bad-steps', [...base, '--method', 'arcg', '--critic-steps', 'many'], /--critic-steps must be a number, got 'many'/);

  const positions = Float32Array.from(data.positions);
  positions[3 * data.n + 7] = NaN; // frame 1, atom 2, y
  const nan = at('nan.npz');
  writeNpz(nan, {
    positions: npyArray(positions, shape),
    forces: npyArray(Float32Array.from(data.forces as Float64Array), shape),
    box: npyArray(Float32Array.from(data.box), [data.frames, 3]),
  });
  fails('nan', ['--data', nan, ...RUN, '--iterations', '1', '--method', 'arcg'], /nan\.npz: positions has a non-finite value \(NaN\)/);
});

test('fit pairs --method arcg: Ctrl-C after an iteration keeps the model and the state to resume from (exit 130)', async () => {
  const out = at('arcg-int');
  const child = spawn(bin, ['fit', 'pairs', '--data', npz, '--method', 'arcg', ...RUN, '--iterations', '50', '--out', out]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let exit: [number | null, NodeJS.Signals | null] | undefined;
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (code, signal) => r((exit = [code, signal]))));
  // The iteration line is written with the iteration's table, just before its state.
  while (!/arcg iteration 0:/.test(stderr) && !exit) await new Promise((r) => setTimeout(r, 50));
  assert.equal(exit, undefined, `the fit ended before its first iteration:\n${stderr}`);
  child.kill('SIGINT');
  const [code] = await exited;
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted — keeping what was computed/);
  assert.match(stderr, /wrote .*pairs\.json .*interrupted, from the work done so far/);
  const rec = json(join(out, 'pairs.json')).record;
  const done = rec.iterations.length as number;
  assert.ok(done >= 1 && done < 50, `${done} iterations`);
  checkRecords(rec.iterations, done, 'interrupted pairs.json');
  assert.equal(rec.converged, false);
  assert.ok(existsSync(join(out, 'tables', 'CG-CG.csv')));
  assert.ok(existsSync(join(out, 'tables', 'CG-CG.lammps')));
  const s = readState(out);
  assert.ok(s.config.iteration >= 1, `state at iteration ${s.config.iteration}`);
  assert.equal(s.config.iteration, done, 'the state is of the iterations in pairs.json');

  // …and the fit goes on from there.
  const r = arcg(out, '--iterations', String(done + 1), '--resume');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`at iteration ${done}\\n`));
  assert.equal(json(join(out, 'pairs.json')).record.iterations.length, done + 1);
  assert.equal(readState(out).config.iteration, done + 1);
});
