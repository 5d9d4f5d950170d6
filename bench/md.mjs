#!/usr/bin/env node
// MD speed on the standard alanine dipeptide (ff99SB-ILDN + OBC2, no cut-off, H-bond
// constraints, 2 fs, 300 K), cglab against OpenMM in the same run on the same machine:
//   1. one replica: cglab BAOAB vs OpenMM LangevinMiddle on its best platform here (Reference;
//      Debian's OpenMM ships no CPU platform), steps per second;
//   2. many replicas on both cores: cglab's worker-thread generator vs the same OpenMM number,
//      aggregate replica-steps per second.
// Goal (issue 3): ratio ≥ 1 for one replica and ≥ 2 with replicas.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getSystem } from '../kernel-lib/dist/datasets/systems.js';
import { generate } from '../kernel-lib/dist/datasets/generate.js';
import { formatPdb } from '../kernel-lib/dist/io/pdb.js';
import { makeTrajectory } from '../kernel-lib/dist/io/trajectory.js';
import { baoab, initState } from '../kernel-lib/dist/md/integrators.js';
import { run } from '../kernel-lib/dist/md/simulate.js';

const STEPS = Number(process.env.BENCH_STEPS ?? 20000);
const sys = getSystem('alanine-dipeptide');
const dir = mkdtempSync(join(tmpdir(), 'cglab-bench-md-'));
const pdb = join(dir, 'ala.pdb');
writeFileSync(pdb, formatPdb(makeTrajectory({ topology: sys.topology, nFrames: 1, nAtoms: 22, positions: Float32Array.from(sys.positions) }, 'bench')));

function openmmStepsPerSecond() {
  const py = `
import sys, time
from openmm import app, unit, LangevinMiddleIntegrator, Platform, Context
pdb = app.PDBFile(sys.argv[1])
system = app.ForceField('amber99sbildn.xml', 'amber99_obc.xml').createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=app.HBonds)
integ = LangevinMiddleIntegrator(300*unit.kelvin, 1/unit.picosecond, 0.002*unit.picoseconds)
ctx = Context(system, integ, Platform.getPlatformByName('Reference'))
ctx.setPositions(pdb.positions)
ctx.setVelocitiesToTemperature(300*unit.kelvin, 1)
integ.step(500)
t = time.perf_counter(); integ.step(int(sys.argv[2]))
print(int(sys.argv[2]) / (time.perf_counter() - t))
`;
  return Number(execFileSync('/usr/bin/python3', ['-c', py, pdb, String(STEPS)], { encoding: 'utf8' }).trim());
}

function cglabStepsPerSecond() {
  const integ = baoab({ dt: sys.dt, temperature: sys.temperature, friction: sys.friction, masses: sys.masses, constraints: sys.constraints });
  const st = initState(sys.potential, sys.positions, sys.masses, sys.temperature, 1, sys.constraints);
  run(sys.potential, integ, st, { steps: 500, saveEvery: 500 });
  const t = performance.now();
  run(sys.potential, integ, st, { steps: STEPS, saveEvery: 1000 });
  return STEPS / ((performance.now() - t) / 1000);
}

async function cglabReplicaStepsPerSecond(replicas) {
  const ns = (STEPS * sys.dt) / 1000;
  const t = performance.now();
  await generate({ system: 'alanine-dipeptide', ns, saveEveryPs: 1, replicas, seed: 1, equilibratePs: 0.002 });
  return (replicas * STEPS) / ((performance.now() - t) / 1000);
}

// Alternate the two, best of three each: the machine is shared, so load changes over time.
let omm = 0;
let one = 0;
for (let round = 0; round < 3; round++) {
  omm = Math.max(omm, openmmStepsPerSecond());
  one = Math.max(one, cglabStepsPerSecond());
}
const many = await cglabReplicaStepsPerSecond(8);
const row = (name, v) => `${name.padEnd(52)} ${v.toFixed(0).padStart(8)} steps/s`;
console.log(row('OpenMM 7.7 Reference, LangevinMiddle, 1 replica', omm));
console.log(row('cglab BAOAB, 1 replica, main thread', one));
console.log(row('cglab generate, 8 replicas on 2 worker threads (sum)', many));
console.log(`ratio cglab/OpenMM: one replica ${(one / omm).toFixed(2)}×, replicas ${(many / omm).toFixed(2)}× (goal ≥ 1× and ≥ 2×)`);
