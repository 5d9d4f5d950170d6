import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../node_modules/.bin/cglab', import.meta.url));

test('cglab doctor --json reports wasm with SIMD, OpenBLAS products and one thread per op on this machine', () => {
  const env = { ...process.env };
  delete env.CGLAB_BACKEND;
  const r = JSON.parse(execFileSync(bin, ['doctor', '--json'], { encoding: 'utf8', env }));
  assert.equal(r.backend, 'wasm');
  assert.equal(r.threads, 1);
  assert.equal(r.simd, true);
  assert.equal(r.matmul, 'OpenBLAS');
  assert.equal(r.optional['@tensorflow/tfjs-node'], false);
  assert.match(r.reason, /tfjs-node is not installed/);
  assert.ok(r.advice.some((a: string) => a.includes('tfjs-node-gpu')));
});

test('CGLAB_BACKEND=cpu is honoured and reported', () => {
  const r = JSON.parse(execFileSync(bin, ['doctor', '--json'], { encoding: 'utf8', env: { ...process.env, CGLAB_BACKEND: 'cpu' } }));
  assert.equal(r.backend, 'cpu');
  assert.equal(r.simd, null);
  assert.equal(r.matmul, "cpu's own");
});

test('an unknown CGLAB_BACKEND is a clear error', () => {
  assert.throws(
    () => execFileSync(bin, ['doctor'], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, CGLAB_BACKEND: 'cuda' } }),
    (e: { stderr: string }) => /CGLAB_BACKEND='cuda' is not a backend: expected one of tensorflow-gpu, tensorflow, wasm, cpu/.test(e.stderr),
  );
});

test('a requested native backend that is not installed fails loudly, naming the package', () => {
  assert.throws(
    () => execFileSync(bin, ['doctor'], { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, CGLAB_BACKEND: 'tensorflow' } }),
    (e: { stderr: string }) => /@tensorflow\/tfjs-node is not installed/.test(e.stderr),
  );
});

test('--help after a command prints its usage and every option it takes', () => {
  const out = execFileSync(bin, ['train', '--help'], { encoding: 'utf8' });
  assert.match(out, /^usage: cglab train — train a CG model: forcematching --data/);
  assert.match(out, /options: --data, --top, --map, --model, --epochs, --seed, --out, .*--resume/);
  assert.match(execFileSync(bin, ['refine', '-h'], { encoding: 'utf8' }), /options: --model, --data, .*--harmonics/);
});

test('unknown commands and options are rejected with usage', () => {
  assert.throws(() => execFileSync(bin, ['frobnicate'], { stdio: 'pipe' }), (e: { status: number; stderr: Buffer }) =>
    e.status === 2 && /unknown command 'frobnicate'/.test(String(e.stderr)));
  assert.throws(() => execFileSync(bin, ['doctor', '--yaml'], { stdio: 'pipe' }), (e: { stderr: Buffer }) =>
    /unknown option --yaml \(options: --json\)/.test(String(e.stderr)));
});
