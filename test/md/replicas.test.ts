import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulateReplicas } from 'cglab/md/replicas';
import type { Potential } from 'cglab/physics/potential';
import { kT as kTOf } from 'cglab/units';

/** n particles in 3-D, each in the well ½k|x − c|² (k in kJ/mol/nm², c = (0, 0, 0)). */
function wells(n: number, k: number): Potential {
  return {
    name: 'harmonic wells',
    nParticles: n,
    dim: 3,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        let e = 0;
        for (let i = 0; i < 3 * n; i++) {
          const v = x[b * 3 * n + i];
          forces[b * 3 * n + i] = -k * v;
          e += 0.5 * k * v * v;
        }
        energies[b] = e;
      }
    },
  };
}

const T = 300;
const masses = Float64Array.of(10, 20);

test('replicas start from distinct data frames and come back replica-major, [replicas, frames, particles, 3], reproducibly', async () => {
  const starts = Float32Array.from({ length: 4 * 6 }, (_, i) => Math.floor(i / 6) + 0.01 * (i % 6));
  const o = { starts, replicas: 3, masses, temperature: T, dt: 1e-5, ps: 3e-5, saveEveryPs: 1e-5, seed: 9 };
  const r = await simulateReplicas(wells(2, 100), o);
  assert.equal(r.frames, 3);
  assert.equal(r.positions.length, 3 * 3 * 6);
  assert.equal(new Set(r.startFrames).size, 3);
  r.startFrames.forEach((f, rep) => {
    for (let t = 0; t < 3; t++) {
      for (let c = 0; c < 6; c++) assert.ok(Math.abs(r.positions[(rep * 3 + t) * 6 + c] - starts[f * 6 + c]) < 1e-3, `replica ${rep}, frame ${t} stays at its start`);
    }
  });
  assert.deepEqual(Array.from(r.time, (t) => Math.round(t / 1e-5)), [1, 2, 3]);
  assert.deepEqual((await simulateReplicas(wells(2, 100), o)).positions, r.positions);
  assert.notDeepEqual((await simulateReplicas(wells(2, 100), { ...o, seed: 10 })).positions, r.positions);
  // More replicas than frames: every frame is used, in turn.
  assert.deepEqual([...(await simulateReplicas(wells(2, 100), { ...o, replicas: 8 })).startFrames].sort(), [0, 0, 1, 1, 2, 2, 3, 3]);
});

test('BAOAB and overdamped replicas sample the Boltzmann distribution: ⟨x²⟩ = kT/k per coordinate', async () => {
  const k = 100;
  const expected = kTOf(T) / k;
  for (const integrator of ['baoab', 'overdamped'] as const) {
    const r = await simulateReplicas(wells(1, k), {
      starts: new Float32Array(3), replicas: 200, masses: Float64Array.of(10), temperature: T, dt: integrator === 'baoab' ? 0.01 : 0.002,
      ps: 20, saveEveryPs: 0.2, seed: 1, integrator, friction: integrator === 'baoab' ? 1 : 10,
    });
    let sum = 0;
    let count = 0;
    for (let rep = 0; rep < 200; rep++) {
      for (let t = 25; t < r.frames; t++) for (let c = 0; c < 3; c++, count++) sum += r.positions[(rep * r.frames + t) * 3 + c] ** 2;
    }
    const x2 = sum / count;
    assert.ok(Math.abs(x2 / expected - 1) < 0.06, `${integrator}: ⟨x²⟩ = ${x2} nm², expected ${expected}`);
  }
});

test('an abort keeps the frames so far; blow-ups and bad settings are clear errors', async () => {
  const ac = new AbortController();
  const o = { starts: new Float32Array(6), replicas: 2, masses, temperature: T, dt: 0.001, ps: 1, saveEveryPs: 0.01, seed: 1 };
  const r = await simulateReplicas(wells(2, 100), { ...o, signal: ac.signal, onProgress: (done) => { if (done >= 30) ac.abort(); } });
  assert.equal(r.interrupted, true);
  assert.equal(r.frames, 3);
  assert.equal(r.positions.length, 2 * 3 * 6);
  await assert.rejects(simulateReplicas(wells(2, 1e9), o), /harmonic wells: simulation unstable at step \d+, replica \d+.*try a smaller dt/);
  await assert.rejects(simulateReplicas(wells(2, 100), { ...o, starts: new Float32Array(5) }), /harmonic wells: starting frames have 5 values, expected \[frames, 2, 3\] for this model/);
  await assert.rejects(simulateReplicas(wells(2, 100), { ...o, integrator: 'verlet' as never }), /unknown integrator 'verlet': expected baoab or overdamped/);
  await assert.rejects(simulateReplicas(wells(2, 100), { ...o, ps: 0.001 }), /a run of 0\.001 ps is shorter than one saved frame \(0\.01 ps\)/);
});
