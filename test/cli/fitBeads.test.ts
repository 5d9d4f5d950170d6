import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splineLiquidPotential, SPLINE_LIQUID_CUTOFF } from 'cglab/datasets/splineLiquid';
import { readDataset, writeDataset } from 'cglab/io/dataset';
import { readPairTableCsv } from 'cglab/io/pairTableFiles';
import { makeTrajectory } from 'cglab/io/trajectory';
import { samplePairs } from 'cglab/methods/pairs/sample';
import { HarmonicAngles, HarmonicBonds } from 'cglab/physics/bonded';
import { pairPotential } from 'cglab/physics/pairPotential';
import { makeTopology } from 'cglab/topology/topology';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'cglab-cli-beads-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cglab = (args: string[]) => spawnSync(bin, args, { encoding: 'utf8' });

// A liquid of 64 dimers (beads A and B, bond r0 0.25 nm, k 20000 kJ/mol/nm²) in a 2 nm cube, every
// intermolecular pair on the known spline potential; stored as atoms P, Q of residues DIM.
const { table } = splineLiquidPotential();
const molecules = 64;
const n = 2 * molecules;
const edge = 2;
const box: [number, number, number] = [edge, edge, edge];
const types = Int32Array.from({ length: n }, (_, i) => i % 2);
const molecule = Int32Array.from({ length: n }, (_, i) => i >> 1);
const bonds = Array.from({ length: molecules }, (_, m) => ({ atoms: [2 * m, 2 * m + 1] as [number, number], length: 0.25, k: 20000 }));
const tables = new Map([['A-A', table], ['A-B', table], ['B-B', table]]);
const system = { types, typeNames: ['A', 'B'], masses: new Float64Array(n).fill(18), molecule, bonds };
const start = new Float64Array(3 * n);
for (let m = 0; m < molecules; m++) {
  const c = [m % 4, (m >> 2) % 4, m >> 4].map((k) => (k + 0.5) * (edge / 4));
  for (let d = 0; d < 3; d++) {
    start[6 * m + d] = c[d];
    start[6 * m + 3 + d] = c[d] + (d === 0 ? 0.25 : 0);
  }
}
const s = await samplePairs(tables, system, start, box, { ps: 6, skipPs: 4, saveEveryPs: 0.2, temperature: 300, seed: 4 });
const positions = Float64Array.from(s.positions);
const forces = new Float64Array(positions.length);
pairPotential({ box, types, typeNames: ['A', 'B'], tables, molecule, bonds: new HarmonicBonds(bonds, box) }).evaluate(positions, s.frames, forces, new Float64Array(s.frames));
const top = makeTopology(Array.from({ length: n }, (_, i) => ({ name: i % 2 ? 'Q' : 'P', element: 'C', mass: 18, residue: 'DIM', resid: (i >> 1) + 1 })));
const boxes = new Float32Array(9 * s.frames);
for (let f = 0; f < s.frames; f++) for (let d = 0; d < 3; d++) boxes[9 * f + 4 * d] = edge;
const data = join(dir, 'dimers.npz');
writeDataset(data, makeTrajectory({ topology: top, nFrames: s.frames, nAtoms: n, positions: Float32Array.from(positions), forces: Float32Array.from(forces), box: boxes }));
const spec = join(dir, 'beads.json');
writeFileSync(spec, JSON.stringify({ DIM: [{ name: 'A', atoms: ['P'] }, { name: 'B', atoms: ['Q'] }] }));

