// From data to samples and from a learnt assignment to a map file: per-molecule samples of a
// periodic liquid made whole across the box, centred frames, the map file of bead groups
// (beads across residues, bonds from the atomistic bonds) read back by force matching, and the
// clear errors of bad input.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from 'cglab/backend/select';
import { readDataset } from 'cglab/io/dataset';
import { makeTrajectory } from 'cglab/io/trajectory';
import { autograinSamples, isMoleculeCopies } from 'cglab/methods/autograin/data';
import { fitAutograin } from 'cglab/methods/autograin/train';
import { groupsMapSpec, readMapFile, resolveMap } from 'cglab/methods/forcematching/mapping';
import { makeTopology } from 'cglab/topology/topology';

await initBackend('wasm');
const dir = mkdtempSync(join(tmpdir(), 'cglab-autograin-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const ala = readDataset(fileURLToPath(new URL('../../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const top = ala.topology!;

test('whole-molecule samples are the frames, centred on their centre of mass', () => {
  const s = autograinSamples(ala, { needForces: true });
  assert.equal(s.perMolecule, false);
  assert.equal(s.frames, 400);
  assert.equal(s.molecules, 1);
  assert.equal(s.positions.length, ala.positions.length);
  const m = s.masses;
  const total = m.reduce((a, b) => a + b, 0);
  for (const t of [0, 199, 399]) {
    for (let c = 0; c < 3; c++) {
      let com = 0;
      for (let i = 0; i < 22; i++) com += (m[i] * s.positions[(t * 22 + i) * 3 + c]) / total;
      assert.ok(Math.abs(com) < 1e-5, `frame ${t}: centre ${com} nm`);
    }
  }
  // Relative positions are those of the data.
  const d = (x: Float32Array, t: number, i: number, j: number) => Math.hypot(...[0, 1, 2].map((c) => x[(t * 22 + i) * 3 + c] - x[(t * 22 + j) * 3 + c]));
  assert.ok(Math.abs(d(s.positions, 5, 4, 16) - d(ala.positions, 5, 4, 16)) < 1e-6);
  assert.deepEqual(s.forces?.subarray(0, 66), ala.forces?.subarray(0, 66));
  assert.equal(autograinSamples(ala, { maxFrames: 10 }).frames, 10);
});

test('data with X–H constraints are assigned in units of a heavy atom and its hydrogens; --units atoms frees them', async () => {
  const s = autograinSamples(ala);
  const units = s.units as Int32Array;
  assert.equal(Math.max(...units) + 1, 10);
  top.atoms.forEach((a, i) => {
    if (a.element !== 'H') return;
    const heavy = top.bonds.flatMap(([p, q]) => (p === i ? [q] : q === i ? [p] : []))[0];
    assert.equal(units[i], units[heavy], `${a.residue} ${a.name} shares its unit with ${top.atoms[heavy].name}`);
  });
  assert.equal(new Set(top.atoms.flatMap((a, i) => (a.element === 'H' ? [] : [units[i]]))).size, 10, 'one unit per heavy atom');
  assert.equal(autograinSamples(ala, { units: 'atoms' }).units, undefined);
  const fit = await fitAutograin(s, { beads: 10, epochs: 3 });
  // Ten beads from ten units: every heavy atom is a bead with its hydrogens.
  assert.deepEqual([...fit.assignment].map((b, i) => b === fit.assignment[top.atoms.findIndex((_, j) => units[j] === units[i])]), Array(22).fill(true));
  assert.equal(new Set(fit.assignment).size, 10);
  fit.model.dispose();
  await assert.rejects(fitAutograin(s, { beads: 11 }), /11 beads from 10 units \(atoms that must share a bead, e\.g\. a heavy atom with its constrained hydrogens\): use at most 10 beads/);
});

test('a liquid of copies is learnt per molecule, each molecule made whole across the periodic box', () => {
  // Two 3-atom molecules in a 2 nm box; molecule 1 straddles the boundary in frame 0.
  const atoms = [1, 2].flatMap((resid) => ['A', 'B', 'C'].map((name) => ({ name, element: 'C', mass: 12, residue: 'MOL', resid })));
  const t = makeTopology(atoms, [[0, 1], [1, 2], [3, 4], [4, 5]]);
  const positions = Float32Array.of(0.5, 0.5, 0.5, 0.6, 0.5, 0.5, 0.7, 0.5, 0.5, 1.95, 1, 1, 0.05, 1, 1, 0.15, 1, 1);
  const box = Float32Array.of(2, 0, 0, 0, 2, 0, 0, 0, 2);
  const traj = makeTrajectory({ topology: t, nFrames: 1, nAtoms: 6, positions, box });
  assert.ok(isMoleculeCopies(t));
  assert.equal(isMoleculeCopies(top), false);
  const s = autograinSamples(traj);
  assert.equal(s.perMolecule, true);
  assert.equal(s.molecules, 2);
  assert.equal(s.topology.atoms.length, 3);
  assert.deepEqual(s.topology.bonds, [[0, 1], [1, 2]]);
  // Both samples are the same straight molecule, centred: x = −0.1, 0, 0.1.
  for (let m = 0; m < 2; m++) [-0.1, 0, 0.1].forEach((v, i) => assert.ok(Math.abs(s.positions[m * 9 + 3 * i] - v) < 1e-6, `molecule ${m} atom ${i}: ${s.positions[m * 9 + 3 * i]}`));
  assert.throws(() => autograinSamples(ala, { perMolecule: true, source: 'ala.npz' }), /ala\.npz: per-molecule learning needs a topology of several copies of one molecule .*ACE, ALA, NME/);
});

test('the map file of bead groups: beads across residues, bonds from the atomistic bonds, read back with the same atoms', () => {
  const name = (i: number) => `${top.atoms[i].residue}:${top.atoms[i].name}`;
  const byName = (names: string[]) => names.map((n) => top.atoms.findIndex((_, i) => name(i) === n));
  const groups = [
    byName(['ACE:HH31', 'ACE:CH3', 'ACE:HH32', 'ACE:HH33']),
    byName(['ACE:C', 'ACE:O', 'ALA:N', 'ALA:H']),
    byName(['ALA:CA', 'ALA:HA', 'ALA:CB', 'ALA:HB1', 'ALA:HB2', 'ALA:HB3']),
    byName(['ALA:C', 'ALA:O', 'NME:N', 'NME:H', 'NME:CH3', 'NME:HH31', 'NME:HH32', 'NME:HH33']),
  ];
  const spec = groupsMapSpec(top, groups);
  assert.equal(spec.requireAll, true);
  assert.deepEqual(spec.beads[1], { name: 'B1', residue: 'ACE', resid: 1, atoms: ['C', 'O', { name: 'N', residue: 'ALA', resid: 2 }, { name: 'H', residue: 'ALA', resid: 2 }] });
  // NME holds most of bead 3's mass.
  assert.equal(spec.beads[3].residue, 'NME');
  assert.deepEqual(spec.bonds, [[0, 1], [1, 2], [2, 3]]);
  const path = join(dir, 'map.json');
  writeFileSync(path, JSON.stringify(spec));
  const back = resolveMap(readMapFile(path), top, path);
  groups.forEach((g, k) => assert.deepEqual(back.map.support(k), [...g].sort((a, b) => a - b)));
  assert.deepEqual(back.topology.bonds, [[0, 1], [1, 2], [2, 3]]);
  // A map file whose beads leave an atom out is refused, naming it.
  const short = { ...spec, beads: spec.beads.map((b, k) => (k === 0 ? { ...b, atoms: b.atoms.slice(1) } : b)) };
  writeFileSync(path, JSON.stringify(short));
  assert.throws(() => resolveMap(readMapFile(path), top, path), /map\.json: requireAll is set but 1 atoms belong to no bead \(ACE 1 HH31\)/);
  writeFileSync(path, JSON.stringify({ beads: [{ residue: 'ACE', atoms: [{ name: 'N', residue: 'GLY' }] }] }));
  assert.throws(() => resolveMap(readMapFile(path), top, path), /bead 0 \(ACE\): no such residue GLY \(of atom N\); the topology has ACE 1, ALA 2, NME 3/);
  assert.throws(() => groupsMapSpec(top, groups.slice(1)), /atoms 0, 1, 2, 3 are in no bead/);
});

test('bad input: more beads than atoms, a force term without forces, settings out of range', async () => {
  const s = autograinSamples(ala);
  await assert.rejects(fitAutograin(s, { beads: 23 }), /23 beads from 22 atoms: every bead needs an atom, so use at most 22 beads/);
  await assert.rejects(fitAutograin({ ...s, forces: undefined }, { beads: 4, rho: 1e-8 }), /rho > 0 needs forces in the data/);
  await assert.rejects(fitAutograin(s, { beads: 4, rho: -1 }), /rho is -1, expected a non-negative weight/);
  await assert.rejects(fitAutograin(s, { beads: 4, tauMin: 0 }), /temperature schedule needs tauStart ≥ 0, tauDecay > 0 and tauMin > 0/);
  const noForces = makeTrajectory({ topology: top, nFrames: 2, nAtoms: 22, positions: ala.positions.subarray(0, 132) });
  assert.throws(() => autograinSamples(noForces, { needForces: true, source: 'pos.npz' }), /pos\.npz: has no forces, but the force regulariser \(rho > 0\) needs/);
  assert.throws(() => autograinSamples({ ...noForces, topology: undefined }, { source: 'pos.dcd' }), /pos\.dcd: has no topology.*--top file\.pdb/);
});
