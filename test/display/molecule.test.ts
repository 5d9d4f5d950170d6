import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTopology, type Topology } from 'cglab/topology/topology';
import { makeTrajectory } from 'cglab/io/trajectory';
import { decodeFloat32, encodeFloat32, molecule, moleculeModel, trajectory, trajectoryModel, DEFAULT_BEAD_RADIUS } from 'cglab/display/molecule';
import { MIME, type StructureLayerModel } from 'cglab/display/mime';
import { parseSvgs } from './helpers.js';

const water: Topology = makeTopology(
  [
    { name: 'O', element: 'O', mass: 16, residue: 'HOH', resid: 1 },
    { name: 'H1', element: 'H', mass: 1, residue: 'HOH', resid: 1 },
    { name: 'H2', element: 'H', mass: 1, residue: 'HOH', resid: 1 },
  ],
  [[0, 1], [0, 2]],
);
const waterXyz = [0, 0, 0, 0.0957, 0, 0, -0.024, 0.0927, 0];

const beads: Topology = makeTopology(
  [
    { name: 'BB', element: '', mass: 72, residue: 'ALA', resid: 1 },
    { name: 'SC', element: '', mass: 40, residue: 'ALA', resid: 1 },
    { name: 'BB', element: '', mass: 72, residue: 'ALA', resid: 2 },
  ],
  [[0, 1], [0, 2]],
);

test('float32 coordinates survive base64 exactly', () => {
  const v = Float32Array.of(0, -1.5, 3.25e-7, 1e30, 0.1);
  assert.deepEqual(decodeFloat32(encodeFloat32(v)), v);
  assert.equal(encodeFloat32([1]), Buffer.from(Float32Array.of(1).buffer).toString('base64'));
});

test('all-atom layer: names, elements, bonds, positions; coloured by element (no colours sent)', () => {
  const m = moleculeModel({ topology: water, positions: waterXyz });
  const l = m.layers[0];
  assert.equal(l.style, 'ball+stick');
  assert.deepEqual(l.elements, ['O', 'H', 'H']);
  assert.deepEqual(l.bonds, [[0, 1], [0, 2]]);
  assert.equal(l.colors, undefined);
  assert.deepEqual(Array.from(decodeFloat32(l.positions)), Array.from(Float32Array.from(waterXyz)));
  assert.equal(l.opacity, 1);
});

test('CG layer: beads keep their names, get a colour per bead name and a radius; user values win', () => {
  const m = moleculeModel([
    { topology: water, positions: waterXyz },
    { topology: beads, positions: [0, 0, 0, 0.3, 0, 0, 0, 0.4, 0] },
  ]);
  const cg = m.layers[1];
  assert.equal(cg.style, 'beads');
  assert.deepEqual(cg.names, ['BB', 'SC', 'BB']);
  assert.equal(cg.colors?.[0], cg.colors?.[2]);
  assert.notEqual(cg.colors?.[0], cg.colors?.[1]);
  assert.deepEqual(cg.radii, [DEFAULT_BEAD_RADIUS, DEFAULT_BEAD_RADIUS, DEFAULT_BEAD_RADIUS]);
  assert.ok(cg.opacity < 1, 'a layer drawn over another is translucent');
  const custom = moleculeModel({ topology: beads, positions: new Array(9).fill(0), radii: { BB: 0.25, SC: 0.18 }, colors: { BB: '#112233', SC: '#445566' } });
  assert.deepEqual(custom.layers[0].radii, [0.25, 0.18, 0.25]);
  assert.deepEqual(custom.layers[0].colors, ['#112233', '#445566', '#112233']);
  assert.throws(() => moleculeModel({ topology: beads, positions: new Array(9).fill(0), radii: { BB: 0.2 } }), /no entry for atom 1 'SC'/);
  assert.throws(() => moleculeModel({ topology: beads, positions: new Array(9).fill(0), colors: ['#000000'] }), /colors has 1 entries but the topology has 3 atoms/);
});

