#!/usr/bin/env node
// The main job: the cglab lab app (JupyterLab with the tslab kernel and the cglab extension,
// assembled in lab/ by the set-up) serving notebooks/ on 127.0.0.1. Port 8888 unless CGLAB_PORT
// says otherwise; CGLAB_NOTEBOOKS serves another folder (inside the checkout, so notebooks find
// its node_modules). Ctrl-C stops the server and its kernels. The headless demo is `npx cglab demo`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (msg) => process.stdout.write(`[cglab] ${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`[cglab] ${msg}\n`);
  process.exit(1);
};

const portText = process.env.CGLAB_PORT ?? '8888';
const port = Number(portText);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`CGLAB_PORT must be a port number (1-65535), got '${portText}'`);
const notebooks = resolve(process.env.CGLAB_NOTEBOOKS ?? join(root, 'notebooks'));
if (!existsSync(notebooks)) fail(`CGLAB_NOTEBOOKS: no folder ${notebooks}`);
if (!existsSync(join(root, 'lab', 'build', 'static', 'bundle.js'))) fail('the lab app is not built: run `npm start` (it runs the set-up first)');

const jupyterPath = join(root, '.jupyter', 'share', 'jupyter');
const token = randomBytes(24).toString('hex');
const args = [
  join(root, 'lab', 'serve.py'),
  '--ServerApp.ip=127.0.0.1',
  `--ServerApp.port=${port}`,
  // The port asked for or none: a silently different port would not match the printed URL.
  '--ServerApp.port_retries=0',
  `--ServerApp.root_dir=${notebooks}`,
  '--ServerApp.open_browser=False',
  `--ServerApp.token=${token}`,
  ...(process.getuid?.() === 0 ? ['--ServerApp.allow_root=True'] : []),
];
const env = {
  ...process.env,
  JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(':'),
  // Only this checkout's kernel and extension: no user-wide Jupyter configuration.
  JUPYTER_NO_CONFIG: '1',
};

// Its own process group: Ctrl-C reaches only us, and we stop the server with SIGTERM. (Given
// SIGINT, jupyter_server asks on stdin whether to shut down, and without a terminal it stays up.)
const server = spawn('/usr/bin/python3', args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
server.on('error', (e) => fail(`could not start /usr/bin/python3: ${e.message} (the set-up installs it; run \`npm start\`)`));

const url = `http://127.0.0.1:${port}/lab?token=${token}`;
let stopping = false;

async function waitUntilServing() {
  for (let i = 0; i < 600 && !stopping && server.exitCode === null; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/status?token=${token}`);
      if (r.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return false;
}

function stop(signal) {
  if (stopping) return;
  stopping = true;
  say(`${signal}: stopping the lab server and its kernels`);
  try {
    process.kill(-server.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  // jupyter_server shuts kernels down on SIGTERM; should that hang, end the group.
  setTimeout(() => {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, 15_000).unref();
}

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('exit', () => {
  if (server.exitCode === null && server.signalCode === null) {
    try {
      process.kill(-server.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

server.on('exit', (code, signal) => {
  if (stopping) {
    say('stopped');
    process.exit(0);
  }
  fail(`the lab server exited (${signal ?? `code ${code}`}); if port ${port} is taken, set CGLAB_PORT to a free one`);
});

if (await waitUntilServing()) {
  say(`lab app serving ${notebooks}`);
  say(`open ${url}`);
  say('press Ctrl-C to stop');
}
