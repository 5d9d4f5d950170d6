/**
 * `generate` with replica exchange: every replica is a ladder of walkers (md/replicaExchange.ts)
 * spread over worker threads (exchangeWorker.ts). The main thread holds the ladders: after each
 * segment it collects every walker's energy, runs the exchange sweeps and sends each walker its
 * next temperature, so walkers of one ladder may sit on different threads.
 */
import { Worker } from 'node:worker_threads';
import { checkLadder, ExchangeLadder, joinFrames, ladderSeed, walkerSeed, type WalkerFrames } from '../md/replicaExchange.js';
import type { GenerateOptions, ReplicaFrames, RunPlan } from './generate.js';
import type { SystemOptions } from './systems.js';

/** Job description of one exchange worker (serialisable). */
export interface ExchangeJob {
  system: string;
  systemOptions: SystemOptions;
  /** Global indices (ladder · rungs + walker) of this worker's walkers. */
  walkers: number[];
  seeds: number[];
  /** [walkers] starting temperatures, K. */
  temperatures: number[];
  equilibrationSteps: number;
  saveEvery: number;
  /** The temperature whose frames are kept, K. */
  keep: number;
  stopFlag: SharedArrayBuffer;
}

/** Main thread → worker. */
export type ExchangeRequest = { type: 'segment'; temperatures: number[]; steps: number } | { type: 'end' };

/** Worker → main thread: progress, or the walkers' energies (kJ/mol) after a segment with the kept frames. */
export type ExchangeReply =
  | { type: 'progress'; steps: number }
  | { type: 'energies'; energies: Float64Array; frames: WalkerFrames[] }
  | { type: 'error'; message: string };

type Energies = Extract<ExchangeReply, { type: 'energies' }>;

/** One worker thread with a queue of its energy replies (the first comes unasked, after equilibration). */
class ExchangeThread {
  private readonly worker: Worker;
  private readonly replies: Energies[] = [];
  private waiting?: { resolve: (m: Energies) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(readonly job: ExchangeJob, onProgress: (steps: number) => void, onFailure: () => void) {
    this.worker = new Worker(new URL('./exchangeWorker.js', import.meta.url), { workerData: job });
    const fail = (e: Error) => {
      this.failure ??= e;
      onFailure();
      this.waiting?.reject(this.failure);
      this.waiting = undefined;
    };
    this.worker.on('message', (m: ExchangeReply) => {
      if (m.type === 'progress') onProgress(m.steps);
      else if (m.type === 'error') fail(new Error(m.message));
      else if (this.waiting) {
        this.waiting.resolve(m);
        this.waiting = undefined;
      } else this.replies.push(m);
    });
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => { if (code !== 0) fail(new Error(`exchange worker exited with code ${code}`)); });
  }

  reply(): Promise<Energies> {
    if (this.failure) return Promise.reject(this.failure);
    const m = this.replies.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => { this.waiting = { resolve, reject }; });
  }

  send(m: ExchangeRequest): void {
    this.worker.postMessage(m);
  }

  async end(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.send({ type: 'end' });
    await exited;
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * `o.replicas` ladders at `exchange.temperatures`, each walker run for `plan.steps` after
 * `plan.equilibrationSteps` at its own rung; the frames of each ladder's lowest rung.
 * @throws Error for a ladder that does not rise from the run's temperature, or a walker's failure.
 */
export async function exchangeReplicas(o: GenerateOptions, exchange: NonNullable<GenerateOptions['exchange']>, plan: RunPlan): Promise<{ replicas: Map<number, ReplicaFrames>; provenance: Record<string, unknown> }> {
  const temperatures = exchange.temperatures;
  checkLadder(temperatures, 'generate --exchange');
  if (Math.abs(temperatures[0] - plan.temperature) > 1e-6) {
    throw new Error(`generate --exchange: the ladder must start at the temperature sampled, ${plan.temperature} K (--temperature or the system's), but starts at ${temperatures[0]} K`);
  }
  const rungs = temperatures.length;
  const exchangeEvery = Math.max(1, Math.round(exchange.everyPs / plan.dt));
  const total = o.replicas * rungs * (plan.steps + plan.equilibrationSteps);
  const stop = new Int32Array(plan.stopFlag);
  const ladders = Array.from({ length: o.replicas }, (_, r) => new ExchangeLadder(temperatures, ladderSeed(o.seed, r)));
  const kept: WalkerFrames[][] = ladders.map(() => []);
  let done = 0;
  const progress = (steps: number) => {
    done += steps;
    o.onProgress?.(done, total);
  };
  const walkerCount = o.replicas * rungs;
  const threads = Array.from({ length: plan.workers }, (_, t) => {
    const walkers = [...Array(walkerCount).keys()].filter((g) => g % plan.workers === t);
    return new ExchangeThread({
      system: o.system, systemOptions: o.systemOptions ?? {}, walkers, seeds: walkers.map((g) => walkerSeed(o.seed, g)),
      temperatures: walkers.map((g) => temperatures[g % rungs]), equilibrationSteps: plan.equilibrationSteps, saveEvery: plan.saveEvery,
      keep: temperatures[0], stopFlag: plan.stopFlag,
    }, progress, () => Atomics.store(stop, 0, 1));
  });
  const energies = new Float64Array(walkerCount);
  const collect = async () => {
    const replies = await Promise.all(threads.map((t) => t.reply()));
    replies.forEach((m, t) => {
      threads[t].job.walkers.forEach((g, i) => { energies[g] = m.energies[i]; });
      for (const f of m.frames) kept[Math.floor(f.walker / rungs)].push(f);
    });
  };
  try {
    await collect();
    for (let at = 0; at < plan.steps && Atomics.load(stop, 0) === 0; at += exchangeEvery) {
      const steps = Math.min(exchangeEvery, plan.steps - at);
      for (const t of threads) {
        t.send({ type: 'segment', steps, temperatures: t.job.walkers.map((g) => temperatures[ladders[Math.floor(g / rungs)].rungOf[g % rungs]]) });
      }
      await collect();
      progress(steps * walkerCount);
      ladders.forEach((l, r) => l.sweep(energies.subarray(r * rungs, (r + 1) * rungs)));
    }
    await Promise.all(threads.map((t) => t.end()));
  } catch (e) {
    await Promise.all(threads.map((t) => t.terminate()));
    throw new Error(`${o.system}: ${(e as Error).message}`);
  }
  const replicas = new Map(kept.map((parts, r) => [r, joinFrames(parts, plan.width)] as const));
  const stats = ladders.map((l) => l.stats());
  const sum = (key: 'attempts' | 'accepted') => temperatures.slice(1).map((_, k) => stats.reduce((s, x) => s + x[key][k], 0));
  const [attempts, accepted] = [sum('attempts'), sum('accepted')];
  return {
    replicas,
    provenance: {
      sampler: 'temperature replica exchange: frames of each ladder\'s lowest rung',
      exchange_temperatures_K: [...temperatures],
      exchange_every_ps: exchangeEvery * plan.dt,
      exchange_acceptance: accepted.map((a, k) => (attempts[k] > 0 ? a / attempts[k] : 0)),
      exchange_round_trips: stats.map((s) => s.roundTrips),
    },
  };
}
