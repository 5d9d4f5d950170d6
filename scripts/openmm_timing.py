"""Steps per second of an OpenMM System under Langevin dynamics, shared by the benchmarks that
compare cglab's engine with OpenMM (bench/openmm_water.py, scripts/openmm_hexane.py).
"""
import time

import openmm as mm
from openmm import unit


def timed(system, x, platform, properties, warmup, steps, seed=2025, temperature=300, friction=1, dt=0.002):
    """Run `warmup` untimed then `steps` timed LangevinMiddle steps (temperature K, friction 1/ps,
    dt ps) from positions x (nm); returns steps/s, the platform's thread count (None when it has no
    such property: Reference runs on one, GPU platforms on a device) and the potential energy of x (kJ/mol)."""
    integrator = mm.LangevinMiddleIntegrator(temperature * unit.kelvin, friction / unit.picosecond, dt * unit.picoseconds)
    integrator.setRandomNumberSeed(seed)
    context = mm.Context(system, integrator, platform, properties)
    context.setPositions(x)
    context.setVelocitiesToTemperature(temperature * unit.kelvin, seed)
    energy = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
    integrator.step(warmup)
    # A state request waits for the platform to finish (GPU platforms queue the steps).
    context.getState(getEnergy=True)
    t = time.perf_counter()
    integrator.step(steps)
    context.getState(getEnergy=True)
    rate = steps / (time.perf_counter() - t)
    threads = int(platform.getPropertyValue(context, 'Threads')) if 'Threads' in platform.getPropertyNames() else None
    return {'platform': platform.getName(), 'threads': threads, 'steps_per_s': rate, 'start_energy': energy}
