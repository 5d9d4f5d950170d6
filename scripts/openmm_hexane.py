#!/usr/bin/python3
"""TraPPE-UA n-hexane as an OpenMM System, built from the published numbers, for the peers of
cglab's ``hexane-liquid`` (kernel-lib/src/physics/hexane.ts).

The System comes from the literal TraPPE-UA parameters (Martin & Siepmann 1998, in K and nm,
converted with OpenMM's own gas constant), not from cglab's, and its torsion is the OPLS formula
itself in a CustomTorsionForce rather than cglab's three periodic terms, so that a wrong
constant, phase or exclusion on either side shows up as a mismatch. The 1-2 and 1-3 pairs are
excluded and the 1-4 pairs scaled by zero (createExceptionsFromBonds), which leaves exactly the
1-5 and 1-6 pairs within a molecule, as TraPPE has it. LJ is NonbondedForce with CutoffPeriodic,
zero charges, no switch and no dispersion correction; the bonded forces use periodic
boundaries, as cglab's do.

Usage (run with /usr/bin/python3, the interpreter that has OpenMM)::

    /usr/bin/python3 scripts/openmm_hexane.py peer IN.json OUT.json
    /usr/bin/python3 scripts/openmm_hexane.py bench IN.json OUT.json

``peer`` (test/peers/hexane.test.ts): IN is a list of cases ``{molecules, box, cutoff, x, seed,
firstFrame, every, frames}`` (box [3] nm, x [6·molecules·3] nm, sites C1…C6 per molecule). For
each case OUT holds ``{start, frames}``: energy (kJ/mol) and forces (kJ/mol/nm, flat) on the
Reference platform of x, then of ``frames`` frames of a LangevinMiddle run from x (300 K,
friction 1/ps, 2 fs, velocities drawn with ``seed``; ``firstFrame`` steps to the first frame,
``every`` between frames) with their positions ``x``, then of the last frame wrapped into the
box site by site (``wrapped: true``).

``bench`` (bench/hexane.mjs): IN is one case ``{molecules, box, cutoff, x, seed, warmup,
steps}``; OUT holds the OpenMM version, the platforms this OpenMM has, and one entry per timed
run: LangevinMiddle as above, ``warmup`` steps untimed then ``steps`` timed, on every platform
(the CPU platform both with one thread and with its default, all cores), with the energy of x.

JSON both ways: Python's floats print and parse exactly, so no digit is lost.
"""
import argparse
import json
import math
import sys

import numpy as np
import openmm as mm
from openmm import unit

from openmm_timing import timed

KJ, NM = unit.kilojoule_per_mole, unit.nanometer
R = unit.MOLAR_GAS_CONSTANT_R.value_in_unit(KJ / unit.kelvin)
# TraPPE-UA (Martin & Siepmann 1998). Sites: mass amu, sigma nm, epsilon/kB K.
CH3, CH2 = (15.035, 0.375, 98.0), (14.027, 0.395, 46.0)
SITES = (CH3, CH2, CH2, CH2, CH2, CH3)
# Bond 0.154 nm (rigid in TraPPE; here the flexible variant, k in kJ/mol/nm^2, E = k/2 (r - r0)^2),
# angle 114 degrees with k/kB 62500 K/rad^2, OPLS torsion c1, c2, c3 over kB in K.
R0, KB = 0.154, 2.5e5
THETA0, KTHETA = 114.0, 62500.0
C1, C2, C3 = 355.03, -68.19, 791.32
# cglab's hexane-liquid settings, which both modes run.
TEMPERATURE, FRICTION, DT = 300 * unit.kelvin, 1 / unit.picosecond, 0.002 * unit.picoseconds


def fail(message):
    sys.exit(f'openmm_hexane.py: {message}')


def hexane_system(molecules, box, cutoff):
    """The System of `molecules` TraPPE-UA hexanes in an orthorhombic `box` (nm), LJ cut at `cutoff` nm."""
    system = mm.System()
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.CutoffPeriodic)
    nb.setCutoffDistance(cutoff)
    nb.setUseSwitchingFunction(False)
    nb.setUseDispersionCorrection(False)
    bonds = mm.HarmonicBondForce()
    angles = mm.HarmonicAngleForce()
    torsions = mm.CustomTorsionForce('c1*(1+cos(theta)) + c2*(1-cos(2*theta)) + c3*(1+cos(3*theta))')
    for name, c in (('c1', C1), ('c2', C2), ('c3', C3)):
        torsions.addGlobalParameter(name, c * R)
    chain = []
    for m in range(molecules):
        s = 6 * m
        for mass, sigma, eps in SITES:
            system.addParticle(mass)
            nb.addParticle(0.0, sigma, eps * R)
        for k in range(5):
            bonds.addBond(s + k, s + k + 1, R0, KB)
            chain.append((s + k, s + k + 1))
        for k in range(4):
            angles.addAngle(s + k, s + k + 1, s + k + 2, math.radians(THETA0), KTHETA * R)
        for k in range(3):
            torsions.addTorsion(s + k, s + k + 1, s + k + 2, s + k + 3, [])
    nb.createExceptionsFromBonds(chain, 0.0, 0.0)
    for force in (bonds, angles, torsions):
        force.setUsesPeriodicBoundaryConditions(True)
        system.addForce(force)
    system.addForce(nb)
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box[0], 0, 0), mm.Vec3(0, box[1], 0), mm.Vec3(0, 0, box[2]))
    return system


