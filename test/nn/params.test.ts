import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { EnergyModel } from 'cglab/nn/energyModel';
import { decodeParams, encodeParams, loadParams, PARAMS_VERSION, saveParams } from 'cglab/nn/params';

const fixture = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/nn/${name}`, import.meta.url));

test('parameter files round-trip every float32 bit pattern, and the config as JSON', () => {
  const values = Float32Array.of(0, -0, 1e-45, 3.4028234663852886e38, -1.5, Math.PI, 1 / 3);
  const dir = mkdtempSync(join(tmpdir(), 'cglab-params-'));
  try {
    const path = join(dir, 'p.json');
    saveParams(path, { what: 'test', nested: { list: [1, 'a', null] } }, { 'a/b': { shape: [7], data: values }, empty: { shape: [0, 3], data: new Float32Array(0) } });
    const back = loadParams(path);
    assert.equal(back.version, PARAMS_VERSION);
    assert.deepEqual(back.config, { what: 'test', nested: { list: [1, 'a', null] } });
    const a = back.tensors.get('a/b')!;
    assert.deepEqual(a.shape, [7]);
    a.data.forEach((v, i) => assert.ok(Object.is(v, values[i]), `value ${i}: ${v} vs ${values[i]}`));
    assert.deepEqual(back.tensors.get('empty')!.shape, [0, 3]);
    const raw = JSON.parse(readFileSync(path, 'utf8'));
    assert.equal(raw.format, 'cglab-params');
    assert.equal(raw.tensors['a/b'].dtype, 'float32');
    assert.equal(Buffer.from(raw.tensors['a/b'].data, 'base64').readFloatLE(4 * 4), -1.5, 'little-endian float32 bytes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed parameter files are refused with the field and what was expected', () => {
  const good = JSON.parse(encodeParams({}, { w: { shape: [2], data: Float32Array.of(1, 2) } }));
  const text = (f: (j: any) => void) => {
    const j = structuredClone(good);
    f(j);
    return JSON.stringify(j);
  };
  assert.throws(() => decodeParams('{', 'x.json'), /x\.json: not a JSON parameter file/);
  assert.throws(() => decodeParams(text((j) => (j.format = 'npz')), 'x.json'), /format is "npz", expected "cglab-params"/);
  assert.throws(() => decodeParams(text((j) => (j.version = 2)), 'x.json'), /version 2 is newer than this cglab reads \(1\): update cglab/);
  assert.throws(() => decodeParams(text((j) => (j.tensors.w.dtype = 'float64')), 'x.json'), /tensor 'w' has dtype "float64", expected "float32"/);
  assert.throws(() => decodeParams(text((j) => (j.tensors.w.shape = [3])), 'x.json'), /tensor 'w': data decodes to 8 bytes, expected 4 × 3 for its shape/);
  assert.throws(() => decodeParams(text((j) => (j.tensors.w.shape = [-1])), 'x.json'), /has shape \[-1\], expected a list of non-negative integers/);
  assert.throws(() => decodeParams(text((j) => delete j.config), 'x.json'), /config is undefined, expected a JSON object/);
  assert.throws(() => encodeParams({}, { w: { shape: [3], data: new Float32Array(2) } }), /tensor 'w' has 2 values but shape \[3\] holds 3/);
});

// Continuity: model files written by cglab with parameter format version 1 must keep loading
// and keep giving the energies and forces they gave when written (test/fixtures/nn).
test('version-1 CGnet and CGSchNet files written by an earlier cglab load and reproduce their energies and forces', async () => {
  const expected = JSON.parse(readFileSync(fixture('expected-v1.json'), 'utf8'));
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    for (const name of ['cgnet', 'cgschnet']) {
      assert.equal(JSON.parse(readFileSync(fixture(`${name}-v1.json`), 'utf8')).version, 1);
      const model = EnergyModel.load(fixture(`${name}-v1.json`));
      const want = expected[name];
      const x = tf.tensor3d(expected.positions, [3, 5, 3]);
      const { energy, forces } = model.energyAndForces(x);
      const terms = model.termEnergies(x);
      assert.deepEqual(Object.keys(terms), Object.keys(want.terms));
      // float32 on another backend or summation order: ~1e-6 relative; a changed model is off by far more.
      const close = (got: ArrayLike<number>, ref: number[], what: string) => {
        const scale = Math.max(1, ...ref.map(Math.abs));
        ref.forEach((v, i) => assert.ok(Math.abs(got[i] - v) <= 1e-5 * scale, `${backend} ${name} ${what}[${i}]: ${got[i]}, saved ${v}`));
      };
      close(energy.dataSync(), want.energy, 'energy');
      close(forces.dataSync(), want.forces, 'forces');
      for (const [term, e] of Object.entries(terms)) close(e.dataSync(), want.terms[term], `${term} energy`);
      tf.dispose([x, energy, forces, ...Object.values(terms)]);
      model.dispose();
    }
  }
});
