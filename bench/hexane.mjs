#!/usr/bin/env node
// All-atom (united-atom) n-hexane MD speed, cglab against OpenMM in the same run on the same
// machine: the built-in `hexane-liquid` (150 TraPPE-UA molecules, 900 sites, 0.655 g/cm³, LJ cut
// at 1.4 nm without shift or tail, harmonic bonds, no constraints; Langevin 300 K, friction
// 1/ps, 2 fs) from its minimised start on both sides. cglab: BAOAB on the main thread, as
// `cglab generate` runs one replica. OpenMM: LangevinMiddle (also BAOAB) on the System
// scripts/openmm_hexane.py builds from the literal TraPPE numbers (test/peers/hexane.test.ts
// checks it gives cglab's energies and forces), on every platform this OpenMM has, the CPU
// platform both with one thread and with all cores. The start energy from both sides shows the
// two run the same system. One timed run each: on a loaded machine read the ratios, not the
// absolute numbers.
// Sizes (env): HEX_WARMUP 100 untimed steps (JIT, neighbour lists), HEX_STEPS 2000 timed, both engines.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystem } from '../kernel-lib/dist/datasets/systems.js';
import { baoab, initState } from '../kernel-lib/dist/md/integrators.js';
import { run } from '../kernel-lib/dist/md/simulate.js';

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(here, '..', 'scripts', 'openmm_hexane.py');
/** A step count from the environment variable `k`, default `d`, at least `min`. */
const steps = (k, d, min) => {
  const v = Number(process.env[k] ?? d);
  if (!Number.isInteger(v) || v < min) throw new Error(`${k} must be an integer ≥ ${min}, got ${process.env[k]}`);
  return v;
};
const WARMUP = steps('HEX_WARMUP', 100, 0);
const STEPS = steps('HEX_STEPS', 2000, 1);
const SEED = 2025;

const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const seconds = (t) => (performance.now() - t) / 1000;
const nsPerDay = (stepsPerS, dt) => (stepsPerS * dt * 86400) / 1000;

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}`);
const t0 = performance.now();
const sys = getSystem('hexane-liquid');
// The script runs hexane-liquid's settings as constants (the peer test's too); a change here would
// otherwise time two different simulations.
const script = { temperature: 300, friction: 1, dt: 0.002 };
for (const [k, v] of Object.entries(script)) {
  if (sys[k] !== v) throw new Error(`hexane-liquid's ${k} is now ${sys[k]}, but scripts/openmm_hexane.py runs ${v}: update its TEMPERATURE, FRICTION, DT`);
}
const { molecules, box, cutoff } = sys.potential.options;
console.log(`hexane-liquid: ${sys.description} (built and minimised in ${fmt(seconds(t0), 1)} s)`);
console.log(`  ${sys.potential.nParticles} sites, Langevin ${sys.temperature} K, friction ${sys.friction}/ps, ${sys.dt * 1000} fs; ${STEPS} timed steps after ${WARMUP}, each engine from the same start`);

const dir = mkdtempSync(join(tmpdir(), 'cglab-bench-hexane-'));
let omm;
try {
  const input = join(dir, 'start.json');
  const output = join(dir, 'openmm.json');
  writeFileSync(input, JSON.stringify({ molecules, box, cutoff, x: Array.from(sys.positions), seed: SEED, warmup: WARMUP, steps: STEPS }));
  execFileSync('/usr/bin/python3', [SCRIPT, 'bench', input, output], { stdio: ['ignore', 'inherit', 'inherit'] });
  omm = JSON.parse(readFileSync(output, 'utf8'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const integrator = baoab({ dt: sys.dt, temperature: sys.temperature, friction: sys.friction, masses: sys.masses });
const state = initState(sys.potential, sys.positions, sys.masses, sys.temperature, SEED);
const startEnergy = state.energies[0];
run(sys.potential, integrator, state, { steps: WARMUP, saveEvery: Math.max(1, WARMUP) });
const t = performance.now();
run(sys.potential, integrator, state, { steps: STEPS, saveEvery: STEPS });
const cglab = STEPS / seconds(t);

// Reference has no Threads property: it is single-threaded. GPU platforms have none either.
const threads = (r) => r.threads ?? (r.platform === 'Reference' ? 1 : null);
const label = (r) => `OpenMM ${r.platform}, ${threads(r) === null ? 'default device' : `${threads(r)} thread${threads(r) === 1 ? '' : 's'}`}`;
const row = (name, stepsPerS) => `  ${name.padEnd(34)} ${fmt(stepsPerS, 1).padStart(8)} steps/s ${fmt(nsPerDay(stepsPerS, sys.dt)).padStart(7)} ns/day`;
const relative = (e) => (Math.abs(e - startEnergy) / Math.abs(startEnergy)).toExponential(1);
const fastest = (runs) => runs.reduce((a, b) => (b.steps_per_s > a.steps_per_s ? b : a));

console.log(`  OpenMM ${omm.version} (LangevinMiddle), platforms here: ${omm.platforms.join(', ')}${omm.platforms.includes('CPU') ? '' : "; no CPU platform (Debian's python3-openmm ships only Reference, double precision, one thread)"}`);
console.log(`  start energy (same positions): cglab ${fmt(startEnergy, 3)} kJ/mol; ${omm.runs.map((r) => `${label(r)} ${fmt(r.start_energy, 3)} (relative difference ${relative(r.start_energy)})`).join('; ')}`);
console.log(row('cglab BAOAB, main thread', cglab));
for (const r of omm.runs) console.log(`${row(label(r), r.steps_per_s)}   cglab/this ${fmt(cglab / r.steps_per_s)}×`);
const one = fastest(omm.runs.filter((r) => threads(r) === 1));
const best = fastest(omm.runs);
const ratios = [`one thread each (${label(one)}): ${fmt(cglab / one.steps_per_s)}×`];
if (best !== one) ratios.push(`OpenMM's fastest here (${label(best)}): ${fmt(cglab / best.steps_per_s)}×`);
console.log(`  ratio cglab/OpenMM, ${ratios.join('; ')}  (> 1: cglab faster)`);