test("'beads' style draws a mapped topology whose single-atom beads keep their elements as beads", () => {
  // backbone5's beads are single atoms, so its CG topology keeps C, N, CA with their elements.
  const mapped = makeTopology(
    ['C', 'N', 'CA', 'C', 'N'].map((name, i) => ({ name, element: name[0], mass: name === 'N' ? 14 : 12, residue: i < 1 ? 'ACE' : i < 4 ? 'ALA' : 'NME', resid: i < 1 ? 1 : i < 4 ? 2 : 3 })),
    [[0, 1], [1, 2], [2, 3], [3, 4]],
  );
  const positions = Array.from({ length: 15 }, (_, i) => 0.1 * i);
  assert.equal(moleculeModel({ topology: mapped, positions }).layers[0].style, 'ball+stick');
  const b = molecule({ topology: mapped, positions, style: 'beads' });
  const l = (b.data[MIME.molecule] as { layers: StructureLayerModel[] }).layers[0];
  assert.equal(l.label, 'CG');
  assert.deepEqual(l.radii, new Array(5).fill(DEFAULT_BEAD_RADIUS));
  assert.equal(l.colors?.[0], l.colors?.[3], 'colour by bead name');
  assert.notEqual(l.colors?.[0], l.colors?.[2]);
  assert.match(b.data['text/plain'] as string, /CG: 5 beads in 3 residue\(s\), 4 bonds, drawn as beads/);
});

test('positions must be whole frames; molecule picks one frame', () => {
  assert.throws(() => moleculeModel({ topology: water, positions: [0, 0, 0] }), /expected a multiple of 3 × 3 atoms/);
  const two = [...waterXyz, ...waterXyz.map((v) => v + 1)];
  const m = moleculeModel({ topology: water, positions: two }, { frame: 1 });
  assert.equal(decodeFloat32(m.layers[0].positions)[0], 1);
  assert.throws(() => moleculeModel({ topology: water, positions: two }, { frame: 2 }), /frame 2 is out of range 0..1/);
});

test('trajectory: frames thinned to maxFrames, time kept, static layers allowed', () => {
  const nFrames = 25;
  const positions = new Float32Array(nFrames * 9).map((_, i) => i);
  const time = new Float32Array(nFrames).map((_, i) => 0.5 * i);
  const t = makeTrajectory({ topology: water, nFrames, nAtoms: 3, positions, time });
  const m = trajectoryModel(t, { maxFrames: 10 });
  assert.equal(m.nFrames, 9); // stride 3: frames 0, 3, …, 24
  assert.deepEqual(m.time, [0, 1.5, 3, 4.5, 6, 7.5, 9, 10.5, 12]);
  const pos = decodeFloat32(m.layers[0].positions);
  assert.equal(pos.length, 9 * 9);
  assert.equal(pos[9], 3 * 9);
  const two = trajectoryModel([t, { topology: beads, positions: new Array(9).fill(0) }]);
  assert.deepEqual(two.layers.map((l) => l.nFrames), [25, 1]);
  assert.throws(() => trajectoryModel([t, { topology: water, positions: new Array(18).fill(0) }]), /layers have 25, 2 frames/);
});

test('bundles: custom type plus well-formed SVG (an atom circle each, a line per bond) and text', () => {
  const b = molecule([
    { topology: water, positions: waterXyz, label: 'water' },
    { topology: beads, positions: [0, 0, 0, 0.3, 0, 0, 0, 0.4, 0] },
  ]);
  assert.ok(MIME.molecule in b.data);
  const t = trajectory({ topology: water, positions: [...waterXyz, ...waterXyz] });
  assert.ok(MIME.trajectory in t.data);
  const [cm, ct] = parseSvgs([b.data['image/svg+xml'] as string, t.data['image/svg+xml'] as string]);
  assert.equal(cm.circle, 6);
  assert.equal(cm.line, 4);
  assert.equal(ct.circle, 3);
  assert.match(b.data['text/plain'] as string, /water: 3 atoms in 1 residue\(s\), 2 bonds, drawn as ball\+stick/);
  assert.match(b.data['text/plain'] as string, /CG: 3 beads in 2 residue\(s\)/);
  assert.match(t.data['text/plain'] as string, /\(2 frames\)/);
});
