import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getSystem } from 'cglab/datasets/systems';
import { maxConstraintError } from 'cglab/md/constraints';
import { baoab, initState, kineticEnergies, kineticTemperatures } from 'cglab/md/integrators';
import { Random } from 'cglab/util/random';
import { run } from 'cglab/md/simulate';
import { energiesAndForces } from 'cglab/physics/potential';
import { SPCE, spceConstraints, spceHH, spceWater, waterLattice } from 'cglab/physics/water';
import { AVOGADRO, COULOMB } from 'cglab/units';

const WATER_MASS = SPCE.mO + 2 * SPCE.mH;

/**
 * Every atom pair of different molecules, each under its own minimum image, with OpenMM's
 * documented reaction-field constants (c_rf written as (1/rc)·3ε/(2ε + 1), not as water.ts has it).
 */
function bruteEnergy(x: Float64Array, molecules: number, box: number[], rc: number, epsRF = 80): number {
  const kRF = (epsRF - 1) / ((2 * epsRF + 1) * rc ** 3);
  const cRF = (3 * epsRF) / ((2 * epsRF + 1) * rc);
  const q = [SPCE.qO, SPCE.qH, SPCE.qH];
  let e = 0;
  for (let i = 0; i < 3 * molecules; i++) {
    for (let j = i + 1; j < 3 * molecules; j++) {
      if (Math.floor(i / 3) === Math.floor(j / 3)) continue;
      const d = [0, 1, 2].map((k) => { const v = x[3 * i + k] - x[3 * j + k]; return v - box[k] * Math.round(v / box[k]); });
      const r = Math.hypot(d[0], d[1], d[2]);
      if (r >= rc) continue;
      e += COULOMB * q[i % 3] * q[j % 3] * (1 / r + kRF * r * r - cRF);
      if (i % 3 === 0 && j % 3 === 0) e += 4 * SPCE.epsilon * ((SPCE.sigma / r) ** 12 - (SPCE.sigma / r) ** 6);
    }
  }
  return e;
}

/** Unequal edges, so an axis mix-up shows; 216 molecules there are ≈ 1.0 g/cm³. */
const BOX: [number, number, number] = [1.82, 1.86, 1.9];

function latticeStart(molecules: number, box: [number, number, number], seed: number): Float64Array {
  const rng = new Random(seed);
  return waterLattice(molecules, box, () => rng.uniform());
}

// The small built-in box shared by the system, density and dynamics tests (about 1 s to build).
const small = getSystem('spce-water', { molecules: 216, cutoff: 0.7 });

test('SPC/E geometry: constraints are O–H 0.1 nm twice and H–H = spceHH() per molecule', () => {
  // Law of cosines for the 109.47° angle: a different route to the same length.
  const hh = Math.sqrt(2 * SPCE.rOH ** 2 * (1 - Math.cos((SPCE.angleHOH * Math.PI) / 180)));
  assert.ok(Math.abs(spceHH() - hh) < 1e-15, `${spceHH()} vs ${hh}`);
  assert.ok(Math.abs(spceHH() - 0.163299) < 1e-6);
  const { pairs, distances } = spceConstraints(3);
  assert.deepEqual(Array.from(pairs), [0, 1, 0, 2, 1, 2, 3, 4, 3, 5, 4, 5, 6, 7, 6, 8, 7, 8]);
  assert.deepEqual(Array.from(distances), [0.1, 0.1, spceHH(), 0.1, 0.1, spceHH(), 0.1, 0.1, spceHH()]);
});

