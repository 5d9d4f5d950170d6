#!/usr/bin/env node
// Builds the prebuilt (federated) JupyterLab extension into labextension/ from the compiled lib/
// with @jupyterlab/builder, against JupyterLab's core package file from @jupyterlab/core-meta.
// Skipped when lib/, style/ and the lock file are unchanged since the last build.
// Development mode: plotly.js and NGL arrive minified already, and minifying them again would
// take minutes of the set-up for no gain.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const work = join(here, 'build');
const stamp = join(work, '.inputs-sha256');

function inputsHash() {
  const h = createHash('sha256');
  h.update(readFileSync(join(here, '..', 'package-lock.json')));
  h.update(readFileSync(join(here, 'package.json')));
  for (const dir of ['lib', 'style']) {
    for (const f of readdirSync(join(here, dir)).sort()) if (/\.(js|css)$/.test(f)) h.update(f).update(readFileSync(join(here, dir, f)));
  }
  return h.digest('hex');
}

const want = inputsHash();
if (!process.argv.includes('--force') && existsSync(stamp) && existsSync(join(here, 'labextension', 'package.json')) && readFileSync(stamp, 'utf8') === want) process.exit(0);

const t0 = Date.now();
const core = join(work, 'core');
mkdirSync(core, { recursive: true });
copyFileSync(require.resolve('@jupyterlab/core-meta/core.package.json'), join(core, 'package.json'));
const builder = join(dirname(require.resolve('@jupyterlab/builder/package.json')), 'lib', 'build-labextension.js');
const r = spawnSync(process.execPath, [builder, '--development', '--core-path', core, here], { cwd: here, encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  process.stderr.write(`[extension] build-labextension failed (exit ${r.status ?? r.signal})\n`);
  process.exit(1);
}
writeFileSync(stamp, want);
console.log(`[extension] built cglab-jupyterlab into jupyter-extension/labextension in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