def case_system(case, n, keys):
    """The System of input case number `n`, and its positions as [sites, 3]; `keys` are the other fields the mode reads."""
    if not isinstance(case, dict):
        fail(f'case {n} is a {type(case).__name__}, expected an object')
    missing = [k for k in ('molecules', 'box', 'cutoff', 'x', *keys) if k not in case]
    if missing:
        fail(f'case {n} has no {", ".join(missing)}')
    molecules, box = case['molecules'], case['box']
    if len(box) != 3:
        fail(f'case {n}: box must have 3 edges, got {len(box)}')
    if len(case['x']) != 18 * molecules:
        fail(f'case {n}: x has {len(case["x"])} values, expected 6 sites × 3 × {molecules} molecules')
    return hexane_system(molecules, box, case['cutoff']), np.array(case['x']).reshape(-1, 3)


def langevin(seed):
    integrator = mm.LangevinMiddleIntegrator(TEMPERATURE, FRICTION, DT)
    integrator.setRandomNumberSeed(seed)
    return integrator


def evaluate(context, x):
    context.setPositions(x)
    state = context.getState(getEnergy=True, getForces=True)
    return {'energy': state.getPotentialEnergy().value_in_unit(KJ),
            'forces': state.getForces(asNumpy=True).value_in_unit(KJ / NM).ravel().tolist()}


def peer(cases):
    if not isinstance(cases, list):
        fail(f'peer input must be a list of cases, got a {type(cases).__name__}')
    reference = mm.Platform.getPlatformByName('Reference')
    out = []
    for n, case in enumerate(cases):
        system, x0 = case_system(case, n, ('seed', 'firstFrame', 'every', 'frames'))
        if case['frames'] < 1:
            fail(f'case {n}: frames must be at least 1 (the last one is also returned wrapped), got {case["frames"]}')
        box = np.array(case['box'])
        static = mm.Context(system, mm.VerletIntegrator(0.001), reference)
        result = {'start': evaluate(static, x0), 'frames': []}
        integrator = langevin(case['seed'])
        run = mm.Context(system, integrator, reference)
        run.setPositions(x0)
        run.setVelocitiesToTemperature(TEMPERATURE, case['seed'])
        integrator.step(case['firstFrame'])
        for k in range(case['frames']):
            if k:
                integrator.step(case['every'])
            # Not wrapped: OpenMM returns the positions the integrator moved, molecules whole.
            x = run.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(NM)
            result['frames'].append({'x': x.ravel().tolist(), **evaluate(static, x)})
        wrapped = x - box * np.floor(x / box)
        result['frames'].append({'x': wrapped.ravel().tolist(), 'wrapped': True, **evaluate(static, wrapped)})
        out.append(result)
    return out


def bench(case):
    if not isinstance(case, dict):
        fail(f'bench input must be one case (an object), got a {type(case).__name__}')
    system, x = case_system(case, 0, ('seed', 'warmup', 'steps'))
    names = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
    runs = []
    for name in names:
        platform = mm.Platform.getPlatformByName(name)
        # One thread matches cglab's single-threaded engine; the default uses every core.
        for properties in ([{'Threads': '1'}, {}] if name == 'CPU' else [{}]):
            runs.append(timed(system, x, platform, properties, case['warmup'], case['steps'], seed=case['seed']))
    return {'version': mm.version.version, 'platforms': names, 'runs': runs}


MODES = {'peer': peer, 'bench': bench}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('mode', choices=sorted(MODES), help='peer: energies, forces and Langevin frames; bench: steps per second')
    parser.add_argument('input', help='JSON input (see above)')
    parser.add_argument('out', help='JSON file to write')
    args = parser.parse_args(argv)
    with open(args.input) as f:
        spec = json.load(f)
    result = MODES[args.mode](spec)
    with open(args.out, 'w') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main()
