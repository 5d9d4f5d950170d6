import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignmentGroups, checkAssignment, hardAssignment, oneHot } from 'cglab/cg/assignment';

test('hardAssignment: the argmax per atom, and a bead left empty takes the atom that costs least to move', () => {
  // 4 atoms × 3 beads; every atom prefers bead 0, bead 2 is nobody's first choice.
  const scores = [
    5, 1, 0,
    4, 3, 2.5, // atom 1: moving to bead 2 costs 1.5, to bead 1 costs 1
    6, 0, 0,
    3, 2.9, 0.1,
  ];
  const a = hardAssignment(scores, 3, 4);
  // Bead 1 first: atom 3 costs 0.1. Then bead 2: atom 1 costs 1.5 (atom 0: 5, atom 2: 6).
  assert.deepEqual(Array.from(a), [0, 2, 0, 1]);
  assert.deepEqual(assignmentGroups(a, 3), [[0, 2], [3], [1]]);
  assert.deepEqual(Array.from(oneHot(a, 3)), [1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
  assert.deepEqual(Array.from(hardAssignment([0, 1, 1, 0], 2, 2)), [1, 0]);
  assert.throws(() => hardAssignment([0, 0, 0], 3, 1), /3 beads cannot each keep an atom of 1: use at most 1 beads/);
  assert.throws(() => hardAssignment([0, 0], 2, 2), /scores have 2 values, expected 2 atoms × 2 beads/);
});

test('checkAssignment: disconnected beads and hydrogens away from their heavy atom', () => {
  // H0–C1–C2–H3 in a chain.
  const bonds: [number, number][] = [[0, 1], [1, 2], [2, 3]];
  const el = ['H', 'C', 'C', 'H'];
  assert.deepEqual(checkAssignment([[0, 1], [2, 3]], bonds, el), { disconnected: [], strayHydrogens: [], ok: true });
  const bad = checkAssignment([[0, 2], [1, 3]], bonds, el);
  assert.deepEqual(bad.disconnected, [0, 1]);
  assert.deepEqual(bad.strayHydrogens, [0, 3]);
  assert.equal(bad.ok, false);
  assert.deepEqual(checkAssignment([[1], [0, 2, 3]], bonds, el), { disconnected: [1], strayHydrogens: [0], ok: false });
});
