import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLadder, ExchangeLadder, geometricLadder, replicaExchange } from 'cglab/md/replicaExchange';
import { run } from 'cglab/md/simulate';
import { baoab, initState } from 'cglab/md/integrators';
import type { Potential } from 'cglab/physics/potential';
import { BOLTZMANN } from 'cglab/units';

// An asymmetric 1-D double well U = h (x² − 1)² + c x with a 12 kT barrier at T₀ (kT₀ = 1
// kJ/mol): plain Langevin dynamics at T₀ crosses it about once in 10⁵ ps, so a run started in
// the upper well (x = +1) stays there; the ladder up to 6 T₀ (barrier 2 kT) crosses it often.
const h = 12;
const c = 1;
const T0 = 1 / BOLTZMANN;
const well: Potential = {
  name: 'asymmetric double well',
  nParticles: 1,
  dim: 1,
  evaluate(x, batch, forces, energies) {
    for (let b = 0; b < batch; b++) {
      const s = x[b] * x[b] - 1;
      energies[b] = h * s * s + c * x[b];
      forces[b] = -(4 * h * x[b] * s + c);
    }
  },
};
const sys = { potential: well, masses: Float64Array.of(1), dt: 0.01, friction: 2 };

/** P(x > 0) at kT = 1 by the trapezoidal rule on [−2.5, 2.5] (exp(−U) < 1e-200 beyond). */
function exactUpper(): number {
  const [f, e] = [new Float64Array(1), new Float64Array(1)];
  let [up, all] = [0, 0];
  for (let i = 0; i <= 50000; i++) {
    const x = -2.5 + (5 * i) / 50000;
    well.evaluate(Float64Array.of(x), 1, f, e);
    const w = Math.exp(-e[0]) * (i === 0 || i === 50000 ? 0.5 : 1);
    all += w;
    if (x > 0) up += w;
  }
  return up / all;
}

test('replica exchange samples the lowest rung exactly where plain dynamics stays in the well it started in', async () => {
  const exact = exactUpper();
  const steps = 200000;
  const temperatures = geometricLadder(T0, 6 * T0, 8);
  const r = await replicaExchange(sys, { temperatures, x0: Float64Array.of(1), steps, exchangeEvery: 50, saveEvery: 10, equilibrationSteps: 1000, seed: 3 });
  assert.equal(r.frames, steps / 10);
  assert.equal(r.interrupted, false);
  const upper = Float64Array.from(r.positions, (x) => (x > 0 ? 1 : 0));
  // Block standard error over 20 blocks of 100 ps: the walkers' trips between the wells are
  // ~10 ps, so the blocks are independent.
  const blocks = 20;
  const means = Array.from({ length: blocks }, (_, b) => upper.subarray((b * upper.length) / blocks, ((b + 1) * upper.length) / blocks).reduce((s, v) => s + v, 0) / (upper.length / blocks));
  const mean = means.reduce((s, v) => s + v, 0) / blocks;
  const se = Math.sqrt(means.reduce((s, v) => s + (v - mean) ** 2, 0) / (blocks - 1) / blocks);
  assert.ok(se < 0.02, `block standard error ${se}`);
  assert.ok(Math.abs(mean - exact) < 4 * se + 0.005, `P(x > 0): replica exchange ${mean} ± ${se}, exact ${exact}`);
  // Every neighbouring pair trades; walkers reach the top and come back.
  const stats = r.stats;
  stats.accepted.forEach((a, k) => assert.ok(a / stats.attempts[k] > 0.3, `pair ${k}: ${a} of ${stats.attempts[k]} accepted`));
  assert.ok(stats.roundTrips >= 10, `${stats.roundTrips} round trips`);
  assert.ok(new Set(r.walkers).size === temperatures.length, 'every walker visits the lowest rung');

  // The same number of steps of plain dynamics at T₀ from the same start.
  const state = initState(well, Float64Array.of(1), sys.masses, T0, 3);
  const plain = run(well, baoab({ ...sys, temperature: T0 }), state, { steps, saveEvery: 10 });
  const plainUpper = plain.positions.reduce((s, x) => s + (x > 0 ? 1 : 0), 0) / plain.frames;
  assert.ok(plainUpper > 0.95 && exact < 0.2, `plain dynamics: P(x > 0) = ${plainUpper} (exact ${exact})`);
});

test('ExchangeLadder: alternate sweeps try the even and the odd pairs; a trade moves both walkers; round trips are counted', () => {
  const temperatures = [300, 400, 500];
  const ladder = new ExchangeLadder(temperatures, 1);
  // Equal energies: every exchange is accepted (log ratio 0).
  ladder.sweep([0, 0, 0]);
  assert.deepEqual([...ladder.rungOf], [1, 0, 2]);
  assert.deepEqual(ladder.stats().attempts, [1, 0]);
  ladder.sweep([0, 0, 0]);
  assert.deepEqual([...ladder.rungOf], [2, 0, 1]);
  assert.deepEqual([...ladder.walkerAt()], [1, 2, 0]);
  assert.deepEqual(ladder.stats().attempts, [1, 1]);
  // Walker 0 reached the top; three more sweeps bring it back to the bottom.
  for (let k = 0; k < 3; k++) ladder.sweep([0, 0, 0]);
  assert.equal(ladder.rungOf[0], 0);
  assert.equal(ladder.stats().roundTrips, 1);
  // A walker much higher in energy at the cold rung than the hot one's is always promoted; the
  // reverse is accepted with probability exp(−Δβ ΔU) ≈ 0 for ΔU = 1000 kJ/mol.
  const strict = new ExchangeLadder([300, 400], 2);
  strict.sweep([0, 1000]);
  assert.deepEqual([...strict.rungOf], [0, 1]);
  strict.sweep([0, 1000]);
  strict.sweep([1000, 0]);
  assert.deepEqual([...strict.rungOf], [1, 0]);
  assert.throws(() => strict.sweep([NaN, 0]), /walker 0 at 400\.0 K has energy NaN/);
});

test('ladders: geometric spacing; a ladder that does not rise, or has one rung, is refused', () => {
  const t = geometricLadder(300, 600, 4);
  assert.equal(t.length, 4);
  assert.ok(Math.abs(t[3] - 600) < 1e-9 && t[0] === 300);
  for (let k = 1; k < 3; k++) assert.ok(Math.abs(t[k + 1] / t[k] - t[1] / t[0]) < 1e-12);
  assert.throws(() => checkLadder([300]), /at least 2 temperatures/);
  assert.throws(() => checkLadder([300, 300]), /must rise .* 300 K follows 300 K/);
  assert.throws(() => checkLadder([300, -1]), /temperature 2 is -1/);
  assert.throws(() => geometricLadder(600, 300, 4), /0 < low < high/);
});
