/**
 * Temperature replica exchange (parallel tempering, Sugita & Okamoto 1999): K walkers of one
 * system run Langevin dynamics on a ladder of temperatures T₀ < T₁ < … and, at fixed intervals,
 * neighbouring rungs trade walkers with probability min(1, exp((β_k − β_{k+1})(U_k − U_{k+1}))).
 * That keeps the product of the rungs' Boltzmann distributions stationary, so the walker at T₀
 * samples exp(−U/kT₀) exactly while the hot rungs carry it over barriers that T₀ alone crosses
 * once in nanoseconds.
 *
 * Walkers keep their configurations and trade temperatures (their velocities rescaled by
 * √(T_new/T_old)), so that walkers split over worker threads need no coordinates sent: the
 * bookkeeping is {@link ExchangeLadder}, the dynamics {@link Walkers}, and
 * {@link replicaExchange} puts the two together in one thread.
 */
import type { Potential } from '../physics/potential.js';
import { BOLTZMANN } from '../units.js';
import { Random } from '../util/random.js';
import type { Constraints } from './constraints.js';
import { baoab, initState, type Integrator, type MDState } from './integrators.js';
import { run } from './simulate.js';

/**
 * `rungs` temperatures from `low` to `high` K in a constant ratio: the spacing under which
 * neighbouring rungs of a system whose heat capacity varies little accept exchanges equally often.
 */
export function geometricLadder(low: number, high: number, rungs: number): number[] {
  if (!(low > 0) || !(high > low)) throw new Error(`geometricLadder: temperatures must satisfy 0 < low < high (K), got ${low} and ${high}`);
  if (!Number.isInteger(rungs) || rungs < 2) throw new Error(`geometricLadder: a ladder needs at least 2 rungs, got ${rungs}`);
  return Array.from({ length: rungs }, (_, k) => low * (high / low) ** (k / (rungs - 1)));
}

/** Checks a ladder: at least two finite temperatures, strictly rising, K. */
export function checkLadder(temperatures: readonly number[], what = 'replica exchange'): void {
  if (temperatures.length < 2) throw new Error(`${what}: a ladder needs at least 2 temperatures, got ${temperatures.length}`);
  temperatures.forEach((t, k) => {
    if (!(t > 0) || !Number.isFinite(t)) throw new Error(`${what}: temperature ${k + 1} is ${t}; expected a positive number of kelvin`);
    if (k > 0 && !(t > temperatures[k - 1])) throw new Error(`${what}: temperatures must rise from the first (the one sampled) to the last, but ${t} K follows ${temperatures[k - 1]} K`);
  });
}

/** What a ladder did: exchange attempts and acceptances per neighbouring pair, and round trips. */
export interface ExchangeStats {
  /** [rungs − 1] attempts between rungs k and k + 1. */
  attempts: number[];
  /** [rungs − 1] accepted exchanges between rungs k and k + 1. */
  accepted: number[];
  /** Walkers that went from the lowest rung to the highest and back, counted each time. */
  roundTrips: number;
}

/**
 * The rung bookkeeping of one ladder: which walker runs at which temperature, and the exchange
 * sweeps. Sweeps alternate between the pairs (0,1), (2,3), … and (1,2), (3,4), …, so every pair
 * is tried every second sweep and no walker takes part in two trades at once.
 */
export class ExchangeLadder {
  readonly temperatures: readonly number[];
  /** [walkers] the rung each walker runs at. */
  readonly rungOf: Int32Array;
  private readonly betas: Float64Array;
  private readonly rng: Random;
  private sweeps = 0;
  private readonly attempts: number[];
  private readonly accepted: number[];
  /** Per walker: 1 after touching the lowest rung, 2 after then reaching the highest; 0 before. */
  private readonly trip: Int8Array;
  private roundTrips = 0;

  /** Walker k starts at rung k. */
  constructor(temperatures: readonly number[], seed: number) {
    checkLadder(temperatures);
    this.temperatures = [...temperatures];
    this.betas = Float64Array.from(temperatures, (t) => 1 / (BOLTZMANN * t));
    this.rungOf = Int32Array.from(temperatures, (_, k) => k);
    this.rng = new Random(seed);
    this.attempts = new Array<number>(temperatures.length - 1).fill(0);
    this.accepted = new Array<number>(temperatures.length - 1).fill(0);
    this.trip = new Int8Array(temperatures.length);
    this.trip[0] = 1;
  }

  /** [rungs] the walker at each rung. */
  walkerAt(): Int32Array {
    const out = new Int32Array(this.rungOf.length);
    this.rungOf.forEach((r, w) => { out[r] = w; });
    return out;
  }

