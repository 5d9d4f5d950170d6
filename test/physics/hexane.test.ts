import { test } from 'node:test';
import assert from 'node:assert/strict';
import { angle, dihedral, distance } from 'cglab/analysis/geometry';
import { getSystem } from 'cglab/datasets/systems';
import { baoab, initState, kineticEnergies, kineticTemperatures } from 'cglab/md/integrators';
import { minimize } from 'cglab/md/minimize';
import { run } from 'cglab/md/simulate';
import { PeriodicTorsions } from 'cglab/physics/bonded';
import { HEXANE_MASS, hexaneLattice, trappeHexane, trappeTorsions, wholeMolecules } from 'cglab/physics/hexane';
import { energiesAndForces } from 'cglab/physics/potential';
import { ELEMENT_MASS } from 'cglab/topology/topology';
import { AVOGADRO, BOLTZMANN } from 'cglab/units';
import { Random } from 'cglab/util/random';
import { forEachPairBrute, type Box } from '../helpers/periodicPairs.js';

// TraPPE-UA as published (Martin & Siepmann 1998), written out here rather than taken from
// hexane.ts: σ nm, ε/kB K for CH3 (sites 0 and 5) and CH2; bond 0.154 nm with the flexible
// variant's 2.5e5 kJ/mol/nm²; angle 114°, 62500 K/rad²; OPLS torsion c1, c2, c3 in K.
const SIGMA = [0.375, 0.395];
const EPS_K = [98, 46];
const siteType = (s: number) => (s % 6 === 0 || s % 6 === 5 ? 0 : 1);
const C = [355.03, -68.19, 791.32];

/** LJ of sites i, j (Lorentz–Berthelot), kJ/mol. */
function lj(i: number, j: number, r: number): number {
  const s = (SIGMA[siteType(i)] + SIGMA[siteType(j)]) / 2;
  const e = Math.sqrt(EPS_K[siteType(i)] * EPS_K[siteType(j)]) * BOLTZMANN;
  return 4 * e * ((s / r) ** 12 - (s / r) ** 6);
}

/** Bonded energy (kJ/mol) of whole molecules, from the internal coordinates of analysis/geometry. */
function bondedEnergy(x: Float64Array, molecules: number): number {
  let e = 0;
  for (let m = 0; m < molecules; m++) {
    const o = 6 * m;
    for (let k = 0; k < 5; k++) e += 0.5 * 2.5e5 * (distance(x, o + k, o + k + 1) - 0.154) ** 2;
    for (let k = 0; k < 4; k++) e += 0.5 * 62500 * BOLTZMANN * (angle(x, o + k, o + k + 1, o + k + 2) - (114 * Math.PI) / 180) ** 2;
    for (let k = 0; k < 3; k++) {
      const phi = dihedral(x, o + k, o + k + 1, o + k + 2, o + k + 3);
      e += BOLTZMANN * (C[0] * (1 + Math.cos(phi)) + C[1] * (1 - Math.cos(2 * phi)) + C[2] * (1 + Math.cos(3 * phi)));
    }
  }
  return e;
}

/**
 * The whole energy by brute force: every site pair of different molecules under the nearest of
 * the 27 images, the 1-5 and 1-6 pairs of each molecule, and the bonded terms.
 */
function referenceEnergy(x: Float64Array, molecules: number, box: Box, rc: number): number {
  const molecule = Int32Array.from({ length: 6 * molecules }, (_, i) => Math.floor(i / 6));
  let e = bondedEnergy(x, molecules);
  forEachPairBrute(x, 6 * molecules, box, (i, j, _d, r) => {
    if (r < rc) e += lj(i, j, r);
  }, molecule);
  for (let m = 0; m < molecules; m++) {
    for (const [a, b] of [[0, 4], [0, 5], [1, 5]]) {
      const r = distance(x, 6 * m + a, 6 * m + b);
      if (r < rc) e += lj(a, b, r);
    }
  }
  return e;
}

