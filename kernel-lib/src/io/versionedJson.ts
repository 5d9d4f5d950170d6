/** The JSON files of model folders: a `format` tag and a `version` that readers check. */
import { existsSync, readFileSync } from 'node:fs';

/**
 * Reads `file` as JSON holding `format` equal to `format` and a `version` this cglab reads.
 * @param writer what writes such files, for the message when the file is missing.
 * @throws Error naming the file for a missing file, invalid JSON, another format or a newer version.
 */
export function readVersionedJson<T extends { format: string; version: number }>(file: string, format: string, version: number, writer: string): T {
  if (!existsSync(file)) throw new Error(`${file}: no such file; expected a model folder written by '${writer}'`);
  let info: T;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (info?.format !== format) throw new Error(`${file}: format is ${JSON.stringify(info?.format)}, expected "${format}"`);
  if (!(info.version <= version)) throw new Error(`${file}: version ${info.version} is newer than this cglab reads (${version}): update cglab`);
  return info;
}
