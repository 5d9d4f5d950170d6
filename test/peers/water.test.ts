// SPC/E water against OpenMM 7.7's Reference platform (double precision). OpenMM's System is
// built here in Python from the literal SPC/E parameters, not from ours, so a wrong constant on
// our side shows up as a mismatch. Compared: total energy and every per-atom force component
// (the −∂U/∂x written to data sets) on the built-in minimised lattice start and on frames of an
// OpenMM Langevin run from it, for the default 1.2 nm cut-off (900 molecules: spceWater needs
// cut-off + 0.2 nm ≤ half the edge, which at the default density takes at least 731) and for
// 0.7 nm in a cubic and an orthorhombic box. One Python process does all of OpenMM's work;
// JSON both ways is exact.
//
// Reaction field and the excluded intramolecular pairs: OpenMM's theory guide (NonbondedForce,
// "Coulomb Interaction With Cutoff") says the reaction field is not applied to exceptions,
// which are evaluated at full strength; an exception with zero charge product and ε is then
// nothing at all. GROMACS instead keeps q_i q_j (k_rf r² − c_rf) for excluded pairs. The first
// test measures that OpenMM adds no such term (a lone molecule has exactly zero energy and
// force), which is also what water.ts does, so per-atom forces agree without any correction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSystem } from 'cglab/datasets/systems';
import { maxConstraintError } from 'cglab/md/constraints';
import { minimize } from 'cglab/md/minimize';
import { Random } from 'cglab/util/random';
import { energiesAndForces } from 'cglab/physics/potential';
import { assertPeerAgreement, type Evaluation } from '../helpers/peerAgreement.js';
import { SPCE, spceConstraints, spceHH, spceWater, waterLattice, type WaterPotential } from 'cglab/physics/water';
import { COULOMB } from 'cglab/units';

const OPENMM = `
import json, sys
import numpy as np
import openmm as mm
from openmm import unit

inp, out_path = sys.argv[1], sys.argv[2]
with open(inp) as f:
    spec = json.load(f)
kj, nm = unit.kilojoule_per_mole, unit.nanometer
reference = mm.Platform.getPlatformByName('Reference')
# SPC/E (Berendsen et al. 1987): charge e, sigma nm, epsilon kJ/mol, mass amu; O, H, H.
SITES = ((-0.8476, 0.316557, 0.650194, 15.9994), (0.4238, 1.0, 0.0, 1.008), (0.4238, 1.0, 0.0, 1.008))

def water(n, box, cutoff, exceptions='explicit', rigid=False):
    system = mm.System()
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.CutoffPeriodic)
    nb.setCutoffDistance(cutoff)
    nb.setReactionFieldDielectric(80)
    nb.setUseDispersionCorrection(False)
    for m in range(n):
        for q, sigma, eps, mass in SITES:
            system.addParticle(mass)
            nb.addParticle(q, sigma, eps)
    pairs = [(3 * m + i, 3 * m + j) for m in range(n) for i, j in ((0, 1), (0, 2), (1, 2))]
    if exceptions == 'explicit':
        for i, j in pairs:
            nb.addException(i, j, 0.0, 1.0, 0.0)
    else:
        # O-H bonds only: the H-H pair becomes a 1-3 exclusion.
        nb.createExceptionsFromBonds([(3 * m, 3 * m + k) for m in range(n) for k in (1, 2)], 0.5, 0.5)
    if rigid:
        for m in range(n):
            system.addConstraint(3 * m, 3 * m + 1, 0.1)
            system.addConstraint(3 * m, 3 * m + 2, 0.1)
            system.addConstraint(3 * m + 1, 3 * m + 2, spec['hh'])
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box[0], 0, 0), mm.Vec3(0, box[1], 0), mm.Vec3(0, 0, box[2]))
    system.addForce(nb)
    return system

def evaluate(context, x):
    context.setPositions(np.array(x).reshape(-1, 3))
    state = context.getState(getEnergy=True, getForces=True)
    return {'energy': state.getPotentialEnergy().value_in_unit(kj),
            'forces': state.getForces(asNumpy=True).value_in_unit(kj / nm).ravel().tolist()}

out = {'cases': []}
for case in spec['cases']:
    n, box, cutoff = case['molecules'], case['box'], case['cutoff']
    static = mm.Context(water(n, box, cutoff), mm.VerletIntegrator(0.001), reference)
    result = {'start': evaluate(static, case['x']), 'frames': []}
    # Rigid water, 300 K, friction 1/ps, 2 fs; positions come back unwrapped (molecules whole).
    integrator = mm.LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, 0.002 * unit.picoseconds)
    integrator.setRandomNumberSeed(case['seed'])
    run = mm.Context(water(n, box, cutoff, rigid=True), integrator, reference)
    run.setPositions(np.array(case['x']).reshape(-1, 3))
    run.setVelocitiesToTemperature(300 * unit.kelvin, case['seed'])
    integrator.step(case['firstFrame'])
    for k in range(case['frames']):
        if k:
            integrator.step(case['every'])
        x = run.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(nm).ravel().tolist()
        result['frames'].append({'x': x, **evaluate(static, x)})
    out['cases'].append(result)

first = spec['cases'][0]
fromBonds = mm.Context(water(first['molecules'], first['box'], first['cutoff'], exceptions='bonds'), mm.VerletIntegrator(0.001), reference)
out['fromBonds'] = evaluate(fromBonds, first['x'])
lone = mm.Context(water(1, first['box'], first['cutoff']), mm.VerletIntegrator(0.001), reference)
out['lone'] = evaluate(lone, first['x'][:9])
with open(out_path, 'w') as f:
    json.dump(out, f)
`;

