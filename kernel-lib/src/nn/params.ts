/**
 * The cglab parameter file: named float32 tensors plus the JSON configuration that says what
 * they belong to, in one UTF-8 JSON document that any language reads with a JSON parser and
 * a base64 decoder (e.g. Python: `np.frombuffer(base64.b64decode(t['data']), '<f4').reshape(t['shape'])`).
 *
 * Format, version 1:
 * ```json
 * {
 *   "format": "cglab-params",
 *   "version": 1,
 *   "config": { ...any JSON: the model's architecture, priors, units... },
 *   "tensors": {
 *     "<name>": { "dtype": "float32", "shape": [d0, d1, ...], "data": "<base64>" }
 *   }
 * }
 * ```
 * - `data` is the base64 of the tensor's values as little-endian IEEE-754 float32, row-major
 *   (C order), exactly Π shape × 4 bytes: values round-trip bit for bit, which JSON numbers
 *   in decimal would not guarantee without care.
 * - Names are '/'-separated paths, e.g. `net/interaction0/filter1/weight`.
 * - Readers accept any version ≤ theirs; a file with a higher version asks for a newer cglab.
 *   A version is only raised when a field's meaning changes; new optional fields do not.
 * - Units of the values are those of cglab (nm, kJ/mol), stated by the config where it matters.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';

/** The format tag of a parameter file. */
export const PARAMS_FORMAT = 'cglab-params';
/** The version this cglab writes (and the highest it reads). */
export const PARAMS_VERSION = 1;

/** JSON values, as config objects hold them. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** One stored tensor: shape and row-major float32 values. */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/** A decoded parameter file. */
export interface ParamsFile {
  /** Version the file was written with. */
  version: number;
  config: JsonObject;
  tensors: Map<string, StoredTensor>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function toBase64(data: Float32Array): string {
  const bytes = new Uint8Array(4 * data.length);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return Buffer.from(bytes).toString('base64');
}

function fromBase64(text: string, count: number, where: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== 4 * count) throw new Error(`${where}: data decodes to ${bytes.length} bytes, expected 4 × ${count} for its shape`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
}

/**
 * Serialise tensors and their config as a version-1 parameter file (JSON text).
 * @throws Error for a tensor whose value count does not match its shape.
 */
export function encodeParams(config: JsonObject, tensors: ReadonlyMap<string, StoredTensor> | Record<string, StoredTensor>): string {
  const entries: [string, StoredTensor][] = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const out: Record<string, Json> = {};
  for (const [name, t] of entries) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`encodeParams: tensor '${name}' has ${t.data.length} values but shape [${t.shape}] holds ${count}`);
    out[name] = { dtype: 'float32', shape: [...t.shape], data: toBase64(t.data) };
  }
  return JSON.stringify({ format: PARAMS_FORMAT, version: PARAMS_VERSION, config, tensors: out });
}

/**
 * Parse a parameter file's text, checking every field.
 * @param source names the file in messages.
 * @throws Error naming the source and the field for: not JSON, a wrong format tag, a version
 *   newer than this cglab, or a tensor with a bad dtype, shape or data length.
 */
export function decodeParams(text: string, source = 'parameters'): ParamsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not a JSON parameter file (${(e as Error).message})`);
  }
  if (!isObject(json) || json.format !== PARAMS_FORMAT) {
    throw new Error(`${source}: format is ${isObject(json) ? JSON.stringify(json.format) : 'missing'}, expected "${PARAMS_FORMAT}": is this a cglab parameter file?`);
  }
  const version = json.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new Error(`${source}: version is ${JSON.stringify(version)}, expected a positive integer`);
  if (version > PARAMS_VERSION) throw new Error(`${source}: version ${version} is newer than this cglab reads (${PARAMS_VERSION}): update cglab`);
  if (!isObject(json.config)) throw new Error(`${source}: config is ${JSON.stringify(json.config)}, expected a JSON object`);
  if (!isObject(json.tensors)) throw new Error(`${source}: tensors is ${JSON.stringify(json.tensors)}, expected an object of named tensors`);
  const tensors = new Map<string, StoredTensor>();
  for (const [name, t] of Object.entries(json.tensors)) {
    const where = `${source}: tensor '${name}'`;
    if (!isObject(t)) throw new Error(`${where} is ${JSON.stringify(t)}, expected {dtype, shape, data}`);
    if (t.dtype !== 'float32') throw new Error(`${where} has dtype ${JSON.stringify(t.dtype)}, expected "float32"`);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${where} has shape ${JSON.stringify(shape)}, expected a list of non-negative integers`);
    if (typeof t.data !== 'string') throw new Error(`${where} has no base64 data string`);
    tensors.set(name, { shape: shape as number[], data: fromBase64(t.data, (shape as number[]).reduce((a, b) => a * b, 1), where) });
  }
  return { version, config: json.config as JsonObject, tensors };
}

/** Write a parameter file atomically (see the module comment for the format). */
export function saveParams(path: string, config: JsonObject, tensors: ReadonlyMap<string, StoredTensor> | Record<string, StoredTensor>): void {
  writeFileAtomic(path, encodeParams(config, tensors));
}

/** Read and check a parameter file. */
export function loadParams(path: string): ParamsFile {
  return decodeParams(readFileSync(path, 'utf8'), path);
}
