/**
 * Running an integrator: saved frames, a stability monitor, progress, interruption that keeps
 * what was computed, and checkpoints that resume bit for bit.
 */
import type { Potential } from '../physics/potential.js';
import type { Integrator, MDState } from './integrators.js';
import { Random, type RandomState } from '../util/random.js';

/** What was saved: frames of every replica, in step order. */
export interface SimulationResult {
  /** [frames, replicas, nParticles·dim] positions, nm. */
  positions: Float32Array;
  /** [frames, replicas, nParticles·dim] forces −∂U/∂x, kJ/mol/nm (when `saveForces`). */
  forces?: Float32Array;
  /** [frames, replicas] potential energies, kJ/mol. */
  energies: Float64Array;
  /** [frames] time of each frame, ps. */
  time: Float64Array;
  frames: number;
  /** True when the run stopped early through the abort signal; the frames so far are kept. */
  interrupted: boolean;
}

/** How to run. */
export interface RunOptions {
  steps: number;
  /** Save a frame every this many steps (also the progress and stability-check interval). */
  saveEvery: number;
  saveForces?: boolean;
  /** Called after each saved frame with steps done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Stop at the next saved frame when aborted; the result holds what was computed. */
  signal?: AbortSignal;
  /** Forces larger than this (kJ/mol/nm) stop the run as unstable. Default 1e6. */
  maxForce?: number;
}

/**
 * Advance `state` by `options.steps` steps of `integrator`, saving every `saveEvery` steps.
 * The state is updated in place, so a later call continues the same trajectory.
 * @throws Error from the stability monitor when energies or forces blow up.
 */
export function run(p: Potential, integrator: Integrator, state: MDState, options: RunOptions): SimulationResult {
  const { steps, saveEvery } = options;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`steps must be a non-negative integer, got ${steps}`);
  if (!Number.isInteger(saveEvery) || saveEvery < 1) throw new Error(`saveEvery must be a positive integer, got ${saveEvery}`);
  const maxFrames = Math.floor(steps / saveEvery);
  const width = state.x.length;
  const positions = new Float32Array(maxFrames * width);
  const forces = options.saveForces ? new Float32Array(maxFrames * width) : undefined;
  const energies = new Float64Array(maxFrames * state.replicas);
  const time = new Float64Array(maxFrames);
  const maxForce = options.maxForce ?? 1e6;
  let frames = 0;
  let interrupted = false;
  for (let k = 1; k <= steps; k++) {
    integrator.step(p, state);
    if (k % saveEvery !== 0) continue;
    checkStability(p, state, maxForce, integrator.options.dt);
    positions.set(state.x, frames * width);
    forces?.set(state.f, frames * width);
    energies.set(state.energies, frames * state.replicas);
    time[frames] = state.step * integrator.options.dt;
    frames++;
    options.onProgress?.(k, steps);
    if (options.signal?.aborted) {
      interrupted = true;
      break;
    }
  }
  return {
    positions: positions.subarray(0, frames * width),
    forces: forces?.subarray(0, frames * width),
    energies: energies.subarray(0, frames * state.replicas),
    time: time.subarray(0, frames),
    frames,
    interrupted,
  };
}

/**
 * The stability monitor: NaN/Inf or forces beyond `maxForce` stop the run with the step, the
 * replica, the worst particles and a likely cause, instead of silently writing garbage.
 */
export function checkStability(p: Potential, s: MDState, maxForce: number, dt: number): void {
  const per = p.nParticles * p.dim;
  for (let r = 0; r < s.replicas; r++) {
    let worstF = 0;
    let bad = !Number.isFinite(s.energies[r]);
    const mags: [number, number][] = [];
    for (let a = 0; a < p.nParticles; a++) {
      let f2 = 0;
      let finite = true;
      for (let k = 0; k < p.dim; k++) {
        const i = r * per + a * p.dim + k;
        if (!Number.isFinite(s.f[i]) || !Number.isFinite(s.x[i])) finite = false;
        f2 += s.f[i] * s.f[i];
      }
      const f = finite ? Math.sqrt(f2) : Infinity;
      mags.push([f, a]);
      if (f > worstF) worstF = f;
    }
    if (worstF > maxForce) bad = true;
    if (!bad) continue;
    const top = mags
      .sort((u, v) => v[0] - u[0])
      .slice(0, 3)
      .map(([f, a]) => `particle ${a} (|F| = ${Number.isFinite(f) ? f.toExponential(2) : 'NaN/Inf'} kJ/mol/nm)`)
      .join(', ');
    const cause = !Number.isFinite(s.energies[r]) || !Number.isFinite(worstF)
      ? `the time step (${dt} ps) is too large for the fastest motion, or the starting structure has overlapping particles; try a smaller dt or minimise first`
      : `forces above ${maxForce.toExponential(0)} kJ/mol/nm: particles are colliding or the model is outside its training data; try a smaller dt, a stronger repulsive prior, or start from data frames`;
    throw new Error(
      `${p.name}: simulation unstable at step ${s.step}, replica ${r}: energy ${s.energies[r]} kJ/mol; worst ${top}. Likely cause: ${cause}.`,
    );
  }
}

/** Everything needed to continue a run exactly where it stopped. */
export interface Checkpoint {
  version: 1;
  replicas: number;
  step: number;
  x: number[];
  v: number[];
  rng: RandomState;
}

/** A JSON-serialisable snapshot of `state` (float64 values survive JSON exactly). */
export function checkpoint(s: MDState): Checkpoint {
  return { version: 1, replicas: s.replicas, step: s.step, x: Array.from(s.x), v: Array.from(s.v), rng: s.rng.state() };
}

/** The state saved in `c`, forces recomputed with `p` (deterministic, so the run resumes bit for bit). */
export function restore(p: Potential, c: Checkpoint): MDState {
  if (c.version !== 1) throw new Error(`checkpoint version ${c.version} is not supported (expected 1)`);
  const per = p.nParticles * p.dim;
  if (c.x.length !== c.replicas * per || c.v.length !== c.x.length) {
    throw new Error(`checkpoint holds ${c.x.length} coordinates, expected ${c.replicas} replicas × ${per} for ${p.name}`);
  }
  const s: MDState = {
    replicas: c.replicas,
    x: Float64Array.from(c.x),
    v: Float64Array.from(c.v),
    f: new Float64Array(c.x.length),
    energies: new Float64Array(c.replicas),
    step: c.step,
    rng: Random.fromState(c.rng),
  };
  p.evaluate(s.x, s.replicas, s.f, s.energies);
  return s;
}