type V3 = [number, number, number];
const sub = (p: V3, q: V3): V3 => [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
const cross = (p: V3, q: V3): V3 => [p[1] * q[2] - p[2] * q[1], p[2] * q[0] - p[0] * q[2], p[0] * q[1] - p[1] * q[0]];
const normalise = (p: V3): V3 => {
  const l = Math.hypot(...p);
  return [p[0] / l, p[1] / l, p[2] / l];
};

/** A chain from internal coordinates: bond lengths (nm), angles and dihedrals (rad), one per site from the 2nd, 3rd, 4th on. */
function chain(bonds: number[], angles: number[], dihedrals: number[]): Float64Array {
  const p: V3[] = [[0, 0, 0], [bonds[0], 0, 0]];
  p.push([bonds[0] - bonds[1] * Math.cos(angles[0]), bonds[1] * Math.sin(angles[0]), 0]);
  for (let s = 3; s < bonds.length + 1; s++) {
    // Site s from s−3, s−2, s−1 (natural extension reference frame).
    const [a, b, c] = [p[s - 3], p[s - 2], p[s - 1]];
    const bc = normalise(sub(c, b));
    const n = normalise(cross(sub(b, a), bc));
    const m = cross(n, bc);
    const [l, th, ph] = [bonds[s - 1], angles[s - 2], dihedrals[s - 3]];
    const d = [-l * Math.cos(th), l * Math.sin(th) * Math.cos(ph), l * Math.sin(th) * Math.sin(ph)];
    p.push([0, 1, 2].map((k) => c[k] + d[0] * bc[k] + d[1] * m[k] + d[2] * n[k]) as V3);
  }
  return Float64Array.from(p.flat());
}

const DEG = Math.PI / 180;

test('the TraPPE torsion as three periodic terms: trans (180°) is the minimum, the literal OPLS form everywhere', () => {
  const terms = new PeriodicTorsions(trappeTorsions([0, 1, 2, 3]));
  let worst = 0;
  for (let deg = -179; deg <= 180; deg++) {
    const x = chain([0.154, 0.154, 0.154], [114 * DEG, 114 * DEG], [deg * DEG]);
    // The chain builder's φ is the IUPAC one the potential uses.
    assert.ok(Math.abs(Math.cos(dihedral(x, 0, 1, 2, 3)) - Math.cos(deg * DEG)) < 1e-12 && Math.abs(Math.sin(dihedral(x, 0, 1, 2, 3)) - Math.sin(deg * DEG)) < 1e-12, `φ ${deg}°`);
    const f = new Float64Array(12);
    const u = terms.accumulate(x, 0, f);
    const phi = deg * DEG;
    const opls = BOLTZMANN * (C[0] * (1 + Math.cos(phi)) + C[1] * (1 - Math.cos(2 * phi)) + C[2] * (1 + Math.cos(3 * phi)));
    worst = Math.max(worst, Math.abs(u - opls));
    if (deg === 180) {
      assert.ok(Math.abs(u) < 1e-12, `U(180°) = ${u}`);
      for (const v of f) assert.ok(Math.abs(v) < 1e-9, `force at trans: ${v}`);
    } else {
      assert.ok(u > 0, `U(${deg}°) = ${u} kJ/mol is not above trans`);
    }
  }
  // Energies are ≲ 20 kJ/mol: 1e-12 is rounding. A wrong phase of the n = 2 term would move
  // U(60°) by 2·c2·kB·1.5 ≈ 1.7 kJ/mol.
  assert.ok(worst < 1e-12, `largest difference from the OPLS form ${worst}`);
  const at = (deg: number) => terms.accumulate(chain([0.154, 0.154, 0.154], [114 * DEG, 114 * DEG], [deg * DEG]), 0, new Float64Array(12));
  assert.ok(Math.abs(at(60) - 1.5 * (C[0] + C[1]) * BOLTZMANN) < 1e-12);
  assert.ok(Math.abs(at(0) - 2 * (C[0] + C[2]) * BOLTZMANN) < 1e-12);
});

test("a lone molecule's LJ energy has only the 1-5 and 1-6 pairs", (t) => {
  // A strained, folded chain (g+ g− t, bonds and angles off their minima): sites 0 and 4 clash
  // at 0.305 nm (the pentane effect), the 1-4 pairs sit at 0.31–0.40 nm, so the 1-5/1-6 and the
  // 1-4 LJ are each ~26 kJ/mol; the 1-2 and 1-3 pairs (0.15–0.27 nm) would add ≳ 1e3 kJ/mol.
  const x = chain([0.158, 0.151, 0.156, 0.153, 0.155], [110 * DEG, 118 * DEG, 112 * DEG, 116 * DEG], [62 * DEG, -75 * DEG, 170 * DEG]);
  const box: Box = [4, 4.2, 4.4];
  const ours = energiesAndForces(trappeHexane({ molecules: 1, box }), x).energies[0];
  const bonded = bondedEnergy(x, 1);
  const lj15 = lj(0, 4, distance(x, 0, 4)) + lj(0, 5, distance(x, 0, 5)) + lj(1, 5, distance(x, 1, 5));
  const lj14 = lj(0, 3, distance(x, 0, 3)) + lj(1, 4, distance(x, 1, 4)) + lj(2, 5, distance(x, 2, 5));
  // Rounding of a few terms of ≲ 30 kJ/mol: 1e-10 absolute; the 1-4 and 1-5 parts are far larger.
  assert.ok(Math.abs(lj15) > 1 && Math.abs(lj14) > 1, `LJ 1-5/1-6 ${lj15}, 1-4 ${lj14} kJ/mol`);
  assert.ok(Math.abs(ours - (bonded + lj15)) < 1e-10, `ours ${ours}, bonded + 1-5/1-6 LJ ${bonded + lj15} kJ/mol`);
  t.diagnostic(`bonded ${bonded.toFixed(3)}, LJ 1-5/1-6 ${lj15.toFixed(4)}, left out 1-4 ${lj14.toFixed(4)} kJ/mol`);
});

/**
 * `molecules` at 0.655 g/cm³ in an orthorhombic box near the cube (unequal edges show an axis
 * mix-up): the lattice minimised, molecules made whole, every site then moved ~0.005 nm.
 */
function relaxed(molecules: number, rc: number, seed: number): { x: Float64Array; box: Box } {
  const edge = Math.cbrt((molecules * HEXANE_MASS) / AVOGADRO / 0.655 / 1e-21);
  const box: Box = [0.96 * edge, edge, 1.04 * edge];
  const rng = new Random(seed);
  const p = trappeHexane({ molecules, box, cutoff: rc });
  const x = wholeMolecules(minimize(p, hexaneLattice(molecules, box, rng), { maxIterations: 300, tolerance: 500 }).x, molecules, box);
  for (let i = 0; i < x.length; i++) x[i] += 0.005 * rng.normal();
  return { x, box };
}

test('energy is the brute-force sum (27 images, 1-5/1-6 pairs, bonded terms), with and without cell lists, after moves', () => {
  // 64 molecules (edges 2.31–2.51 nm) with rc = 0.6 nm: cells of ≥ rc + skin = 0.7 nm, three per
  // edge, so the cell-list path runs, and the trans 1-6 pairs (~0.64 nm) are beyond the cut-off.
  // 27 molecules (edges 1.73–1.88 nm) with rc = 0.85 nm: fewer cells, so every pair is a candidate.
  for (const [molecules, rc] of [[64, 0.6], [27, 0.85]]) {
    const { x, box } = relaxed(molecules, rc, 11);
    const p = trappeHexane({ molecules, box, cutoff: rc });
    const rng = new Random(12);
    for (let step = 0; step < 6; step++) {
      const ours = energiesAndForces(p, x).energies[0];
      const ref = referenceEnergy(x, molecules, box, rc);
      // |U| ~1e2–1e3 kJ/mol from terms of similar size: the sums differ only in order (~1e-13).
      assert.ok(Math.abs(ours - ref) <= 1e-10 * Math.abs(ref), `rc ${rc}, step ${step}: ${ours} vs ${ref}`);
      // Whole molecules move 0.04 nm per step: the 0.1 nm skin forces rebuilds.
      for (let m = 0; m < molecules; m++) {
        const d = [0, 1, 2].map(() => 0.04 * rng.normal());
        for (let s = 0; s < 6; s++) for (let k = 0; k < 3; k++) x[18 * m + 3 * s + k] += d[k];
      }
    }
  }
});

// The small built-in box shared by the system, force and dynamics tests (about 0.2 s to build).
const small = getSystem('hexane-liquid', { molecules: 27, cutoff: 0.85 });

test('forces are −∇U (central differences, h = 1e-5 nm) in every coordinate of a 27-molecule box', (t) => {
  const p = small.potential;
  const box = small.box as Box;
  const rc = 0.85;
  const x = Float64Array.from(small.positions);
  // Away from the minimum, so that every kind of term carries force.
  const rng = new Random(4);
  for (let i = 0; i < x.length; i++) x[i] += 0.005 * rng.normal();
  const { forces } = energiesAndForces(p, x);
  const energy = (y: Float64Array) => energiesAndForces(p, y).energies[0];
  // The truncated LJ jumps at rc (by ~0.02 kJ/mol), which a difference across it turns into
  // ~1e3 kJ/mol/nm: skip the sites with a pair within 2h of rc (a move of h changes r by ≤ h).
  // About 20 000 pairs per nm of r lie around rc = 0.85 nm here, so ~1 pair on average.
  const h = 1e-5;
  const nearCutoff = new Set<number>();
  const molecule = Int32Array.from({ length: 162 }, (_, i) => Math.floor(i / 6));
  forEachPairBrute(x, 162, box, (i, j, _d, r) => {
    if (Math.abs(r - rc) < 2 * h) nearCutoff.add(i).add(j);
  }, molecule);
  assert.ok(nearCutoff.size <= 8, `${nearCutoff.size} sites near the cut-off`);
  let worst = 0;
  let largest = 0;
  for (let i = 0; i < x.length; i++) {
    if (nearCutoff.has(Math.floor(i / 3))) continue;
    const xp = Float64Array.from(x); xp[i] += h;
    const xm = Float64Array.from(x); xm[i] -= h;
    const fd = -(energy(xp) - energy(xm)) / (2 * h);
    // Truncation h²U'''/6 ≲ 1e-4 kJ/mol/nm at the closest LJ contacts (~0.3 nm) and along the
    // stiff bonds; rounding ~1e-16·Σ|terms|/h ≈ 1e-8.
    const err = Math.abs(fd - forces[i]);
    worst = Math.max(worst, err);
    largest = Math.max(largest, Math.abs(fd));
    assert.ok(err <= 1e-3 + 1e-7 * Math.abs(fd), `coordinate ${i}: ${forces[i]} vs ${fd}`);
  }
  assert.ok(largest > 100, 'the forces checked are too small to test anything');
  t.diagnostic(`max |finite difference − force| ${worst.toExponential(1)} kJ/mol/nm; largest ${largest.toFixed(0)} kJ/mol/nm; ${nearCutoff.size} sites skipped near rc`);
});

test('energy and forces do not change when the box is translated, molecules move by box vectors or sites are wrapped one by one', () => {
  const start = relaxed(64, 1.0, 21);
  const box = start.box;
  // A quarter cell off the lattice, so that many chains cross a face.
  const x = start.x.map((v) => v + 0.15);
  const make = () => trappeHexane({ molecules: 64, box, cutoff: 1.0 });
  const ref = energiesAndForces(make(), x);
  const maxF = ref.forces.reduce((m, f) => Math.max(m, Math.abs(f)), 0);
  const check = (what: string, y: Float64Array) => {
    const got = energiesAndForces(make(), y);
    // Only the rounding of the shifted positions (~1e-16 nm) differs.
    assert.ok(Math.abs(got.energies[0] - ref.energies[0]) <= 1e-10 * Math.abs(ref.energies[0]), `${what}: ${got.energies[0]} vs ${ref.energies[0]}`);
    got.forces.forEach((f, i) => assert.ok(Math.abs(f - ref.forces[i]) <= 1e-9 * maxF, `${what}: force ${i}: ${f} vs ${ref.forces[i]}`));
  };
  check('translated', x.map((v, i) => v + [0.37, -1.13, 2.9][i % 3]));
  const moved = Float64Array.from(x);
  for (const [m, shift] of [[3, [1, 0, -2]], [40, [0, -1, 0]], [63, [3, 1, 1]]] as const) {
    for (let i = 18 * m; i < 18 * m + 18; i++) moved[i] += shift[i % 3] * box[i % 3];
  }
  check('molecules moved by box vectors', moved);
  // Wrapping site by site breaks chains across the faces: bonds, angles, torsions and the 1-5/1-6
  // pairs must all take minimum images. Some chains must straddle a face for this to test that.
  const wrapped = x.map((v, i) => v - box[i % 3] * Math.floor(v / box[i % 3]));
  let broken = 0;
  for (let m = 0; m < 64; m++) if ([0, 1, 2, 3, 4].some((s) => distance(wrapped, 6 * m + s, 6 * m + s + 1) > 0.5)) broken++;
  assert.ok(broken >= 10, `only ${broken} molecules straddle a face`);
  check('sites wrapped into the box one by one', wrapped);
  // wholeMolecules undoes it: every bond is short again, and nothing else changes.
  const whole = wholeMolecules(Float64Array.from(wrapped), 64, box);
  for (let m = 0; m < 64; m++) for (let s = 0; s < 5; s++) assert.ok(distance(whole, 6 * m + s, 6 * m + s + 1) < 0.2);
  check('made whole again', whole);
});

test('bad settings are rejected with what is wrong', () => {
  for (const molecules of [0, 2.5, -3]) {
    assert.throws(() => trappeHexane({ molecules, box: [3, 3, 3] }), new RegExp(`hexane-liquid: molecules must be a positive integer, got ${molecules}`));
  }
  assert.throws(() => trappeHexane({ molecules: 8, box: [2.6, 2.4, 3] }), /hexane-liquid: cutoff 1\.4 nm must be positive and at most half the shortest box edge \(1\.2 nm\)/);
  // The cut-off fits, but a chain (0.77 nm) would not fit in half the box.
  assert.throws(() => trappeHexane({ molecules: 2, box: [1.5, 1.6, 1.6], cutoff: 0.7 }), /half the shortest box edge \(0\.75 nm\) must exceed the chain's length 0\.77 nm/);
  assert.throws(() => trappeHexane({ molecules: 8, box: [3, 3, 3], skin: -0.1 }), /skin must be a non-negative length \(nm\), got -0\.1/);
  // 64 molecules at 0.655 g/cm³ make a 2.409 nm box: the default 1.4 nm cut-off does not fit.
  assert.throws(() => getSystem('hexane-liquid', { molecules: 64 }), /hexane-liquid: cutoff 1\.4 nm must be positive and at most half the shortest box edge \(1\.204/);
  assert.throws(() => getSystem('hexane-liquid', { molecules: 1 }), /hexane-liquid: molecules must be an integer ≥ 2, got 1/);
  assert.throws(() => getSystem('hexane-liquid', { density: -0.6 }), /hexane-liquid: density must be a positive number of g\/cm³, got -0\.6/);
  assert.throws(() => getSystem('hexane-liquid', { cutoff: 0 }), /hexane-liquid: cutoff 0 nm must be positive/);
});

test("getSystem('hexane-liquid'): united atoms that add up to C6H14, the density, topology and a whole, minimised start", () => {
  // CH3 + 4 CH2 + CH3 from standard atomic masses (independent of the TraPPE table).
  const c6h14 = 6 * ELEMENT_MASS.C + 14 * ELEMENT_MASS.H;
  const mass = small.masses.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(mass - 27 * c6h14) < 1e-9, `${mass} vs ${27 * c6h14} amu`);
  assert.deepEqual(Array.from(small.masses.subarray(0, 6)), [15.035, 14.027, 14.027, 14.027, 14.027, 15.035]);
  const box = small.box as Box;
  assert.ok(box[0] === box[1] && box[1] === box[2]);
  const rho = mass / AVOGADRO / (box[0] ** 3 * 1e-21);
  assert.ok(Math.abs(rho - 0.655) < 1e-12, `density ${rho} g/cm³`);
  assert.deepEqual(small.topology.atoms.slice(0, 7).map((a) => `${a.residue}${a.resid}:${a.name}:${a.element}`),
    ['HEX1:C1:C', 'HEX1:C2:C', 'HEX1:C3:C', 'HEX1:C4:C', 'HEX1:C5:C', 'HEX1:C6:C', 'HEX2:C1:C']);
  assert.equal(small.topology.bonds.length, 5 * 27);
  assert.deepEqual(small.topology.bonds.slice(4, 6), [[4, 5], [6, 7]]);
  assert.equal(small.constraints, undefined);
  assert.deepEqual([small.temperature, small.dt, small.friction], [300, 0.002, 1]);
  assert.match(small.description, /27 united-atom n-hexane molecules \(TraPPE-UA.*0\.6550 g\/cm³.*cut off at 0\.85 nm/);
  // Whole molecules in the raw coordinates, near the chain geometry, and no force above the
  // minimiser's 500 kJ/mol/nm.
  for (let m = 0; m < 27; m++) {
    for (let s = 0; s < 5; s++) {
      const b = distance(small.positions, 6 * m + s, 6 * m + s + 1);
      assert.ok(Math.abs(b - 0.154) < 0.01, `molecule ${m}, bond ${s}: ${b} nm`);
    }
  }
  const { energies, forces } = energiesAndForces(small.potential, small.positions);
  assert.ok(Number.isFinite(energies[0]) && energies[0] < 0, `start energy ${energies[0]} kJ/mol`);
  assert.ok(forces.every((f) => Math.abs(f) <= 500), 'a force above the minimiser tolerance');
});

test('BAOAB at 2 fs without constraints: the start melts at about 300 K, and without friction K + U is conserved', (t) => {
  const s = small;
  const thermostat = baoab({ dt: s.dt, temperature: s.temperature, friction: s.friction, masses: s.masses });
  const state = initState(s.potential, Float64Array.from(s.positions), s.masses, s.temperature, 5);
  run(s.potential, thermostat, state, { steps: 1500, saveEvery: 1500 });
  const temperatures: number[] = [];
  for (let k = 0; k < 10; k++) {
    run(s.potential, thermostat, state, { steps: 100, saveEvery: 100 });
    temperatures.push(kineticTemperatures(s.potential, state, s.masses)[0]);
  }
  // 27 molecules, 486 degrees of freedom: instantaneous T fluctuates by √(2/486) ≈ 6 %, so the
  // mean of ten readings 0.2 ps apart (correlated through friction 1/ps) lies well within ±40 K.
  const mean = temperatures.reduce((a, b) => a + b) / temperatures.length;
  assert.ok(Math.abs(mean - 300) < 40, `mean kinetic temperature ${mean} K`);
  // γ → 0 is velocity Verlet. K + U then moves mostly by the truncated LJ's jumps at rc
  // (~0.01–0.02 kJ/mol per pair crossing it, hundreds of crossings in 0.4 ps): measured
  // 1.6–2.6 kJ/mol over six seeds, and 1.1–2.0 at 1 fs, so not the 2 fs step. A force that is
  // not −∇U would move it by far more (K is ~600 kJ/mol here).
  const verlet = baoab({ dt: s.dt, temperature: s.temperature, friction: 1e-6, masses: s.masses });
  const total = () => kineticEnergies(s.potential, state, s.masses)[0] + state.energies[0];
  const h0 = total();
  let drift = 0;
  for (let k = 0; k < 20; k++) {
    run(s.potential, verlet, state, { steps: 10, saveEvery: 10 });
    drift = Math.max(drift, Math.abs(total() - h0));
  }
  assert.ok(drift < 6, `K + U moved by ${drift} kJ/mol`);
  t.diagnostic(`mean T ${mean.toFixed(1)} K (readings ${temperatures.map((v) => v.toFixed(0)).join(', ')}); largest |ΔH| without friction ${drift.toFixed(3)} kJ/mol over 0.4 ps`);
});
