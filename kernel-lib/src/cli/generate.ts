/**
 * `cglab generate <system> --ns T --save-every-ps S --replicas R --seed N --out file.npz
 * [--equilibrate-ps P] [--temperature K] [--workers W] [--no-cache] [--molecules M] [--density G] [--cutoff C]
 * [--exchange Tmax:N | T1,…,TN] [--exchange-every-ps E]`: reference data with atomistic forces as a
 * cglab data set, reused from the cache when the same settings were generated before.
 * `--exchange` makes each replica a temperature replica-exchange ladder (N rungs in a constant
 * ratio from the run's temperature to Tmax, or the temperatures listed), kept at its lowest rung.
 * Ctrl-C stops every replica at its next frame and writes what was computed (marked
 * interrupted in the provenance, and not cached).
 */
import { copyFromCache } from '../datasets/cache.js';
import { referenceData } from '../datasets/referenceData.js';
import { getSystem, systemNames } from '../datasets/systems.js';
import { writeDataset } from '../io/dataset.js';
import { progressBar } from '../util/progress.js';
import { geometricLadder } from '../md/replicaExchange.js';
import { optString, parseArgs } from './args.js';

/**
 * The ladder of `--exchange`: `Tmax:N` (N rungs from `low` to Tmax K, constant ratio) or a list
 * of temperatures, K, starting at `low`.
 */
export function parseExchange(v: string, low: number): number[] {
  const range = /^\s*([0-9.eE+]+)\s*:\s*([0-9]+)\s*$/.exec(v);
  if (range) {
    const [high, rungs] = [Number(range[1]), Number(range[2])];
    if (!(high > low)) throw new Error(`cglab generate: --exchange ${v}: the top temperature must exceed the run's, ${low} K`);
    if (!(rungs >= 2)) throw new Error(`cglab generate: --exchange ${v}: a ladder needs at least 2 rungs`);
    return geometricLadder(low, high, rungs);
  }
  const list = v.split(',').map((t) => Number(t.trim()));
  if (list.length < 2 || list.some((t) => !Number.isFinite(t))) {
    throw new Error(`cglab generate: --exchange must be Tmax:N (N rungs up to Tmax K, e.g. 600:8) or a list of temperatures in K starting at the run's (e.g. ${low},350,400), got '${v}'`);
  }
  return list;
}

function num(v: string | undefined, flag: string, dflt?: number): number {
  if (v === undefined) {
    if (dflt === undefined) throw new Error(`cglab generate: --${flag} is required`);
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`cglab generate: --${flag} must be a number, got '${v}'`);
  return n;
}

export async function generateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { valued: ['ns', 'save-every-ps', 'replicas', 'seed', 'out', 'equilibrate-ps', 'workers', 'molecules', 'density', 'cutoff', 'temperature', 'exchange', 'exchange-every-ps'], flags: ['no-cache'] }, 'generate');
  const [system, ...extra] = args.positional;
  if (!system || extra.length) {
    throw new Error(`cglab generate: expected one system name (${systemNames().join(', ')}), got ${args.positional.length ? args.positional.join(' ') : 'none'}`);
  }
  const out = optString(args, 'out');
  if (!out) throw new Error('cglab generate: --out file.npz is required');
  if (!out.endsWith('.npz')) throw new Error(`cglab generate: --out must name a .npz file, got '${out}'`);
  const options = {
    system,
    ns: num(optString(args, 'ns'), 'ns'),
    saveEveryPs: num(optString(args, 'save-every-ps'), 'save-every-ps', 1),
    replicas: num(optString(args, 'replicas'), 'replicas', 1),
    seed: num(optString(args, 'seed'), 'seed', 1),
    equilibratePs: num(optString(args, 'equilibrate-ps'), 'equilibrate-ps', 10),
  };
  const optional = (flag: string) => {
    const v = optString(args, flag);
    return v === undefined ? undefined : num(v, flag);
  };
  const temperature = optional('temperature');
  const exchangeSpec = optString(args, 'exchange');
  if (exchangeSpec === undefined && optString(args, 'exchange-every-ps') !== undefined) throw new Error('cglab generate: --exchange-every-ps needs --exchange');
  const exchange = exchangeSpec === undefined ? undefined
    : { temperatures: parseExchange(exchangeSpec, temperature ?? getSystem(system).temperature), everyPs: num(optString(args, 'exchange-every-ps'), 'exchange-every-ps', 1) };
  // Liquids' settings (molecules, g/cm³, nm); getSystem rejects them for systems without any.
  const systemOptions = { molecules: optional('molecules'), density: optional('density'), cutoff: optional('cutoff') };
  const ac = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncglab generate: interrupted — finishing the current frames and writing what was computed (Ctrl-C again to abort)\n');
    ac.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const bar = progressBar(`${system} ${options.replicas}×${options.ns} ns${exchange ? `, ${exchange.temperatures.length} rungs each (${exchange.temperatures.map((t) => t.toFixed(0)).join(', ')} K)` : ''}`);
  try {
    const workers = optString(args, 'workers');
    const res = await referenceData({
      ...options,
      systemOptions,
      ...(temperature === undefined ? {} : { temperature }),
      ...(exchange ? { exchange } : {}),
      cache: !args.options.has('no-cache'),
      workers: workers === undefined ? undefined : num(workers, 'workers'),
      signal: ac.signal,
      onProgress: (d, t) => bar.update(d, t),
    });
    if (res.file) {
      copyFromCache(res.file, out);
    } else {
      writeDataset(out, res.trajectory);
    }
    if (res.cached) {
      bar.done('from the cache');
      process.stderr.write(`cglab generate: reused the cached data set ${res.file} (checksum verified) → ${out}\n`);
      return 0;
    }
    bar.done(`${res.trajectory.nFrames} frames${res.interrupted ? ', interrupted' : ''}`);
    const prov = res.trajectory.provenance as { exchange_acceptance?: number[]; exchange_round_trips?: number[] };
    if (prov.exchange_acceptance) {
      process.stderr.write(`cglab generate: exchanges accepted between neighbouring rungs ${prov.exchange_acceptance.map((a) => a.toFixed(2)).join(', ')}; round trips (lowest → highest → lowest) per ladder ${prov.exchange_round_trips?.join(', ')}\n`);
    }
    process.stderr.write(`cglab generate: wrote ${out}\n`);
    return res.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
