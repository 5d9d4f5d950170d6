/**
 * Reference data generation: Langevin (BAOAB) simulations of a built-in system, many replicas
 * on worker threads (one op stream per core), returning a data set with positions AND the
 * atomistic forces −∂U/∂x of every saved frame (no constraint or thermostat forces).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Trajectory } from '../io/trajectory.js';
import { makeTrajectory } from '../io/trajectory.js';
import { exchangeReplicas } from './generateExchange.js';
import { getSystem, type SystemOptions } from './systems.js';

/** What to generate. Per replica: `ns` of production after `equilibratePs` of equilibration. */
export interface GenerateOptions {
  system: string;
  /** Settings of systems that take them (molecules, density, cut-off of the liquids). */
  systemOptions?: SystemOptions;
  /** Production length per replica, ns. */
  ns: number;
  /** Save a frame every this many ps (rounded to whole time steps). */
  saveEveryPs: number;
  replicas: number;
  seed: number;
  /** Equilibration per replica before the first saved frame, ps. Default 10. */
  equilibratePs?: number;
  /** Thermostat temperature, K; default the system's own (e.g. 300 K for alanine dipeptide). */
  temperature?: number;
  /** Worker threads; default one per core, at most one per replica (per walker with `exchange`). */
  workers?: number;
  /**
   * Replica exchange: each replica becomes a ladder of walkers at these rising temperatures, K,
   * the first the thermostat's (`temperature`, or the system's), trading rungs every `everyPs`;
   * the frames are those of the lowest rung. `ns` is then the length of every walker's run.
   */
  exchange?: { temperatures: readonly number[]; everyPs: number };
  /** Called as steps complete (summed over replicas). */
  onProgress?: (done: number, total: number) => void;
  /** Stop at the next saved frame of every replica; what was computed is returned. */
  signal?: AbortSignal;
}

/** Job description posted to a worker (serialisable). */
export interface WorkerJob {
  system: string;
  systemOptions: SystemOptions;
  replicas: number[];
  seed: number;
  /** K. */
  temperature: number;
  steps: number;
  equilibrationSteps: number;
  saveEvery: number;
  stopFlag: SharedArrayBuffer;
}

/** Messages from a worker. */
export type WorkerMessage =
  | { type: 'progress'; steps: number }
  | { type: 'replica'; replica: number; frames: number; positions: Float32Array; forces: Float32Array; energies: Float64Array }
  | { type: 'done' }
  | { type: 'error'; message: string };

/** Generated frames plus how they split into replicas. */
export interface GeneratedData {
  /** Frames of all replicas, replica-major; positions [frames, atoms, 3] nm, forces kJ/mol/nm. */
  trajectory: Trajectory;
  /** [replicas] number of frames each replica contributed (all equal unless interrupted). */
  framesPerReplica: number[];
  /** [frames] potential energy of each frame, kJ/mol. */
  energies: Float64Array;
  interrupted: boolean;
}

function checkOptions(o: GenerateOptions): void {
  const positive = (v: number, what: string) => {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`generate: ${what} must be a positive number, got ${v}`);
  };
  positive(o.ns, '--ns (ns)');
  positive(o.saveEveryPs, '--save-every-ps (ps)');
  if (!Number.isInteger(o.replicas) || o.replicas < 1) throw new Error(`generate: --replicas must be a positive integer, got ${o.replicas}`);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error(`generate: --seed must be a non-negative integer, got ${o.seed}`);
  if (o.temperature !== undefined) positive(o.temperature, '--temperature (K)');
  if (o.exchange) positive(o.exchange.everyPs, '--exchange-every-ps (ps)');
}

/** The steps of a run and how it is split over threads, from its options and system. */
export interface RunPlan {
  /** K (the lowest rung's with replica exchange). */
  temperature: number;
  /** The system's time step, ps. */
  dt: number;
  /** Coordinates of one configuration, nParticles·dim. */
  width: number;
  saveEvery: number;
  /** Production steps per replica (per walker with replica exchange). */
  steps: number;
  equilibrationSteps: number;
  workers: number;
  /** Set to 1 to stop every worker at its next frame. */
  stopFlag: SharedArrayBuffer;
}

/** Frames of one replica, as its worker posted them: [frames, atoms·dim] and [frames]. */
export interface ReplicaFrames {
  frames: number;
  positions: Float32Array;
  forces: Float32Array;
  energies: Float64Array;
}

/** Worker threads for `jobs` simulation tasks: one per core unless `workers` says, never more than tasks. */
export function workerCount(workers: number | undefined, jobs: number): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(workers ?? cores, jobs));
}

/**
 * Simulate `replicas` independent copies of `system` (or, with `exchange`, `replicas` replica-exchange
 * ladders, kept at their lowest rung) and collect frames with forces.
 * @throws Error for an unknown system, bad settings, or a worker's failure (e.g. instability).
 */
