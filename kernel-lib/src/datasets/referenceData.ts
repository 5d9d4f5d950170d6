/**
 * Reference data through the on-disk cache, shared by `cglab generate` and notebooks: the data
 * set that `generate` gives for some settings, reused when the same settings, cglab version and
 * force-field parameters were generated before (checksum verified), else generated and stored.
 * An interrupted run is returned but never cached.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { readDataset, writeDataset } from '../io/dataset.js';
import type { Trajectory } from '../io/trajectory.js';
import { cacheDir, cacheKey, cachedFile, storeInCache } from './cache.js';
import { generate, type GenerateOptions } from './generate.js';
import { getSystem } from './systems.js';

const require = createRequire(import.meta.url);

/** Settings of {@link referenceData}: those of `generate`, and whether to use the cache. */
export interface ReferenceDataOptions extends GenerateOptions {
  /** Read from and store into the cache (`CGLAB_CACHE_DIR`, default ~/.cache/cglab); default true. */
  cache?: boolean;
}

/** A data set and where it came from. */
export interface ReferenceData {
  /** Positions [frames, atoms, 3] nm and forces kJ/mol/nm, replica-major, with topology and provenance. */
  trajectory: Trajectory;
  /** Cache key of the settings (also in the provenance as `cache_key`). */
  key: string;
  /** The cached file holding this data set, when there is one. */
  file?: string;
  /** True when it was read from the cache rather than generated. */
  cached: boolean;
  /** True when generation was stopped by the signal (then it holds the frames so far). */
  interrupted: boolean;
}

/**
 * The data set of `generate(o)`, from the cache when it holds one for these settings.
 * @throws Error for an unknown system or bad settings (before any work), or a failed simulation.
 */
export async function referenceData(o: ReferenceDataOptions): Promise<ReferenceData> {
  const sys = getSystem(o.system, o.systemOptions);
  const systemOptions = Object.fromEntries(Object.entries(o.systemOptions ?? {}).filter(([, v]) => v !== undefined));
  const settings = { system: o.system, ...(Object.keys(systemOptions).length ? { systemOptions } : {}), ns: o.ns, saveEveryPs: o.saveEveryPs, replicas: o.replicas, seed: o.seed, equilibratePs: o.equilibratePs ?? 10,
    // Only when set, so that data cached at the system's own temperature keep their keys.
    ...(o.temperature !== undefined && o.temperature !== sys.temperature ? { temperature: o.temperature } : {}),
    ...(o.exchange ? { exchange: { temperatures: [...o.exchange.temperatures], everyPs: o.exchange.everyPs } } : {}) };
  const version = (require('../../package.json') as { version: string }).version;
  const key = cacheKey({ ...settings, cglab: version, parameters: sys.description });
  const useCache = o.cache ?? true;
  const hit = useCache ? cachedFile(key) : undefined;
  if (hit) return { trajectory: readDataset(hit), key, file: hit, cached: true, interrupted: false };
  const res = await generate({ ...o, ...settings });
  const trajectory = { ...res.trajectory, provenance: { ...res.trajectory.provenance, cache_key: key } };
  if (!useCache || res.interrupted) return { trajectory, key, cached: false, interrupted: res.interrupted };
  mkdirSync(cacheDir(), { recursive: true });
  const tmp = join(cacheDir(), `.${key}.${process.pid}.new.npz`);
  try {
    writeDataset(tmp, trajectory);
    return { trajectory, key, file: storeInCache(key, tmp), cached: false, interrupted: false };
  } finally {
    rmSync(tmp, { force: true });
  }
}