test('waterLattice: exact SPC/E molecules, oxygens at the cell centres, orientations random', () => {
  const molecules = 64;
  const x = latticeStart(molecules, BOX, 3);
  // Rotations are built from unit quaternions: lengths and the angle hold to rounding.
  assert.ok(maxConstraintError(spceConstraints(molecules), x, 3 * molecules, 1) < 1e-13);
  const dipole = [0, 0, 0];
  for (let m = 0; m < molecules; m++) {
    const o = x.subarray(9 * m, 9 * m + 3);
    const u = [0, 1, 2].map((k) => x[9 * m + 3 + k] - o[k]);
    const v = [0, 1, 2].map((k) => x[9 * m + 6 + k] - o[k]);
    const cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (Math.hypot(...u) * Math.hypot(...v));
    assert.ok(Math.abs((Math.acos(cos) * 180) / Math.PI - SPCE.angleHOH) < 1e-9, `molecule ${m}: angle`);
    // 4 cells per edge for 64 molecules; molecule m sits in cell (m / 16, m / 4 mod 4, m mod 4).
    const cell = [Math.floor(m / 16), Math.floor(m / 4) % 4, m % 4];
    for (let k = 0; k < 3; k++) assert.ok(Math.abs(o[k] - ((cell[k] + 0.5) * BOX[k]) / 4) < 1e-12, `molecule ${m}: oxygen`);
    const len = Math.hypot(u[0] + v[0], u[1] + v[1], u[2] + v[2]);
    for (let k = 0; k < 3; k++) dipole[k] += (u[k] + v[k]) / len / molecules;
  }
  // The mean dipole direction of 64 uniformly random orientations has length ≈ 1/8 (±~0.05);
  // one shared orientation would give 1.
  assert.ok(Math.hypot(...dipole) < 0.35, `mean dipole direction ${dipole}`);
});

test('energy is the sum over atom pairs of different molecules, with cell lists, across the boundary, after moves', () => {
  // rc = 0.3 nm: the molecule list reaches 0.5 + 0.1 skin, three cells per 1.86 nm edge, so the
  // cell-list path runs (it does not in the 0.7 and 1.2 nm boxes).
  const molecules = 216;
  const rc = 0.3;
  const p = spceWater({ molecules, box: BOX, cutoff: rc });
  const x = latticeStart(molecules, BOX, 5);
  const rng = new Random(6);
  // Shift everything by a third of a cell so molecules straddle the faces, then jiggle atoms.
  for (let i = 0; i < x.length; i++) x[i] += 0.1 + 0.004 * rng.normal();
  for (let step = 0; step < 8; step++) {
    const ours = energiesAndForces(p, x).energies[0];
    const ref = bruteEnergy(x, molecules, BOX, rc);
    assert.ok(Math.abs(ours - ref) <= 1e-10 * Math.abs(ref), `step ${step}: ${ours} vs ${ref}`);
    // Whole molecules move 0.03 nm per step: the 0.1 nm skin forces rebuilds every few steps.
    for (let m = 0; m < molecules; m++) {
      const d = [0, 1, 2].map(() => 0.03 * rng.normal());
      for (let a = 0; a < 3; a++) for (let k = 0; k < 3; k++) x[9 * m + 3 * a + k] += d[k];
    }
  }
});

test('forces are −∇U (central differences, h = 1e-5 nm) on a 64-molecule box', (t) => {
  const s = getSystem('spce-water', { molecules: 64, cutoff: 0.4 });
  const p = s.potential;
  const x = s.positions;
  const { forces } = energiesAndForces(p, x);
  const energy = (y: Float64Array) => energiesAndForces(p, y).energies[0];
  // Every coordinate of three molecules (O and both H) and a few more. Truncation error h²U'''/6
  // is ≲ 1e-5 kJ/mol/nm at the closest O···H contacts (~0.17 nm), rounding ~1e-16·|U|/h ≈ 1e-8.
  const which = [...Array.from({ length: 9 }, (_, k) => k), ...Array.from({ length: 9 }, (_, k) => 9 * 21 + k), ...Array.from({ length: 9 }, (_, k) => 9 * 63 + k), 100, 301, 502];
  const h = 1e-5;
  let worst = 0;
  for (const i of which) {
    const xp = Float64Array.from(x); xp[i] += h;
    const xm = Float64Array.from(x); xm[i] -= h;
    const fd = -(energy(xp) - energy(xm)) / (2 * h);
    worst = Math.max(worst, Math.abs(fd - forces[i]));
    assert.ok(Math.abs(fd - forces[i]) <= 1e-4 + 1e-7 * Math.abs(fd), `coordinate ${i}: ${forces[i]} vs ${fd}`);
  }
  const largest = Math.max(...which.map((i) => Math.abs(forces[i])));
  assert.ok(largest > 100, 'the forces checked are too small to test anything');
  t.diagnostic(`max |finite difference − force| ${worst.toExponential(1)} kJ/mol/nm; largest force checked ${largest.toFixed(0)} kJ/mol/nm`);
});

