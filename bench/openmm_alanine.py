"""OpenMM reference run of the standard alanine dipeptide settings, for bench/alanine-reference.mjs.

Same settings as `cglab generate alanine-dipeptide`: amber99sbildn.xml + amber99_obc.xml, no
cut-off, H-bond constraints, 300 K, friction 1/ps, 2 fs (LangevinMiddleIntegrator, OpenMM's BAOAB),
frames every 1 ps after 10 ps of equilibration, from the given (minimised) structure.

Usage: openmm_alanine.py START.pdb NS SEED OUT.npy  — writes positions [frames, 22, 3] in nm (float32).
"""
import sys

import numpy as np
from openmm import Context, LangevinMiddleIntegrator, Platform, app, unit

pdb_path, ns, seed, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
pdb = app.PDBFile(pdb_path)
system = app.ForceField("amber99sbildn.xml", "amber99_obc.xml").createSystem(
    pdb.topology, nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
integrator = LangevinMiddleIntegrator(300 * unit.kelvin, 1 / unit.picosecond, 0.002 * unit.picoseconds)
integrator.setRandomNumberSeed(seed)
context = Context(system, integrator, Platform.getPlatformByName("Reference"))
context.setPositions(pdb.positions)
context.setVelocitiesToTemperature(300 * unit.kelvin, seed)
integrator.step(5000)  # 10 ps equilibration
frames = int(round(ns * 1000))
pos = np.empty((frames, system.getNumParticles(), 3), dtype=np.float32)
for f in range(frames):
    integrator.step(500)
    pos[f] = context.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(unit.nanometer)
    if f % 1000 == 999:
        print(f"openmm seed {seed}: {f + 1}/{frames} ps", file=sys.stderr, flush=True)
np.save(out + ".tmp.npy", pos)
import os
os.replace(out + ".tmp.npy", out)
