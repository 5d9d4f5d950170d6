// The built-in force fields against OpenMM's Reference platform (double precision), which built
// them: every energy term (one force group each) and the total forces on randomly perturbed
// structures and frames of an OpenMM Langevin run, in vacuum and with OBC2. One Python process
// does all of OpenMM's work (the OBC2 system also without constraints, every bond a harmonic term, as
// embedded physics uses it); data goes both ways through JSON files (exact for doubles).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';
import { writePdb } from 'cglab/io/pdb';
import { makeTrajectory } from 'cglab/io/trajectory';
import { Random } from 'cglab/util/random';
import { builtinForceField, type ForceFieldEnergies } from 'cglab/physics/forcefield';

const PERTURBED = 30;
const FRAMES = 30;
const SOLVENTS = ['vacuum', 'obc2'] as const;
/** The systems compared: name → solvent and whether every bond is flexible (constraints=None). */
const SYSTEMS = { vacuum: ['vacuum', false], obc2: ['obc2', false], 'obc2-flexible': ['obc2', true] } as const;
/** OpenMM force class → our term. CMMotionRemover has no energy and is left out. */
const TERM_OF: Record<string, keyof ForceFieldEnergies> = {
  HarmonicBondForce: 'bond',
  HarmonicAngleForce: 'angle',
  PeriodicTorsionForce: 'torsion',
  NonbondedForce: 'nonbonded',
  GBSAOBCForce: 'gb',
};

const OPENMM = `
import json, sys
import numpy as np
import openmm as mm
from openmm import app, unit

pdb_path, conformations_path, out_path, n_frames = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
kj, nm = unit.kilojoule_per_mole, unit.nanometer
reference = mm.Platform.getPlatformByName('Reference')
pdb = app.PDBFile(pdb_path)
systems = {}
obc = ['amber99sbildn.xml', 'amber99_obc.xml']
for solvent, files, constraints in (('vacuum', ['amber99sbildn.xml'], app.HBonds), ('obc2', obc, app.HBonds), ('obc2-flexible', obc, None)):
    system = app.ForceField(*files).createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=constraints)
    for group, force in enumerate(system.getForces()):
        force.setForceGroup(group)
    systems[solvent] = system

# Langevin dynamics with OBC2 at 300 K, 2 fs steps: 0.2 ps to leave the built geometry, then
# one frame every 0.1 ps.
integrator = mm.LangevinIntegrator(300 * unit.kelvin, 1 / unit.picosecond, 0.002 * unit.picoseconds)
integrator.setRandomNumberSeed(2024)
context = mm.Context(systems['obc2'], integrator, reference)
context.setPositions(pdb.positions)
context.setVelocitiesToTemperature(300 * unit.kelvin, 2024)
integrator.step(100)
frames = []
for _ in range(n_frames):
    integrator.step(50)
    frames.append(context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(nm))
with open(conformations_path) as f:
    conformations = [np.array(x).reshape(-1, 3) for x in json.load(f)] + frames

out = {'frames': [x.ravel().tolist() for x in frames]}
for solvent, system in systems.items():
    context = mm.Context(system, mm.VerletIntegrator(0.001), reference)
    names = {group: type(force).__name__ for group, force in enumerate(system.getForces())}
    results = []
    for x in conformations:
        context.setPositions(x)
        terms = {name: context.getState(getEnergy=True, groups={group}).getPotentialEnergy().value_in_unit(kj)
                 for group, name in names.items()}
        forces = context.getState(getForces=True).getForces(asNumpy=True).value_in_unit(kj / nm)
        results.append({'terms': terms, 'forces': forces.ravel().tolist()})
    bonds = next(f for f in system.getForces() if isinstance(f, mm.HarmonicBondForce))
    out[solvent] = {
        'results': results,
        'constraints': [[*system.getConstraintParameters(c)[:2], system.getConstraintParameters(c)[2].value_in_unit(nm)]
                        for c in range(system.getNumConstraints())],
        'bondTerms': [bonds.getBondParameters(b)[:2] for b in range(bonds.getNumBonds())],
    }
with open(out_path, 'w') as f:
    json.dump(out, f)
`;

