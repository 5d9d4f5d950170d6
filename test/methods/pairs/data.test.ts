import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDataset } from 'cglab/io/dataset';
import { npyArray } from 'cglab/io/npy';
import { writeNpz } from 'cglab/io/npz';
import { makeTrajectory } from 'cglab/io/trajectory';
import { checkCutoff, liquidFromTrajectory, readLiquid } from 'cglab/methods/pairs/data';
import { Random } from 'cglab/util/random';
import { makeTopology, type Atom } from 'cglab/topology/topology';

const dir = mkdtempSync(join(tmpdir(), 'cglab-liquid-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const EDGES = [2.0, 2.5, 3.0];

/** `frames` frames of `n` particles uniform in the box (nm), their forces, and [frames, 3] edges growing by 1 % a frame. */
function plainFrames(frames: number, n: number, seed: number) {
  const rng = new Random(seed);
  const box = Float32Array.from({ length: 3 * frames }, (_, k) => EDGES[k % 3] * (1 + 0.01 * Math.floor(k / 3)));
  const positions = Float32Array.from({ length: 3 * frames * n }, (_, k) => box[3 * Math.floor(k / (3 * n)) + (k % 3)] * rng.uniform());
  const forces = Float32Array.from({ length: 3 * frames * n }, () => 10 * rng.normal());
  return { positions, forces, box };
}

/** A plain numpy NPZ (no meta) of the given arrays; shapes [frames, n, 3] and `boxShape`. */
function writePlain(name: string, frames: number, n: number, a: { positions: Float32Array; forces?: Float32Array; box?: Float32Array }, boxShape = [frames, 3]): string {
  const path = join(dir, name);
  writeNpz(path, {
    positions: npyArray(a.positions, [frames, n, 3]),
    ...(a.forces ? { forces: npyArray(a.forces, [frames, n, 3]) } : {}),
    ...(a.box ? { box: npyArray(a.box, boxShape) } : {}),
  });
  return path;
}

test('readLiquid: a plain NPZ with [frames, 3] box edges: one CG bead per particle, values as stored', () => {
  const [frames, n] = [3, 30];
  const a = plainFrames(frames, n, 1);
  const path = writePlain('plain.npz', frames, n, a);
  const data = readLiquid(path, { requireForces: true });
  assert.equal(data.source, path);
  assert.equal(data.frames, 3);
  assert.equal(data.n, 30);
  assert.deepEqual(data.typeNames, ['CG']);
  assert.ok(data.types.every((t) => t === 0));
  assert.ok(data.masses.every((m) => m === 1));
  // float32 in the file, float64 out: the same numbers.
  assert.deepEqual(Array.from(data.box), Array.from(a.box));
  assert.deepEqual(Array.from(data.positions), Array.from(a.positions));
  assert.deepEqual(Array.from(data.forces as Float64Array), Array.from(a.forces));
  assert.equal(data.temperature, undefined);
});

test('readLiquid: maxFrames strides evenly through the frames, boxes following', () => {
  const [frames, n] = [10, 24];
  const a = plainFrames(frames, n, 2);
  const data = readLiquid(writePlain('ten.npz', frames, n, a), { maxFrames: 3 });
  assert.equal(data.frames, 3);
  // Frames 0, 3 and 6 (k · 10/3, rounded down): edges 1.00, 1.03 and 1.06 × EDGES.
  [0, 3, 6].forEach((f, k) => {
    for (let d = 0; d < 3; d++) assert.equal(data.box[3 * k + d], a.box[3 * f + d], `frame ${k} (file frame ${f}), edge ${'xyz'[d]}`);
    assert.equal(data.positions[3 * n * k + 5], a.positions[3 * n * f + 5], `frame ${k}: positions of file frame ${f}`);
  });
});

test('readLiquid: with a topology, residues become centre-of-mass beads typed by residue name, forces summed', () => {
  // 24 three-atom SOL molecules (every other one split across the x face) and 4 one-atom AR;
  // the rest spread over the box, so that the beads fill it.
  const rng = new Random(3);
  const atoms: Atom[] = [];
  const centres: number[] = [];
  const x: number[] = [];
  const water = [15.999, 1.008, 1.008];
  // Atom offsets from the centre of mass of a SOL (O at the origin, H at ±0.08 nm in x, 0.03 in y).
  const comY = (0.03 * 2 * 1.008) / 18.015;
  const sol = [[0, -comY, 0], [0.08, 0.03 - comY, 0], [-0.08, 0.03 - comY, 0]];
  for (let m = 0; m < 28; m++) {
    const isSol = m < 24;
    const centre = [m % 2 === 0 && isSol ? 0.01 : EDGES[0] * rng.uniform(), EDGES[1] * rng.uniform(), EDGES[2] * rng.uniform()];
    centres.push(...centre);
    (isSol ? sol : [[0, 0, 0]]).forEach((o, k) => {
      atoms.push(isSol
        ? { name: ['OW', 'HW1', 'HW2'][k], element: k ? 'H' : 'O', mass: water[k], residue: 'SOL', resid: m + 1 }
        : { name: 'AR', element: 'Ar', mass: 39.948, residue: 'AR', resid: m + 1 });
      // Wrapped atom by atom into [0, L).
      x.push(...o.map((v, d) => centre[d] + v - EDGES[d] * Math.floor((centre[d] + v) / EDGES[d])));
    });
  }
  const nAtoms = atoms.length;
  const forces = Float32Array.from({ length: 3 * nAtoms }, (_, k) => (k % 3) + 1);
  const box = Float32Array.from([EDGES[0], 0, 0, 0, EDGES[1], 0, 0, 0, EDGES[2]]);
  const path = join(dir, 'molecules.npz');
  writeDataset(path, makeTrajectory({ nFrames: 1, nAtoms, positions: Float32Array.from(x), forces, box, topology: makeTopology(atoms), provenance: { temperature_K: 310 } }));
  const data = readLiquid(path);
  assert.equal(data.n, 28);
  assert.deepEqual(data.typeNames, ['SOL', 'AR']);
  assert.deepEqual(Array.from(data.types), [...Array(24).fill(0), 1, 1, 1, 1]);
  assert.equal(data.temperature, 310);
  // Masses are the residues' sums (they travel in JSON: exact up to the sum's rounding).
  assert.ok(Math.abs(data.masses[0] - 18.015) < 1e-12 && data.masses[27] === 39.948, `masses ${data.masses[0]}, ${data.masses[27]}`);
  assert.equal(data.topology.atoms.length, 28);
  assert.equal(data.topology.atoms[0].residue, 'SOL');
  // Forces summed: three atoms of force (1, 2, 3) each.
  assert.deepEqual(Array.from(data.forces!.subarray(0, 3)), [3, 6, 9]);
  assert.deepEqual(Array.from(data.forces!.subarray(81, 84)), [1, 2, 3]);
  // Centres equal the unwrapped centres modulo the box (float32 positions: 1e-6 nm).
  for (let b = 0; b < 28; b++) {
    for (let d = 0; d < 3; d++) {
      const diff = (data.positions[3 * b + d] - centres[3 * b + d]) / EDGES[d];
      assert.ok(Math.abs(diff - Math.round(diff)) < 1e-6, `bead ${b}, ${'xyz'[d]}: ${data.positions[3 * b + d]} vs ${centres[3 * b + d]}`);
    }
  }
});

test('readLiquid: names the file and the problem: no box, box in Å with positions in nm, NaN, missing forces, skewed or empty box', () => {
  const [frames, n] = [2, 30];
  const a = plainFrames(frames, n, 4);
  const noBox = writePlain('nobox.npz', frames, n, { positions: a.positions, forces: a.forces });
  assert.throws(() => readLiquid(noBox), (e: Error) => e.message === `${noBox}: no box: a periodic liquid needs 'box' ([frames, 3] edge lengths or [frames, 3, 3] box vectors, nm)`);

  const angstrom = writePlain('angstrom.npz', frames, n, { ...a, box: a.box.map((v) => 10 * v) });
  assert.throws(() => readLiquid(angstrom), (e: Error) => e.message.startsWith(`${angstrom}: box is inconsistent with positions in frame 0: the 30 beads occupy only `)
    && e.message.endsWith(' of 10 slabs along x of the 20 nm edge; are box and positions in the same unit (nm)?'));

  const nan = a.positions.slice();
  nan[3 * (n + 2) + 1] = Number.NaN;
  const nanPath = writePlain('nan.npz', frames, n, { ...a, positions: nan });
  assert.throws(() => readLiquid(nanPath), (e: Error) => e.message === `${nanPath}: positions has a non-finite value (NaN) at frame 1, atom 2 (component y): fix or drop that frame`);

  const noForces = writePlain('noforces.npz', frames, n, { positions: a.positions, box: a.box });
  assert.equal(readLiquid(noForces).forces, undefined);
  assert.throws(() => readLiquid(noForces, { requireForces: true }), (e: Error) => e.message === `${noForces}: no forces: force matching needs 'forces' [frames, atoms, 3] (kJ/mol/nm) beside positions`);

  const vectors = (skew: number, ey: number) => Float32Array.from({ length: 9 * frames }, (_, k) => {
    const [a3, b3] = [Math.floor((k % 9) / 3), k % 3];
    if (a3 === b3) return a3 === 1 ? ey : EDGES[a3];
    return a3 === 1 && b3 === 0 && k >= 9 ? skew : 0;
  });
  const skewed = writePlain('skewed.npz', frames, n, { ...a, box: vectors(0.3, EDGES[1]) }, [frames, 3, 3]);
  assert.throws(() => readLiquid(skewed), (e: Error) => e.message === `${skewed}: box of frame 1 is not orthorhombic (box[1, 1, 0] = ${Math.fround(0.3)} nm); only rectangular boxes are supported`);
  const flat = writePlain('flat.npz', frames, n, { ...a, box: vectors(0, 0) }, [frames, 3, 3]);
  assert.throws(() => readLiquid(flat), (e: Error) => e.message === `${flat}: box of frame 0 has edge y = 0 nm, expected > 0`);
});

test('checkCutoff: a cut-off over half of some frame’s box names the file and frame', () => {
  const [frames, n] = [3, 30];
  const path = writePlain('cutoff.npz', frames, n, plainFrames(frames, n, 5));
  const data = readLiquid(path);
  assert.doesNotThrow(() => checkCutoff(data, 1.0, 'fit'));
  // Frame 0's x edge is 2.0 nm, frames 1 and 2 are 1 % and 2 % larger.
  assert.throws(() => checkCutoff(data, 1.005, 'fit'), (e: Error) => e.message.startsWith(`fit (${path}, box of frame 0): cutoff 1.005 nm must be positive and at most half the shortest box edge (1 nm)`));
});

test('liquidFromTrajectory: frames in memory map as a file does; a non-finite value or a dashed type name is an error', () => {
  const [frames, n] = [2, 30];
  const a = plainFrames(frames, n, 9);
  const box = new Float32Array(9 * frames);
  for (let f = 0; f < frames; f++) for (let d = 0; d < 3; d++) box[9 * f + 4 * d] = a.box[3 * f + d];
  const top = (residue: string) => makeTopology(Array.from({ length: n }, (_, i) => ({ name: 'X', element: '', mass: 2, residue, resid: i + 1 })));
  const traj = makeTrajectory({ topology: top('AR'), nFrames: frames, nAtoms: n, positions: a.positions, forces: a.forces, box });
  const data = liquidFromTrajectory(traj, 'in memory', { requireForces: true });
  assert.deepEqual(data.typeNames, ['AR']);
  assert.equal(data.positions[7], a.positions[7]);
  const bad = Float32Array.from(a.forces);
  bad[40] = NaN;
  assert.throws(() => liquidFromTrajectory({ ...traj, forces: bad }, 'in memory'), /in memory: forces has a non-finite value \(NaN\) at flat index 40/);
  assert.throws(() => liquidFromTrajectory({ ...traj, topology: top('A-B') }, 'in memory'), /bead type 'A-B' \(a residue name\) is empty or contains '-'/);
});
