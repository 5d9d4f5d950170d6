/**
 * `cglab simulate --model <dir> [--start <data set> [--top file.pdb]] --replicas R --ps T
 * [--dt ps] [--temperature K] [--seed S] --out traj.npz`, with optional `--integrator
 * baoab|overdamped`, `--friction γ` (1/ps) and `--save-every-ps P`: Langevin replicas of a CG
 * model (md/replicas.ts), started from the mapped training frames kept with the model or from
 * `--start` (all-atom frames, mapped with the model's map, or CG frames of its beads). Writes
 * positions [replicas, frames, beads, 3] (nm), time and the CG topology as a cglab data set.
 * A `cglab train arcg` folder runs the same way on its U_θ, its virtual sites placed beside
 * their beads at the start and written after the mapped beads; a `cglab fit pairs` folder runs
 * as a periodic liquid. Ctrl-C stops at the next saved frame and writes what was computed.
 */
import { initBackend } from '../backend/select.js';
import { readCoordinates, writeDataset } from '../io/dataset.js';
import { makeTrajectory } from '../io/trajectory.js';
import { simulateReplicas } from '../md/replicas.js';
import { keptFrames, loadModelDir, startPositions } from '../methods/forcematching/modelDir.js';
import { readLiquid } from '../methods/pairs/data.js';
import { isPairsDir, liquidStarts, loadPairModel } from '../methods/pairs/modelDir.js';
import { PAIR_DT, samplePairs } from '../methods/pairs/sample.js';
import { arcgStarts, isArcgDir, loadArcg, withVirtualSites } from '../methods/arcg/modelDir.js';
import type { Potential } from '../physics/potential.js';
import type { Topology } from '../topology/topology.js';
import { Random } from '../util/random.js';
import { progressBar } from '../util/progress.js';
import { optString, parseArgs, type ParsedArgs } from './args.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';

/** Default time step, ps: BAOAB-stable for CG beads of atomic masses on bonds fitted to data (md/replicas.ts). */
const DEFAULT_DT = 0.002;

export async function simulateCommand(argv: string[]): Promise<number> {
  const cmd = 'simulate';
  const args = parseArgs(argv, {
    valued: ['model', 'start', 'top', 'replicas', 'ps', 'dt', 'temperature', 'seed', 'out', 'integrator', 'friction', 'save-every-ps', 'max-force'],
  }, cmd);
  if (args.positional.length) throw new Error(`cglab simulate: unexpected argument '${args.positional[0]}'; every input is an option (--model, --replicas, --ps, --out)`);
  const dir = requiredOption(args, 'model', cmd, '<model folder>');
  const out = requiredOption(args, 'out', cmd, 'traj.npz');
  if (!out.endsWith('.npz')) throw new Error(`cglab simulate: --out must name a .npz file, got '${out}'`);
  const replicas = numberOption(args, 'replicas', cmd) ?? NaN;
  const ps = numberOption(args, 'ps', cmd) ?? NaN;
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`cglab simulate: --replicas R (a positive integer) is required, got ${optString(args, 'replicas') ?? 'none'}`);
  if (!(ps > 0)) throw new Error(`cglab simulate: --ps T (simulated time per replica, ps, > 0) is required, got ${optString(args, 'ps') ?? 'none'}`);
  const top = optString(args, 'top');
  const start = optString(args, 'start');
  if (top !== undefined && start === undefined) throw new Error('cglab simulate: --top gives the topology of --start frames; give --start too');

  if (isPairsDir(dir)) return simulateLiquid(args, dir, out, replicas, ps, start, top);
  const startFrames = start === undefined ? undefined : readCoordinates(start, { top });
  if (isArcgDir(dir)) {
    const m = loadArcg(dir);
    const mapped = start === undefined ? arcgStarts(m) : arcgStarts(m, startFrames, start);
    const seed = numberOption(args, 'seed', cmd, 1) as number;
    const starts = withVirtualSites(mapped, m.nMapped, m.info.virtualSites, Math.floor(mapped.length / (3 * m.nMapped)), new Random(seed));
    return simulateMolecule(args, dir, out, replicas, ps, start, { potential: m.potential, starts, masses: m.masses, topology: m.topology, temperature: m.info.temperature, kind: `arcg (${m.info.critic} critic, ${m.info.divergence})` });
  }
  await initBackend();
  const m = loadModelDir(dir);
  try {
    const starts = startFrames === undefined ? keptFrames(m) : startPositions(m, startFrames, start as string);
    return await simulateMolecule(args, dir, out, replicas, ps, start, { potential: m.model.asPotential(`CG model ${dir}`), starts, masses: m.masses, topology: m.info.cgTopology, temperature: m.info.temperature, kind: m.info.model });
  } finally {
    m.model.dispose();
  }
}

/** A CG molecule to simulate: its potential, starting frames [frames, beads, 3] nm, masses (amu), beads and training temperature (K). */
interface CgMolecule {
  potential: Potential;
  starts: Float32Array | Float64Array;
  masses: Float64Array;
  topology: Topology;
  temperature: number;
  kind: string;
}

