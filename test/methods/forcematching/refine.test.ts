import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FourierDihedralPairs, FourierDihedrals, HarmonicAngles, HarmonicBonds } from 'cglab/cg/priors';
import { replicaFrames, simulateReplicas } from 'cglab/md/replicas';
import { dihedrals } from 'cglab/analysis/geometry';
import { loadRefinementRuns, poolRuns, reweightedCorrection, refineDihedrals, saveRefinementRuns } from 'cglab/methods/forcematching/refine';
import { histogram1d, histogram2d } from 'cglab/analysis/fes';
import { Random } from 'cglab/util/random';
import { EnergyModel } from 'cglab/nn/energyModel';
import { initBackend } from 'cglab/backend/select';

// A 4-bead chain whose only torsional term is U(φ) = 3 cos φ + 2 sin φ + 1.5 cos 3φ (kJ/mol).
// Its bonds and angles do not depend on φ, so the dihedral's distribution is exactly
// ∝ exp(−U(φ)/kT) and one round of Boltzmann inversion from a torsion-free model must recover U
// up to a constant.
const T = 300;
const quad = [0, 1, 2, 3] as const;
const trueCoefficients = [0, 3, 2, 0, 0, 1.5, 0];
const bonds = new HarmonicBonds([[0, 1], [1, 2], [2, 3]], [0.15, 0.15, 0.15], [2e4, 2e4, 2e4]);
const angles = new HarmonicAngles([[0, 1, 2], [1, 2, 3]], [1.9, 1.9], [300, 300]);
const masses = new Float64Array(4).fill(12);
const start = Float32Array.of(0, 0, 0, 0.15, 0, 0, 0.2, 0.14, 0, 0.35, 0.14, 0.02);

/** Angle wrapped into (−π, π]. */
const wrap = (a: number): number => a - 2 * Math.PI * Math.round(a / (2 * Math.PI));

/** n (φ, ψ) pairs, each Gaussian (0.35 rad) about the basin centre `centre` picks. */
function drawBasins(rng: Random, n: number, centre: () => [number, number]): [Float64Array, Float64Array] {
  const [phi, psi] = [new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const [cPhi, cPsi] = centre();
    phi[i] = wrap(cPhi + 0.35 * rng.normal());
    psi[i] = wrap(cPsi + 0.35 * rng.normal());
  }
  return [phi, psi];
}

/** Root mean square of `diff` about its mean (energies equal up to a constant). */
function rmsAboutMean(diff: number[]): number {
  const mean = diff.reduce((s, d) => s + d, 0) / diff.length;
  return Math.sqrt(diff.reduce((s, d) => s + (d - mean) ** 2, 0) / diff.length);
}

/** A Fourier series [c0, a1, b1, …] with 3 harmonics at angle a. */
const series3 = (c: number[], a: number): number => c[0] + [1, 2, 3].reduce((s, n) => s + c[2 * n - 1] * Math.cos(n * a) + c[2 * n] * Math.sin(n * a), 0);

