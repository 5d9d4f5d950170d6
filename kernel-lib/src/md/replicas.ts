/**
 * Many independent Langevin replicas of one system started from given frames, advanced
 * together: every step evaluates the potential once for all replicas (for a tfjs energy model,
 * one tensor call), with the stability monitor of simulate.ts on every saved frame.
 *
 * Masses and the time step of CG models. Langevin dynamics samples exp(−U/kT) whatever the
 * masses, so CG masses only set the time scale, not the result. Taking each bead's mass as the
 * sum of the atoms it stands for (amu) keeps the fastest CG motions — the stiff bonds, whose
 * force constants come from the data, k ≈ kT/Var(r) — at frequencies similar to the all-atom
 * ones: alanine dipeptide's ACE C – ALA N bead bond has Var(r) ≈ (0.0025 nm)², so k ≈ 4·10⁵
 * kJ/mol/nm², and with 12- and 14-amu beads (reduced mass 6.5 amu) a period 2π√(μ/k) ≈ 25 fs.
 * BAOAB samples accurately for dt ≲ period/10, hence the 2 fs default step for such models;
 * heavier beads allow a longer step in proportion to √m but slow the dynamics by the same
 * factor. Overdamped Langevin moves each coordinate by D·F/kT·dt with D = kT/(mγ) nm²/ps and
 * needs D·k·dt/kT ≪ 1.
 */
import type { Potential } from '../physics/potential.js';
import { baoab, initState, overdamped } from './integrators.js';
import { Random } from '../util/random.js';
import { run } from './simulate.js';

/** Options of {@link simulateReplicas}. */
export interface ReplicaOptions {
  /** Candidate starting frames [frames, nParticles, dim], nm; each replica starts from one. */
  starts: Float32Array | Float64Array;
  /** Number of replicas. */
  replicas: number;
  /** [nParticles] masses, amu (see the module comment). */
  masses: Float64Array;
  /** K. */
  temperature: number;
  /** Time step, ps. */
  dt: number;
  /** Length of each replica's run, ps. */
  ps: number;
  /** Save a frame every this many ps (rounded to whole steps); default 1 ps. */
  saveEveryPs?: number;
  /** Default 'baoab'. */
  integrator?: 'baoab' | 'overdamped';
  /** Friction γ, 1/ps; default 1. */
  friction?: number;
  /** Seed of the choice of starting frames, the velocities and the noise. */
  seed: number;
  /** Forces above this (kJ/mol/nm) stop the run as unstable; default 1e6. */
  maxForce?: number;
  /** Called after each saved frame with steps done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Stop at the next saved frame (the run yields to the event loop at each); the frames so far are returned. */
  signal?: AbortSignal;
}

/** Saved frames of every replica. */
export interface ReplicaResult {
  /** [replicas, frames, nParticles, dim] positions, nm (replica-major). */
  positions: Float32Array;
  /** [replicas, frames] potential energies, kJ/mol. */
  energies: Float64Array;
  /** [frames] time of each frame since the start, ps. */
  time: Float64Array;
  replicas: number;
  /** Frames per replica. */
  frames: number;
  /** [replicas] index of each replica's starting frame in `starts`. */
  startFrames: number[];
  /** Steps taken per replica. */
  steps: number;
  interrupted: boolean;
}

/**
 * Starting frames for `replicas` replicas out of `available`: distinct frames spread at random
 * when there are enough, otherwise every frame in turn (replicas then differ by their noise).
 */
