#!/usr/bin/env node
// Set-up shared by `npm start` and `npm test`: installs only what is missing, so a second run
// takes seconds. Uses Node built-ins only, because it runs before `npm ci`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNativeGemm } from '../kernel-lib/native/build.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Debian packages the tests and tools call: numpy and mdtraj cross-check our file formats,
// OpenMM (python3-simtk) our force field, LAMMPS (lammps: /usr/bin/lmp) runs the pair tables we
// export, GROMACS (gromacs: /usr/bin/gmx) and h5py write the trajectory files our readers are
// checked against, nbclient runs notebooks headless on the tslab kernel.
// jupyterlab_server (on jupyter_server) serves the lab app of `npm start`; jupyter_kernel_test
// checks the kernel protocol; nbconvert shows that outputs read without the extension; Chromium
// is the real browser of the end-to-end tests. gcc and OpenBLAS build the native matrix product
// of the wasm backend (kernel-lib/native).
const DEBIAN_PACKAGES = [
  'python3-numpy',
  'python3-mdtraj',
  'python3-simtk',
  'lammps',
  'gromacs',
  'python3-h5py',
  'python3-nbclient',
  'jupyter-client',
  'python3-torch',
  'python3-jupyter-server',
  'python3-jupyterlab-server',
  'python3-jupyter-kernel-test',
  'python3-nbconvert',
  'chromium',
  'gcc',
  'libopenblas-dev',
];

const t0 = Date.now();
const log = (msg) => process.stdout.write(`[setup] ${msg}\n`);

function fail(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  // require() of ES modules (how tslab loads cglab) is on by default from Node 20.19.
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Node ${process.versions.node} is too old: cglab needs Node >= 20.19 (tslab loads ES modules with require).`);
  }
}

function missingDebianPackages() {
  return DEBIAN_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

function ensureDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const install = ['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing];
  let prefix = [];
  if (process.getuid?.() !== 0) {
    if (spawnSync('sudo', ['-n', 'true']).status !== 0) {
      fail(`missing Debian packages: ${missing.join(' ')}\nRun:  sudo apt-get update && sudo ${install.join(' ')}\nthen run this command again.`);
    }
    prefix = ['sudo', '-n'];
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const sh = (args) => run(prefix[0] ?? args[0], prefix.length ? [...prefix.slice(1), ...args] : args.slice(1), { env });
  sh(['apt-get', 'update', '-q']);
  sh(install);
}

function hashFile(p) {
  return createHash('sha256').update(readFileSync(p)).digest('hex');
}

function ensureNodeModules() {
  const stamp = join(root, 'node_modules', '.cglab-lock-sha256');
  const want = hashFile(join(root, 'package-lock.json'));
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return;
  log('npm ci');
  run('npm', ['ci', '--no-audit', '--no-fund']);
  writeFileSync(stamp, want);
}

function build() {
  // tsc -b is incremental: with nothing changed it only compares timestamps. The extension
  // compiles first because the renderer tests under test/ import its lib/.
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-b', 'jupyter-extension']);
  run(join(root, 'node_modules', '.bin', 'tsc'), ['-b']);
  // Optional: without it cglab is slower, not wrong (`cglab doctor` says why it is missing).
  const gemm = buildNativeGemm();
  if (!gemm.ok) log(`the OpenBLAS matrix product was not built, so tfjs-wasm's slower one is used: ${gemm.status}`);
  else if (gemm.status === 'built') log('built the OpenBLAS matrix product (kernel-lib/native)');
}

function buildLab() {
  // Both builds skip themselves when their inputs are unchanged.
  run(process.execPath, [join(root, 'jupyter-extension', 'build.mjs')]);
  run(process.execPath, [join(root, 'lab', 'build.mjs')]);
  // Installed as a prebuilt extension where jupyterlab_server looks: $JUPYTER_PATH/labextensions.
  const dir = join(root, '.jupyter', 'share', 'jupyter', 'labextensions');
  const link = join(dir, 'cglab-jupyterlab');
  const target = join('..', '..', '..', '..', 'jupyter-extension', 'labextension');
  if (readlinkOrNull(link) !== target) {
    mkdirSync(dir, { recursive: true });
    rmSync(link, { recursive: true, force: true });
    symlinkSync(target, link);
    log(`installed the cglab-jupyterlab extension in ${dir}`);
  }
}

function readlinkOrNull(p) {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

/** Write a file only if its content changes, through a temporary file so it is never partial. */
function writeIfChanged(p, text) {
  if (existsSync(p) && readFileSync(p, 'utf8') === text) return false;
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(`${p}.tmp`, text);
  renameSync(`${p}.tmp`, p);
  return true;
}

function registerKernel() {
  // The same kernel.json `tslab install --prefix .jupyter` writes, without needing IPython.
  const spec = {
    argv: [join(root, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
    display_name: 'TypeScript',
    language: 'typescript',
  };
  const p = join(root, '.jupyter', 'share', 'jupyter', 'kernels', 'tslab', 'kernel.json');
  if (writeIfChanged(p, JSON.stringify(spec, null, 1) + '\n')) log(`registered the tslab kernel in ${dirname(p)}`);
}

checkNode();
ensureDebianPackages();
ensureNodeModules();
build();
buildLab();
registerKernel();
log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s (export JUPYTER_PATH=${join(root, '.jupyter', 'share', 'jupyter')} to use the kernel)`);
