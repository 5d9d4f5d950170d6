/**
 * Choosing and initialising the tfjs backend. Order of preference: native libtensorflow with
 * CUDA (`@tensorflow/tfjs-node-gpu`) → native CPU (`@tensorflow/tfjs-node`) → WebAssembly
 * (`wasm`, SIMD where the runtime has it) → plain JavaScript (`cpu`). The native packages are
 * optional: their installer downloads libtensorflow, which not every machine can do, so their
 * absence is reported, never fatal. `CGLAB_BACKEND` forces one backend by name.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { installBackendOptimisations } from './fastops.js';

/** Backend names as cglab (and `CGLAB_BACKEND`) spells them. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Preference order, fastest first. */
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** One candidate considered during selection. */
export interface BackendAttempt {
  name: BackendName;
  ok: boolean;
  /** Why it was not used (missing package, failed initialisation, not requested). */
  note?: string;
}

/** What `initBackend` chose and why. */
export interface BackendReport {
  /** The tfjs backend now active, in cglab's spelling. */
  backend: BackendName;
  /** One sentence: why this backend was chosen. */
  reason: string;
  attempts: BackendAttempt[];
}

const NATIVE_PACKAGE: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

const require = createRequire(import.meta.url);

/** Whether an npm package can be resolved from here, without loading it. */
export function packageInstalled(name: string): boolean {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
}

async function tryBackend(name: BackendName): Promise<string | undefined> {
  if (name === 'tensorflow-gpu' || name === 'tensorflow') {
    const pkg = NATIVE_PACKAGE[name];
    if (!packageInstalled(pkg)) return `${pkg} is not installed`;
    try {
      // Loading the native package registers its 'tensorflow' backend with tfjs-core.
      await import(pkg);
    } catch (e) {
      return `${pkg} is installed but failed to load: ${(e as Error).message.split('\n')[0]}`;
    }
  }
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  try {
    const ok = await tf.setBackend(tfName);
    if (!ok) return `tfjs could not initialise the '${tfName}' backend`;
    await tf.ready();
  } catch (e) {
    return `initialising '${tfName}' failed: ${(e as Error).message}`;
  }
  return undefined;
}

let current: Promise<BackendReport> | undefined;

/**
 * Select and initialise the backend (once per process; later calls return the same report).
 * @param prefer force a backend by name; defaults to `process.env.CGLAB_BACKEND`, then the
 *   preference order. A forced backend that fails to initialise is an error, not a fallback.
 */
export function initBackend(prefer: string | undefined = process.env.CGLAB_BACKEND): Promise<BackendReport> {
  current ??= selectBackend(prefer?.trim() || undefined);
  return current;
}

/** Switch backend explicitly (tests use this to run the same checks on cpu and wasm). */
export async function useBackend(name: BackendName): Promise<BackendReport> {
  current = selectBackend(name);
  return current;
}

async function selectBackend(prefer: string | undefined): Promise<BackendReport> {
  const attempts: BackendAttempt[] = [];
  if (prefer !== undefined) {
    if (!BACKEND_ORDER.includes(prefer as BackendName)) {
      throw new Error(`CGLAB_BACKEND='${prefer}' is not a backend: expected one of ${BACKEND_ORDER.join(', ')}`);
    }
    const name = prefer as BackendName;
    const note = await tryBackend(name);
    if (note !== undefined) throw new Error(`backend '${name}' was requested but is unavailable: ${note}`);
    installBackendOptimisations(tf.getBackend());
    attempts.push({ name, ok: true });
    return { backend: name, reason: `requested by CGLAB_BACKEND or explicitly`, attempts };
  }
  for (const name of BACKEND_ORDER) {
    const note = await tryBackend(name);
    attempts.push(note === undefined ? { name, ok: true } : { name, ok: false, note });
    if (note === undefined) {
      installBackendOptimisations(tf.getBackend());
      const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.name}: ${a.note}`);
      const reason = skipped.length
        ? `fastest available (${skipped.join('; ')})`
        : 'fastest backend, available';
      return { backend: name, reason, attempts };
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${attempts.map((a) => `${a.name}: ${a.note}`).join('; ')}`);
}
