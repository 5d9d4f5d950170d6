#!/usr/bin/env node
// Compiles gemm.c and host.c into build/cglab_gemm.node, the path backend/nativeGemm.ts loads
// (the OpenBLAS matrix products of cglab's wasm backend, and the elementwise passes of the
// networks evaluated on the host for simulation, nn/hostBuffer.ts). Needs a C compiler and OpenBLAS's headers (Debian:
// gcc, libopenblas-dev; scripts/setup.mjs installs both) and Node's own headers, which ship
// with Node. Optional: without it cglab runs tfjs-wasm's XNNPACK products, several times slower.
// Node built-ins only: scripts/setup.mjs runs it before `npm ci` has finished.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sources = ['gemm.c', 'host.c'].map((f) => join(here, f));
const NATIVE_GEMM_PATH = join(here, 'build', 'cglab_gemm.node');

/**
 * Build the addon unless it is newer than its source and this script.
 * @returns what happened: 'built', 'up to date', or the reason it could not be built.
 */
export function buildNativeGemm() {
  const stale = !existsSync(NATIVE_GEMM_PATH) ||
    [...sources, fileURLToPath(import.meta.url)].some((f) => statSync(f).mtimeMs > statSync(NATIVE_GEMM_PATH).mtimeMs);
  if (!stale) return { ok: true, status: 'up to date' };
  const nodeHeaders = resolve(dirname(process.execPath), '..', 'include', 'node');
  if (!existsSync(join(nodeHeaders, 'node_api.h'))) return { ok: false, status: `Node's headers are not in ${nodeHeaders}` };
  mkdirSync(dirname(NATIVE_GEMM_PATH), { recursive: true });
  const tmp = `${NATIVE_GEMM_PATH}.${process.pid}.tmp`;
  const includes = ['/usr/include/x86_64-linux-gnu/openblas-pthread', '/usr/include/openblas'].filter(existsSync);
  // -O3 vectorizes host.c's loops; -fno-trapping-math lets it turn the clamps of tanh into
  // selects (cglab never reads floating-point exception flags).
  const args = ['-O3', '-fno-trapping-math', '-shared', '-fPIC', '-Wall', '-Werror', `-I${nodeHeaders}`, ...includes.map((d) => `-I${d}`), ...sources, '-lopenblas', '-lm', '-o', tmp];
  const r = spawnSync('cc', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').slice(0, 3).join(' / ');
    return { ok: false, status: `cc failed: ${why}` };
  }
  renameSync(tmp, NATIVE_GEMM_PATH);
  return { ok: true, status: 'built' };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = buildNativeGemm();
  console.log(`${NATIVE_GEMM_PATH}: ${r.status}`);
  process.exit(r.ok ? 0 : 1);
}
