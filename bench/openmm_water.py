"""OpenMM's side of bench/water.mjs: steps per second of rigid SPC/E water.

Usage: openmm_water.py START.npz WARMUP STEPS

START.npz (written by bench/water.mjs from cglab's built-in `spce-water`): positions [atoms, 3]
nm (O, H, H per molecule), box [3] nm, cutoff [1] nm, eps_rf [1], hh [1] (H-H distance, nm).
The System is built from the literal SPC/E parameters as test/peers/water.test.ts builds it
(energies and forces equal to cglab's there): NonbondedForce CutoffPeriodic (reaction field)
with the intramolecular pairs as empty exceptions, no dispersion correction, three constraints
per molecule (OpenMM settles them), LangevinMiddleIntegrator 300 K, 1/ps, 2 fs.

Platform: CPU with Threads=1 (and its default thread count as well) when this OpenMM has it,
else Reference (Debian's python3-openmm ships Reference only). Prints one JSON object.
"""
import json
import os
import sys

import numpy as np
import openmm as mm
from openmm import unit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from openmm_timing import timed  # noqa: E402

# SPC/E (Berendsen et al. 1987): charge e, sigma nm, epsilon kJ/mol, mass amu; O, H, H.
SITES = ((-0.8476, 0.316557, 0.650194, 15.9994), (0.4238, 1.0, 0.0, 1.008), (0.4238, 1.0, 0.0, 1.008))


def water(n, box, cutoff, eps_rf, hh):
    system = mm.System()
    nb = mm.NonbondedForce()
    nb.setNonbondedMethod(mm.NonbondedForce.CutoffPeriodic)
    nb.setCutoffDistance(cutoff)
    nb.setReactionFieldDielectric(eps_rf)
    nb.setUseDispersionCorrection(False)
    for m in range(n):
        for q, sigma, eps, mass in SITES:
            system.addParticle(mass)
            nb.addParticle(q, sigma, eps)
        for i, j in ((0, 1), (0, 2), (1, 2)):
            nb.addException(3 * m + i, 3 * m + j, 0.0, 1.0, 0.0)
        system.addConstraint(3 * m, 3 * m + 1, 0.1)
        system.addConstraint(3 * m, 3 * m + 2, 0.1)
        system.addConstraint(3 * m + 1, 3 * m + 2, hh)
    system.setDefaultPeriodicBoxVectors(mm.Vec3(box[0], 0, 0), mm.Vec3(0, box[1], 0), mm.Vec3(0, 0, box[2]))
    system.addForce(nb)
    return system


def main():
    start, warmup, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    d = np.load(start)
    x = d['positions']
    system = water(len(x) // 3, d['box'].tolist(), float(d['cutoff'][0]), float(d['eps_rf'][0]), float(d['hh'][0]))
    names = [mm.Platform.getPlatform(i).getName() for i in range(mm.Platform.getNumPlatforms())]
    out = {'version': mm.version.version, 'platforms': names}
    if 'CPU' in names:
        cpu = mm.Platform.getPlatformByName('CPU')
        out['platform'] = 'CPU'
        out['one'] = timed(system, x, cpu, {'Threads': '1'}, warmup, steps)
        out['default'] = timed(system, x, cpu, {}, warmup, steps)
    else:
        out['platform'] = 'Reference'
        out['one'] = timed(system, x, mm.Platform.getPlatformByName('Reference'), {}, warmup, steps)
    print(json.dumps(out))


main()
