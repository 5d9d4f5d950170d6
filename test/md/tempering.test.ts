import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextTemperingFactor, Plateau, temperingEss } from 'cglab/md/tempering';
import { Random } from 'cglab/util/random';

/** n draws of βU ~ N(m, s²). */
function normalBetaU(n: number, m: number, s: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n }, () => m + s * rng.normal());
}

// βU ~ N(m, s²): the weights w = exp(−Δ βU) are log-normal, so the Kish ESS fraction
// (E w)² / E w² = exp(−2Δm + Δ²s²) / exp(−2Δm + 2Δ²s²) = exp(−Δ²s²), whatever m is.
const m = 50;
const s = 10;
const betaU = normalBetaU(20000, m, s, 3);

test('temperingEss: Kish ESS of exp(−Δ βU) over normal βU is exp(−Δ² s²)', () => {
  // The estimate of E w² has relative standard error √((exp(4Δ²s²) − 1) / n): 0.3 %, 1.4 % and
  // 2.7 % at Δs = 0.3, 0.6, 0.83 for n = 20000; 6 % is more than 2σ at the largest.
  for (const ds of [0.3, 0.6, 0.83]) {
    const a = 0.2;
    const next = a + ds / s;
    const exact = Math.exp(-ds * ds);
    const ess = temperingEss(betaU, a, next);
    assert.ok(Math.abs(ess / exact - 1) < 0.06, `Δs = ${ds}: ESS ${ess}, exact ${exact}`);
  }
  // No step keeps every sample at full weight; the ESS depends on Δ, not on a itself.
  assert.ok(Math.abs(temperingEss(betaU, 0.3, 0.3) - 1) < 1e-9);
  assert.ok(Math.abs(temperingEss(betaU, 0.5, 0.55) - temperingEss(betaU, 0.1, 0.15)) < 1e-9);
});

test('nextTemperingFactor at targetEss 0.5 steps by Δ = √(ln 2)/s, capped by maxFactor·a and by end', () => {
  const a = 0.1;
  const r = nextTemperingFactor(betaU, a, { targetEss: 0.5 });
  const want = Math.sqrt(Math.LN2) / s;
  // A 2.7 % error of the ESS estimate near ESS 0.5 moves Δ by 2.7 % / (2 ln 2) ≈ 2 %; 5 % is 2.5σ.
  assert.ok(Math.abs((r.a - a) / want - 1) < 0.05, `a' − a = ${r.a - a}, analytic ${want}`);
  // The bisection lands on the target ESS (60 halvings: the step is resolved far below 1e-9).
  assert.ok(Math.abs(r.ess - 0.5) < 1e-6, `ESS at a' = ${r.ess}`);
  assert.ok(r.a > a && r.a < 1);
  // A higher target keeps more samples: a shorter step.
  const strict = nextTemperingFactor(betaU, a, { targetEss: 0.9 });
  assert.ok(strict.a < r.a, `targetEss 0.9 gave ${strict.a}, 0.5 gave ${r.a}`);
  assert.ok(Math.abs((strict.a - a) / (Math.sqrt(-Math.log(0.9)) / s) - 1) < 0.05);

  // Narrow βU (s = 0.01: Δ = 83 at ESS 0.5) lets any step through: the caps decide.
  const narrow = normalBetaU(20000, m, 0.01, 4);
  const capped = nextTemperingFactor(narrow, 0.01, { maxFactor: 10 });
  assert.equal(capped.a, 0.1);
  assert.ok(capped.ess >= 0.5);
  assert.equal(nextTemperingFactor(narrow, 0.01, { maxFactor: 3 }).a, 0.03);
  assert.equal(nextTemperingFactor(narrow, 0.5).a, 1);
  assert.equal(nextTemperingFactor(narrow, 0.1, { end: 0.4 }).a, 0.4);
  // And a step the cap would allow is refused when the ESS would fall below the target.
  assert.ok(nextTemperingFactor(betaU, 0.5).a < 1);
});

