// `cglab train ccg` and `cglab backmap` on the 400-frame alanine-dipeptide fixture, with few
// steps: the folder it writes, the held-out judgement it prints, back-mapped structures of a
// force-matching model's CG run (beads exactly at the CG coordinates, the system's atoms,
// readable by evaluate), and the errors for bad input.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset, writeDataset } from 'cglab/io/dataset';
import { makeTrajectory } from 'cglab/io/trajectory';
import { makeTopology } from 'cglab/topology/topology';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const fixture = fileURLToPath(new URL('../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-ccg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const at = (name: string) => join(dir, name);
const SMALL = ['--steps', '80', '--warmup', '60', '--batch', '64', '--seed', '2'];

test('train ccg writes ccg.json and flow.json and judges held-out frames; backmap turns a CG run into all-atom structures', () => {
  const out = at('ccg5');
  const r = cglab(['train', 'ccg', '--data', fixture, '--map', 'backbone5', ...SMALL, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /400 frames of .* \(360 to train, 40 held out\) → 5 beads, 39 free internal coordinates of 17 atoms, alanine-dipeptide at 300 K/);
  assert.match(r.stderr, /40 held-out frames × 4: energy -?[0-9.]+ \[.*\] kJ\/mol .*heavy-atom RMSD [0-9.]+ Å, .*chirality kept 100\.0 %/);
  for (const f of ['ccg.json', 'flow.json']) assert.ok(existsSync(join(out, f)), f);
  const info = JSON.parse(readFileSync(join(out, 'ccg.json'), 'utf8'));
  assert.equal(info.format, 'cglab-ccg');
  assert.equal(info.system, 'alanine-dipeptide');
  assert.equal(info.training.steps, 80);
  assert.equal(info.training.warmup, 60);
  assert.equal(info.quality.samples, 160);
  // The maximum-likelihood warm-up alone already keeps bonds and the heavy atoms near the truth.
  assert.ok(info.quality.bondMeanError < 0.005, `bond means off by ${info.quality.bondMeanError} nm`);
  assert.ok(info.quality.heavyRmsd < 0.06, `heavy-atom RMSD ${info.quality.heavyRmsd} nm`);

  // A force-matching model, a short CG run of it, and that run back-mapped, three structures per frame.
  const fm = at('fm5');
  assert.equal(cglab(['train', 'forcematching', '--data', fixture, '--map', 'backbone5', '--model', 'cgnet', '--epochs', '1', '--out', fm]).status, 0);
  const cgRun = at('cg.npz');
  assert.equal(cglab(['simulate', '--model', fm, '--replicas', '2', '--ps', '0.02', '--save-every-ps', '0.01', '--out', cgRun]).status, 0);
  const aa = at('aa.npz');
  const b = cglab(['backmap', '--model', out, '--coords', cgRun, '--samples', '3', '--out', aa]);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stderr, /4 CG frames × 3 → 12 structures of 22 atoms \(alanine-dipeptide\)/);
  const back = readDataset(aa);
  const cg = readDataset(cgRun);
  assert.equal(back.nFrames, 12);
  assert.deepEqual(back.topology?.atoms.map((a) => a.name), readDataset(fixture).topology?.atoms.map((a) => a.name));
  const beadAtoms = [4, 6, 8, 14, 16];
  for (let f = 0; f < 12; f++) {
    for (const [k, atom] of beadAtoms.entries()) {
      for (let d = 0; d < 3; d++) assert.equal(back.positions[(f * 22 + atom) * 3 + d], cg.positions[(Math.floor(f / 3) * 5 + k) * 3 + d], `structure ${f}, bead ${k}`);
    }
  }
  const e = cglab(['evaluate', '--system', 'alanine-dipeptide', '--coords', aa, '--out', at('e.npz')]);
  assert.equal(e.status, 0, e.stderr);
  assert.ok(readDataset(aa).positions.every(Number.isFinite));
});

test('bad input: CG frames of another bead count or other beads, a map with many-atom beads, data of no known system', () => {
  const out = at('ccg5');
  if (!existsSync(join(out, 'ccg.json'))) assert.equal(cglab(['train', 'ccg', '--data', fixture, '--map', 'backbone5', ...SMALL, '--out', out]).status, 0);
  assert.match(cglab(['backmap', '--model', out, '--coords', fixture, '--out', at('x.npz')]).stderr, /alanine-dipeptide-400\.npz has 22 beads per frame, but .*ccg5 back-maps map backbone5 of 5 beads \(C N CA C N\)/);
  const other = at('other.npz');
  const beads = makeTopology(['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, element: 'C', mass: 12, residue: 'CG', resid: 1, serial: i + 1 })));
  writeDataset(other, makeTrajectory({ topology: beads, nFrames: 1, nAtoms: 5, positions: Float32Array.from({ length: 15 }, (_, i) => i / 10) }));
  assert.match(cglab(['backmap', '--model', out, '--coords', other, '--out', at('x.npz')]).stderr, /other\.npz holds beads CG:A CG:B CG:C CG:D CG:E, but .* is a back-mapping for map backbone5, beads ACE:C ALA:N ALA:CA ALA:C NME:N/);
  assert.match(cglab(['backmap', '--model', at('nothing'), '--coords', other, '--out', at('x.npz')]).stderr, /nothing: no ccg\.json: not a folder written by cglab train ccg/);
  const map = at('wide.json');
  writeFileSync(map, JSON.stringify({ beads: [{ residue: 'ACE', atoms: ['C'] }, { residue: 'ALA', atoms: ['N', 'H'] }, { residue: 'ALA', atoms: ['CA'] }, { residue: 'ALA', atoms: ['C'] }, { residue: 'NME', atoms: ['N'] }] }));
  assert.match(cglab(['train', 'ccg', '--data', fixture, '--map', map, ...SMALL, '--out', at('bad')]).stderr, /bead 1 \(B1\) holds 2 atoms; CCG back-maps maps whose beads are single atoms/);
  const anonymous = at('anonymous.npz');
  const data = readDataset(fixture);
  writeDataset(anonymous, { ...data, provenance: { temperature_K: 300 } });
  assert.match(cglab(['train', 'ccg', '--data', anonymous, '--map', 'backbone5', ...SMALL, '--out', at('bad')]).stderr, /anonymous\.npz does not say which system's force field made it \(no provenance\.system\): give --system <name>/);
});
