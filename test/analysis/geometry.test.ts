import { test } from 'node:test';
import assert from 'node:assert/strict';
import { angle, angles, chiralVolume, dihedral, dihedrals, distance, distances } from 'cglab/analysis/geometry';

test('distance and angle of a right angle', () => {
  const x = [1, 0, 0, 0, 0, 0, 0, 2, 0];
  assert.equal(distance(x, 0, 2), Math.sqrt(5));
  assert.ok(Math.abs(angle(x, 0, 1, 2) - Math.PI / 2) < 1e-15);
});

test('dihedral sign follows IUPAC (the one mdtraj uses, cross-checked in test/peers/geometry)', () => {
  // i on +x, j at the origin, k on +z, l over +y: +90°; its mirror image is −90°.
  const x = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1];
  assert.ok(Math.abs(dihedral(x, 0, 1, 2, 3) - Math.PI / 2) < 1e-12);
  const mirrored = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, -1, 1];
  assert.ok(Math.abs(dihedral(mirrored, 0, 1, 2, 3) + Math.PI / 2) < 1e-12);
  assert.ok(Math.abs(Math.abs(dihedral([1, 0, 0, 0, 0, 0, 0, 0, 1, -1, 0, 1], 0, 1, 2, 3)) - Math.PI) < 1e-12);
});

test('dihedrals over frames and chiral volume sign', () => {
  const f = [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, -1, 1];
  assert.deepEqual(Array.from(dihedrals(f, 4, [0, 1, 2, 3]), (v) => Math.round((v * 180) / Math.PI)), [90, -90]);
  assert.equal(chiralVolume([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1], 0, 1, 2, 3), 1);
});

test('distances and angles of every frame: a bond that stretches and an angle that opens', () => {
  // Two frames of three atoms: i at +x, j at the origin, k in the x–y plane at 90° then 180°.
  const x = [2, 0, 0, 0, 0, 0, 0, 1, 0, 3, 0, 0, 0, 0, 0, -1, 0, 0];
  assert.deepEqual(Array.from(distances(x, 3, [0, 1])), [2, 3]);
  const a = angles(x, 3, [0, 1, 2]);
  assert.ok(Math.abs(a[0] - Math.PI / 2) < 1e-15 && Math.abs(a[1] - Math.PI) < 1e-15);
});