export async function generate(o: GenerateOptions): Promise<GeneratedData> {
  checkOptions(o);
  const sys = getSystem(o.system, o.systemOptions);
  const temperature = o.temperature ?? sys.temperature;
  const saveEvery = Math.max(1, Math.round(o.saveEveryPs / sys.dt));
  const steps = Math.round((o.ns * 1000) / sys.dt / saveEvery) * saveEvery;
  if (steps < saveEvery) throw new Error(`generate: --ns ${o.ns} is shorter than one saved frame (${saveEvery * sys.dt} ps)`);
  const equilibrationSteps = Math.round((o.equilibratePs ?? 10) / sys.dt);
  const walkers = o.replicas * (o.exchange?.temperatures.length ?? 1);
  const plan: RunPlan = { temperature, dt: sys.dt, width: sys.potential.nParticles * sys.potential.dim, saveEvery, steps, equilibrationSteps, workers: workerCount(o.workers, walkers), stopFlag: new SharedArrayBuffer(4) };
  const stop = new Int32Array(plan.stopFlag);
  const onAbort = () => Atomics.store(stop, 0, 1);
  o.signal?.addEventListener('abort', onAbort);
  if (o.signal?.aborted) onAbort();
  let results: Map<number, ReplicaFrames>;
  let exchangeProvenance: Record<string, unknown> = {};
  try {
    if (o.exchange) {
      const ex = await exchangeReplicas(o, o.exchange, plan);
      results = ex.replicas;
      exchangeProvenance = ex.provenance;
    } else {
      results = await independentReplicas(o, plan);
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
  const interrupted = Atomics.load(stop, 0) !== 0;
  const nAtoms = sys.potential.nParticles;
  const dim = sys.potential.dim;
  const order = [...results.keys()].sort((a, b) => a - b);
  const framesPerReplica = order.map((r) => (results.get(r) as ReplicaFrames).frames);
  const nFrames = framesPerReplica.reduce((a, b) => a + b, 0);
  const positions = new Float32Array(nFrames * nAtoms * 3);
  const forces = new Float32Array(nFrames * nAtoms * 3);
  const energies = new Float64Array(nFrames);
  const time = new Float32Array(nFrames);
  let f = 0;
  for (const r of order) {
    const res = results.get(r) as ReplicaFrames;
    for (let k = 0; k < res.frames; k++, f++) {
      // Lower-dimensional toys are stored as 3-D particles with the extra coordinates 0.
      for (let a = 0; a < nAtoms; a++) {
        for (let d = 0; d < dim; d++) {
          positions[(f * nAtoms + a) * 3 + d] = res.positions[(k * nAtoms + a) * dim + d];
          forces[(f * nAtoms + a) * 3 + d] = res.forces[(k * nAtoms + a) * dim + d];
        }
      }
      energies[f] = res.energies[k];
      time[f] = (k + 1) * saveEvery * sys.dt;
    }
  }
  const box = sys.box ? new Float32Array(nFrames * 9) : undefined;
  if (box && sys.box) for (let k = 0; k < nFrames; k++) box.set([sys.box[0], 0, 0, 0, sys.box[1], 0, 0, 0, sys.box[2]], 9 * k);
  const trajectory = makeTrajectory({
    topology: sys.topology,
    nFrames,
    nAtoms,
    positions,
    forces,
    time,
    box,
    provenance: {
      generator: 'cglab generate',
      system: o.system,
      ...(o.systemOptions && Object.keys(o.systemOptions).length ? { system_options: o.systemOptions } : {}),
      description: sys.description,
      integrator: 'BAOAB Langevin',
      temperature_K: temperature,
      dt_ps: sys.dt,
      friction_per_ps: sys.friction,
      constraints: sys.constraints ? sys.constraints.distances.length : 0,
      ns_per_replica: o.ns,
      save_every_ps: saveEvery * sys.dt,
      equilibrate_ps: equilibrationSteps * sys.dt,
      replicas: o.replicas,
      frames_per_replica: framesPerReplica,
      frame_order: 'replica-major: replica 0 frames, then replica 1, ...',
      seed: o.seed,
      forces: 'atomistic forces −dU/dx (no constraint or thermostat forces)',
      ...exchangeProvenance,
      interrupted,
    },
  }, o.system);
  return { trajectory, framesPerReplica, energies, interrupted };
}

/** `o.replicas` independent runs on `plan.workers` threads (generateWorker.ts). */
async function independentReplicas(o: GenerateOptions, plan: RunPlan): Promise<Map<number, ReplicaFrames>> {
  const stop = new Int32Array(plan.stopFlag);
  const total = o.replicas * (plan.steps + plan.equilibrationSteps);
  let done = 0;
  const results = new Map<number, ReplicaFrames>();
  const shares = Array.from({ length: plan.workers }, (_, w) => [...Array(o.replicas).keys()].filter((r) => r % plan.workers === w));
  await Promise.all(shares.map((share) => new Promise<void>((resolve, reject) => {
    const job: WorkerJob = { system: o.system, systemOptions: o.systemOptions ?? {}, replicas: share, seed: o.seed, temperature: plan.temperature, steps: plan.steps, equilibrationSteps: plan.equilibrationSteps, saveEvery: plan.saveEvery, stopFlag: plan.stopFlag };
    const worker = new Worker(new URL('./generateWorker.js', import.meta.url), { workerData: job });
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        done += m.steps;
        o.onProgress?.(done, total);
      } else if (m.type === 'replica') {
        results.set(m.replica, m);
      } else if (m.type === 'error') {
        Atomics.store(stop, 0, 1); // the others stop too: the run as a whole failed
        reject(new Error(`${o.system}: ${m.message}`));
      } else {
        resolve();
      }
    });
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`generate worker exited with code ${code}`))));
  })));
  return results;
}