export function chooseStarts(available: number, replicas: number, rng: Random): number[] {
  const order = Int32Array.from({ length: available }, (_, i) => i);
  for (let i = available - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return Array.from({ length: replicas }, (_, r) => order[r % available]);
}

/**
 * Run `replicas` Langevin replicas of `p` from frames of `starts`.
 * @throws Error for bad settings (non-positive dt, T, length), starting frames that do not fit
 *   `p`, or from the stability monitor (with the step, replica and worst particles) when a
 *   replica blows up.
 */
export async function simulateReplicas(p: Potential, o: ReplicaOptions): Promise<ReplicaResult> {
  const per = p.nParticles * p.dim;
  if (o.starts.length === 0 || o.starts.length % per !== 0) {
    throw new Error(`${p.name}: starting frames have ${o.starts.length} values, expected [frames, ${p.nParticles}, ${p.dim}] for this model`);
  }
  if (!Number.isInteger(o.replicas) || o.replicas < 1) throw new Error(`replicas must be a positive integer, got ${o.replicas}`);
  if (!(o.dt > 0)) throw new Error(`the time step dt must be positive (ps), got ${o.dt}`);
  if (!(o.ps > 0)) throw new Error(`the simulation length must be positive (ps), got ${o.ps}`);
  const saveEvery = Math.max(1, Math.round((o.saveEveryPs ?? 1) / o.dt));
  const steps = Math.round(o.ps / o.dt / saveEvery) * saveEvery;
  if (steps < saveEvery) throw new Error(`a run of ${o.ps} ps is shorter than one saved frame (${saveEvery * o.dt} ps): run longer or save more often`);
  const rng = new Random(o.seed);
  const startFrames = chooseStarts(o.starts.length / per, o.replicas, rng);
  const x0 = new Float64Array(o.replicas * per);
  startFrames.forEach((f, r) => x0.set(o.starts.subarray(f * per, (f + 1) * per), r * per));
  const settings = { dt: o.dt, temperature: o.temperature, friction: o.friction ?? 1, masses: o.masses };
  const kind = o.integrator ?? 'baoab';
  if (kind !== 'baoab' && kind !== 'overdamped') throw new Error(`unknown integrator '${kind as string}': expected baoab or overdamped`);
  const integrator = kind === 'baoab' ? baoab(settings) : overdamped(settings);
  const state = initState(p, x0, o.masses, o.temperature, o.seed + 1);
  // One saved frame per run() call, yielding to the event loop in between so that an abort
  // (Ctrl-C) is seen. run() stores [frames, replicas, ...]; the result is replica-major.
  const maxFrames = steps / saveEvery;
  const saved: { x: Float32Array; e: Float64Array; t: number }[] = [];
  while (saved.length < maxFrames && !o.signal?.aborted) {
    const res = run(p, integrator, state, { steps: saveEvery, saveEvery, maxForce: o.maxForce });
    saved.push({ x: res.positions.slice(), e: res.energies.slice(), t: res.time[0] });
    o.onProgress?.(saved.length * saveEvery, steps);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const frames = saved.length;
  const positions = new Float32Array(o.replicas * frames * per);
  const energies = new Float64Array(o.replicas * frames);
  saved.forEach(({ x, e }, t) => {
    for (let r = 0; r < o.replicas; r++) {
      positions.set(x.subarray(r * per, (r + 1) * per), (r * frames + t) * per);
      energies[r * frames + t] = e[r];
    }
  });
  return {
    positions,
    energies,
    time: Float64Array.from(saved, (f) => f.t),
    replicas: o.replicas,
    frames,
    startFrames,
    steps: frames * saveEvery,
    interrupted: frames < maxFrames,
  };
}

/**
 * Frames `from` (inclusive) to `to` (exclusive) of every replica of `r`, replica after replica:
 * [replicas × (to − from), nParticles, dim]. Drops equilibration (`from` = frames before it) or
 * splits runs into time windows.
 */
export function replicaFrames(r: ReplicaResult, from: number, to = r.frames): Float32Array {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= r.frames)) {
    throw new Error(`replicaFrames: frames ${from}..${to} are not a window of the ${r.frames} frames per replica`);
  }
  const per = r.positions.length / (r.replicas * r.frames);
  const n = to - from;
  const out = new Float32Array(r.replicas * n * per);
  for (let k = 0; k < r.replicas; k++) out.set(r.positions.subarray((k * r.frames + from) * per, (k * r.frames + to) * per), k * n * per);
  return out;
}