interface CaseResult {
  start: Evaluation;
  frames: (Evaluation & { x: number[] })[];
}
interface OpenMMOutput {
  cases: CaseResult[];
  fromBonds: Evaluation;
  lone: Evaluation;
}
interface Case {
  name: string;
  potential: WaterPotential;
  x: Float64Array;
  /** Langevin steps before the first frame, then between frames. */
  firstFrame: number;
  every: number;
  frames: number;
}

// Frames from 0.2 ps on: by then the briefly minimised lattice has melted into distorted,
// thermal configurations, a different test from the start itself. The 1.2 nm run dominates the
// file's time (~0.12 s per Reference step for 2700 atoms), hence only 200 steps there.
const cases: Case[] = [];
{
  const s = getSystem('spce-water', { molecules: 900 });
  cases.push({ name: '900 molecules, 1.2 nm', potential: s.potential as WaterPotential, x: s.positions, firstFrame: 100, every: 50, frames: 3 });
}
{
  const s = getSystem('spce-water', { molecules: 216, cutoff: 0.7 });
  cases.push({ name: '216 molecules, 0.7 nm', potential: s.potential as WaterPotential, x: s.positions, firstFrame: 100, every: 100, frames: 3 });
}
{
  // Unequal edges catch an axis mix-up a cube cannot (density ≈ 1.00 g/cm³).
  const box: [number, number, number] = [1.82, 1.86, 1.9];
  const potential = spceWater({ molecules: 216, box, cutoff: 0.7 });
  const rng = new Random(41);
  const masses = Float64Array.from({ length: 648 }, (_, i) => (i % 3 === 0 ? SPCE.mO : SPCE.mH));
  const x = minimize(potential, waterLattice(216, box, () => rng.uniform()), { constraints: spceConstraints(216), masses, maxIterations: 200, tolerance: 1000 }).x;
  cases.push({ name: '216 molecules, 1.82 × 1.86 × 1.9 nm, 0.7 nm', potential, x, firstFrame: 100, every: 100, frames: 3 });
}

