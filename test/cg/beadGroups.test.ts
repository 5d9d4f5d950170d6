import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BeadGroups } from 'cglab/cg/beadGroups';
import { Random } from 'cglab/util/random';
import { makeTopology, type Atom } from 'cglab/topology/topology';

// Three molecules whose atoms are interleaved in the atom order: a water-like triple (bead 0),
// a two-atom CO (bead 1) and a lone argon (bead 2).
const BEAD = Int32Array.from([0, 1, 0, 2, 1, 0]);
const MASS = [16, 12, 1, 40, 16, 1];

test('bead groups: counts, weights normalised per bead, masses summed', () => {
  const g = new BeadGroups(BEAD, MASS);
  assert.equal(g.nBeads, 3);
  assert.equal(g.nAtoms, 6);
  const expected = [16 / 18, 12 / 28, 1 / 18, 1, 16 / 28, 1 / 18];
  expected.forEach((w, i) => assert.ok(Math.abs(g.weights[i] - w) < 1e-15, `weight of atom ${i}: ${g.weights[i]}, expected ${w}`));
  assert.deepEqual(Array.from(g.masses(MASS)), [18, 28, 40]);
  // Masses need not be the position weights (e.g. geometric centres).
  assert.deepEqual(Array.from(new BeadGroups(BEAD, [1, 1, 1, 1, 1, 1]).masses(MASS)), [18, 28, 40]);
});

/**
 * Frames of the BEAD/MASS molecules, unwrapped (atoms within 0.15 nm of their molecule's centre
 * per coordinate), centres a few hundredths of a nm from a box face and some edges away, so that
 * wrapping splits the molecules.
 */
function splitMolecules(frames: number, boxes: number[], seed: number) {
  const rng = new Random(seed);
  const na = BEAD.length;
  const unwrapped = new Float64Array(frames * na * 3);
  for (let f = 0; f < frames; f++) {
    const centres = [0, 1, 2].map(() => [0, 1, 2].map((d) => {
      const l = boxes[3 * f + d];
      return (rng.uniform() < 0.5 ? 0.02 : -0.03) + l * Math.floor(4 * rng.uniform() - 1);
    }));
    for (let i = 0; i < na; i++) {
      const spread = BEAD[i] === 2 ? 0 : 0.3 * rng.uniform() - 0.15;
      for (let d = 0; d < 3; d++) unwrapped[3 * (f * na + i) + d] = centres[BEAD[i]][d] + spread * (d + 1) / 3;
    }
  }
  // Every atom wrapped into [0, L) on its own, as MD engines write frames.
  const wrapped = unwrapped.map((v, k) => {
    const l = boxes[3 * Math.floor(k / (3 * na)) + (k % 3)];
    return v - l * Math.floor(v / l);
  });
  return { unwrapped, wrapped };
}

/** Distance of (v − w)/l from the nearest integer: 0 when v and w are the same point modulo l. */
const offLattice = (v: number, w: number, l: number) => Math.abs((v - w) / l - Math.round((v - w) / l));

/** Centres of mass of the unwrapped frames, directly from the definition. */
function centresOfMass(x: Float64Array, frames: number): Float64Array {
  const na = BEAD.length;
  const out = new Float64Array(frames * 3 * 3);
  const total = [18, 28, 40];
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < na; i++) {
      for (let d = 0; d < 3; d++) out[3 * (3 * f + BEAD[i]) + d] += (MASS[i] * x[3 * (f * na + i) + d]) / total[BEAD[i]];
    }
  }
  return out;
}

test('bead groups: centres of molecules split across the box are whole, equal to the unwrapped centre modulo the box', () => {
  const frames = 12;
  // A different orthorhombic box in every frame.
  const rng = new Random(3);
  const boxes = Array.from({ length: 3 * frames }, () => 1.5 + rng.uniform());
  const { unwrapped, wrapped } = splitMolecules(frames, boxes, 4);
  const g = new BeadGroups(BEAD, MASS);
  const com = centresOfMass(unwrapped, frames);
  const got = g.positions(wrapped, frames, boxes);
  let split = 0;
  for (let f = 0; f < frames; f++) {
    for (let b = 0; b < 3; b++) {
      for (let d = 0; d < 3; d++) {
        const l = boxes[3 * f + d];
        const k = 3 * (3 * f + b) + d;
        // Whole: within 0.3 nm (the molecules' extent) of one of its atoms, wrapped into [0, L).
        assert.ok(got[k] > -0.3 && got[k] < l + 0.3, `frame ${f}, bead ${b}, ${'xyz'[d]}: ${got[k]} outside the box ${l}`);
        // Sums of a few O(1) values: rounding only.
        assert.ok(offLattice(got[k], com[k], l) < 1e-12, `frame ${f}, bead ${b}, ${'xyz'[d]}: ${got[k]} vs unwrapped ${com[k]} (box ${l})`);
      }
    }
    // Count the molecules the wrapping really split (the test needs some).
    for (let i = 0; i < BEAD.length; i++) {
      for (let d = 0; d < 3; d++) {
        const a = 3 * (f * BEAD.length + i) + d;
        if (BEAD[i] === 0 && Math.abs(wrapped[a] - wrapped[3 * f * BEAD.length + d]) > boxes[3 * f + d] / 2) split++;
      }
    }
  }
  assert.ok(split > 5, `only ${split} atoms were wrapped away from their molecule`);
  // Without a box the wrapped frames give plain weighted means, which are not whole for split molecules…
  const naive = g.positions(wrapped, frames);
  const wrong = naive.filter((v, k) => offLattice(v, com[k], boxes[3 * Math.floor(k / 9) + (k % 3)]) > 0.01).length;
  assert.ok(wrong > 5, `only ${wrong} coordinates of the box-less centres are off: the frames are not split`);
  // …and the unwrapped frames give the centres of mass themselves.
  const plain = g.positions(unwrapped, frames);
  plain.forEach((v, k) => assert.ok(Math.abs(v - com[k]) < 1e-12, `unwrapped, no box: ${v} vs ${com[k]}`));
});