test('fit pairs --beads --method fm: molecules of several beads, bonds fitted with the intermolecular tables, and simulate keeps them whole', () => {
  const out = join(dir, 'fm');
  const r = cglab(['fit', 'pairs', '--data', data, '--beads', spec, '--method', 'fm', '--cutoff', String(SPLINE_LIQUID_CUTOFF), '--bin', '0.02', '--temperature', '300', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  // MS-CG fits the bonds with the pairs: exact forces give back k and r0 (float32 data, the penalty on the splines).
  const m = /bond A-B fitted with the pairs: r0 ([\d.]+) nm, k (\d+) kJ\/mol\/nm²/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(Math.abs(Number(m[1]) - 0.25) < 1e-4, `r0 ${m[1]}`);
  assert.ok(Math.abs(Number(m[2]) / 20000 - 1) < 2e-3, `k ${m[2]}`);
  const info = JSON.parse(readFileSync(join(out, 'pairs.json'), 'utf8'));
  assert.deepEqual(info.typeNames, ['A', 'B']);
  assert.equal(info.bonds.length, molecules);
  assert.deepEqual(info.molecule.slice(0, 4), [0, 0, 1, 1]);
  // The intermolecular table: the known one, to the default penalty's bias at the steep wall (1 % of the force
  // scale on 60 frames in fit.test.ts; 2 % on these 30).
  const fit = readPairTableCsv(join(out, 'tables', 'A-B.csv'));
  const a = [0, 0];
  const b = [0, 0];
  const rows = [0.3, 0.32, 0.34, 0.36, 0.4, 0.45, 0.5, 0.6].map((x) => {
    fit.evaluate(x, a);
    table.evaluate(x, b);
    return [x, a[1], b[1]];
  });
  for (const [x, f, f0] of rows) assert.ok(Math.abs(f - f0) < 0.02 * 120, `F(${x}) ${f} vs ${f0} kJ/mol/nm`);
  const traj = join(dir, 'traj.npz');
  const sim = cglab(['simulate', '--model', out, '--replicas', '1', '--ps', '2', '--save-every-ps', '1', '--out', traj]);
  assert.equal(sim.status, 0, sim.stderr);
  const t = readDataset(traj);
  const x = t.positions;
  const last = 3 * n * (t.nFrames - 1);
  for (let mol = 0; mol < molecules; mol++) {
    let r2 = 0;
    for (let d = 0; d < 3; d++) {
      let dd = x[last + 6 * mol + d] - x[last + 6 * mol + 3 + d];
      dd -= edge * Math.round(dd / edge);
      r2 += dd * dd;
    }
    assert.ok(Math.abs(Math.sqrt(r2) - 0.25) < 0.08, `molecule ${mol} bond ${Math.sqrt(r2)} nm after 2 ps`);
  }
});

test('simulate --start: all-atom frames of a several-bead model are mapped with the bead spec kept in pairs.json', () => {
  const r = cglab(['simulate', '--model', join(dir, 'fm'), '--start', data, '--replicas', '1', '--ps', '0.2', '--save-every-ps', '0.2', '--out', join(dir, 'start.npz')]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readDataset(join(dir, 'start.npz')).nAtoms, n);
});

test('fit pairs --beads --method ibi: bonds by Boltzmann inversion, held fixed while the pairs are fitted', () => {
  const out = join(dir, 'ibi');
  const r = cglab(['fit', 'pairs', '--data', data, '--beads', spec, '--method', 'ibi', '--cutoff', String(SPLINE_LIQUID_CUTOFF), '--bin', '0.02', '--temperature', '300', '--iterations', '1', '--ps', '1', '--skip-ps', '0.2', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const m = /bond A-B \((\d+) lengths\): r0 ([\d.]+) nm, k (\d+) kJ\/mol\/nm² by Boltzmann inversion/.exec(r.stderr);
  assert.ok(m, r.stderr);
  // Harmonic bond at 300 K: σ = √(kT/k) = 0.011 nm, the mean 2σ²/r0 ≈ 0.001 nm out; k from 30 correlated
  // frames × 64 bonds to ~10 %, allowed 20 %.
  assert.equal(Number(m[1]), 30 * molecules);
  assert.ok(Math.abs(Number(m[2]) - 0.25) < 0.003, `r0 ${m[2]}`);
  assert.ok(Math.abs(Number(m[3]) / 20000 - 1) < 0.2, `k ${m[3]}`);
  assert.equal(JSON.parse(readFileSync(join(out, 'pairs.json'), 'utf8')).bonds.length, molecules);
});

test('fit pairs --beads: an atom in no bead names the spec, the atom and the residue', () => {
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ DIM: [{ name: 'A', atoms: ['P'] }] }));
  const r = cglab(['fit', 'pairs', '--data', data, '--beads', bad, '--method', 'fm', '--cutoff', '0.7', '--out', join(dir, 'bad')]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /bad\.json: atom Q of residue DIM 1 is in none of its beads \(A: P\)/);
});

test('fit pairs --beads with three-bead molecules: fm fits the harmonic angle with the bonds and pairs; ibi Boltzmann-inverts it', async () => {
  // 48 trimers A-B-A: bonds 0.25 nm (20000 kJ/mol/nm²), angle 2.0 rad (100 kJ/mol/rad²), intermolecular pairs on the known table.
  const mols = 48;
  const nb = 3 * mols;
  const tTypes = Int32Array.from({ length: nb }, (_, i) => (i % 3 === 1 ? 1 : 0));
  const tMolecule = Int32Array.from({ length: nb }, (_, i) => Math.floor(i / 3));
  const tBonds = Array.from({ length: mols }, (_, m) => [[3 * m, 3 * m + 1], [3 * m + 1, 3 * m + 2]].map((atoms) => ({ atoms: atoms as [number, number], length: 0.25, k: 20000 }))).flat();
  const tAngles = Array.from({ length: mols }, (_, m) => ({ atoms: [3 * m, 3 * m + 1, 3 * m + 2] as [number, number, number], angle: 2.0, k: 100 }));
  const sys = { types: tTypes, typeNames: ['A', 'B'], masses: new Float64Array(nb).fill(18), molecule: tMolecule, bonds: tBonds, angles: tAngles };
  const x0 = new Float64Array(3 * nb);
  for (let m = 0; m < mols; m++) {
    const c = [m % 4, (m >> 2) % 4, Math.floor(m / 16)].map((k) => (k + 0.5) * (edge / 4));
    const beads = [[0, 0, 0], [0.25, 0, 0], [0.25 - 0.25 * Math.cos(2.0), 0.25 * Math.sin(2.0), 0]];
    beads.forEach((p, b) => p.forEach((v, d) => (x0[3 * (3 * m + b) + d] = c[d] + v)));
  }
  const run = await samplePairs(tables, sys, x0, box, { ps: 6, skipPs: 4, saveEveryPs: 0.2, temperature: 300, seed: 6 });
  const pos = Float64Array.from(run.positions);
  const frc = new Float64Array(pos.length);
  pairPotential({ box, types: tTypes, typeNames: ['A', 'B'], tables, molecule: tMolecule, bonds: new HarmonicBonds(tBonds, box), angles: new HarmonicAngles(tAngles, box) }).evaluate(pos, run.frames, frc, new Float64Array(run.frames));
  const tTop = makeTopology(Array.from({ length: nb }, (_, i) => ({ name: ['P', 'Q', 'R'][i % 3], element: 'C', mass: 18, residue: 'TRI', resid: Math.floor(i / 3) + 1 })));
  const tBox = new Float32Array(9 * run.frames);
  for (let f = 0; f < run.frames; f++) for (let d = 0; d < 3; d++) tBox[9 * f + 4 * d] = edge;
  const file = join(dir, 'trimers.npz');
  writeDataset(file, makeTrajectory({ topology: tTop, nFrames: run.frames, nAtoms: nb, positions: Float32Array.from(pos), forces: Float32Array.from(frc), box: tBox }));
  const tSpec = join(dir, 'trimer.json');
  writeFileSync(tSpec, JSON.stringify({ TRI: [{ name: 'A', atoms: ['P'] }, { name: 'B', atoms: ['Q'] }, { name: 'A', atoms: ['R'] }] }));

  const fm = cglab(['fit', 'pairs', '--data', file, '--beads', tSpec, '--method', 'fm', '--cutoff', String(SPLINE_LIQUID_CUTOFF), '--bin', '0.02', '--temperature', '300', '--out', join(dir, 'tri-fm')]);
  assert.equal(fm.status, 0, fm.stderr);
  const angle = /angle A-B-A fitted with the pairs: θ0 ([\d.]+) rad, k ([\d.]+) kJ\/mol\/rad²/.exec(fm.stderr);
  assert.ok(angle, fm.stderr);
  // Exact forces in the model's span: θ0 and k come back to the float32 data's rounding and the splines' penalty.
  assert.ok(Math.abs(Number(angle[1]) - 2.0) < 1e-3, `θ0 ${angle[1]}`);
  assert.ok(Math.abs(Number(angle[2]) / 100 - 1) < 5e-3, `k ${angle[2]}`);
  const info = JSON.parse(readFileSync(join(dir, 'tri-fm', 'pairs.json'), 'utf8'));
  assert.equal(info.angles.length, mols);
  assert.equal(info.bonds.length, 2 * mols);
  const sim = cglab(['simulate', '--model', join(dir, 'tri-fm'), '--replicas', '1', '--ps', '1', '--save-every-ps', '1', '--out', join(dir, 'tri.npz')]);
  assert.equal(sim.status, 0, sim.stderr);

  const ibi = cglab(['fit', 'pairs', '--data', file, '--beads', tSpec, '--method', 'ibi', '--cutoff', String(SPLINE_LIQUID_CUTOFF), '--bin', '0.02', '--temperature', '300', '--iterations', '1', '--ps', '1', '--skip-ps', '0.2', '--out', join(dir, 'tri-ibi')]);
  assert.equal(ibi.status, 0, ibi.stderr);
  const bi = /angle A-B-A \((\d+) angles\): θ0 ([\d.]+) rad, k ([\d.]+) kJ\/mol\/rad² by Boltzmann inversion/.exec(ibi.stderr);
  assert.ok(bi, ibi.stderr);
  // σθ = √(kT/k) = 0.16 rad; neglecting sin θ moves the mean by σ² cot θ0 ≈ −0.01 rad; k from 1440 correlated angles to ~10 %.
  assert.ok(Math.abs(Number(bi[2]) - 2.0) < 0.04, `θ0 ${bi[2]}`);
  assert.ok(Math.abs(Number(bi[3]) / 100 - 1) < 0.25, `k ${bi[3]}`);
});
