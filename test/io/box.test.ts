import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxVectorsToLengthsAngles, lengthsAnglesToBoxVectors } from 'cglab/io/box';

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `component ${i}: ${actual[i]} vs ${expected[i]}`);
  }
};

test('an orthorhombic cell gives an exactly diagonal matrix', () => {
  assert.deepEqual(Array.from(lengthsAnglesToBoxVectors([3, 4, 5], [90, 90, 90])), [3, 0, 0, 0, 4, 0, 0, 0, 5]);
});

test('a triclinic cell follows the lower-triangular convention (values from mdtraj 1.9.7)', () => {
  // mdtraj.utils.lengths_and_angles_to_box_vectors(3, 4, 5, 80, 70, 60)
  const v = lengthsAnglesToBoxVectors([3, 4, 5], [80, 70, 60]);
  close(v, [3, 0, 0, 2, 3.4641016, 0, 1.7101007, 0.0152311, 4.6984384], 1e-6);
});

test('lengths and angles survive a round trip through box vectors, for any orientation', () => {
  const cell = boxVectorsToLengthsAngles(lengthsAnglesToBoxVectors([2.5, 3, 4], [60, 60, 90]));
  close(cell.lengths, [2.5, 3, 4], 1e-12);
  close(cell.angles, [60, 60, 90], 1e-10);
  close(cell.cosines, [0.5, 0.5, 0], 1e-12);
  // A rotated copy of a 90/90/90 cell (rotation by 30° about z) has the same lengths and angles.
  const c = Math.cos(Math.PI / 6);
  const s = Math.sin(Math.PI / 6);
  const rotated = boxVectorsToLengthsAngles([3 * c, 3 * s, 0, -4 * s, 4 * c, 0, 0, 0, 5]);
  close(rotated.lengths, [3, 4, 5], 1e-12);
  close(rotated.angles, [90, 90, 90], 1e-10);
});

test('perpendicular vectors give exactly 90 degrees and cosine 0', () => {
  const cell = boxVectorsToLengthsAngles([0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5], 9);
  assert.deepEqual(cell.angles, [90, 90, 90]);
  assert.deepEqual(cell.cosines, [0, 0, 0]);
  assert.deepEqual(cell.lengths, [3, 4, 5]);
});

test('bad cells are refused with the reason', () => {
  assert.throws(() => lengthsAnglesToBoxVectors([0, 4, 5], [90, 90, 90]), /box length a must be a positive finite number of nm, got 0/);
  assert.throws(() => lengthsAnglesToBoxVectors([3, Number.NaN, 5], [90, 90, 90]), /box length b must be a positive finite/);
  assert.throws(() => lengthsAnglesToBoxVectors([3, 4, 5], [90, 180, 90]), /box angle beta must lie strictly between 0 and 180 degrees, got 180/);
  assert.throws(() => lengthsAnglesToBoxVectors([3, 4, 5], [10, 10, 170]), /box angles \(10, 10, 170\) degrees do not describe a cell/);
  assert.throws(() => boxVectorsToLengthsAngles([3, 0, 0, 0, 0, 0, 0, 0, 5]), /box vector b \(0, 0, 0\) nm must have a positive finite length/);
});