test('nextTemperingFactor refuses a ≤ 0, a ≥ end and a targetEss outside (0, 1)', () => {
  for (const a of [0, -0.1, NaN]) assert.throws(() => nextTemperingFactor(betaU, a), /nextTemperingFactor: a = .*, expected 0 < a < 1/);
  assert.throws(() => nextTemperingFactor(betaU, 1), /a = 1, expected 0 < a < 1/);
  assert.throws(() => nextTemperingFactor(betaU, 1.5), /a = 1\.5, expected 0 < a < 1/);
  assert.throws(() => nextTemperingFactor(betaU, 0.5, { end: 0.5 }), /a = 0\.5, expected 0 < a < 0\.5/);
  for (const t of [0, 1, 1.5, -0.2]) assert.throws(() => nextTemperingFactor(betaU, 0.1, { targetEss: t }), /targetEss = .*, expected a fraction in \(0, 1\)/);
  assert.throws(() => nextTemperingFactor(betaU, 0.1, { maxFactor: 1 }), /maxFactor = 1, expected > 1/);
});

test('Plateau: a steadily falling noisy loss is never settled, a flat one is settled after two windows', () => {
  const w = 20;
  const rng = new Random(5);
  // Falling by 0.5 per step with noise σ = 1: the window means differ by 10, their standard
  // errors are ~0.7 each (trend within the window plus noise), far from the 2σ threshold.
  const falling = new Plateau(w);
  for (let k = 0; k < 10 * w; k++) assert.equal(falling.push(100 - 0.5 * k + rng.normal()), false, `settled at step ${k + 1}`);
  assert.equal(falling.count, 10 * w);
  // Mean of the last window: 100 − 0.5 · (mean of 180..199) = 5.25, ± σ/√20 ≈ 0.22 (4σ: 0.9).
  assert.ok(Math.abs(falling.lastMean() - 5.25) < 0.9, `last mean ${falling.lastMean()}`);

  // Flat with noise σ = 1: nothing before two windows are full, then settled at exactly 2w
  // (the chance that a flat sequence looks like a decrease of 2σ is 2 %; the seed is fixed).
  const flat = new Plateau(w);
  assert.ok(Number.isNaN(flat.lastMean()));
  for (let k = 1; k < 2 * w; k++) assert.equal(flat.push(3 + rng.normal()), false, `settled at ${k} < 2 windows`);
  assert.equal(flat.push(3 + rng.normal()), true);
  assert.ok(Math.abs(flat.lastMean() - 3) < 1, `last mean ${flat.lastMean()}`);
  // Between window ends it answers false, even when flat.
  assert.equal(flat.push(3), false);
  flat.reset();
  assert.equal(flat.count, 0);
  assert.ok(Number.isNaN(flat.lastMean()));
  // After reset it waits for two new windows again.
  for (let k = 1; k < 2 * w; k++) assert.equal(flat.push(3 + rng.normal()), false);
});

test('Plateau: a rising loss counts as settled (the ladder moves on), and rise() measures it against the lowest window', () => {
  const w = 20;
  const rng = new Random(6);
  const rising = new Plateau(w);
  let settled = 0;
  for (let k = 0; k < 6 * w; k++) if (rising.push(10 + 0.5 * k + rng.normal())) settled++;
  assert.equal(settled, 5, 'settled at every window end from the second on');
  const r = rising.rise();
  // Lowest window: the first (mean 10 + 0.5·9.5 = 14.75), last: 10 + 0.5·109.5 = 64.75.
  assert.ok(r && Math.abs(r.lowest - 14.75) < 1 && Math.abs(r.rise - 50) < 1.5 && r.z > 20, JSON.stringify(r));
  const flat = new Plateau(w);
  for (let k = 0; k < 4 * w; k++) flat.push(rng.normal());
  assert.ok(Math.abs((flat.rise() as { z: number }).z) < 4, 'a flat loss has no significant rise');
  assert.equal(new Plateau(w).rise(), undefined);
});

test('Plateau refuses a window below 2 or not an integer', () => {
  for (const w of [1, 0, -3, 2.5, NaN]) assert.throws(() => new Plateau(w), /Plateau: window must be an integer ≥ 2, got/);
  assert.doesNotThrow(() => new Plateau(2));
});