function runOpenMM(): OpenMMOutput {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-openmm-water-'));
  try {
    const input = join(dir, 'input.json');
    const spec = cases.map((c, k) => ({
      molecules: c.potential.options.molecules, box: c.potential.options.box, cutoff: c.potential.options.cutoff,
      x: Array.from(c.x), firstFrame: c.firstFrame, every: c.every, frames: c.frames, seed: 2025 + k,
    }));
    writeFileSync(input, JSON.stringify({ cases: spec, hh: spceHH() }));
    const output = join(dir, 'openmm.json');
    execFileSync('/usr/bin/python3', ['-c', OPENMM, input, output], { stdio: ['ignore', 'inherit', 'inherit'] });
    return JSON.parse(readFileSync(output, 'utf8')) as OpenMMOutput;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const openmm = runOpenMM();

// Both sides are double precision with the same Coulomb constant (units.ts holds OpenMM 7.7's
// measured value) and the same functional form, so what is left is summation order: measured
// ≤ 1e-13 relative in energy and ≤ 1e-11 kJ/mol/nm in forces (largest components ~4e3). The
// tolerances leave a margin of 10⁴ over that and still fail on any real difference: a Coulomb
// constant off by 1.2e-8 relative (units.ts's earlier 138.935456) moves the energy by ~1.4e-8
// relative (measured) and forces by ~4e-5; one LJ pair missed at 1.2 nm by ~1e-3 kJ/mol, 3e-8
// of the 900-molecule total.
const ENERGY_REL = 1e-9;
const FORCE_ABS = 1e-6;

test('OpenMM adds no reaction-field term for excluded intramolecular pairs, as water.ts adds none', (t) => {
  // A lone molecule: with the three pairs as exceptions of zero charge product and ε there is
  // nothing left to interact, and OpenMM gives exactly zero.
  assert.equal(openmm.lone.energy, 0);
  for (const f of openmm.lone.forces) assert.equal(f, 0);
  // Ours likewise: two molecules half a box edge apart on every axis (2.6 nm > 1.2 nm) give zero.
  const { box } = cases[0].potential.options;
  const pair = Float64Array.from({ length: 18 }, (_, i) => cases[0].x[i % 9] + (i >= 9 ? box[i % 3] / 2 : 0));
  const ours = energiesAndForces(spceWater({ molecules: 2, box }), pair);
  assert.equal(ours.energies[0], 0);
  for (const f of ours.forces) assert.equal(f, 0);
  // Exclusions made by createExceptionsFromBonds (O–H 1-2, H–H 1-3) are the same thing.
  const a = openmm.cases[0].start;
  assert.ok(Math.abs(openmm.fromBonds.energy - a.energy) <= 1e-12 * Math.abs(a.energy));
  openmm.fromBonds.forces.forEach((f, k) => assert.ok(Math.abs(f - a.forces[k]) <= 1e-12, `component ${k}`));
  // What a GROMACS-style exclusion correction, Σ q_i q_j (k_rf r² − c_rf) over the three pairs,
  // would have added: a constant per rigid molecule, and forces along the O–H and H–H bonds.
  // Both would show far above the tolerances below; the cases' agreement shows OpenMM has neither.
  const { cutoff: rc, epsilonRF } = cases[0].potential.options;
  const kRF = (epsilonRF - 1) / ((2 * epsilonRF + 1) * rc ** 3);
  const cRF = 1 / rc + kRF * rc * rc;
  const hh = spceHH();
  const qOH = COULOMB * SPCE.qO * SPCE.qH;
  const qHH = COULOMB * SPCE.qH * SPCE.qH;
  const perMolecule = 2 * qOH * (kRF * SPCE.rOH ** 2 - cRF) + qHH * (kRF * hh * hh - cRF);
  t.diagnostic(`a GROMACS-style excluded-pair term would add ${perMolecule.toFixed(2)} kJ/mol per molecule (rc ${rc} nm) and forces of ` +
    `${Math.abs(2 * kRF * qOH * SPCE.rOH).toFixed(2)} (O–H) and ${Math.abs(2 * kRF * qHH * hh).toFixed(2)} (H–H) kJ/mol/nm along the bonds`);
});

cases.forEach((c, k) => {
  test(`${c.name}: energy and per-atom forces agree with OpenMM Reference on the start and ${c.frames} Langevin frames`, (t) => {
    const theirs = openmm.cases[k];
    assert.equal(theirs.frames.length, c.frames);
    const configurations = [{ label: 'start', x: c.x, ...theirs.start }, ...theirs.frames.map((f, j) => ({ label: `frame ${j}`, ...f, x: Float64Array.from(f.x) }))];
    const constraints = spceConstraints(c.potential.options.molecules);
    for (const { label, x } of configurations) {
      // The frames must be whole rigid molecules (OpenMM does not wrap them), since water.ts
      // takes one image shift per molecule; its constraint tolerance is 1e-5.
      assert.ok(maxConstraintError(constraints, x, x.length / 3, 1) < 1e-4, `${label}: molecules are not whole and rigid`);
    }
    const { worstEnergy, worstForce, largestForce } = assertPeerAgreement(c.potential, configurations, ENERGY_REL, FORCE_ABS);
    // The frames are new configurations, not the start again.
    const last = configurations[configurations.length - 1];
    let msd = 0;
    for (let i = 0; i < c.x.length; i++) msd += (last.x[i] - c.x[i]) ** 2;
    assert.ok(Math.sqrt(msd / (c.x.length / 3)) > 0.02, 'the Langevin run did not move the atoms');
    t.diagnostic(`energies ${configurations.map((q) => q.energy.toFixed(1)).join(', ')} kJ/mol; max relative energy error ${worstEnergy.toExponential(1)}`);
    t.diagnostic(`max force component error ${worstForce.toExponential(1)} kJ/mol/nm; largest component ${largestForce.toFixed(0)} kJ/mol/nm`);
  });
});
