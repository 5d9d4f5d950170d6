import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from 'cglab/io/dataset';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-train-embedded-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const at = (name: string) => join(dir, name);

test('train embedded learns the 1-D double well from its force field; sample draws configurations from it', () => {
  const out = at('dw1');
  const t = cglab(['train', 'embedded', '--system', 'double-well-1d', '--schedule', '0.1,1', '--window', '20', '--batch', '128', '--out', out]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stderr, /cglab train embedded: double-well-1d at [\d.]+ K, 1 generated coordinates, 1 latent variable\(s\) \(normal\), no data/);
  assert.match(t.stderr, /embedded rung 0: a 1\.000e-1, \d+ steps/);
  assert.match(t.stderr, /wrote .*model\.json and training\.json \(\d+ steps, a = 1\.00, complete/);
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  assert.equal(model.config.kind, 'embedded');
  assert.equal(model.config.system, 'double-well-1d');
  assert.deepEqual({ dim: model.config.model.dim, latent: model.config.model.latent }, { dim: 1, latent: 1 });
  const info = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
  assert.equal(info.format, 'cglab-embedded-training');
  assert.equal(info.complete, true);
  assert.equal(info.a, 1);
  // The explicit ladder: one rung at 0.1, then the rungs at 1 (one per learning-rate decay).
  assert.equal(info.stages[0].a, 0.1);
  assert.equal(info.stages[0].next, 1);
  assert.equal(info.stages.at(-1).a, 1);
  assert.deepEqual(info.options.schedule, [0.1, 1]);

  const samples = join(out, 's.npz');
  const s = cglab(['sample', '--model', out, '--n', '50', '--out', samples]);
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stderr, /wrote 50 configurations of double-well-1d to .*s\.npz; free-energy bound -?[\d.]+ kT, importance-weight ESS [\d.]+ % of the samples/);
  const d = readDataset(samples);
  assert.equal(d.nFrames, 50);
  assert.equal(d.nAtoms, 1);
  for (let f = 0; f < 50; f++) {
    // A 1-D toy: x generated, y and z of the particle 0.
    assert.ok(Number.isFinite(d.positions[3 * f]));
    assert.equal(d.positions[3 * f + 1], 0);
    assert.equal(d.positions[3 * f + 2], 0);
  }
  // Not all at one point: the model has a spread (both wells of (x² − 1)² lie at ±1).
  const xs = Array.from({ length: 50 }, (_, f) => d.positions[3 * f]);
  assert.ok(Math.max(...xs) - Math.min(...xs) > 0.5, `x in [${Math.min(...xs)}, ${Math.max(...xs)}]`);
});

test('train embedded that stops short of a = 1 saves the model and exits 1 saying how far it got', () => {
  const out = at('short');
  const r = cglab(['train', 'embedded', '--system', 'double-well-1d', '--steps', '30', '--window', '10', '--out', out]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /the tempering factor reached only a = 0\.000100 after 30 steps \(--steps\)/);
  assert.ok(existsSync(join(out, 'model.json')));
  const info = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
  assert.equal(info.complete, false);
  assert.equal(info.steps, 30);
});

test('train embedded and sample refuse bad input with what was expected', () => {
  const train = (extra: string[]) => cglab(['train', 'embedded', '--out', at('bad'), ...extra]);
  const data = train(['--system', 'double-well-1d', '--data', 'x.npz']);
  assert.notEqual(data.status, 0);
  assert.match(data.stderr, /cglab train embedded: takes no --data: embedded physics learns from the force field of --system alone/);
  const latent = train(['--system', 'double-well-1d', '--latent', '0']);
  assert.notEqual(latent.status, 0);
  assert.match(latent.stderr, /--latent must be an integer ≥ 1 \(the number of latent variables\), got 0/);
  // Building the water box takes ~2 s.
  const water = train(['--system', 'spce-water']);
  assert.notEqual(water.status, 0);
  assert.match(water.stderr, /spce-water is a periodic system of many molecules/);
  const schedule = train(['--system', 'double-well-1d', '--schedule', '0.1,,1']);
  assert.match(schedule.stderr, /--schedule must be comma-separated numbers, got '0\.1,,1'/);
  assert.ok(!existsSync(at('bad')), 'a refused run wrote its folder');

  const noN = cglab(['sample', '--model', at('dw1'), '--out', at('none.npz')]);
  assert.notEqual(noN.status, 0);
  assert.match(noN.stderr, /cglab sample: --n must be a positive integer \(configurations to draw\), got none/);
  assert.ok(!existsSync(at('none.npz')));
});