  /**
   * One sweep of exchange attempts given each walker's potential energy, kJ/mol; updates
   * {@link rungOf}.
   * @throws Error for a non-finite energy (the walker's run has blown up).
   */
  sweep(energies: ArrayLike<number>): void {
    const n = this.rungOf.length;
    if (energies.length !== n) throw new Error(`ExchangeLadder.sweep: ${energies.length} energies for ${n} walkers`);
    for (let w = 0; w < n; w++) {
      if (!Number.isFinite(energies[w])) throw new Error(`replica exchange: walker ${w} at ${this.temperatures[this.rungOf[w]].toFixed(1)} K has energy ${energies[w]} kJ/mol`);
    }
    const at = this.walkerAt();
    for (let k = this.sweeps % 2; k + 1 < n; k += 2) {
      const [a, b] = [at[k], at[k + 1]];
      this.attempts[k]++;
      const log = (this.betas[k] - this.betas[k + 1]) * (energies[a] - energies[b]);
      if (log >= 0 || this.rng.uniform() < Math.exp(log)) {
        this.accepted[k]++;
        this.rungOf[a] = k + 1;
        this.rungOf[b] = k;
      }
    }
    this.sweeps++;
    for (let w = 0; w < n; w++) {
      const r = this.rungOf[w];
      if (r === n - 1 && this.trip[w] === 1) this.trip[w] = 2;
      else if (r === 0) {
        if (this.trip[w] === 2) this.roundTrips++;
        this.trip[w] = 1;
      }
    }
  }

  stats(): ExchangeStats {
    return { attempts: [...this.attempts], accepted: [...this.accepted], roundTrips: this.roundTrips };
  }
}

/** The system the walkers of {@link Walkers} simulate. */
export interface WalkerSystem {
  potential: Potential;
  /** [nParticles] amu. */
  masses: Float64Array;
  /** Time step, ps. */
  dt: number;
  /** Friction γ, 1/ps. */
  friction: number;
  constraints?: Constraints;
}

/** Frames one walker saved at the kept rung during a segment. */
export interface WalkerFrames {
  walker: number;
  frames: number;
  /** [frames, nParticles·dim] nm. */
  positions: Float32Array;
  /** [frames, nParticles·dim] kJ/mol/nm. */
  forces: Float32Array;
  /** [frames] kJ/mol. */
  energies: Float64Array;
}

/**
 * Walkers of a ladder, each its own one-replica state and random stream, advanced a segment at
 * a time at the temperature of its present rung. A walker may belong to any rung of any ladder:
 * the caller passes the temperature of each before every segment.
 */
export class Walkers {
  readonly states: MDState[];
  private readonly temperature: Float64Array;
  private readonly integrators = new Map<number, Integrator>();
  private steps = 0;

  /**
   * @param x0 [nParticles·dim] starting positions, nm, shared by every walker.
   * @param temperatures [walkers] initial temperatures, K (velocities drawn there).
   * @param seeds [walkers] seeds of the walkers' velocity and noise streams.
   */
  constructor(private readonly sys: WalkerSystem, x0: Float64Array, temperatures: readonly number[], seeds: readonly number[]) {
    this.temperature = Float64Array.from(temperatures);
    this.states = temperatures.map((t, w) => initState(sys.potential, Float64Array.from(x0), sys.masses, t, seeds[w], sys.constraints));
  }

  private integrator(t: number): Integrator {
    let i = this.integrators.get(t);
    if (!i) {
      i = baoab({ dt: this.sys.dt, temperature: t, friction: this.sys.friction, masses: this.sys.masses, constraints: this.sys.constraints });
      this.integrators.set(t, i);
    }
    return i;
  }

  /** [walkers] potential energies, kJ/mol. */
  energies(): Float64Array {
    return Float64Array.from(this.states, (s) => s.energies[0]);
  }

  /**
   * Set each walker's temperature (velocities rescaled to it), then advance every walker by
   * `steps`; walkers at `keep` K save a frame whenever the step count since the start reaches a
   * multiple of `saveEvery` (pass `keep` NaN to save nothing, e.g. while equilibrating).
   * @throws Error from the stability monitor when a walker blows up.
   */
  advance(temperatures: ArrayLike<number>, steps: number, saveEvery: number, keep: number): WalkerFrames[] {
    const out: WalkerFrames[] = [];
    const per = this.sys.potential.nParticles * this.sys.potential.dim;
    this.states.forEach((s, w) => {
      const t = temperatures[w];
      if (t !== this.temperature[w]) {
        const scale = Math.sqrt(t / this.temperature[w]);
        for (let i = 0; i < s.v.length; i++) s.v[i] *= scale;
        this.temperature[w] = t;
      }
      const integrator = this.integrator(t);
      const saving = t === keep;
      const frames: { x: Float32Array; f: Float32Array; u: number }[] = [];
      for (let done = 0; done < steps;) {
        const chunk = Math.min(steps - done, saveEvery - ((this.steps + done) % saveEvery));
        run(this.sys.potential, integrator, s, { steps: chunk, saveEvery: chunk });
        done += chunk;
        if (saving && (this.steps + done) % saveEvery === 0) frames.push({ x: Float32Array.from(s.x), f: Float32Array.from(s.f), u: s.energies[0] });
      }
      if (frames.length) {
        const positions = new Float32Array(frames.length * per);
        const forces = new Float32Array(frames.length * per);
        frames.forEach((fr, k) => { positions.set(fr.x, k * per); forces.set(fr.f, k * per); });
        out.push({ walker: w, frames: frames.length, positions, forces, energies: Float64Array.from(frames, (fr) => fr.u) });
      }
    });
    this.steps += steps;
    return out;
  }
}

