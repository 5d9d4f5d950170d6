import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from 'cglab/backend/select';
import { getSystem } from 'cglab/datasets/systems';
import { embeddedTarget } from 'cglab/methods/embedded/modelDir';
import { moleculeTarget, potentialTarget } from 'cglab/methods/embedded/target';
import { EmbeddedDivergenceError, fitEmbedded, NonFiniteEnergyError, type EmbeddedOptions } from 'cglab/methods/embedded/train';
import { builtinForceField } from 'cglab/physics/forcefield';
import type { Potential } from 'cglab/physics/potential';
import { UNIT_KT_TEMPERATURE } from 'cglab/physics/toy';
import { makeTopology } from 'cglab/topology/topology';

before(async () => {
  await initBackend();
});

/** Small settings: every case below fails (or not) within a few steps. */
const small: EmbeddedOptions = { window: 10, finalSteps: 10, batch: 64, maxSteps: 200 };
const particle = makeTopology([{ name: 'X', element: '', mass: 1, residue: 'TOY', resid: 1 }]);
const T = UNIT_KT_TEMPERATURE; // kT = 1 kJ/mol

/** A 1-D potential from an energy and its derivative. */
function potential1d(name: string, u: (x: number) => number, du: (x: number) => number): Potential {
  return {
    name,
    nParticles: 1,
    dim: 1,
    evaluate(x, batch, forces, energies) {
      for (let b = 0; b < batch; b++) {
        energies[b] = u(x[b]);
        forces[b] = -du(x[b]);
      }
    },
  };
}

const harmonicTarget = () => potentialTarget(potential1d('harmonic', (x) => 0.5 * x * x, (x) => x), T, [0.5], particle);

test('bad options are refused before any step: latent 0, a schedule not ending at 1, a falling schedule', async () => {
  let steps = 0;
  const opts = { ...small, onStep: () => steps++ };
  await assert.rejects(fitEmbedded(harmonicTarget(), { ...opts, latent: 0 }), /embedded model: the latent dimension must be an integer ≥ 1, got 0/);
  await assert.rejects(fitEmbedded(harmonicTarget(), { ...opts, schedule: [1e-3, 0.1] }), /embedded: schedule \[0\.001,0\.1\] ends at 0\.1, not 1: the model would describe the system at 10\.0 × its temperature/);
  await assert.rejects(fitEmbedded(harmonicTarget(), { ...opts, schedule: [0.1, 0.01, 1] }), /embedded: schedule \[0\.1,0\.01,1\] must be rising factors in \(0, 1\] \(entry 1 is 0\.01\)/);
  await assert.rejects(fitEmbedded(harmonicTarget(), { ...opts, schedule: [0.1, 0.1, 1] }), /must be rising factors .*\(entry 1 is 0\.1\)/);
  await assert.rejects(fitEmbedded(harmonicTarget(), { ...opts, schedule: [] }), /must be rising factors in \(0, 1\]/);
  assert.equal(steps, 0, 'a step ran before the options were checked');
  // The same harmonic target with valid small settings does train, so the refusals above are the options'.
  const fit = await fitEmbedded(harmonicTarget(), { ...opts, schedule: [0.1, 1] });
  assert.ok(steps > 0 && fit.stages.at(-1)?.a === 1);
  fit.model.dispose();
});

test('a potential that returns NaN beyond |x| = 2 stops training with NonFiniteEnergyError naming the step and a', async () => {
  const p = potential1d('nan-beyond-2', (x) => (Math.abs(x) > 2 ? NaN : 0.5 * x * x), (x) => (Math.abs(x) > 2 ? NaN : x));
  // A broad start (σ = 5 around 0): most of the first batch lies beyond |x| = 2.
  const target = { ...potentialTarget(p, T, [0.5], particle), scale: 5 };
  const err = await fitEmbedded(target, small).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof NonFiniteEnergyError, `expected a NonFiniteEnergyError, got ${err}`);
  assert.match(err.message, /embedded: nan-beyond-2 gave a non-finite energy \(βU = NaN\) for generated sample \d+ at step 1, a = 1\.000e-4, no energy guard: lower the learning rate/);
});

test('potentialTarget refuses a potential without forces; embeddedTarget refuses periodic systems; moleculeTarget refuses constraints', () => {
  const flat = potential1d('flat', () => 2, () => 0);
  assert.throws(() => potentialTarget(flat, T, [0.5], particle), /flat: the system gives no forces \(all zero at and beside its start structure\)/);
  // A start at a minimum has no force there, but beside it: accepted.
  assert.doesNotThrow(() => potentialTarget(potential1d('harmonic', (x) => 0.5 * x * x, (x) => x), T, [0], particle));
  assert.throws(() => potentialTarget(flat, -5, [0.5], particle), /temperature must be a positive number of K, got -5/);
  assert.throws(() => embeddedTarget('lj-fluid'), /embedded: lj-fluid is a periodic system of many molecules/);
  const ala = getSystem('alanine-dipeptide');
  assert.throws(() => moleculeTarget(builtinForceField('alanine-dipeptide', 'obc2'), 300, ala.positions), /the force field constrains \d+ bonds, but embedded physics places every atom: use a flexible force field/);
});

