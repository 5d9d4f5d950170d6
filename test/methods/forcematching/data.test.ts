import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dihedrals } from 'cglab/analysis/geometry';
import { assertConsistent, hydrogenBondPairs, mappedForceVariance } from 'cglab/cg/forceMap';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI } from 'cglab/datasets/alanineDipeptide';
import { readDataset } from 'cglab/io/dataset';
import { makeTrajectory, type Trajectory } from 'cglab/io/trajectory';
import { alignedPositions, mapDataset } from 'cglab/methods/forcematching/data';
import { BUILTIN_MAPS, mapSpecByName, readMapFile, resolveMap } from 'cglab/methods/forcematching/mapping';

const dir = mkdtempSync(join(tmpdir(), 'cglab-fm-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const data = readDataset(fileURLToPath(new URL('../../../../test/fixtures/cg/alanine-dipeptide-400.npz', import.meta.url)));
const top = data.topology!;

function mapFile(name: string, json: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(json));
  return path;
}

test('backbone5 and backbone6 pick ACE C, ALA N, CA, C, NME N (then CB) with atomic masses; φ, ψ are bead dihedrals 0-1-2-3 and 1-2-3-4', () => {
  const five = resolveMap(BUILTIN_MAPS.backbone5, top);
  assert.deepEqual([...Array(5).keys()].map((b) => five.map.support(b)), [[4], [6], [8], [14], [16]]);
  assert.deepEqual(five.topology.atoms.map((a) => `${a.residue} ${a.name}`), ['ACE C', 'ALA N', 'ALA CA', 'ALA C', 'NME N']);
  assert.deepEqual(five.topology.atoms.map((a) => a.mass), [4, 6, 8, 14, 16].map((i) => top.atoms[i].mass));
  assert.deepEqual(five.topology.bonds, [[0, 1], [1, 2], [2, 3], [3, 4]]);
  const six = resolveMap(mapSpecByName('backbone6'), top);
  assert.deepEqual(six.map.support(5), [10]);
  assert.equal(six.topology.atoms[5].name, 'CB');
  assert.deepEqual(six.topology.bonds, [[0, 1], [1, 2], [2, 3], [3, 4], [2, 5]]);
  assert.deepEqual(six.map.matrix.subarray(0, 5 * 22), five.map.matrix);
  const r = five.map.apply(data.positions);
  assert.deepEqual(dihedrals(r, 5, [0, 1, 2, 3]), dihedrals(data.positions, 22, ALANINE_DIPEPTIDE_PHI));
  assert.deepEqual(dihedrals(r, 5, [1, 2, 3, 4]), dihedrals(data.positions, 22, ALANINE_DIPEPTIDE_PSI));
  assert.throws(() => mapSpecByName('backbone7'), /unknown map 'backbone7': expected backbone5, backbone6 or a map file ending in \.json/);
});

test('a map file gives beads with weights, names and bonds; maps that miss atoms they must cover, or name atoms that do not exist, are clear errors', () => {
  const path = mapFile('sidechain.json', {
    format: 'cglab-map', version: 1,
    beads: [{ residue: 'ALA', atoms: ['CA'] }, { name: 'SC', residue: 'ALA', atoms: ['CB', 'HB1', 'HB2', 'HB3'], weights: [3, 1, 1, 1] }],
    bonds: [[0, 1]],
  });
  const m = resolveMap(readMapFile(path), top, path);
  assert.deepEqual([m.map.at(1, 10), m.map.at(1, 11), m.map.at(1, 13)], [0.5, 1 / 6, 1 / 6]);
  assert.equal(m.topology.atoms[1].name, 'SC');
  assert.ok(Math.abs(m.topology.atoms[1].mass - [10, 11, 12, 13].reduce((s, i) => s + top.atoms[i].mass, 0)) < 1e-12, 'bead mass = sum of its atoms');

  const all = mapFile('all.json', { requireAll: true, beads: [{ residue: 'ACE', atoms: ['HH31', 'CH3', 'HH32', 'HH33', 'C', 'O'] }, { residue: 'ALA', atoms: ['N', 'H', 'CA', 'HA', 'CB', 'HB1', 'HB2', 'HB3', 'C', 'O'] }, { residue: 'NME', atoms: ['N', 'H', 'CH3', 'HH31', 'HH32'] }] });
  assert.throws(() => resolveMap(readMapFile(all), top, all), /all\.json: requireAll is set but 1 atoms belong to no bead \(NME 3 HH33\): add them to a bead's atoms, or drop requireAll/);
  assert.throws(() => resolveMap(readMapFile(mapFile('cg.json', { beads: [{ residue: 'ALA', atoms: ['CG'] }] })), top, 'cg.json'),
    /cg\.json: bead 0 \(ALA\): no atom 'CG'; the residue has N, H, CA, HA, CB, HB1, HB2, HB3, C, O/);
  assert.throws(() => resolveMap(readMapFile(mapFile('gly.json', { beads: [{ residue: 'GLY', atoms: ['CA'] }] })), top, 'gly.json'), /gly\.json: bead 0 \(GLY\): no such residue; the topology has ACE 1, ALA 2, NME 3/);
  assert.throws(() => readMapFile(mapFile('w.json', { beads: [{ residue: 'ALA', atoms: ['CA', 'CB'], weights: [1] }] })), /w\.json: beads\[0\]\.weights is \[1\], expected 2 positive numbers, one per atom/);
  assert.throws(() => readMapFile(mapFile('b.json', { beads: [{ residue: 'ALA', atoms: ['CA'] }], bonds: [[0, 1]] })), /b\.json: bonds is \[\[0,1\]\], expected pairs \[i, j\] of distinct bead indices in 0\.\.0/);
  assert.throws(() => readMapFile(mapFile('f.json', { format: 'other', beads: [] })), /f\.json: format is "other", expected "cglab-map"/);
});

test('mapDataset: positions M x and forces G f with the constraint-aware optimal force map by default for H-bond-constrained data, the summing map otherwise', () => {
  const cg = mapDataset(data, BUILTIN_MAPS.backbone5);
  assert.equal(cg.forceMapKind, 'optimal');
  assert.equal(cg.constrainedPairs, 12);
  assert.equal(cg.temperature, 300);
  assert.equal(cg.trajectory.nFrames, 400);
  assert.equal(cg.trajectory.nAtoms, 5);
  assertConsistent(cg.forceMap, cg.map, { constraints: hydrogenBondPairs(top), tolerance: 1e-8 });
  assert.deepEqual(cg.trajectory.positions, cg.map.apply(data.positions));
  assert.deepEqual(cg.trajectory.forces, cg.forceMap.apply(data.forces!));
  // The optimal map has less mapped-force noise than the summing one.
  const basic = mapDataset(data, BUILTIN_MAPS.backbone5, { forceMap: 'basic' });
  assert.equal(basic.forceMapKind, 'basic');
  assertConsistent(basic.forceMap, basic.map, { constraints: hydrogenBondPairs(top) });
  assert.ok(mappedForceVariance(cg.forceMap, data.forces!) < mappedForceVariance(basic.forceMap, data.forces!));
  const unconstrained = mapDataset({ ...data, provenance: { temperature_K: 300 } }, BUILTIN_MAPS.backbone5);
  assert.equal(unconstrained.forceMapKind, 'basic');
  assert.equal(unconstrained.constrainedPairs, 0);
  assert.deepEqual(unconstrained.forceMap.matrix, unconstrained.map.matrix);
  assert.equal(mapDataset(data, BUILTIN_MAPS.backbone5, { maxFrames: 100, forceMap: 'basic' }).trajectory.nFrames, 100);
});

test('mapDataset refuses data without forces, without topology or of unknown temperature, saying what to give', () => {
  const noForces: Trajectory = makeTrajectory({ topology: top, nFrames: data.nFrames, nAtoms: 22, positions: data.positions, provenance: data.provenance }, 'x');
  assert.throws(() => mapDataset(noForces, BUILTIN_MAPS.backbone5, { source: 'frames.npz' }), /frames\.npz: has no forces, but force matching fits the CG forces to mapped atomistic forces/);
  assert.throws(() => mapDataset({ ...data, topology: undefined }, BUILTIN_MAPS.backbone5, { source: 'plain.npz' }), /plain\.npz: has no topology, which the map needs to find its atoms: give the PDB of the same atoms \(--top file\.pdb\)/);
  assert.throws(() => mapDataset({ ...data, provenance: {} }, BUILTIN_MAPS.backbone5, { source: 'plain.npz' }), /plain\.npz: the temperature of the data is unknown .*give it \(--temperature K\)/);
  assert.equal(mapDataset({ ...data, provenance: {} }, BUILTIN_MAPS.backbone5, { temperature: 310 }).temperature, 310);
});

test('frames of the same molecule in another atom order are matched by residue and name; another molecule is refused', () => {
  // Reverse the atoms within each residue.
  const order = [1, 2, 3].flatMap((r) => top.atoms.flatMap((a, i) => (a.resid === r ? [i] : [])).reverse());
  const shuffled = makeTrajectory({
    topology: { atoms: order.map((i) => top.atoms[i]), bonds: [] },
    nFrames: 2,
    nAtoms: 22,
    positions: Float32Array.from({ length: 2 * 66 }, (_, k) => data.positions[Math.floor(k / 66) * 66 + 3 * order[Math.floor((k % 66) / 3)] + (k % 3)]),
  }, 'x');
  assert.deepEqual(alignedPositions(shuffled, top, 'shuffled.pdb'), data.positions.subarray(0, 2 * 66));
  const other = makeTrajectory({ topology: { atoms: top.atoms.slice(0, 21), bonds: [] }, nFrames: 1, nAtoms: 21, positions: new Float32Array(63) }, 'x');
  assert.throws(() => alignedPositions(other, top, 'other.pdb'), /other\.pdb \(the model was trained on ACE-ALA-NME, 22 atoms\): has 21 atoms, the system has 22/);
});
