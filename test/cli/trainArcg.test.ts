import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDataset } from 'cglab/io/dataset';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-train-arcg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });
const at = (name: string) => join(dir, name);

// 2 × 20 ps of alanine dipeptide, a frame every 0.1 ps: enough to map and to fit a few iterations.
const data = at('ala.npz');
const g = cglab(['generate', 'alanine-dipeptide', '--ns', '0.02', '--replicas', '2', '--save-every-ps', '0.1', '--equilibrate-ps', '2', '--seed', '1', '--no-cache', '--out', data]);
assert.equal(g.status, 0, g.stderr);

// The backbone beads C N CA C N and a virtual CB tied to CA by a bond, two angles and dihedrals.
const spec = {
  virtualSites: [{ name: 'CB', mass: 15, near: 2 }],
  terms: [
    { kind: 'bond', beads: [2, 5], q0: 0.153, scale: 0.01 },
    { kind: 'angle', beads: [1, 2, 5], q0: 1.91, scale: 0.1 },
    { kind: 'angle', beads: [3, 2, 5], q0: 1.91, scale: 0.1 },
    { kind: 'dihedral', beads: [1, 3, 2, 5], order: 1 },
  ],
  sampling: { replicas: 4, ps: 2 },
  iterations: 2,
};
const specFile = at('spec.json');
writeFileSync(specFile, JSON.stringify(spec));

test('train arcg fits a backbone model with a virtual site and writes arcg.json and its resume state', () => {
  const out = at('fit');
  const r = cglab(['train', 'arcg', '--data', data, '--model', specFile, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /→ 5 beads \(C N CA C N\) \+ 1 virtual site\(s\) \(CB\), 300 K/);
  assert.match(r.stderr, /arcg iteration 1: kl estimate/);
  const info = JSON.parse(readFileSync(join(out, 'arcg.json'), 'utf8'));
  assert.equal(info.format, 'cglab-arcg');
  assert.deepEqual(info.beads, ['C', 'N', 'CA', 'C', 'N']);
  assert.equal(info.masses.length, 6);
  assert.equal(info.masses[5], 15);
  // Chain: 4 bonds, 3 angles, 2 dihedrals of order 2; then the spec's 4 terms.
  assert.equal(info.terms.length, 4 + 3 + 2 + 4);
  assert.equal(info.parameters.length, 4 * 2 + 3 * 2 + 2 * 4 + 2 + 2 + 2 + 2);
  assert.ok(info.parameters.every((p: { theta: number }) => Number.isFinite(p.theta)));
  assert.ok(info.parameters.some((p: { name: string }) => p.name === 'bond 2-5 u²'));
  assert.equal(info.records.length, 2);
  const state = JSON.parse(readFileSync(join(out, 'arcg-state.json'), 'utf8'));
  assert.equal(state.config.iteration, 2);
  const more = cglab(['train', 'arcg', '--data', data, '--model', specFile, '--out', out, '--resume']);
  assert.equal(more.status, 0, more.stderr);
  assert.match(more.stderr, /resuming from .* at iteration 2/);

  // cglab simulate runs the fitted U_θ from the kept frames, the virtual site after the beads;
  // the virtual CB stays bonded to CA at the model's bond (q0 0.153 nm, spread ~0.01 nm).
  const traj = join(out, 'run.npz');
  const sim = cglab(['simulate', '--model', out, '--replicas', '3', '--ps', '2', '--save-every-ps', '0.1', '--out', traj]);
  assert.equal(sim.status, 0, sim.stderr);
  const t = readDataset(traj);
  assert.equal(t.nAtoms, 6);
  assert.equal(t.nFrames, 3 * 20);
  assert.deepEqual(t.topology?.atoms.map((a) => a.name), ['C', 'N', 'CA', 'C', 'N', 'CB']);
  assert.match(String(t.provenance?.model_kind), /^arcg \(linear critic, kl\)$/);
  for (let f = 0; f < t.nFrames; f++) {
    const d = Math.hypot(...[0, 1, 2].map((c) => t.positions[(f * 6 + 5) * 3 + c] - t.positions[(f * 6 + 2) * 3 + c]));
    assert.ok(d > 0.09 && d < 0.22, `frame ${f}: CA–CB ${d} nm`);
  }
  // From all-atom frames, mapped with the model's map.
  const fromData = cglab(['simulate', '--model', out, '--start', data, '--replicas', '2', '--ps', '0.5', '--save-every-ps', '0.1', '--out', join(out, 'run2.npz')]);
  assert.equal(fromData.status, 0, fromData.stderr);
  assert.equal(readDataset(join(out, 'run2.npz')).nAtoms, 6);
});

test('train arcg: bad specs are named', () => {
  const bad = (name: string, content: unknown) => {
    const f = at(name);
    writeFileSync(f, JSON.stringify(content));
    return cglab(['train', 'arcg', '--data', data, '--model', f, '--out', at(`${name}-out`)]);
  };
  const unknown = bad('unknown.json', { ...spec, temperatures: 300 });
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /unknown\.json: unknown field 'temperatures'; a model spec has/);
  const noScale = bad('noscale.json', { ...spec, terms: [{ kind: 'bond', beads: [2, 5] }] });
  assert.notEqual(noScale.status, 0);
  assert.match(noScale.stderr, /term 9 \(bond 2-5\): a term on a virtual site needs q0 and scale/);
  const far = bad('far.json', { ...spec, virtualSites: [{ name: 'CB', mass: 15, near: 9 }] });
  assert.match(far.stderr, /virtualSites\[0\] \(CB\) needs a positive mass \(amu\) and 'near', a mapped bead index in 0\.\.4/);
  assert.ok(!existsSync(join(at('far.json-out'), 'arcg.json')));
});
