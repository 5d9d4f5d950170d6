/**
 * `doctor`: what cglab is running on, why, and what would make it faster. The first thing to
 * run on a new machine, from the command line (`cglab doctor [--json]`) or a notebook
 * (`await cglab.doctor()`).
 */
import os from 'node:os';
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { matMulEngine } from './fastops.js';
import { nativeGemmStatus } from './nativeGemm.js';
import { initBackend, packageInstalled, type BackendAttempt, type BackendName } from './select.js';

const require = createRequire(import.meta.url);

/** Everything `doctor` found. Plain data: `JSON.stringify` gives the `--json` output. */
export interface DoctorReport {
  backend: BackendName;
  reason: string;
  attempts: BackendAttempt[];
  /** Threads one tensor operation uses on the chosen backend. */
  threads: number;
  /** Logical CPU cores; independent replicas can run on this many worker threads. */
  cores: number;
  /** WebAssembly SIMD in use (wasm backend only; null on other backends). */
  simd: boolean | null;
  /** What runs matrix products (most of a network's time): 'OpenBLAS' or the backend's own kernel. */
  matmul: string;
  versions: { cglab: string; tfjs: string; node: string; v8: string };
  /** Optional native packages and whether they are installed. */
  optional: Record<string, boolean>;
  /** Advice, one line each (empty when nothing would help). */
  advice: string[];
}

const GPU_ADVICE =
  'For a GPU: on a Linux machine with an NVIDIA driver, CUDA 11.2 and cuDNN 8.1, run ' +
  '`npm install @tensorflow/tfjs-node-gpu@4.22.0` in the project (its installer downloads ' +
  'libtensorflow, so it needs internet access); cglab then selects it automatically.';
const NATIVE_ADVICE =
  'For faster CPU tensors: `npm install @tensorflow/tfjs-node@4.22.0` (downloads libtensorflow).';

async function wasmFlag(name: string): Promise<boolean> {
  return Boolean(await tf.env().getAsync(name));
}

/** Collect the report (initialising the backend if needed). */
export async function doctorReport(): Promise<DoctorReport> {
  const sel = await initBackend();
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  let threads = 1;
  let simd: boolean | null = null;
  if (sel.backend === 'wasm') {
    simd = await wasmFlag('WASM_HAS_SIMD_SUPPORT');
    // tfjs-wasm's thread pool is switched off under Node (its multithread flag is false), so
    // one op runs on one thread whatever setThreadsCount says.
    threads = (await wasmFlag('WASM_HAS_MULTITHREAD_SUPPORT')) ? cores : 1;
  } else if (sel.backend === 'tensorflow' || sel.backend === 'tensorflow-gpu') {
    threads = cores; // libtensorflow's intra-op pool defaults to one thread per core.
  }
  const optional: Record<string, boolean> = {
    '@tensorflow/tfjs-node-gpu': packageInstalled('@tensorflow/tfjs-node-gpu'),
    '@tensorflow/tfjs-node': packageInstalled('@tensorflow/tfjs-node'),
  };
  const advice: string[] = [];
  if (sel.backend !== 'tensorflow-gpu') advice.push(GPU_ADVICE);
  if (sel.backend === 'wasm' || sel.backend === 'cpu') advice.push(NATIVE_ADVICE);
  if (sel.backend === 'cpu') advice.push('The plain JavaScript backend is slow; check why wasm failed above.');
  const gemm = nativeGemmStatus();
  if (sel.backend === 'wasm' && !gemm.available) {
    advice.push(`Matrix products run 3–4× slower without the OpenBLAS addon: ${gemm.reason}; \`npm run setup\` installs both and builds it.`);
  }
  if (threads < cores) {
    advice.push(`One op uses ${threads} thread; run independent replicas on up to ${cores} worker threads to use every core.`);
  }
  const pkg = require('../../package.json') as { version: string };
  return {
    backend: sel.backend,
    reason: sel.reason,
    attempts: sel.attempts,
    threads,
    cores,
    simd,
    matmul: matMulEngine(),
    versions: { cglab: pkg.version, tfjs: tf.version_core, node: process.versions.node, v8: process.versions.v8 },
    optional,
    advice,
  };
}

/** The report as the terminal shows it. */
export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `cglab ${r.versions.cglab} (tfjs ${r.versions.tfjs}, node ${r.versions.node})`,
    `backend:  ${r.backend} — ${r.reason}`,
    `threads:  ${r.threads} per op, ${r.cores} cores`,
    `simd:     ${r.simd === null ? 'n/a (not the wasm backend)' : r.simd ? 'yes' : 'no'}`,
    `matmul:   ${r.matmul}`,
    'tried:',
    ...r.attempts.map((a) => `  ${a.ok ? '✓' : '✗'} ${a.name}${a.note ? ` — ${a.note}` : ''}`),
    'optional packages:',
    ...Object.entries(r.optional).map(([k, v]) => `  ${v ? '✓' : '✗'} ${k}`),
  ];
  if (r.advice.length) lines.push('advice:', ...r.advice.map((a) => `  • ${a}`));
  return lines.join('\n');
}

/**
 * The doctor report for a notebook: a plain object (fields as in `DoctorReport`) that prints
 * as the formatted text when it is the value of a cell.
 */
export async function doctor(): Promise<DoctorReport> {
  const report = await doctorReport();
  Object.defineProperty(report, inspect.custom, { value: () => formatDoctor(report), enumerable: false });
  return report;
}
