import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset, writeDataset } from 'cglab/io/dataset';
import { decodeParams } from 'cglab/nn/params';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const fixture = fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-autograin-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });

test('train autograin learns a map, prints its groups and writes map.json that force matching reads', () => {
  const out = join(dir, 'ag6');
  const r = cglab(['train', 'autograin', '--data', fixture, '--beads', '6', '--epochs', '8', '--rho', '3e-8', '--seed', '2', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /400 frames of .* → 6 beads of 22 atoms in 10 units \(heavy atoms with their constrained hydrogens\), ρ = 3e-8 nm²\/\(kJ\/mol\/nm\)²/);
  // Constrained data: a heavy atom's hydrogens go with it, so no hydrogen can stray.
  assert.doesNotMatch(r.stderr, /hydrogens .* are not in their heavy atom's bead/);
  assert.match(r.stderr, /autograin 6 beads \[#+\] 100%/);
  assert.match(r.stderr, /reconstruction [0-9.e-]+ nm² \([0-9.]+ Å²\) on held-out samples/);
  for (let k = 0; k < 6; k++) assert.match(r.stderr, new RegExp(`bead ${k}: (?:(?:ACE|ALA|NME):[A-Z0-9]+ ?)+\\n`));
  assert.match(r.stderr, /mapped-force variance \(the force-matching noise floor of this map\): [0-9.e+]+ \(kJ\/mol\/nm\)²/);
  for (const f of ['map.json', 'autograin.json', 'training.json', 'checkpoint.json']) assert.ok(existsSync(join(out, f)), f);
  const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
  assert.equal(training.format, 'cglab-autograin-training');
  assert.equal(training.epochs.length, 8);
  for (const e of training.epochs) assert.ok(e.metrics.reconstruction > 0 && Math.abs(e.metrics.reconstructionA2 - 100 * e.metrics.reconstruction) < 1e-12 && e.metrics.tau > 0.2);
  assert.ok(training.reconstruction.validation > 0 && training.reconstruction.validation < 0.05, `${training.reconstruction.validation} nm²`);
  assert.equal(training.groups.length, 6);
  const ae = decodeParams(readFileSync(join(out, 'autograin.json'), 'utf8'), 'autograin.json');
  assert.deepEqual(ae.tensors.get('logits')?.shape, [10, 6]);
  assert.equal((ae.config.atomUnits as number[]).length, 22);
  assert.deepEqual(ae.tensors.get('decoder')?.shape, [22, 6]);
  assert.equal((ae.config.assignment as number[]).length, 22);
  const map = JSON.parse(readFileSync(join(out, 'map.json'), 'utf8'));
  assert.equal(map.format, 'cglab-map');
  assert.equal(map.beads.reduce((s: number, b: { atoms: unknown[] }) => s + b.atoms.length, 0), 22);

  const fm = cglab(['train', 'forcematching', '--data', fixture, '--map', join(out, 'map.json'), '--model', 'cgnet', '--epochs', '1', '--out', join(dir, 'fm')]);
  assert.equal(fm.status, 0, fm.stderr);
  assert.match(fm.stderr, /→ 6 beads \(B0 B1 B2 B3 B4 B5\), optimal force map/);
});

test('train autograin: bad input gets clear errors', () => {
  const out = join(dir, 'bad');
  assert.match(cglab(['train', 'autograin', '--data', fixture, '--out', out]).stderr, /--beads N \(a positive integer, the number of CG beads\) is required/);
  assert.match(cglab(['train', 'autograin', '--data', fixture, '--beads', '30', '--out', out]).stderr, /--beads 30 is more than the 22 atoms of .*: every bead needs at least one atom/);
  assert.match(cglab(['train', 'autograin', '--data', fixture, '--beads', '11', '--out', out]).stderr, /--beads 11 is more than the 10 units of .*\(heavy atoms with the hydrogens constrained to them, which share a bead: the data have X–H constraints\): use at most 10 beads, or --units atoms/);
  const free = cglab(['train', 'autograin', '--data', fixture, '--beads', '11', '--units', 'atoms', '--epochs', '2', '--out', join(dir, 'free')]);
  assert.equal(free.status, 0, free.stderr);
  assert.match(free.stderr, /→ 11 beads of 22 atoms, ρ = 0/);
  assert.match(cglab(['train', 'autograin', '--data', fixture, '--beads', '4', '--per-molecule', '--out', out]).stderr, /per-molecule learning needs a topology of several copies of one molecule/);
  const noForces = join(dir, 'noforces.npz');
  const d = readDataset(fixture);
  writeDataset(noForces, { ...d, forces: undefined });
  const r = cglab(['train', 'autograin', '--data', noForces, '--beads', '4', '--rho', '1e-8', '--out', out]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /noforces\.npz: has no forces, but the force regulariser \(rho > 0\) needs the instantaneous atomistic forces/);
  assert.equal(cglab(['train', 'autograin', '--data', noForces, '--beads', '4', '--epochs', '1', '--out', out]).status, 0, 'ρ = 0 needs no forces');
});

test('a liquid of copies is learnt per molecule: map.json covers every molecule, beads.json feeds cglab fit pairs', () => {
  const aa = join(dir, 'hexane.npz');
  const g = cglab(['generate', 'hexane-liquid', '--molecules', '64', '--cutoff', '1.0', '--ns', '0.002', '--save-every-ps', '0.5', '--equilibrate-ps', '2', '--replicas', '1', '--seed', '1', '--no-cache', '--out', aa]);
  assert.equal(g.status, 0, g.stderr);
  const out = join(dir, 'hex2');
  const r = cglab(['train', 'autograin', '--data', aa, '--beads', '2', '--epochs', '5', '--seed', '1', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /4 frames of .* × 64 molecules \(HEX, learnt per molecule\) → 2 beads of 6 atoms, ρ = 0/);
  const map = JSON.parse(readFileSync(join(out, 'map.json'), 'utf8'));
  assert.equal(map.beads.length, 128);
  assert.deepEqual([...new Set(map.beads.map((b: { name: string }) => b.name))].sort(), ['B0', 'B1']);
  // Bead k of every molecule holds the same atom names, and beads stay within their molecule.
  for (let m = 0; m < 64; m++) {
    for (const k of [0, 1]) {
      assert.equal(map.beads[2 * m + k].resid, m + 1);
      assert.deepEqual(map.beads[2 * m + k].atoms, map.beads[k].atoms);
    }
  }
  const beads = JSON.parse(readFileSync(join(out, 'beads.json'), 'utf8'));
  assert.deepEqual(Object.keys(beads), ['HEX']);
  assert.equal(beads.HEX.flatMap((b: { atoms: string[] }) => b.atoms).length, 6);
  const fp = cglab(['fit', 'pairs', '--data', aa, '--beads', join(out, 'beads.json'), '--method', 'fm', '--cutoff', '0.9', '--out', join(dir, 'hexfm')]);
  assert.equal(fp.status, 0, fp.stderr);
  assert.ok(existsSync(join(dir, 'hexfm', 'pairs.json')));
});
