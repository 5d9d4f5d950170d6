/**
 * `cglab generate <system> --ns T --save-every-ps S --replicas R --seed N --out file.npz
 * [--equilibrate-ps P] [--temperature K] [--workers W] [--no-cache] [--molecules M] [--density G] [--cutoff C]`: reference data with atomistic forces as a
 * cglab data set, reused from the cache when the same settings were generated before.
 * Ctrl-C stops every replica at its next frame and writes what was computed (marked
 * interrupted in the provenance, and not cached).
 */
import { copyFromCache } from '../datasets/cache.js';
import { referenceData } from '../datasets/referenceData.js';
import { systemNames } from '../datasets/systems.js';
import { writeDataset } from '../io/dataset.js';
import { progressBar } from '../util/progress.js';
import { optString, parseArgs } from './args.js';

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
  const args = parseArgs(argv, { valued: ['ns', 'save-every-ps', 'replicas', 'seed', 'out', 'equilibrate-ps', 'workers', 'molecules', 'density', 'cutoff', 'temperature'], flags: ['no-cache'] }, 'generate');
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
  // Liquids' settings (molecules, g/cm³, nm); getSystem rejects them for systems without any.
  const systemOptions = { molecules: optional('molecules'), density: optional('density'), cutoff: optional('cutoff') };
  const ac = new AbortController();
  const onSigint = () => {
    process.stderr.write('\ncglab generate: interrupted — finishing the current frames and writing what was computed (Ctrl-C again to abort)\n');
    ac.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const bar = progressBar(`${system} ${options.replicas}×${options.ns} ns`);
  try {
    const workers = optString(args, 'workers');
    const res = await referenceData({
      ...options,
      systemOptions,
      ...(temperature === undefined ? {} : { temperature }),
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
    process.stderr.write(`cglab generate: wrote ${out}\n`);
    return res.interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