interface OpenMMResult {
  terms: Record<string, number>;
  forces: number[];
}
interface OpenMMOutput {
  frames: number[][];
  vacuum: OpenMMSystem;
  obc2: OpenMMSystem;
  'obc2-flexible': OpenMMSystem;
}
interface OpenMMSystem {
  results: OpenMMResult[];
  constraints: [number, number, number][];
  bondTerms: [number, number][];
}

const pairKey = (i: number, j: number) => `${Math.min(i, j)}-${Math.max(i, j)}`;

/** φ/ψ (degrees) of alanine dipeptide's basins: αR, β, PII, C7eq, αL, C7ax. */
const BASINS: [number, number][] = [[-63, -41], [-120, 130], [-75, 145], [-80, 75], [60, 45], [70, -70]];

/**
 * Structures in every basin, φ and ψ moved by up to ±15° and each coordinate by N(0, (0.01 nm)²):
 * strained (forces up to ~10⁴ kJ/mol/nm) but without the atom clashes a random φ/ψ can give.
 */
function perturbedStructures(): Float64Array[] {
  const rng = new Random(11);
  return Array.from({ length: PERTURBED }, (_, k) => {
    const [phi, psi] = BASINS[k % BASINS.length];
    const x = buildAlanineDipeptide(phi + 30 * (rng.uniform() - 0.5), psi + 30 * (rng.uniform() - 0.5));
    return x.map((v) => v + 0.01 * rng.normal());
  });
}