test('alanine dipeptide: 60 generated coordinates, finite βU at the start, the guard softens by ln a / ln a0, and ∇βU matches finite differences', () => {
  const target = embeddedTarget('alanine-dipeptide');
  assert.equal(target.dim, 22 * 3 - 6);
  assert.equal(target.temperature, 300);
  const start = Float64Array.from(target.start);
  const at = (q: Float64Array) => target.evaluate(q, 1);
  const v = at(start);
  assert.ok(Number.isFinite(v.betaU[0]) && v.gradBetaU.every(Number.isFinite), `βU ${v.betaU[0]}`);
  assert.ok(Number.isFinite(v.logJ[0]) && v.gradLogJ.every(Number.isFinite));
  // The built structure is not at a minimum: there is a force.
  assert.ok(v.gradBetaU.some((g) => Math.abs(g) > 1));

  // The guard: s = ln a / ln 1e-10, from 1 at the first factor to none at a = 1.
  assert.ok(target.guard, 'a molecule target has an energy guard');
  const guard = target.guard.bind(target);
  assert.match(guard(1e-10) ?? '', /non-bonded pairs softened to √\(r² \+ s²σ²\), s = 1\.0000/);
  const soft = at(start).betaU[0];
  assert.match(guard(1e-5) ?? '', /s = 0\.5000/);
  assert.equal(guard(1), undefined);
  const hard = at(start).betaU[0];
  // Softening changes the energy, and a = 1 restores the force field exactly.
  assert.ok(Math.abs(soft - hard) > 1e-3, `softened ${soft}, force field ${hard}`);
  assert.equal(hard, v.betaU[0]);

  // Central differences of βU on a few coordinates, also softened: with h = 1e-5 nm the
  // truncation h²|βU'''| (stiff bonds) leaves ~1e-6 relative error and rounding ~1e-16 |βU| / h
  // less; 1e-4 of gradients of order 1–100 /nm (floor 1) still catches a wrong term or sign.
  for (const a of [1, 1e-5]) {
    guard(a);
    const g = at(start).gradBetaU;
    const h = 1e-5;
    for (const k of [0, 7, 23, 41, 59]) {
      const plus = Float64Array.from(start);
      const minus = Float64Array.from(start);
      plus[k] += h;
      minus[k] -= h;
      const fd = (at(plus).betaU[0] - at(minus).betaU[0]) / (2 * h);
      assert.ok(Math.abs(fd - g[k]) < 1e-4 * Math.max(1, Math.abs(g[k])), `a = ${a}, q${k}: ∂βU/∂q ${g[k]}, finite difference ${fd}`);
    }
  }
  guard(1);
});

/**
 * The harmonic target, with a loss that climbs step after step whenever a ≥ `from` during the
 * first `attempts` attempts at it: an optimiser losing ground, as at a blow-up. The trainer's
 * guard call, made at every change of a, tells the wrapper which factor is in force.
 */
function divergingTarget(from: number, attempts: number): { target: ReturnType<typeof harmonicTarget>; factors: number[] } {
  const base = harmonicTarget();
  const factors: number[] = [];
  let a = 0;
  let steps = 0;
  let attempt = 0;
  const target = {
    ...base,
    guard(next: number) {
      a = next;
      factors.push(next);
      steps = 0;
      if (next >= from) attempt++;
      return undefined;
    },
    evaluate(q: Float64Array, n: number) {
      const t = base.evaluate(q, n);
      steps++;
      if (a >= from && attempt <= attempts) for (let b = 0; b < n; b++) t.betaU[b] += (10 * steps) / a;
      return t;
    },
  };
  return { target, factors };
}

test('a rung whose loss diverges is stepped back from: the rung\'s start restored, retried with half the learning rate, and the run completes', async () => {
  const { target } = divergingTarget(0.01, 1);
  const stages: { a: number; diverged?: boolean; learningRate: number; next: number }[] = [];
  const fit = await fitEmbedded(target, { ...small, maxSteps: 2000, schedule: [1e-3, 1e-2, 1], learningRate: 1e-3, seed: 2, onStage: (s) => stages.push(s) });
  const diverged = stages.filter((s) => s.diverged);
  assert.equal(diverged.length, 1, JSON.stringify(stages));
  assert.equal(diverged[0].a, 1e-2);
  assert.equal(diverged[0].next, 1e-2, 'an explicit schedule retries its own factor');
  const after = stages[stages.indexOf(diverged[0]) + 1];
  assert.equal(after.a, 1e-2);
  assert.equal(after.learningRate, 5e-4);
  assert.ok(fit.complete, 'the retried rung settles and the ladder reaches 1');
});

test('the adaptive ladder steps back half way in ln a; a rung that diverges every time stops the run with a diagnosis', async () => {
  const first = divergingTarget(0.01, 1);
  const stages: { a: number; diverged?: boolean; next: number }[] = [];
  await fitEmbedded(first.target, { ...small, maxSteps: 600, aStart: 1e-3, seed: 2, onStage: (s) => stages.push(s) });
  const d = stages.find((s) => s.diverged);
  assert.ok(d, JSON.stringify(stages));
  const before = stages[stages.indexOf(d) - 1];
  assert.ok(Math.abs(d.next - Math.sqrt(before.a * d.a)) < 1e-12 * d.a, `retried at ${d.next}, between ${before.a} and ${d.a}`);

  const always = divergingTarget(0.01, Infinity);
  await assert.rejects(
    fitEmbedded(always.target, { ...small, maxSteps: 5000, schedule: [1e-3, 1e-2, 1], seed: 2 }),
    (e: Error) => e instanceof EmbeddedDivergenceError && /the loss diverged at a = 1\.000e-2 \(rung 1\): its window mean rose from .* kT by step \d+, after 3 step-backs/.test(e.message),
  );
});
