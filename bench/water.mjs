#!/usr/bin/env node
// Water, atomistic and coarse-grained, against peers in the same run on the same machine:
//   1. SPC/E, 2180 rigid molecules (the built-in `spce-water`: LJ and reaction field ε_rf 80
//      cut at 1.2 nm, SETTLE, Langevin 300 K, friction 1/ps, 2 fs): cglab BAOAB against OpenMM
//      LangevinMiddle (bench/openmm_water.py) from the same minimised start, ns/day and their
//      ratio; GROMACS's published figure for this system beside them (not measured here);
//   2. a CG pair-table liquid of 2180 beads (18 amu, the centres of mass of that start, box
//      4.031 nm; a water-like Morse table from 0.2 to 0.9 nm): cglab BAOAB against LAMMPS
//      (`pair_style table linear N` on the file io/pairTableFiles writes, units real, fix nve +
//      fix langevin, one MPI rank, one thread) from the same configuration, ns/day and ratio;
//   3. `fm` (methods/pairs/fm.ts, cut-off 0.9 nm, knots every 0.01 nm) on 101 frames × 2180
//      beads: SPC/E frames from the file FM_SPCE names (e.g. `cglab generate spce-water`), else frames of the CG run
//      of part 2 with their table forces; seconds, beside VOTCA csg_fmatch's published time.
// Each engine runs single-threaded (OpenMM's CPU platform, where present, also at its default
// threads). One timed run each: on a loaded machine read the ratios, not the absolute numbers.
// Sizes (env): WATER_WARMUP 20, WATER_STEPS 200 (SPC/E, both engines); CG_WARMUP 500,
// CG_STEPS 2000 (both engines); FM_FRAMES 101, FM_EVERY 25 (CG steps between frames), FM_SPCE
// (SPC/E frames with forces, a cglab data set or plain NPZ; default none).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PairTable } from '../kernel-lib/dist/cg/pairTable.js';
import { getSystem } from '../kernel-lib/dist/datasets/systems.js';
import { npyArray } from '../kernel-lib/dist/io/npy.js';
import { writeNpz } from '../kernel-lib/dist/io/npz.js';
import { lammpsTableLength, lammpsUnitFactors, writeLammpsTable } from '../kernel-lib/dist/io/pairTableFiles.js';
import { baoab, initState } from '../kernel-lib/dist/md/integrators.js';
import { run } from '../kernel-lib/dist/md/simulate.js';
import { readLiquid } from '../kernel-lib/dist/methods/pairs/data.js';
import { forceMatchPairs } from '../kernel-lib/dist/methods/pairs/fm.js';
import { pairPotential } from '../kernel-lib/dist/physics/pairPotential.js';
import { spceHH } from '../kernel-lib/dist/physics/water.js';
import { makeTopology } from '../kernel-lib/dist/topology/topology.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const env = (k, d) => Number(process.env[k] ?? d);
const WATER_WARMUP = env('WATER_WARMUP', 20);
const WATER_STEPS = env('WATER_STEPS', 200);
const CG_WARMUP = env('CG_WARMUP', 500);
const CG_STEPS = env('CG_STEPS', 2000);
const FM_FRAMES = env('FM_FRAMES', 101);
const FM_EVERY = env('FM_EVERY', 25);
/** Published figures for these systems on this machine (the issue), not measured here. */
const GROMACS_NS_DAY = 13.4;
const VOTCA_FMATCH_S = 41;
const SPCE_FRAMES = process.env.FM_SPCE;

