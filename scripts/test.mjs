#!/usr/bin/env node
// Every test, compiled by the set-up into build/test, through Node's built-in test runner.
// Arguments narrow the run to some files or folders under build/test (e.g. `npm test -- io`).
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'test');
const targets = process.argv.slice(2).map((a) => join(buildDir, a));
const env = { ...process.env, JUPYTER_PATH: join(root, '.jupyter', 'share', 'jupyter') };
const r = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...(targets.length ? targets : [buildDir])], {
  cwd: root,
  stdio: 'inherit',
  env,
});
process.exit(r.status ?? 1);
