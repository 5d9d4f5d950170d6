import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baoab, initState } from 'cglab/md/integrators';
import { checkpoint, restore, run } from 'cglab/md/simulate';
import { coupled2d, harmonic, UNIT_KT_TEMPERATURE } from 'cglab/physics/toy';

const T = UNIT_KT_TEMPERATURE;
const m1 = Float64Array.of(1);

test('frames are saved every n steps with time in ps, forces and energies', () => {
  const p = coupled2d();
  const s = initState(p, Float64Array.of(-2, 2, 2, 2), m1, p.temperature, 1);
  const r = run(p, baoab({ dt: 0.01, temperature: p.temperature, friction: 1, masses: m1 }), s, { steps: 50, saveEvery: 10, saveForces: true });
  assert.equal(r.frames, 5);
  assert.equal(r.positions.length, 5 * 4);
  assert.equal(r.forces?.length, 5 * 4);
  assert.deepEqual(Array.from(r.time, (t) => +t.toFixed(6)), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.deepEqual(Array.from(r.positions.subarray(16)), Array.from(Float32Array.from(s.x)));
  assert.equal(r.interrupted, false);
});

test('a checkpoint (through JSON) resumes the run bit for bit', () => {
  const p = coupled2d();
  const integ = baoab({ dt: 0.01, temperature: p.temperature, friction: 1, masses: m1 });
  const a = initState(p, Float64Array.of(-2, 2, 1, 0.5), m1, p.temperature, 4);
  run(p, integ, a, { steps: 300, saveEvery: 300 });
  const b0 = initState(p, Float64Array.of(-2, 2, 1, 0.5), m1, p.temperature, 4);
  run(p, integ, b0, { steps: 120, saveEvery: 120 });
  const b = restore(p, JSON.parse(JSON.stringify(checkpoint(b0))));
  run(p, integ, b, { steps: 180, saveEvery: 180 });
  assert.deepEqual(Array.from(b.x), Array.from(a.x));
  assert.deepEqual(Array.from(b.v), Array.from(a.v));
  assert.equal(b.step, 300);
});

test('an abort signal stops at the next frame and keeps what was computed', () => {
  const p = harmonic();
  const s = initState(p, new Float64Array(3), m1, T, 1);
  const ac = new AbortController();
  const r = run(p, baoab({ dt: 0.01, temperature: T, friction: 1, masses: m1 }), s, {
    steps: 1000, saveEvery: 10, signal: ac.signal,
    onProgress: (done) => { if (done === 40) ac.abort(); },
  });
  assert.equal(r.interrupted, true);
  assert.equal(r.frames, 4);
  assert.equal(s.step, 40);
});

test('the stability monitor names the step, replica, worst particle and a likely cause', () => {
  const p = harmonic(1e4, 1);
  const s = initState(p, Float64Array.of(0.1, 0.1, 0.1), m1, T, 1);
  assert.throws(
    () => run(p, baoab({ dt: 0.5, temperature: T, friction: 1, masses: m1 }), s, { steps: 2000, saveEvery: 1 }),
    /harmonic-1d: simulation unstable at step \d+, replica \d: .*worst particle 0 .*Likely cause: .*(time step|smaller dt)/,
  );
});