test('bead groups: bead forces are the sums of their atoms’ forces, frame by frame', () => {
  const g = new BeadGroups(BEAD, MASS);
  // Two frames; atom i of frame f has force (i + 1, −10f, (i + 1)²).
  const forces = Float64Array.from({ length: 2 * 6 * 3 }, (_, k) => {
    const [f, i, d] = [Math.floor(k / 18), Math.floor(k / 3) % 6, k % 3];
    return [i + 1, -10 * f, (i + 1) ** 2][d];
  });
  const got = g.forces(forces, 2);
  // Bead 0: atoms 0, 2, 5; bead 1: atoms 1, 4; bead 2: atom 3.
  const expected = [
    [1 + 3 + 6, 0, 1 + 9 + 36], [2 + 5, 0, 4 + 25], [4, 0, 16],
    [1 + 3 + 6, -30, 1 + 9 + 36], [2 + 5, -20, 4 + 25], [4, -10, 16],
  ].flat();
  assert.deepEqual(Array.from(got), expected);
});

test('bead groups: byResidue makes one centre-of-mass bead per residue, chains kept apart', () => {
  const atom = (name: string, mass: number, residue: string, resid: number, chain?: string): Atom => ({ name, element: name[0], mass, residue, resid, ...(chain === undefined ? {} : { chain }) });
  const top = makeTopology([
    atom('OW', 15.999, 'SOL', 1, 'A'), atom('HW1', 1.008, 'SOL', 1, 'A'), atom('HW2', 1.008, 'SOL', 1, 'A'),
    atom('OW', 15.999, 'SOL', 2, 'A'), atom('HW1', 1.008, 'SOL', 2, 'A'), atom('HW2', 1.008, 'SOL', 2, 'A'),
    // Same resid and name as the first, another chain: another bead.
    atom('OW', 15.999, 'SOL', 1, 'B'), atom('HW1', 1.008, 'SOL', 1, 'B'), atom('HW2', 1.008, 'SOL', 1, 'B'),
    // Same resid, another residue name, no chain.
    atom('AR', 39.948, 'ARG', 1),
  ], [[0, 1], [0, 2], [3, 4], [3, 5], [6, 7], [6, 8]]);
  const g = BeadGroups.byResidue(top);
  assert.equal(g.nBeads, 4);
  assert.deepEqual(Array.from(g.bead), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]);
  const water = 15.999 + 2 * 1.008;
  assert.deepEqual(Array.from(g.masses(top.atoms.map((a) => a.mass))), [water, water, water, 39.948]);
  assert.ok(Math.abs(g.weights[0] - 15.999 / water) < 1e-15 && Math.abs(g.weights[1] - 1.008 / water) < 1e-15, `weights ${g.weights.slice(0, 3)}`);
  assert.equal(g.weights[9], 1);
});

test('bead groups: refuses empty beads, negative indices, non-positive weights, mismatched lengths', () => {
  assert.throws(() => new BeadGroups(Int32Array.from([0, 2, 2]), [1, 1, 1]), /^Error: bead groups: bead 1 has no atoms$/);
  assert.throws(() => new BeadGroups(Int32Array.from([0, -1]), [1, 1]), /^Error: bead groups: atom 1 has bead index -1, expected ≥ 0$/);
  for (const w of [0, -2, Number.NaN]) {
    assert.throws(() => new BeadGroups(Int32Array.from([0, 0, 1]), [1, w, 1]), new RegExp(`^Error: bead groups: atom 1 has weight ${w}, expected > 0$`));
  }
  assert.throws(() => new BeadGroups(Int32Array.from([0, 0, 1]), [1, 1]), /^Error: bead groups: 2 weights for 3 atoms$/);
});

test('byResidue: residue numbers that wrap (PDB numbers past 9999) still give one bead per molecule', () => {
  const w = (resid: number) => ['OW', 'HW1', 'HW2'].map((name, k) => ({ name, element: k ? 'H' : 'O', mass: k ? 1.008 : 15.999, residue: 'SOL', resid, chain: '' }));
  const g = BeadGroups.byResidue(makeTopology([...w(9999), ...w(0), ...w(1), ...w(9999)]));
  assert.equal(g.nBeads, 4);
  assert.deepEqual(Array.from(g.bead), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
});