const dir = mkdtempSync(join(tmpdir(), 'cglab-bench-water-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const nsPerDay = (stepsPerS, dt) => (stepsPerS * dt * 86400) / 1000;
const fmt = (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
const row = (name, stepsPerS, dt) => `  ${name.padEnd(46)} ${fmt(stepsPerS, 1).padStart(7)} steps/s ${fmt(nsPerDay(stepsPerS, dt)).padStart(7)} ns/day`;
const shown = (p) => (p.startsWith(root) ? relative(root, p) : p);
const seconds = (t) => (performance.now() - t) / 1000;

/** cglab BAOAB from `x0`: steps per second over `steps` after `warmup`; the state is returned to go on from. */
function cglabRate(potential, x0, masses, dt, warmup, steps, constraints) {
  const integrator = baoab({ dt, temperature: 300, friction: 1, masses, constraints });
  const state = initState(potential, x0, masses, 300, 1, constraints);
  const startEnergy = state.energies[0];
  run(potential, integrator, state, { steps: warmup, saveEvery: warmup });
  const t = performance.now();
  run(potential, integrator, state, { steps, saveEvery: steps });
  return { stepsPerS: steps / seconds(t), startEnergy, integrator, state };
}

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; every engine on one thread unless said`);

// ---- 1. SPC/E water --------------------------------------------------------------------------
const t0 = performance.now();
const sys = getSystem('spce-water');
const { molecules, box, cutoff, epsilonRF } = sys.potential.options;
console.log(`\n1. ${sys.description} (built and minimised in ${fmt(seconds(t0), 1)} s); ${WATER_STEPS} timed steps after ${WATER_WARMUP}, 2 fs`);
const start = join(dir, 'spce-start.npz');
writeNpz(start, {
  positions: npyArray(Float64Array.from(sys.positions), [3 * molecules, 3]),
  box: npyArray(Float64Array.from(box), [3]),
  cutoff: npyArray(Float64Array.of(cutoff), [1]),
  eps_rf: npyArray(Float64Array.of(epsilonRF), [1]),
  hh: npyArray(Float64Array.of(spceHH()), [1]),
});
const omm = JSON.parse(execFileSync('/usr/bin/python3', [join(here, 'openmm_water.py'), start, String(WATER_WARMUP), String(WATER_STEPS)], { encoding: 'utf8' }));
const water = cglabRate(sys.potential, sys.positions, sys.masses, sys.dt, WATER_WARMUP, WATER_STEPS, sys.constraints);
console.log(`  start energy (same positions): cglab ${fmt(water.startEnergy, 1)}, OpenMM ${fmt(omm.one.start_energy, 1)} kJ/mol (relative difference ${(Math.abs(water.startEnergy - omm.one.start_energy) / Math.abs(omm.one.start_energy)).toExponential(1)})`);
console.log(row('cglab BAOAB + SETTLE, main thread', water.stepsPerS, sys.dt));
console.log(row(`OpenMM ${omm.platform}, LangevinMiddle, ${omm.one.threads ?? 1} thread`, omm.one.steps_per_s, sys.dt));
if (omm.default) console.log(row(`OpenMM CPU, LangevinMiddle, ${omm.default.threads} threads (default)`, omm.default.steps_per_s, sys.dt));
console.log(`  (OpenMM ${omm.version}, platforms here: ${omm.platforms.join(', ')}${omm.platform === 'CPU' ? '' : '; no CPU platform, so Reference, its double-precision single-thread one'})`);
console.log(`  ${'GROMACS, 1 core, mixed precision, SSE4.1'.padEnd(46)} ${''.padStart(15)} ${fmt(GROMACS_NS_DAY).padStart(7)} ns/day  (published for this system on this machine, not measured here)`);
console.log(`  ratio cglab/OpenMM ${omm.platform} 1 thread: ${fmt(water.stepsPerS / omm.one.steps_per_s)}×; cglab/GROMACS (published): ${fmt(nsPerDay(water.stepsPerS, sys.dt) / GROMACS_NS_DAY)}×  (> 1: cglab faster)`);

// ---- 2. CG pair-table liquid ------------------------------------------------------------------
const n = molecules;
const edge = 4.031;
const cgBox = [edge, edge, edge];
const dt = 0.002;
const mass = 18;
// A water-like well: Morse, 1.5 kJ/mol deep at 0.29 nm (the first peak of water's O–O g(r) is at 0.28 nm).
const morse = (depth, a, re) => (r) => {
  const e = Math.exp(-a * (r - re));
  return { u: depth * ((1 - e) ** 2 - 1), du: 2 * depth * a * e * (1 - e) };
};
const table = PairTable.fromFunction(morse(1.5, 20, 0.29), 0.2, 0.9);
const tables = new Map([['CG-CG', table]]);
// Start: each molecule's centre of mass in the SPC/E start, wrapped into the box.
const cgStart = new Float64Array(3 * n);
for (let m = 0; m < n; m++) {
  for (let k = 0; k < 3; k++) {
    let s = 0;
    for (let a = 0; a < 3; a++) s += sys.masses[3 * m + a] * sys.positions[3 * (3 * m + a) + k];
    const c = s / (sys.masses[3 * m] + sys.masses[3 * m + 1] + sys.masses[3 * m + 2]);
    cgStart[3 * m + k] = c - edge * Math.floor(c / edge);
  }
}
const types = new Int32Array(n);
const potential = pairPotential({ box: cgBox, types, typeNames: ['CG'], tables });
const cgMasses = new Float64Array(n).fill(mass);
console.log(`\n2. CG liquid: ${n} beads of ${mass} amu, cube ${edge} nm, Morse table (1.5 kJ/mol at 0.29 nm) from ${fmt(table.r0)} to ${fmt(table.cutoff)} nm, Langevin 300 K, friction 1/ps, ${dt * 1000} fs; ${CG_STEPS} timed steps after ${CG_WARMUP}`);
const cg = cglabRate(potential, cgStart, cgMasses, dt, CG_WARMUP, CG_STEPS);

/** The LAMMPS binary: `lmp` of the Debian package lammps (scripts/setup.mjs installs it). */
const lmp = ['/usr/bin/lmp', '/usr/bin/lmp_serial', ...(process.env.PATH ?? '').split(':').map((p) => join(p, 'lmp'))].find((p) => existsSync(p));
if (!lmp) throw new Error('LAMMPS is not installed: part 2 needs its `lmp` binary (`npm run setup` installs the Debian package lammps)');
const { length: NM_PER_A, energy: KJ_PER_KCAL } = lammpsUnitFactors('real');
const rows = lammpsTableLength([table]);
writeLammpsTable(join(dir, 'cg.table'), [{ keyword: 'CG-CG', table }], 'real');
const data = ['cglab CG liquid (units real)', '', `${n} atoms`, '1 atom types', ''];
'xyz'.split('').forEach((a) => data.push(`0 ${edge / NM_PER_A} ${a}lo ${a}hi`));
data.push('', 'Masses', '', `1 ${mass}`, '', 'Atoms # atomic', '');
for (let i = 0; i < n; i++) data.push(`${i + 1} 1 ${cgStart[3 * i] / NM_PER_A} ${cgStart[3 * i + 1] / NM_PER_A} ${cgStart[3 * i + 2] / NM_PER_A}`);
writeFileSync(join(dir, 'start.data'), data.join('\n') + '\n');
// Skin 1 Å = cglab's 0.1 nm; damp 1000 fs = friction 1/ps.
writeFileSync(join(dir, 'in.cg'), [
  'units real', 'atom_style atomic', 'boundary p p p', 'read_data start.data',
  `pair_style table linear ${rows}`, 'pair_coeff 1 1 cg.table CG-CG',
  'neighbor 1.0 bin', 'neigh_modify every 1 delay 0 check yes',
  'velocity all create 300 2025 dist gaussian mom yes', 'fix 1 all nve', 'fix 2 all langevin 300 300 1000 2025',
  `timestep ${dt * 1000}`, 'thermo_style custom step temp pe', 'thermo_modify format float %.10g', `thermo ${CG_WARMUP}`,
  `run ${CG_WARMUP}`, `run ${CG_STEPS}`, '',
].join('\n'));
execFileSync(lmp, ['-in', 'in.cg', '-log', 'log.lammps', '-screen', 'none', '-nocite'], { cwd: dir, env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: 'ignore' });
const log = readFileSync(join(dir, 'log.lammps'), 'utf8');
const loops = [...log.matchAll(/^Loop time of (\S+) on (\d+) procs for (\d+) steps/gm)];
const timedLoop = loops[loops.length - 1];
const lammpsRate = Number(timedLoop[3]) / Number(timedLoop[1]);
const lammpsPe = Number(log.match(/^\s+0\s+\S+\s+(\S+)\s*$/m)?.[1]) * KJ_PER_KCAL;
const version = log.match(/^LAMMPS \((.*)\)/m)?.[1] ?? '?';
const threads = log.match(/using (\d+) OpenMP thread/)?.[1] ?? '1';
console.log(`  start energy (same configuration): cglab ${fmt(cg.startEnergy, 1)}, LAMMPS ${fmt(lammpsPe, 1)} kJ/mol (LAMMPS interpolates its own splines of the file's rows)`);
console.log(row('cglab BAOAB, main thread', cg.stepsPerS, dt));
console.log(row(`LAMMPS, ${timedLoop[2]} MPI rank × ${threads} thread`, lammpsRate, dt));
console.log(`  (LAMMPS ${version}, pair_style table linear ${rows}, fix nve + fix langevin, skin 1 Å = cglab's 0.1 nm)`);
console.log(`  ratio cglab/LAMMPS: ${fmt(cg.stepsPerS / lammpsRate)}×  (> 1: cglab faster)`);

// ---- 3. Force matching ------------------------------------------------------------------------
let liquid;
let what;
if (SPCE_FRAMES && existsSync(SPCE_FRAMES)) {
  const t = performance.now();
  liquid = readLiquid(SPCE_FRAMES, { requireForces: true, maxFrames: FM_FRAMES });
  what = `SPC/E frames of ${shown(SPCE_FRAMES)} (molecules mapped to their centres of mass, summed forces; read and mapped in ${fmt(seconds(t), 1)} s, not counted)`;
} else {
  // Frames of the CG run, going on from where its timing stopped, with the table's forces.
  const res = run(potential, cg.integrator, cg.state, { steps: FM_FRAMES * FM_EVERY, saveEvery: FM_EVERY, saveForces: true });
  const frames = res.frames;
  liquid = {
    source: 'CG run', frames, n, positions: Float64Array.from(res.positions), forces: Float64Array.from(res.forces), box: new Float64Array(3 * frames).fill(edge), types, typeNames: ['CG'], masses: cgMasses, temperature: 300,
    topology: makeTopology(Array.from({ length: n }, (_, i) => ({ name: 'CG', element: '', mass, residue: 'CG', resid: i + 1 }))),
  };
  what = `frames of part 2's CG run (every ${fmt(FM_EVERY * dt)} ps) with their table forces (${SPCE_FRAMES ? `${shown(SPCE_FRAMES)} not found` : 'set FM_SPCE to time SPC/E frames'})`;
}
const t3 = performance.now();
const fit = forceMatchPairs(liquid, { cutoff: 0.9, spacing: 0.01 });
const fmS = seconds(t3);
console.log(`\n3. fm (cut-off 0.9 nm, knots every 0.01 nm, ${fit.basis.size} coefficients) on ${fit.frames} frames × ${liquid.n} beads: ${what}`);
console.log(`  cglab forceMatchPairs, main thread: ${fmt(fmS, 1)} s (residual ${fmt(fit.residual / fit.meanSquaredForce, 4)} of the mean squared force)`);
console.log(`  VOTCA csg_fmatch, published for 101 SPC/E frames × 2180 on this machine (not measured here): ${VOTCA_FMATCH_S} s${fit.frames === 101 ? `; ratio VOTCA/cglab ${fmt(VOTCA_FMATCH_S / fmS)}×  (> 1: cglab faster)` : ` (no ratio: ${fit.frames} frames here)`}`);