test('energy and forces are invariant to translating the box and to moving a molecule by box vectors', () => {
  const molecules = 216;
  const p = spceWater({ molecules, box: BOX, cutoff: 0.7 });
  const x = latticeStart(molecules, BOX, 9);
  const ref = energiesAndForces(p, x);
  const maxF = ref.forces.reduce((m, f) => Math.max(m, Math.abs(f)), 0);
  const check = (what: string, y: Float64Array) => {
    const got = energiesAndForces(spceWater({ molecules, box: BOX, cutoff: 0.7 }), y);
    // Only the rounding of the shifted positions (~1e-16 nm) differs.
    assert.ok(Math.abs(got.energies[0] - ref.energies[0]) <= 1e-10 * Math.abs(ref.energies[0]), `${what}: ${got.energies[0]} vs ${ref.energies[0]}`);
    got.forces.forEach((f, i) => assert.ok(Math.abs(f - ref.forces[i]) <= 1e-9 * maxF, `${what}: force ${i}`));
  };
  check('translated', x.map((v, i) => v + [0.37, -1.13, 2.9][i % 3]));
  const moved = Float64Array.from(x);
  for (const [m, shift] of [[5, [1, 0, -2]], [100, [0, -1, 0]], [215, [3, 1, 1]]] as const) {
    for (let i = 9 * m; i < 9 * m + 9; i++) moved[i] += shift[i % 3] * BOX[i % 3];
  }
  check('molecules moved by box vectors', moved);
});

test('bad settings are rejected with what is wrong', () => {
  for (const molecules of [1, 0, 2.5]) {
    assert.throws(() => spceWater({ molecules, box: [2, 2, 2] }), new RegExp(`molecules must be an integer ≥ 2, got ${molecules}`));
  }
  // 0.85 nm is within half the shortest edge (1 nm) but the molecule list needs 0.2 nm more.
  assert.throws(() => spceWater({ molecules: 64, box: [2.4, 2, 2.2], cutoff: 0.85 }), (e: Error) => {
    assert.match(e.message, /cut-off 0\.85 nm/);
    assert.match(e.message, /half the shortest box edge \(1 nm\)/);
    return true;
  });
  // Exactly half the edge less 0.2 nm is allowed.
  assert.equal(spceWater({ molecules: 64, box: [2.4, 2, 2.2], cutoff: 0.8 }).options.cutoff, 0.8);
  assert.throws(() => spceWater({ molecules: 64, box: [2, 2, 2], epsilonRF: 0.5 }), /epsilonRF must be ≥ 1, got 0\.5/);
  // The default 1.2 nm cut-off needs an edge ≥ 2.8 nm (≥ 731 molecules at 0.9957 g/cm³).
  assert.throws(() => getSystem('spce-water', { molecules: 216 }), /cutoff 1\.2 nm must be positive and at most half the shortest box edge/);
  assert.throws(() => getSystem('spce-water', { molecules: 1 }), /molecules must be an integer ≥ 2, got 1/);
  assert.throws(() => getSystem('lj-fluid', { molecules: 5 }), /system 'lj-fluid' has no option 'molecules'/);
});

test("getSystem('spce-water'): the VOTCA density 0.9957 g/cm³ from the masses, whole rigid molecules, topology", () => {
  const molecules = 216;
  assert.equal(small.masses.length, 3 * molecules);
  assert.ok(small.box && small.box[0] === small.box[1] && small.box[1] === small.box[2]);
  // g/mol over N_A is g; 1 nm³ = 1e-21 cm³.
  const mass = small.masses.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(mass - molecules * WATER_MASS) < 1e-9);
  const rho = mass / AVOGADRO / (small.box[0] ** 3 * 1e-21);
  const votca = (2180 * WATER_MASS) / AVOGADRO / (4.031 ** 3 * 1e-21);
  assert.ok(Math.abs(rho - votca) <= 1e-12 * votca, `${rho} vs ${votca}`);
  assert.equal(votca.toFixed(4), '0.9957');
  assert.equal(small.potential.nParticles, 3 * molecules);
  assert.deepEqual(small.topology.atoms.slice(0, 3).map((a) => a.name), ['O', 'H1', 'H2']);
  assert.ok(small.constraints);
  assert.equal(small.constraints.distances.length, 3 * molecules);
  // The minimiser ends with SHAKE (tolerance 1e-10 on squared lengths).
  assert.ok(maxConstraintError(small.constraints, small.positions, 3 * molecules, 1) < 1e-9);
  assert.ok(Number.isFinite(energiesAndForces(small.potential, small.positions).energies[0]));
});

