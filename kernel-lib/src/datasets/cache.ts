/**
 * On-disk cache of generated data sets, keyed by everything that determines their content,
 * each stored with its SHA-256 so a corrupted or edited file is regenerated, never trusted.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** Cache folder: `CGLAB_CACHE_DIR`, else ~/.cache/cglab. */
export function cacheDir(): string {
  return process.env.CGLAB_CACHE_DIR || join(os.homedir(), '.cache', 'cglab');
}

/** SHA-256 of a file's bytes, hex. */
export function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Cache key of a JSON-serialisable description (keys sorted, so order does not matter). */
export function cacheKey(description: Record<string, unknown>): string {
  const sorted = JSON.stringify(description, Object.keys(description).sort());
  return createHash('sha256').update(sorted).digest('hex').slice(0, 32);
}

/** Path of the cached data set for `key`, if it exists and its checksum matches; else undefined. */
export function cachedFile(key: string): string | undefined {
  const file = join(cacheDir(), `${key}.npz`);
  const sum = `${file}.sha256`;
  if (!existsSync(file) || !existsSync(sum)) return undefined;
  if (readFileSync(sum, 'utf8').trim() !== fileSha256(file)) return undefined;
  return file;
}

/** Store `path` in the cache under `key` (copy + checksum, both written atomically). */
export function storeInCache(key: string, path: string): string {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${key}.npz`);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  copyFileSync(path, tmp);
  renameSync(tmp, file);
  writeFileAtomic(`${file}.sha256`, fileSha256(file) + '\n');
  return file;
}

/** Copy a cached file to `out` atomically (the destination is never partial). */
export function copyFromCache(cached: string, out: string): void {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  copyFileSync(cached, tmp);
  renameSync(tmp, out);
}
