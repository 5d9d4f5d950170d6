/**
 * Worker thread of `generate`'s replica exchange: holds some walkers of the ladders, equilibrates
 * them, then runs one segment per message at the temperatures the main thread assigns, posting
 * back the walkers' energies and the frames of those at the lowest rung.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Walkers } from '../md/replicaExchange.js';
import { getSystem } from './systems.js';
import type { ExchangeJob, ExchangeReply, ExchangeRequest } from './generateExchange.js';

const job = workerData as ExchangeJob;
const port = parentPort;
if (!port) throw new Error('exchangeWorker must run as a worker thread');
const stop = new Int32Array(job.stopFlag);
const post = (m: ExchangeReply, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const sys = getSystem(job.system, job.systemOptions);
  const walkers = new Walkers(sys, Float64Array.from(sys.positions), job.temperatures, job.seeds);
  // Equilibration at each walker's own rung in chunks of one save interval, so that progress
  // shows and Ctrl-C is heard.
  for (let done = 0; done < job.equilibrationSteps && Atomics.load(stop, 0) === 0;) {
    const chunk = Math.min(job.saveEvery, job.equilibrationSteps - done);
    walkers.advance(job.temperatures, chunk, chunk, NaN);
    done += chunk;
    post({ type: 'progress', steps: chunk * job.walkers.length });
  }
  post({ type: 'energies', energies: walkers.energies(), frames: [] });
  port.on('message', (m: ExchangeRequest) => {
    if (m.type === 'end') {
      port.close();
      return;
    }
    try {
      const frames = walkers.advance(m.temperatures, m.steps, job.saveEvery, job.keep).map((f) => ({ ...f, walker: job.walkers[f.walker] }));
      post({ type: 'energies', energies: walkers.energies(), frames }, frames.flatMap((f) => [f.positions.buffer, f.forces.buffer, f.energies.buffer] as ArrayBuffer[]));
    } catch (e) {
      post({ type: 'error', message: (e as Error).message });
    }
  });
} catch (e) {
  post({ type: 'error', message: (e as Error).message });
}
