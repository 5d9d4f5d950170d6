import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HarmonicAngles, HarmonicBonds, PeriodicTorsions } from 'cglab/physics/bonded';

// A bent, twisted four-atom molecule, then the same with its atoms moved by whole box vectors:
// with the box, bonds, angles and torsions see minimum images, so energies and forces must not
// change (to rounding).
test('HarmonicBonds, HarmonicAngles and PeriodicTorsions with a box: whole-box shifts of atoms change nothing', () => {
  const box: [number, number, number] = [2, 2.5, 3];
  const x = Float64Array.of(1.0, 1.2, 1.4, 1.26, 1.21, 1.38, 1.35, 1.43, 1.5, 1.6, 1.47, 1.33);
  const shifted = Float64Array.from(x);
  shifted[0] += 2;
  shifted[4] -= 2.5;
  shifted[8] += 6;
  shifted[9] -= 4;
  shifted[11] += 3;
  const bonds = [{ atoms: [0, 1] as [number, number], length: 0.25, k: 2e4 }, { atoms: [1, 2] as [number, number], length: 0.22, k: 1e4 }];
  const angles = [{ atoms: [0, 1, 2] as [number, number, number], angle: 2.0, k: 100 }];
  // Two periodicities with a phase, so the energy and every atom's force are non-zero.
  const torsions = [
    { atoms: [0, 1, 2, 3] as [number, number, number, number], periodicity: 1, phase: 0.3, k: 5 },
    { atoms: [0, 1, 2, 3] as [number, number, number, number], periodicity: 3, phase: 0, k: 2 },
  ];
  for (const make of [() => new HarmonicBonds(bonds, box), () => new HarmonicAngles(angles, box), () => new PeriodicTorsions(torsions, box)]) {
    const fa = new Float64Array(12);
    const fb = new Float64Array(12);
    const ea = make().accumulate(x, 0, fa);
    const eb = make().accumulate(shifted, 0, fb);
    assert.ok(ea > 0.01, `a strained molecule: energy ${ea}`);
    assert.ok(Math.abs(ea - eb) < 1e-9 * ea, `energy ${ea} vs ${eb}`);
    fa.forEach((v, i) => assert.ok(Math.abs(v - fb[i]) < 1e-8 * (1 + Math.abs(v)), `force ${i}: ${v} vs ${fb[i]}`));
  }
  // Without the box the shifted molecule is torn apart: the test can tell.
  const torn = new HarmonicBonds(bonds).accumulate(shifted, 0, new Float64Array(12));
  assert.ok(torn > 1e3 * new HarmonicBonds(bonds).accumulate(x, 0, new Float64Array(12)));
  const fa = new Float64Array(12);
  const fb = new Float64Array(12);
  new PeriodicTorsions(torsions).accumulate(x, 0, fa);
  new PeriodicTorsions(torsions).accumulate(shifted, 0, fb);
  assert.ok(fa.some((v, i) => Math.abs(v - fb[i]) > 1e-3 * (1 + Math.abs(v))), 'torsion forces without the box did not change');
});