/** Runs OpenMM once for the whole file. */
function runOpenMM(conformations: Float64Array[]): OpenMMOutput {
  const dir = mkdtempSync(join(tmpdir(), 'cglab-openmm-'));
  try {
    const pdb = join(dir, 'alanine-dipeptide.pdb');
    writePdb(pdb, makeTrajectory({ topology: alanineDipeptideTopology(), nFrames: 1, nAtoms: 22, positions: Float32Array.from(buildAlanineDipeptide()) }));
    const input = join(dir, 'conformations.json');
    writeFileSync(input, JSON.stringify(conformations.map((x) => Array.from(x))));
    const output = join(dir, 'openmm.json');
    execFileSync('/usr/bin/python3', ['-c', OPENMM, pdb, input, output, String(FRAMES)], { stdio: ['ignore', 'inherit', 'inherit'] });
    return JSON.parse(readFileSync(output, 'utf8')) as OpenMMOutput;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const perturbed = perturbedStructures();
const openmm = runOpenMM(perturbed);
const conformations = [...perturbed, ...openmm.frames.map((f) => Float64Array.from(f))];

for (const [name, [solvent, flexible]] of Object.entries(SYSTEMS)) {
  test(`${name}: every term and the forces agree with OpenMM Reference on ${conformations.length} conformations`, (t) => {
    const ff = builtinForceField('alanine-dipeptide', solvent, flexible);
    const results = openmm[name as keyof typeof SYSTEMS].results;
    assert.equal(results.length, conformations.length);
    assert.ok(conformations.length >= 50);
    const worst: Record<string, number> = {};
    let worstForce = 0;
    let largestForce = 0;
    const forces = new Float64Array(66);
    const energy = new Float64Array(1);
    // Bonded terms agree to rounding. Nonbonded and GB carry the difference between units.ts
    // COULOMB (138.935456) and OpenMM 7.7's 1/(4πε0) (138.935457644382, CODATA 2018), 1.2e-8
    // relative: up to 5e-7 of the nonbonded energy where LJ and Coulomb nearly cancel (αL
    // structures), and ~1e-5 kJ/mol/nm in the forces.
    conformations.forEach((x, c) => {
      const ours = ff.energyTerms(x);
      const theirs = results[c].terms;
      const terms = Object.keys(theirs).filter((name) => name !== 'CMMotionRemover');
      assert.deepEqual(terms.map((name) => TERM_OF[name]).sort(), Object.keys(ours).filter((k) => solvent === 'obc2' || k !== 'gb').sort());
      let total = 0;
      for (const name of terms) {
        const rel = Math.abs(ours[TERM_OF[name]] - theirs[name]) / Math.abs(theirs[name]);
        worst[name] = Math.max(worst[name] ?? 0, rel);
        assert.ok(rel <= 1e-6, `conformation ${c}, ${name}: ours ${ours[TERM_OF[name]]}, OpenMM ${theirs[name]} (relative error ${rel})`);
        total += theirs[name];
      }
      ff.evaluate(x, 1, forces, energy);
      const rel = Math.abs(energy[0] - total) / Math.abs(total);
      worst.total = Math.max(worst.total ?? 0, rel);
      assert.ok(rel <= 1e-6, `conformation ${c}, total energy: ours ${energy[0]}, OpenMM ${total}`);
      results[c].forces.forEach((f, k) => {
        const d = Math.abs(forces[k] - f);
        worstForce = Math.max(worstForce, d);
        largestForce = Math.max(largestForce, Math.abs(f));
        assert.ok(d <= 1e-4, `conformation ${c}, force component ${k}: ours ${forces[k]}, OpenMM ${f} kJ/mol/nm`);
      });
    });
    t.diagnostic(`max relative energy error per term: ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`);
    t.diagnostic(`max force component error ${worstForce.toExponential(1)} kJ/mol/nm (largest component ${largestForce.toFixed(0)})`);
  });
}

test('the constraints are exactly the 12 X–H bonds, which carry no bond term, as OpenMM builds them', () => {
  const top = alanineDipeptideTopology();
  const xh = top.bonds.filter(([i, j]) => top.atoms[i].element === 'H' || top.atoms[j].element === 'H').map(([i, j]) => pairKey(i, j));
  assert.equal(xh.length, 12);
  const flexible = builtinForceField('alanine-dipeptide', 'obc2', true);
  assert.equal(flexible.constraints.distances.length, 0);
  assert.equal(flexible.parameters.bonds.length, top.bonds.length, 'the flexible force field has a bond term on every bond');
  assert.deepEqual(openmm['obc2-flexible'].constraints, []);
  for (const solvent of SOLVENTS) {
    const ff = builtinForceField('alanine-dipeptide', solvent);
    const { pairs, distances } = ff.constraints;
    const ours = Array.from(distances, (d, c) => [pairKey(pairs[2 * c], pairs[2 * c + 1]), d] as const);
    assert.deepEqual(ours.map(([k]) => k).sort(), [...xh].sort());
    const bondTerms = ff.parameters.bonds.map((b) => pairKey(...b.atoms));
    assert.equal(bondTerms.filter((k) => xh.includes(k)).length, 0, `bond terms on X–H bonds: ${bondTerms}`);
    assert.equal(bondTerms.length + xh.length, top.bonds.length);

    const theirs = openmm[solvent];
    assert.deepEqual(new Map(ours), new Map(theirs.constraints.map(([i, j, d]) => [pairKey(i, j), d])));
    assert.deepEqual(bondTerms.sort(), theirs.bondTerms.map(([i, j]) => pairKey(i, j)).sort());
  }
});

test('softening changes only the non-bonded term, and s = 0 restores it exactly', () => {
  const ff = builtinForceField('alanine-dipeptide', 'obc2', true);
  const x = conformations[0];
  const plain = ff.energyTerms(x);
  ff.setSoftening(0.5);
  const soft = ff.energyTerms(x);
  assert.notEqual(soft.nonbonded, plain.nonbonded);
  assert.deepEqual({ ...soft, nonbonded: 0 }, { ...plain, nonbonded: 0 });
  // Two atoms on top of each other: finite with the soft core.
  const clash = Float64Array.from(x);
  clash.set(clash.subarray(0, 3), 3 * 5);
  assert.ok(Number.isFinite(ff.energyTerms(clash).nonbonded));
  ff.setSoftening(0);
  assert.deepEqual(ff.energyTerms(x), plain);
  assert.throws(() => ff.setSoftening(-1), /softening must be a fraction ≥ 0/);
});