test('dihedral refinement recovers the torsion a model lacks, to within sampling noise', async () => {
  await initBackend();
  const truth = new EnergyModel(4, { bonds, angles, torsion: new FourierDihedrals([quad], [trueCoefficients]) });
  const ref = await simulateReplicas(truth.asPotential('truth'), { starts: start, replicas: 100, masses, temperature: T, dt: 0.002, ps: 12, saveEveryPs: 0.1, seed: 3 });
  // Drop the first 2 ps of every replica (all started from one conformation).
  const skip = 20;
  const kept = ref.frames - skip;
  const reference = new Float32Array(ref.replicas * kept * 12);
  for (let r = 0; r < ref.replicas; r++) reference.set(ref.positions.subarray((r * ref.frames + skip) * 12, (r + 1) * ref.frames * 12), r * kept * 12);

  const bare = new EnergyModel(4, { bonds, angles });
  const res = await refineDihedrals(bare, [quad], { reference, masses, temperature: T, iterations: 1, replicas: 100, ps: 12, skipPs: 2, saveEveryPs: 0.1, seed: 5 });
  assert.deepEqual(Object.keys(res.model.terms), ['bonds', 'angles', 'dihedral-correction']);
  const [before, after] = res.divergence.map((d) => d[0]);
  assert.ok(before > 0.2 && after < before / 10, `KL of the dihedral's histogram: ${before} before, ${after} after`);
  // The correction against the true torsion, up to a constant, over the angles the reference visits
  // (U − U_min < 4 kT): sampling noise of ~12,000 correlated frames in 36 bins allows ~0.5 kJ/mol.
  const truthTerm = new FourierDihedrals([quad], [trueCoefficients]);
  const phis = Array.from({ length: 72 }, (_, i) => -Math.PI + (i + 0.5) * (Math.PI / 36));
  const uTrue = phis.map((p) => truthTerm.value(0, p));
  const min = Math.min(...uTrue);
  const visited = phis.map((_, i) => i).filter((i) => uTrue[i] - min < 4 * 2.494);
  const diff = visited.map((i) => res.correction.value(0, phis[i]) - uTrue[i]);
  const rms = rmsAboutMean(diff);
  assert.ok(rms < 0.5, `rms difference from the true torsion over ${visited.length} visited angles: ${rms} kJ/mol`);
  assert.deepEqual(res.runs.map((r) => r.coefficients), [[[0, 0, 0, 0, 0, 0, 0]], res.correction.coefficients]);
  assert.equal(res.reweighting[0].runs, 1);
  // A refined model refines further from its correction (no round here: the correction stays),
  // keeping the earlier runs for pooling.
  const again = await refineDihedrals(res.model, [quad], { reference, masses, temperature: T, iterations: 0, replicas: 4, ps: 2, skipPs: 1, saveEveryPs: 0.1, runs: res.runs });
  assert.deepEqual(again.correction.coefficients, res.correction.coefficients);
  assert.equal(again.runs.length, 3);
  // The as-trained run leaves the pool once there are runs of corrected models, unless pool is 'all'.
  const more = { reference, masses, temperature: T, iterations: 1, replicas: 20, ps: 4, skipPs: 1, saveEveryPs: 0.1, runs: res.runs };
  for (const [pool, pooled] of [['corrected', 2], ['all', 3], ['last', 1]] as const) {
    assert.equal((await refineDihedrals(res.model, [quad], { ...more, pool })).reweighting[0].runs, pooled, pool);
  }
  await assert.rejects(refineDihedrals(res.model, [quad], { ...more, pool: 'some' as 'all' }), /pool is "some", expected 'corrected', 'all' or 'last'/);
  // Without the check run, a round is one run and its correction.
  const unchecked = await refineDihedrals(res.model, [quad], { ...more, check: false });
  assert.deepEqual([unchecked.runs.length, unchecked.divergence.length, unchecked.reweighting.length], [3, 1, 1]);
  assert.deepEqual(unchecked.runs[2].coefficients, res.correction.coefficients);
  assert.notDeepEqual(unchecked.correction.coefficients, res.correction.coefficients);
  // untilKl: a run within it makes its round the last; none within it, every round runs.
  const close = await refineDihedrals(res.model, [quad], { ...more, iterations: 3, untilKl: 10, check: false });
  const far = await refineDihedrals(res.model, [quad], { ...more, iterations: 2, untilKl: 0 });
  assert.deepEqual([close.reweighting.length, close.runs.length - res.runs.length], [1, 1]);
  assert.deepEqual([far.reweighting.length, far.runs.length - res.runs.length], [2, 3]);
  // Saved and loaded (another session's refinement pools them the same way).
  const dir = mkdtempSync(join(tmpdir(), 'cglab-refine-'));
  try {
    saveRefinementRuns(join(dir, 'runs.npz'), again.runs);
    assert.deepEqual(loadRefinementRuns(join(dir, 'runs.npz')), again.runs);
  } finally {
    rmSync(dir, { recursive: true });
  }
  await assert.rejects(refineDihedrals(res.model, [quad], { reference, masses, temperature: T, runs: [{ ...res.runs[0], coefficients: [[0, 0, 0]] }] }),
    /runs\[0\] holds 1 dihedrals, 1 series and 0 pair couplings; expected 1 dihedrals with 7 coefficients each and 0 pairs with 16/);
  assert.deepEqual(Object.keys(again.model.terms), ['bonds', 'angles', 'dihedral-correction']);
  await assert.rejects(refineDihedrals(res.model, [quad], { reference, masses, temperature: T, harmonics: 2 }), /the model's dihedral-correction term is not a 2-harmonic Fourier series on these quads/);
  // Stopped halfway through the second run: the first round's correction and both runs' frames are kept.
  const ac = new AbortController();
  const cut = await refineDihedrals(bare, [quad], {
    reference, masses, temperature: T, iterations: 2, replicas: 20, ps: 4, skipPs: 1, saveEveryPs: 0.1, seed: 7, signal: ac.signal,
    onProgress: (round, done, total) => {
      if (round === 1 && done >= total / 2) ac.abort();
    },
  });
  assert.equal(cut.interrupted, true);
  assert.deepEqual([cut.runs.length, cut.reweighting.length, cut.divergence.length], [2, 1, 2]);
  const [full, partial] = cut.runs.map((r) => r.angles[0].length);
  assert.ok(partial > 0 && partial < full, `frames kept: ${full} of the first run, ${partial} of the stopped one`);
  assert.deepEqual(Object.keys(cut.model.terms), ['bonds', 'angles', 'dihedral-correction']);
  // Runs too short to fill the histogram: a clear error, not a wild correction.
  await assert.rejects(refineDihedrals(bare, [quad], { reference, masses, temperature: T, replicas: 2, ps: 0.3, skipPs: 0.1, saveEveryPs: 0.1 }),
    /round 0, dihedral \(0, 1, 2, 3\): the reference and the CG run share \d+ histogram bins, too few for 7 coefficients; run longer or use fewer harmonics/);
});

// A 5-bead chain whose torsional energy couples its two dihedrals: U(φ, ψ) = U₁(φ) + U₂(ψ) +
// U₁₂(φ, ψ). As above, the joint distribution of (φ, ψ) is exactly ∝ exp(−U/kT), so one round
// from a torsion-free model must recover all of U up to a constant, couplings included.
test('dihedral refinement recovers coupled torsions, pairing consecutive dihedrals by default', async () => {
  await initBackend();
  const quads = [[0, 1, 2, 3], [1, 2, 3, 4]] as const;
  const chainBonds = new HarmonicBonds([[0, 1], [1, 2], [2, 3], [3, 4]], [0.15, 0.15, 0.15, 0.15], [2e4, 2e4, 2e4, 2e4]);
  const chainAngles = new HarmonicAngles([[0, 1, 2], [1, 2, 3], [2, 3, 4]], [1.9, 1.9, 1.9], [300, 300, 300]);
  const torsions = new FourierDihedrals(quads, [[0, 2, 1, 0, 0, 1, 0], [0, -1, 2, 1, 0, 0, 0]]);
  const coupling = new FourierDihedralPairs([quads], [[1.5, 0, 0, 2, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
  const truth = new EnergyModel(5, { bonds: chainBonds, angles: chainAngles, torsions, coupling });
  const chainMasses = new Float64Array(5).fill(12);
  const chainStart = Float32Array.of(0, 0, 0, 0.15, 0, 0, 0.2, 0.14, 0, 0.35, 0.14, 0.02, 0.4, 0.28, 0.06);
  const ref = await simulateReplicas(truth.asPotential('truth'), { starts: chainStart, replicas: 100, masses: chainMasses, temperature: T, dt: 0.002, ps: 12, saveEveryPs: 0.1, seed: 4 });
  const reference = replicaFrames(ref, 20);
  const bare = new EnergyModel(5, { bonds: chainBonds, angles: chainAngles });
  const res = await refineDihedrals(bare, quads, { reference, masses: chainMasses, temperature: T, iterations: 1, replicas: 100, ps: 12, skipPs: 2, saveEveryPs: 0.1, seed: 6 });
  assert.deepEqual(Object.keys(res.model.terms), ['bonds', 'angles', 'dihedral-correction', 'dihedral-pair-correction']);
  assert.deepEqual(res.pairCorrection?.pairs, [quads.map((q) => [...q])]);
  const [before, after] = res.pairDivergence.map((d) => d[0]);
  assert.ok(before > 0.2 && after < before / 5, `KL of the pair's 2-D histogram: ${before} before, ${after} after`);
  // The whole correction against the true torsional energy over the reference's frames, up to a
  // constant: ~10,000 correlated frames spread over a 24 × 24 histogram leave ~0.5 kJ/mol of noise.
  const [phi, psi] = quads.map((q) => dihedrals(reference, 5, q));
  const diff = Array.from(phi, (p, i) => res.correction.value(0, p) + res.correction.value(1, psi[i]) + res.pairCorrection!.value(0, p, psi[i])
    - (torsions.value(0, p) + torsions.value(1, psi[i]) + coupling.value(0, p, psi[i])));
  const rms = rmsAboutMean(diff);
  assert.ok(rms < 0.6, `rms difference from the true torsional energy over the reference frames: ${rms} kJ/mol`);
  await assert.rejects(refineDihedrals(res.model, quads, { reference, masses: chainMasses, temperature: T, pairs: [] }), /the model's dihedral-pair-correction term does not couple these pairs \(\[\]\) with 2 harmonics/);
  await assert.rejects(refineDihedrals(bare, quads, { reference, masses: chainMasses, temperature: T, pairs: [[0, 2]] }), /pair \[0, 2\] must name two different dihedrals by their index in quads \(0 to 1\)/);
});

// Two dihedrals that change together, like alanine dipeptide's φ and ψ between its αR and β
// basins: a "CG run" from basins A (φ, ψ) ≈ (−1.2, −0.7), 70 %, and B ≈ (−2.4, 2.4), 30 %,
// and a reference that is the same distribution times exp(−(V₁(φ) + V₂(ψ))/kT).
test('the reweighted correction recovers biases on correlated dihedrals, where one plain IBI step double counts', () => {
  const rng = new Random(11);
  const draw = (n: number) => drawBasins(rng, n, () => (rng.uniform() < 0.7 ? [-1.2, -0.7] : [-2.4, 2.4]));
  const kTValue = 2.494;
  const v1 = (phi: number): number => 1.5 * Math.sin(phi);
  const v2 = (psi: number): number => 2 * Math.cos(psi) + Math.sin(2 * psi);
  const run = draw(100_000);
  // The reference by rejection from a larger draw (accept ∝ exp(−V/kT); V ≥ −4.5 kJ/mol).
  const pool = draw(400_000);
  const keep = pool[0].map((phi, i) => (rng.uniform() < Math.exp(-(v1(phi) + v2(pool[1][i]) + 4.5) / kTValue) ? 1 : 0));
  const reference = pool.map((a) => a.filter((_, i) => keep[i] === 1));
  const grid = { min: -Math.PI, max: Math.PI, bins: 36 };
  const refCounts = reference.map((a) => histogram1d(a, grid));
  const o = { quads: [[0, 1, 2, 3], [1, 2, 3, 4]] as const, round: 0, kT: kTValue, harmonics: 3, bins: 36 };
  const ratio = (phi: Float64Array, psi: Float64Array, bias?: number[][]): number => {
    let [a, b] = [0, 0];
    phi.forEach((p, i) => {
      const w = bias ? Math.exp(-(series3(bias[0], p) + series3(bias[1], psi[i])) / kTValue) : 1;
      if (psi[i] < 0.85) a += w;
      else b += w;
    });
    return a / b;
  };
  const target = ratio(reference[0], reference[1]);
  const res = reweightedCorrection(run, refCounts, o);
  assert.ok(res.sweeps < 200, `converged in ${res.sweeps} sweeps`);
  assert.ok(res.effectiveFraction > 0.5 && res.effectiveFraction < 1, `effective fraction ${res.effectiveFraction}`);
  // Each series against its bias, up to a constant, weighted by where the run has samples:
  // ~100,000 frames in 36 bins leave ~0.05 kJ/mol of noise where it counts; 0.15 kJ/mol allowed.
  [v1, v2].forEach((v, k) => {
    const diff = Array.from(run[k], (a) => series3(res.delta[k], a) - v(a));
    const rms = rmsAboutMean(diff);
    assert.ok(rms < 0.15, `dihedral ${k}: rms difference from its bias ${rms} kJ/mol`);
  });
  const reweighted = ratio(run[0], run[1], res.delta);
  assert.ok(Math.abs(Math.log(reweighted / target)) < 0.05, `A/B ${reweighted} after the correction, reference ${target}`);
  // Plain IBI corrects each marginal from the unweighted run: both steps move the A/B ratio, so it overshoots.
  const plain = [0, 1].map((k) => reweightedCorrection([run[k]], [refCounts[k]], { ...o, quads: [o.quads[k]], maxSweeps: 1 }).delta[0]);
  const before = Math.log(ratio(run[0], run[1]) / target);
  const gain = (before - Math.log(ratio(run[0], run[1], plain) / target)) / before;
  assert.ok(gain > 1.5, `one plain IBI step moves ln(A/B) by ${gain} times the error`);
});

// Four basins at φ ∈ {−1.2, −2.4} × ψ ∈ {−0.7, 2.4}, and a reference that differs from them by a
// coupling as well: marginals cannot say how much of the population sits on the diagonal
// (A: φ ≈ −1.2 with ψ ≈ −0.7, or φ ≈ −2.4 with ψ ≈ 2.4); the pair's 2-D histogram can.
test('pair couplings recover a bias on the joint distribution of two dihedrals, which marginals cannot', () => {
  const rng = new Random(12);
  const draw = (n: number) => drawBasins(rng, n, () => [rng.uniform() < 0.5 ? -1.2 : -2.4, rng.uniform() < 0.5 ? -0.7 : 2.4]);
  const kTValue = 2.494;
  const coupling = new FourierDihedralPairs([[[0, 1, 2, 3], [1, 2, 3, 4]]], [[1, 0, 0, 2.5, 0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
  const bias = (phi: number, psi: number): number => 1.5 * Math.sin(phi) + Math.cos(psi) + coupling.value(0, phi, psi);
  const run = draw(100_000);
  const pool = draw(400_000);
  const keep = pool[0].map((phi, i) => (rng.uniform() < Math.exp(-(bias(phi, pool[1][i]) + 6) / kTValue) ? 1 : 0));
  const reference = pool.map((a) => a.filter((_, i) => keep[i] === 1));
  const [grid, pairGrid] = [{ min: -Math.PI, max: Math.PI, bins: 36 }, { min: -Math.PI, max: Math.PI, bins: 24 }];
  const o = {
    quads: [[0, 1, 2, 3], [1, 2, 3, 4]] as const, round: 0, kT: kTValue, harmonics: 3, bins: 36,
    refPairCounts: [histogram2d(reference[0], reference[1], pairGrid, pairGrid)],
  };
  const refCounts = reference.map((a) => histogram1d(a, grid));
  const diagonal = (phi: Float64Array, psi: Float64Array, w?: (i: number) => number): number => {
    let [on, all] = [0, 0];
    phi.forEach((p, i) => {
      const weight = w ? w(i) : 1;
      all += weight;
      if ((p > -1.8) === (psi[i] < 0.85)) on += weight;
    });
    return on / all;
  };
  const target = diagonal(reference[0], reference[1]);
  const correctionAt = (res: ReturnType<typeof reweightedCorrection>, i: number): number => series3(res.delta[0], run[0][i]) + series3(res.delta[1], run[1][i])
    + (res.pairDelta.length > 0 ? new FourierDihedralPairs([[[0, 1, 2, 3], [1, 2, 3, 4]]], res.pairDelta).value(0, run[0][i], run[1][i]) : 0);
  const withPair = reweightedCorrection(run, refCounts, { ...o, pairs: [[0, 1]] });
  assert.equal(withPair.pairDelta[0].length, 16);
  // The whole correction against the whole bias, up to a constant, over the run's frames (0.15 kJ/mol as above).
  const diff = Array.from(run[0], (phi, i) => correctionAt(withPair, i) - bias(phi, run[1][i]));
  const rms = rmsAboutMean(diff);
  assert.ok(rms < 0.15, `rms difference from the bias ${rms} kJ/mol after ${withPair.sweeps} sweeps`);
  const reweighted = diagonal(run[0], run[1], (i) => Math.exp(-correctionAt(withPair, i) / kTValue));
  assert.ok(Math.abs(reweighted - target) < 0.01, `diagonal population ${reweighted} with the pair, reference ${target}`);
  const marginalsOnly = reweightedCorrection(run, refCounts, o);
  const missed = diagonal(run[0], run[1], (i) => Math.exp(-correctionAt(marginalsOnly, i) / kTValue));
  assert.ok(Math.abs(missed - target) > 0.04, `diagonal population ${missed} from the marginals alone, reference ${target}`);
  assert.throws(() => reweightedCorrection(run, refCounts, { ...o, pairs: [[0, 1]], refPairCounts: [] }), /1 pairs need as many reference pair histograms, got 0/);
});

// Pooling: a run of the bare model and a run of a model with a correction c₁ already applied
// (the basins of the test above, drawn by rejection with exp(−c₁/kT)), and the reference with
// exp(−V/kT). Reweighted to the second model by MBAR, both runs together must give the step
// V − c₁; concatenated without the bias they give a mixture's step, off by ~c₁/2.
test('runs of models with different corrections pool into one correction by MBAR', () => {
  const rng = new Random(13);
  const kTValue = 2.494;
  const draw = (n: number) => drawBasins(rng, n, () => (rng.uniform() < 0.7 ? [-1.2, -0.7] : [-2.4, 2.4]));
  /** n frames of the basins times exp(−(u(φ, ψ) − floor)/kT), by rejection (u ≥ floor). */
  const drawBiased = (n: number, u: (phi: number, psi: number) => number, floor: number): Float64Array[] => {
    const pool = draw(n);
    const keep = pool[0].map((phi, i) => (rng.uniform() < Math.exp(-(u(phi, pool[1][i]) - floor) / kTValue) ? 1 : 0));
    return pool.map((a) => a.filter((_, i) => keep[i] === 1));
  };
  const c1 = [[0, 0.8, 0.6, 0, 0, 0, 0], [0, 1, 0, 0, 0.5, 0, 0]];
  const v = [[0, 0, 1.5, 0, 0, 0, 0], [0, 2, 0, 0, 1, 0, 0]];
  const energy = (c: number[][]) => (phi: number, psi: number): number => series3(c[0], phi) + series3(c[1], psi);
  const runs = [
    { angles: draw(40_000), coefficients: [[0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]], pairCoefficients: [] },
    { angles: drawBiased(80_000, energy(c1), -2.5), coefficients: c1, pairCoefficients: [] },
  ];
  const reference = drawBiased(400_000, energy(v), -4.5);
  const grid = { min: -Math.PI, max: Math.PI, bins: 36 };
  const refCounts = reference.map((a) => histogram1d(a, grid));
  const quads = [[0, 1, 2, 3], [1, 2, 3, 4]] as const;
  const o = { quads, round: 1, kT: kTValue, harmonics: 3, bins: 36 };
  assert.equal(poolRuns(runs.slice(1), quads, { kT: kTValue }).bias, undefined);
  const pooled = poolRuns(runs, quads, { kT: kTValue });
  assert.equal(pooled.angles[0].length, runs[0].angles[0].length + runs[1].angles[0].length);
  // The step against V − c₁, up to a constant, over the reference's frames: ~60,000 frames in
  // 36 bins leave ~0.05 kJ/mol where it counts; 0.15 kJ/mol allowed, as above.
  const miss = (delta: number[][]): number => rmsAboutMean(Array.from(reference[0], (phi, i) => {
    const psi = reference[1][i];
    return series3(delta[0], phi) + series3(delta[1], psi) - (energy(v)(phi, psi) - energy(c1)(phi, psi));
  }));
  const step = reweightedCorrection(pooled.angles, refCounts, { ...o, bias: pooled.bias });
  assert.ok(miss(step.delta) < 0.15, `pooled step: rms ${miss(step.delta)} kJ/mol from V − c₁`);
  const unweighted = reweightedCorrection(pooled.angles, refCounts, o);
  assert.ok(miss(unweighted.delta) > 0.3, `the runs concatenated without MBAR: rms ${miss(unweighted.delta)} kJ/mol from V − c₁`);
  assert.throws(() => reweightedCorrection(pooled.angles, refCounts, { ...o, bias: new Float64Array(3) }), /bias holds 3 frames, the samples \d+/);
});
