/**
 * Worker thread of `generate`: simulates its share of the replicas of one built-in system and
 * posts each replica's frames back. Every replica has its own random stream (derived from the
 * seed and the replica index), so results do not depend on how replicas are split over workers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { baoab, initState } from '../md/integrators.js';
import { walkerSeed } from '../md/replicaExchange.js';
import { run } from '../md/simulate.js';
import { getSystem } from './systems.js';
import type { WorkerJob, WorkerMessage } from './generate.js';

const job = workerData as WorkerJob;
const port = parentPort;
if (!port) throw new Error('generateWorker must run as a worker thread');
const stop = new Int32Array(job.stopFlag);
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const sys = getSystem(job.system, job.systemOptions);
  const integrator = baoab({ dt: sys.dt, temperature: job.temperature, friction: sys.friction, masses: sys.masses, constraints: sys.constraints });
  for (const r of job.replicas) {
    const x0 = Float64Array.from(sys.positions);
    const state = initState(sys.potential, x0, sys.masses, job.temperature, walkerSeed(job.seed, r), sys.constraints);
    const signal = { get aborted() { return Atomics.load(stop, 0) !== 0; } } as AbortSignal;
    let reported = 0;
    const onProgress = (done: number) => {
      post({ type: 'progress', steps: done - reported });
      reported = done;
    };
    // Equilibration in chunks of one save interval, so that progress shows and the stability
    // monitor looks at it as often as at production.
    for (let done = 0; done < job.equilibrationSteps && !signal.aborted;) {
      const chunk = Math.min(job.saveEvery, job.equilibrationSteps - done);
      run(sys.potential, integrator, state, { steps: chunk, saveEvery: chunk });
      done += chunk;
      post({ type: 'progress', steps: chunk });
    }
    reported = 0;
    state.step = 0;
    const res = run(sys.potential, integrator, state, { steps: job.steps, saveEvery: job.saveEvery, saveForces: true, signal, onProgress });
    const positions = res.positions.slice();
    const forces = (res.forces as Float32Array).slice();
    const energies = res.energies.slice();
    post({ type: 'replica', replica: r, frames: res.frames, positions, forces, energies }, [positions.buffer, forces.buffer, energies.buffer]);
    if (res.interrupted) break;
  }
  post({ type: 'done' });
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
}