test('constrained BAOAB, 216 molecules, 2 fs: 100 steps stay stable with every constraint held to 1e-8', (t) => {
  const s = small;
  const c = s.constraints;
  assert.ok(c);
  const integrator = baoab({ dt: s.dt, temperature: s.temperature, friction: s.friction, masses: s.masses, constraints: c });
  const state = initState(s.potential, s.positions, s.masses, s.temperature, 17, c);
  const atoms = s.potential.nParticles;
  let worst = 0;
  // run() saves float32 frames, too coarse for 1e-8 of 0.1 nm: check the float64 state instead.
  for (let chunk = 0; chunk < 10; chunk++) {
    const r = run(s.potential, integrator, state, { steps: 10, saveEvery: 10 });
    assert.equal(r.frames, 1);
    const err = maxConstraintError(c, state.x, atoms, 1);
    worst = Math.max(worst, err);
    assert.ok(err <= 1e-8, `step ${state.step}: constraint error ${err}`);
  }
  assert.equal(state.step, 100);
  // RATTLE leaves no velocity along a constraint (its tolerance: 1e-10 of |r|² per ps).
  let worstRate = 0;
  for (let k = 0; k < c.distances.length; k++) {
    const i = 3 * c.pairs[2 * k];
    const j = 3 * c.pairs[2 * k + 1];
    let rv = 0;
    let r2 = 0;
    for (let a = 0; a < 3; a++) {
      rv += (state.x[i + a] - state.x[j + a]) * (state.v[i + a] - state.v[j + a]);
      r2 += (state.x[i + a] - state.x[j + a]) ** 2;
    }
    worstRate = Math.max(worstRate, Math.abs(rv) / r2);
  }
  assert.ok(worstRate <= 1e-8, `velocity along a constraint: ${worstRate}/ps`);
  const temperature = kineticTemperatures(s.potential, state, s.masses, c)[0];
  // The briefly minimised lattice lies ~10 kJ/mol per molecule above the liquid; released over
  // 5 degrees of freedom per molecule that is several hundred K (measured ~600 K after 0.2 ps),
  // and friction 1/ps has taken out only a fifth of the excess by then.
  assert.ok(temperature > 300 && temperature < 900, `kinetic temperature ${temperature} K`);
  assert.ok(state.energies[0] < energiesAndForces(s.potential, s.positions).energies[0], 'the lattice did not relax');
  t.diagnostic(`after 100 steps: T = ${temperature.toFixed(0)} K, U = ${state.energies[0].toFixed(0)} kJ/mol, worst constraint error ${worst.toExponential(1)}`);
});

test('constrained BAOAB without friction conserves K + U while the lattice melts', (t) => {
  // With γ → 0 the scheme is RATTLE velocity Verlet: a wrong force or constraint correction
  // would show as drift in the total energy. 100 steps turn ~1500 kJ/mol of potential energy
  // into kinetic; the total moves by ~10 kJ/mol (most in the first steps, where forces from
  // the lattice reach 3500 kJ/mol/nm), i.e. 0.05 kJ/mol per molecule.
  const s = small;
  const c = s.constraints;
  assert.ok(c);
  const integrator = baoab({ dt: s.dt, temperature: s.temperature, friction: 1e-6, masses: s.masses, constraints: c });
  const state = initState(s.potential, s.positions, s.masses, s.temperature, 17, c);
  const total = () => kineticEnergies(s.potential, state, s.masses)[0] + state.energies[0];
  const h0 = total();
  const u0 = state.energies[0];
  let drift = 0;
  for (let chunk = 0; chunk < 10; chunk++) {
    run(s.potential, integrator, state, { steps: 10, saveEvery: 10 });
    drift = Math.max(drift, Math.abs(total() - h0));
  }
  assert.ok(u0 - state.energies[0] > 1000, `only ${u0 - state.energies[0]} kJ/mol of potential energy released`);
  assert.ok(drift < 25, `total energy moved by ${drift} kJ/mol`);
  t.diagnostic(`potential energy released ${(u0 - state.energies[0]).toFixed(0)} kJ/mol; largest |ΔH| ${drift.toFixed(1)} kJ/mol`);
});