/** Langevin replicas of a CG molecule from `m.starts`, written as positions [replicas, frames, beads, 3]. */
async function simulateMolecule(args: ParsedArgs, dir: string, out: string, replicas: number, ps: number, start: string | undefined, m: CgMolecule): Promise<number> {
  const cmd = 'simulate';
  const temperature = numberOption(args, 'temperature', cmd, m.temperature) as number;
  const dt = numberOption(args, 'dt', cmd, DEFAULT_DT) as number;
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  const integrator = (optString(args, 'integrator') ?? 'baoab') as 'baoab' | 'overdamped';
  const friction = numberOption(args, 'friction', cmd, 1) as number;
  const saveEveryPs = numberOption(args, 'save-every-ps', cmd, 1) as number;
  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, 'cglab simulate: interrupted — writing the frames computed so far');
  const bar = progressBar(`simulate ${replicas}×${ps} ps`);
  try {
    const res = await simulateReplicas(m.potential, {
      starts: m.starts, replicas, masses: m.masses, temperature, dt, ps, saveEveryPs, integrator, friction, seed,
      maxForce: numberOption(args, 'max-force', cmd),
      signal: ac.signal,
      onProgress: (d, t) => bar.update(d, t),
    });
    bar.done(`${res.frames} frames per replica${res.interrupted ? ', interrupted' : ''}`);
    const beads = m.topology.atoms.length;
    const time = new Float32Array(res.replicas * res.frames);
    for (let r = 0; r < res.replicas; r++) time.set(res.time, r * res.frames);
    const traj = makeTrajectory({ topology: m.topology, nFrames: res.replicas * res.frames, nAtoms: beads, positions: res.positions, time }, out);
    writeDataset(out, traj, {
      replicas: res.replicas,
      provenance: {
        generator: 'cglab simulate',
        model: dir,
        model_kind: m.kind,
        integrator: integrator === 'baoab' ? 'BAOAB Langevin' : 'overdamped Langevin',
        temperature_K: temperature,
        dt_ps: dt,
        friction_per_ps: friction,
        ps_per_replica: ps,
        save_every_ps: res.time.length > 1 ? res.time[1] - res.time[0] : saveEveryPs,
        seed,
        start: start ?? `${dir}/frames.npz`,
        start_frames: res.startFrames,
        interrupted: res.interrupted,
      },
    });
    process.stderr.write(`cglab simulate: wrote ${out} (positions [${res.replicas}, ${res.frames}, ${beads}, 3] nm)\n`);
    return res.interrupted ? 130 : 0;
  } finally {
    uninstall();
  }
}

/** `cglab simulate` of a CG liquid (a folder of `cglab fit pairs`): positions and the box. */
async function simulateLiquid(args: ParsedArgs, dir: string, out: string, replicas: number, ps: number, start: string | undefined, top: string | undefined): Promise<number> {
  const cmd = 'simulate';
  const m = loadPairModel(dir);
  const { starts, box } = liquidStarts(m, start === undefined ? undefined : { ...readLiquid(start, { top, ...(m.info.beads ? { beads: m.info.beads, beadsSource: `${dir}/pairs.json: beads` } : {}) }), source: start });
  const temperature = numberOption(args, 'temperature', cmd, m.info.temperature) as number;
  const dt = numberOption(args, 'dt', cmd, PAIR_DT) as number;
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  const friction = numberOption(args, 'friction', cmd, 1) as number;
  const saveEveryPs = numberOption(args, 'save-every-ps', cmd, 1) as number;
  if (args.options.has('integrator') && optString(args, 'integrator') !== 'baoab') throw new Error('cglab simulate: CG liquids run with --integrator baoab only');
  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, 'cglab simulate: interrupted — writing the frames computed so far');
  const bar = progressBar(`simulate liquid ${replicas}×${ps} ps`);
  try {
    const system = {
      types: Int32Array.from(m.info.types), typeNames: m.info.typeNames, masses: Float64Array.from(m.info.masses),
      ...(m.info.molecule && m.info.bonds ? { molecule: Int32Array.from(m.info.molecule), bonds: m.info.bonds, angles: m.info.angles } : {}),
    };
    const res = await samplePairs(m.tables, system, starts, box, {
      replicas, ps, skipPs: 0, saveEveryPs, dt, friction, temperature, seed, signal: ac.signal, onProgress: (d, t) => bar.update(d, t),
    });
    if (res.frames === 0) throw new Error('cglab simulate: interrupted before the first frame was saved; nothing written');
    const beads = system.types.length;
    const perReplica = res.frames / replicas;
    bar.done(`${perReplica} frames per replica${res.interrupted ? ', interrupted' : ''}`);
    const boxes = new Float32Array(9 * res.frames);
    for (let f = 0; f < res.frames; f++) for (let d = 0; d < 3; d++) boxes[9 * f + 4 * d] = box[d];
    const time = Float32Array.from({ length: res.frames }, (_, f) => ((f % perReplica) + 1) * saveEveryPs);
    const traj = makeTrajectory({ topology: m.info.topology, nFrames: res.frames, nAtoms: beads, positions: res.positions, box: boxes, time }, out);
    writeDataset(out, traj, {
      replicas,
      provenance: {
        generator: 'cglab simulate', model: dir, model_kind: `pairs (${m.info.method})`, integrator: 'BAOAB Langevin', temperature_K: temperature,
        dt_ps: dt, friction_per_ps: friction, ps_per_replica: ps, save_every_ps: saveEveryPs, seed, start: start ?? `${dir}/frames.npz`, interrupted: res.interrupted,
      },
    });
    process.stderr.write(`cglab simulate: wrote ${out} (positions [${replicas}, ${perReplica}, ${beads}, 3] nm, box ${box.map((l) => l.toFixed(3)).join(' × ')} nm)\n`);
    return res.interrupted ? 130 : 0;
  } finally {
    uninstall();
  }
}