/** Settings of {@link replicaExchange}. */
export interface ReplicaExchangeOptions {
  /** Rising temperatures, K; frames are kept at the first. */
  temperatures: readonly number[];
  /** [nParticles·dim] start, nm (every walker starts there). */
  x0: Float64Array;
  /** Production steps per walker (a multiple of `exchangeEvery` is run). */
  steps: number;
  /** Steps between exchange sweeps. */
  exchangeEvery: number;
  /** Save a frame of the lowest rung every this many steps. */
  saveEvery: number;
  /** Steps at each walker's own temperature before exchanges start; default 0. */
  equilibrationSteps?: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
  /** Stop after the current segment; the frames so far are returned. */
  signal?: AbortSignal;
}

/** Frames at the lowest rung and what the ladder did. */
export interface ReplicaExchangeResult {
  frames: number;
  /** [frames, nParticles·dim] nm. */
  positions: Float32Array;
  /** [frames, nParticles·dim] kJ/mol/nm. */
  forces: Float32Array;
  /** [frames] kJ/mol. */
  energies: Float64Array;
  /** [frames] the walker each frame came from. */
  walkers: Int32Array;
  stats: ExchangeStats;
  interrupted: boolean;
}

/** Seed of walker w's stream: distinct for every (seed, walker) pair in practice. */
export function walkerSeed(seed: number, w: number): number {
  return (Math.imul(seed, 0x9e3779b1) + Math.imul(w + 1, 0x85ebca77)) >>> 0;
}

/** Seed of ladder r's exchange decisions, apart from every walker's stream. */
export function ladderSeed(seed: number, r: number): number {
  return walkerSeed(seed, -1 - r);
}

/**
 * One replica-exchange ladder in this thread (toys, tests, notebooks; `cglab generate
 * --exchange` spreads walkers over worker threads with the same parts).
 * @throws Error for a bad ladder or settings, or when a walker blows up.
 */
export async function replicaExchange(sys: WalkerSystem, o: ReplicaExchangeOptions): Promise<ReplicaExchangeResult> {
  checkLadder(o.temperatures);
  for (const [name, v] of [['steps', o.steps], ['exchangeEvery', o.exchangeEvery], ['saveEvery', o.saveEvery]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`replicaExchange: ${name} must be a positive integer, got ${v}`);
  }
  const ladder = new ExchangeLadder(o.temperatures, ladderSeed(o.seed, 0));
  const walkers = new Walkers(sys, o.x0, o.temperatures, o.temperatures.map((_, w) => walkerSeed(o.seed, w)));
  const temperatures = () => Float64Array.from(ladder.rungOf, (r) => o.temperatures[r]);
  const equilibration = o.equilibrationSteps ?? 0;
  if (equilibration > 0) walkers.advance(temperatures(), equilibration, equilibration, NaN);
  const segments = Math.ceil(o.steps / o.exchangeEvery);
  const kept: WalkerFrames[] = [];
  let interrupted = false;
  for (let k = 0; k < segments; k++) {
    kept.push(...walkers.advance(temperatures(), o.exchangeEvery, o.saveEvery, o.temperatures[0]));
    ladder.sweep(walkers.energies());
    o.onProgress?.((k + 1) * o.exchangeEvery, segments * o.exchangeEvery);
    if (o.signal?.aborted) {
      interrupted = k + 1 < segments;
      break;
    }
    // Let an abort signal's listener run between segments.
    if (o.signal) await new Promise((r) => setImmediate(r));
  }
  return { ...joinFrames(kept, sys.potential.nParticles * sys.potential.dim), stats: ladder.stats(), interrupted };
}

/** The frames of several segments, in order, as one run. */
export function joinFrames(parts: readonly WalkerFrames[], per: number): Pick<ReplicaExchangeResult, 'frames' | 'positions' | 'forces' | 'energies' | 'walkers'> {
  const frames = parts.reduce((n, p) => n + p.frames, 0);
  const positions = new Float32Array(frames * per);
  const forces = new Float32Array(frames * per);
  const energies = new Float64Array(frames);
  const walkers = new Int32Array(frames);
  let at = 0;
  for (const p of parts) {
    positions.set(p.positions, at * per);
    forces.set(p.forces, at * per);
    energies.set(p.energies, at);
    walkers.fill(p.walker, at, at + p.frames);
    at += p.frames;
  }
  return { frames, positions, forces, energies, walkers };
}
