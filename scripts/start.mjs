#!/usr/bin/env node
// The main job. Until the lab app lands it is a headless demo printed to the terminal.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync(process.execPath, [join(root, 'kernel-lib', 'bin', 'cglab.mjs'), 'demo'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
