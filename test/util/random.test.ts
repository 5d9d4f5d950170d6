import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from 'cglab/util/random';

test('same seed, same stream; different seeds differ', () => {
  const a = new Random(42);
  const b = new Random(42);
  const c = new Random(43);
  const sa = Array.from({ length: 10 }, () => a.normal());
  assert.deepEqual(sa, Array.from({ length: 10 }, () => b.normal()));
  assert.notDeepEqual(sa, Array.from({ length: 10 }, () => c.normal()));
});

test('a saved state continues the stream exactly, spare normal included', () => {
  const a = new Random(5);
  a.normal();
  const b = Random.fromState(JSON.parse(JSON.stringify(a.state())));
  for (let i = 0; i < 7; i++) assert.equal(a.normal(), b.normal());
});

test('normals have mean 0 and variance 1 (n = 2e5: 5σ bounds are ±0.011 and ±0.016)', () => {
  const r = new Random(1);
  const n = 200000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const v = r.normal();
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / n) < 5 / Math.sqrt(n));
  assert.ok(Math.abs(s2 / n - 1) < 5 * Math.sqrt(2 / n));
});

test('uniforms lie in [0, 1) with mean 1/2', () => {
  const r = new Random(3);
  let s = 0;
  for (let i = 0; i < 100000; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u;
  }
  assert.ok(Math.abs(s / 100000 - 0.5) < 5 * Math.sqrt(1 / 12 / 100000));
});
