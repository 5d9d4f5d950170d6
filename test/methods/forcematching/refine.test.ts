import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FourierDihedrals, HarmonicAngles, HarmonicBonds } from 'cglab/cg/priors';
import { simulateReplicas } from 'cglab/md/replicas';
import { refineDihedrals } from 'cglab/methods/forcematching/refine';
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
  const mean = diff.reduce((s, v) => s + v, 0) / diff.length;
  const rms = Math.sqrt(diff.reduce((s, v) => s + (v - mean) ** 2, 0) / diff.length);
  assert.ok(rms < 0.5, `rms difference from the true torsion over ${visited.length} visited angles: ${rms} kJ/mol`);
  await assert.rejects(refineDihedrals(res.model, [quad], { reference, masses, temperature: T }), /already has a dihedral-correction term/);
  // Runs too short to fill the histogram: a clear error, not a wild correction.
  await assert.rejects(refineDihedrals(bare, [quad], { reference, masses, temperature: T, replicas: 2, ps: 0.3, skipPs: 0.1, saveEveryPs: 0.1 }),
    /round 0, dihedral \(0, 1, 2, 3\): the reference and the CG run share \d+ histogram bins, too few for 3 harmonics; run longer or use fewer harmonics/);
});
