import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset, writeDataset } from 'cglab/io/dataset';
import { readNpz } from 'cglab/io/npz';
import { formatPdb } from 'cglab/io/pdb';
import { makeTrajectory } from 'cglab/io/trajectory';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const fixture = fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const at = (name: string) => join(dir, name);

test('train forcematching writes a model folder; simulate runs it from the kept frames or from all-atom frames and writes [replicas, frames, beads, 3]', () => {
  const out = at('cgnet5');
  const t = cglab(['train', 'forcematching', '--data', fixture, '--map', 'backbone5', '--model', 'cgnet', '--epochs', '2', '--seed', '3', '--out', out]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stderr, /400 frames of .* → 5 beads \(C N CA C N\), optimal force map blind to 12 H-bond constraints, 300 K/);
  assert.match(t.stderr, /cgnet backbone5 \[#+\] 100%/);
  for (const f of ['model.json', 'forcematching.json', 'frames.npz', 'checkpoint.json']) assert.ok(existsSync(join(out, f)), f);
  const info = JSON.parse(readFileSync(join(out, 'forcematching.json'), 'utf8'));
  assert.equal(info.format, 'cglab-forcematching');
  assert.equal(info.record.epochs.length, 2);
  assert.equal(info.record.settings.seed, 3);
  assert.deepEqual(info.cgTopology.atoms.map((a: { name: string }) => a.name), ['C', 'N', 'CA', 'C', 'N']);
  assert.equal(readDataset(join(out, 'frames.npz')).nFrames, 300);

  const traj = at('traj.npz');
  const s = cglab(['simulate', '--model', out, '--replicas', '4', '--ps', '0.02', '--save-every-ps', '0.01', '--seed', '2', '--out', traj]);
  assert.equal(s.status, 0, s.stderr);
  assert.deepEqual(readNpz(traj).get('positions').shape, [4, 2, 5, 3]);
  const back = readDataset(traj);
  assert.equal(back.nFrames, 8);
  assert.deepEqual(back.topology?.atoms.map((a) => a.name), ['C', 'N', 'CA', 'C', 'N']);
  assert.equal(back.provenance?.replicas, 4);
  assert.equal(back.provenance?.temperature_K, 300);
  assert.equal(back.provenance?.dt_ps, 0.002);
  // From all-atom frames, mapped with the model's map.
  const fromData = cglab(['simulate', '--model', out, '--start', fixture, '--replicas', '2', '--ps', '0.01', '--save-every-ps', '0.01', '--temperature', '310', '--out', at('traj2.npz')]);
  assert.equal(fromData.status, 0, fromData.stderr);
  assert.equal(readDataset(at('traj2.npz')).provenance?.temperature_K, 310);
});

test('CGSchNet on the 6-bead map trains through the command line too', () => {
  const t = cglab(['train', 'forcematching', '--data', fixture, '--map', 'backbone6', '--model', 'cgschnet', '--epochs', '1', '--frames', '200', '--out', at('schnet6')]);
  assert.equal(t.status, 0, t.stderr);
  const model = JSON.parse(readFileSync(at('schnet6/model.json'), 'utf8'));
  assert.deepEqual(model.config.terms.map((term: { kind: string }) => term.kind), ['harmonic-bonds', 'harmonic-angles', 'repulsion', 'fourier-dihedrals', 'schnet']);
});

test('bad input is refused with what was expected: data without forces, maps that miss atoms, wrong bead counts, another molecule, mismatched model files', () => {
  const data = readDataset(fixture);
  const noForces = at('noforces.npz');
  writeDataset(noForces, { ...data, forces: undefined });
  const train = (extra: string[]) => cglab(['train', 'forcematching', '--map', 'backbone5', '--model', 'cgnet', '--epochs', '1', '--out', at('bad'), ...extra]);
  assert.match(train(['--data', noForces]).stderr, /noforces\.npz: has no forces, but force matching fits the CG forces to mapped atomistic forces/);
  const partial = at('partial.json');
  writeFileSync(partial, JSON.stringify({ requireAll: true, beads: [{ residue: 'ALA', atoms: ['N', 'H', 'CA', 'HA', 'CB', 'HB1', 'HB2', 'HB3', 'C', 'O'] }] }));
  assert.match(cglab(['train', 'forcematching', '--data', fixture, '--map', partial, '--model', 'cgnet', '--out', at('bad')]).stderr,
    /partial\.json: requireAll is set but 12 atoms belong to no bead \(ACE 1 HH31, ACE 1 CH3, .*NME 3 HH33\)/);
  assert.match(train(['--data', fixture, '--model', 'mlp']).stderr, /--model is 'mlp', expected cgnet or cgschnet/);
  assert.match(cglab(['train', 'autoencoder', '--data', fixture]).stderr, /cglab train: expected the method \(forcematching, autograin, arcg, embedded, ccg\) as the one positional argument, got autoencoder/);

  // A trained 5-bead model against frames of 4 beads, of another molecule, or with a 6-bead model file.
  const model = at('cgnet5');
  const sim = (extra: string[]) => cglab(['simulate', '--model', model, '--replicas', '1', '--ps', '0.01', '--save-every-ps', '0.01', '--out', at('x.npz'), ...extra]);
  const beads4 = at('beads4.npz');
  writeDataset(beads4, makeTrajectory({ topology: { atoms: data.topology!.atoms.slice(0, 4), bonds: [] }, nFrames: 1, nAtoms: 4, positions: data.positions.slice(0, 12) }, 'x'));
  assert.match(sim(['--start', beads4]).stderr, /beads4\.npz: has 4 atoms, but the model maps 22 atoms \(ACE-ALA-NME, 22 atoms\) to 5 beads: give all-atom frames of that system or CG frames of 5 beads/);
  const water = at('water.pdb');
  const atoms = ['OW', 'HW1', 'HW2'].map((name) => ({ name, element: name[0], mass: 1, residue: 'HOH', resid: 1 }));
  writeFileSync(water, formatPdb(makeTrajectory({ topology: { atoms: [...atoms, ...atoms, ...atoms, ...atoms, ...atoms, ...atoms, ...atoms, ...atoms.slice(0, 1)], bonds: [] }, nFrames: 1, nAtoms: 22, positions: new Float32Array(66) }, 'x')));
  assert.match(sim(['--start', water]).stderr, /water\.pdb \(the model was trained on ACE-ALA-NME, 22 atoms\): has 1 residues \(HOH\), the system has 3 \(ACE-ALA-NME\)/);
  assert.match(sim(['--top', water]).stderr, /--top gives the topology of --start frames; give --start too/);
  assert.match(cglab(['simulate', '--model', model, '--ps', '1', '--out', at('x.npz')]).stderr, /--replicas R \(a positive integer\) is required, got none/);
  const mixed = at('mixed');
  mkdirSync(mixed);
  copyFileSync(join(model, 'forcematching.json'), join(mixed, 'forcematching.json'));
  copyFileSync(at('schnet6/model.json'), join(mixed, 'model.json'));
  assert.match(cglab(['simulate', '--model', mixed, '--replicas', '1', '--ps', '1', '--out', at('x.npz')]).stderr,
    /mixed: model\.json reads 6 beads but forcematching\.json's CG topology has 5: the files belong to different models/);
  assert.match(cglab(['simulate', '--model', at('nothing'), '--replicas', '1', '--ps', '1', '--out', at('x.npz')]).stderr, /nothing: no model\.json; expected a model folder written by 'cglab train forcematching'/);
});

test('Ctrl-C during training stops after the current step, keeps the best model and exits with 130; --resume continues', async () => {
  const out = at('interrupted');
  const child = spawn(bin, ['train', 'forcematching', '--data', fixture, '--map', 'backbone5', '--model', 'cgnet', '--epochs', '1000', '--out', out]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // The checkpoint appears after the first complete epoch.
  while (!existsSync(join(out, 'checkpoint.json'))) await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /interrupted — stopping after this step and keeping the best model so far/);
  const info = JSON.parse(readFileSync(join(out, 'forcematching.json'), 'utf8'));
  assert.equal(info.record.stoppedBy, 'interrupted');
  assert.ok(existsSync(join(out, 'model.json')));
  const resumed = cglab(['train', 'forcematching', '--data', fixture, '--map', 'backbone5', '--model', 'cgnet', '--epochs', String(info.record.epochs.length + 1), '--out', out, '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  const after = JSON.parse(readFileSync(join(out, 'forcematching.json'), 'utf8'));
  assert.equal(after.record.resumedFrom, info.record.epochs.length);
  assert.equal(after.record.epochs.length, info.record.epochs.length + 1);
});
