import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRefinementRuns } from 'cglab/methods/forcematching/refine';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const fixture = fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-refine-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const model = join(dir, 'cgnet5');
// The fixture holds 400 frames: one harmonic per series on coarse histograms is what they support.
const small = ['--replicas', '50', '--ps', '2', '--skip-ps', '0.2', '--save-every-ps', '0.05', '--harmonics', '1', '--pair-harmonics', '1'];
const terms = () => JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')).config.terms.map((t: { kind: string }) => t.kind);

test('refine adds the dihedral corrections to a model folder round by round (until a run is close, with --until-kl), keeps its runs, and a second call pools them, goes on and checks with --check', () => {
  const t = cglab(['train', 'forcematching', '--data', fixture, '--map', 'backbone5', '--model', 'cgnet', '--epochs', '1', '--out', model]);
  assert.equal(t.status, 0, t.stderr);
  // Any run is within KL 10 of the reference: one round.
  const r = cglab(['refine', '--model', model, '--data', fixture, ...small, '--until-kl', '10']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /run 1: KL\(ref‖CG\) per dihedral \d\.\d{3}, \d\.\d{3}; per pair \d\.\d{3} nats/);
  assert.match(r.stderr, /1 correction added to .*model\.json \(run 1 was within KL 10: stopped\); 1 runs kept in .*refine-runs\.npz/);
  assert.match(r.stderr, /the refined model has not been run; --check ends with a run that measures it/);
  assert.deepEqual(terms(), ['harmonic-bonds', 'harmonic-angles', 'repulsion', 'fourier-dihedrals', 'feature-mlp', 'fourier-dihedrals', 'fourier-dihedral-pairs']);
  const info = JSON.parse(readFileSync(join(model, 'forcematching.json'), 'utf8'));
  assert.deepEqual({ rounds: info.refinement.rounds, runs: info.refinement.runs, quads: info.refinement.quads }, { rounds: 1, runs: 1, quads: [[0, 1, 2, 3], [1, 2, 3, 4]] });
  assert.equal(info.refinement.pairDivergence.length, 1);
  // φ/ψ judged on every bin the reference populates, by basin (backbone5 beads are φ/ψ's atoms).
  assert.match(r.stderr, /run 1 \(the model before the last correction\) against the reference:\n\s+KL\(ref‖CG\) over all \d+ bins the reference populates \(60 × 60 φ\/ψ, CG floored at 1e-6\): \d\.\d{3} nats; over bins both populate \d\.\d{3}; coverage [\d.]+ %\n\s+unvisited by the CG run: \d+ bins, [\d.]+ % of the reference, KL \d\.\d{3}\n\s+by basin \(KL part, populations\): C5 /);
  assert.match(r.stderr, /αR\/β \d\.\d{3} against \d\.\d{3}/);
  const judged = info.refinement.judgement;
  assert.deepEqual([judged.run, judged.refined], [1, false]);
  const parts = Object.values(judged.regions as Record<string, { kl: number }>).reduce((s, v) => s + v.kl, 0);
  assert.ok(Math.abs(parts - judged.kl) < 1e-9 && judged.kl >= judged.unvisited.kl, JSON.stringify(judged));

  // Without --until-kl, every round runs; then the check run.
  const again = cglab(['refine', '--model', model, '--data', fixture, ...small, '--rounds', '2', '--check']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /run 3: KL\(ref‖CG\) per dihedral/);
  assert.match(again.stderr, /2 corrections added to .*model\.json; 4 runs kept/);
  assert.doesNotMatch(again.stderr, /has not been run/);
  const runs = loadRefinementRuns(join(model, 'refine-runs.npz'));
  // The second call's first run is of the model the first call refined, with its correction; each
  // later run is of the model refined once more.
  const zero = runs[0].coefficients.map((c) => c.map(() => 0));
  assert.deepEqual(runs[0].coefficients, zero);
  assert.notDeepEqual(runs[1].coefficients, zero);
  assert.notDeepEqual(runs[2].coefficients, runs[1].coefficients);
  assert.notDeepEqual(runs[3].coefficients, runs[2].coefficients);
  const record = JSON.parse(readFileSync(join(model, 'forcematching.json'), 'utf8')).refinement;
  assert.deepEqual([record.rounds, record.runs, record.pairDivergence.length], [3, 4, 4]);
  assert.match(again.stderr, /run 4 \(the refined model\) against the reference:/);
  assert.deepEqual([record.judgement.run, record.judgement.refined], [4, true]);
  const sim = cglab(['simulate', '--model', model, '--replicas', '2', '--ps', '0.02', '--save-every-ps', '0.01', '--out', join(dir, 'traj.npz')]);
  assert.equal(sim.status, 0, sim.stderr);

  assert.match(cglab(['refine', '--model', model, '--data', fixture, '--dihedrals', '0-1-2-9']).stderr, /--dihedrals entry '0-1-2-9' must be four different bead indices 0 to 4 joined by '-'/);
  assert.match(cglab(['refine', '--model', model, '--data', fixture, '--dihedrals', '0-1-2-3', ...small]).stderr, /the model's dihedral-correction term is not a 1-harmonic Fourier series on these quads/);
  assert.match(cglab(['refine', '--model', model]).stderr, /--data <reference data set> is required/);
  assert.match(cglab(['refine', '--model', model, '--data', fixture, '--rounds', '0']).stderr, /--rounds must be a positive integer, got 0/);
  assert.match(cglab(['refine', '--model', model, '--data', fixture, '--until-kl', '-1']).stderr, /--until-kl must be a divergence ≥ 0 \(nats\), got -1/);
});

test('Ctrl-C during refinement exits with 130 and leaves a model folder that still loads', async () => {
  const child = spawn(bin, ['refine', '--model', model, '--data', fixture, ...small, '--ps', '500']);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  for (const start = Date.now(); !/refine: 3 rounds, 50×500 ps per run/.test(stderr);) {
    assert.ok(Date.now() - start < 60000, `no progress bar within a minute: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted — keeping the runs and corrections computed so far/);
  const sim = cglab(['simulate', '--model', model, '--replicas', '2', '--ps', '0.02', '--save-every-ps', '0.01', '--out', join(dir, 'traj2.npz')]);
  assert.equal(sim.status, 0, sim.stderr);
});
