import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALANINE_DIPEPTIDE_PHI, ALANINE_DIPEPTIDE_PSI, alanineDipeptideTopology, buildAlanineDipeptide } from 'cglab/datasets/alanineDipeptide';
import { angle, chiralVolume, dihedral, distance } from 'cglab/analysis/geometry';

const top = alanineDipeptideTopology();
const idx = (res: string, name: string) => top.atoms.findIndex((a) => a.residue === res && a.name === name);

test('22 atoms, 21 bonds, AMBER names, ACE-ALA-NME, 144.17 amu', () => {
  assert.equal(top.atoms.length, 22);
  assert.equal(top.bonds.length, 21);
  assert.deepEqual([...new Set(top.atoms.map((a) => a.residue))], ['ACE', 'ALA', 'NME']);
  const mass = top.atoms.reduce((s, a) => s + a.mass, 0);
  assert.ok(Math.abs(mass - 144.17) < 0.01, `${mass}`);
});

test('built with the requested φ/ψ, trans peptide bonds and standard bond lengths', () => {
  for (const [phi, psi] of [[-80, 150], [-63, -41], [60, 45]]) {
    const x = buildAlanineDipeptide(phi, psi);
    assert.ok(Math.abs((dihedral(x, ...ALANINE_DIPEPTIDE_PHI) * 180) / Math.PI - phi) < 1e-9);
    assert.ok(Math.abs((dihedral(x, ...ALANINE_DIPEPTIDE_PSI) * 180) / Math.PI - psi) < 1e-9);
    const omega = (dihedral(x, idx('ACE', 'CH3'), idx('ACE', 'C'), idx('ALA', 'N'), idx('ALA', 'CA')) * 180) / Math.PI;
    assert.ok(Math.abs(Math.abs(omega) - 180) < 1e-9);
    assert.ok(Math.abs(distance(x, idx('ALA', 'N'), idx('ALA', 'CA')) - 0.1449) < 1e-12);
    assert.ok(Math.abs((angle(x, idx('ALA', 'N'), idx('ALA', 'CA'), idx('ALA', 'C')) * 180) / Math.PI - 110.1) < 1e-9);
  }
});

test('L-alanine: chiral volume (N−CA)·((C−CA)×(CB−CA)) is positive, as for the ALA residues of OpenMM\'s test.pdb', () => {
  const x = buildAlanineDipeptide();
  assert.ok(chiralVolume(x, idx('ALA', 'CA'), idx('ALA', 'N'), idx('ALA', 'C'), idx('ALA', 'CB')) > 0);
});

test('no two non-bonded atoms closer than 0.15 nm', () => {
  const x = buildAlanineDipeptide();
  const bonded = new Set(top.bonds.map(([i, j]) => `${i},${j}`));
  for (let i = 0; i < 22; i++) for (let j = i + 1; j < 22; j++) {
    if (!bonded.has(`${i},${j}`)) assert.ok(distance(x, i, j) > 0.15, `${i}-${j}`);
  }
});

test('basins: C5, C7eq/PPII, αR and φ > 0 on their textbook (φ, ψ)', async () => {
  const { alanineBasin, alanineBasinPopulations } = await import('cglab/datasets/alanineDipeptide');
  assert.equal(alanineBasin(-150, 155), 'C5');
  assert.equal(alanineBasin(-75, 145), 'C7eq/PPII');
  assert.equal(alanineBasin(-83, 75), 'C7eq/PPII');
  assert.equal(alanineBasin(-65, -40), 'alphaR');
  assert.equal(alanineBasin(-80, -170), 'C7eq/PPII');
  assert.equal(alanineBasin(60, 40), 'phi>0');
  const pop = alanineBasinPopulations([-150, -65, -65, 60], [155, -40, -30, 40]);
  assert.deepEqual(pop, { C5: 0.25, 'C7eq/PPII': 0, alphaR: 0.5, 'phi>0': 0.25 });
});

test('basin populations refuse radians passed for degrees, and φ/ψ of different lengths', async () => {
  const { alanineBasinPopulations } = await import('cglab/datasets/alanineDipeptide');
  const { degrees } = await import('cglab/units');
  // 100 frames spread over the Ramachandran plane, in radians.
  const phi = Float64Array.from({ length: 100 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 100);
  const psi = Float64Array.from({ length: 100 }, (_, i) => Math.PI - (2 * Math.PI * i) / 100);
  assert.throws(() => alanineBasinPopulations(phi, psi), /look like radians; pass degrees/);
  const pop = alanineBasinPopulations(degrees(phi), degrees(psi));
  assert.ok(Math.abs(Object.values(pop).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.ok(pop['phi>0'] > 0.4 && pop.alphaR > 0.1, JSON.stringify(pop));
  assert.throws(() => alanineBasinPopulations([-60, -70], [-40]), /φ has 2 values but ψ has 1/);
});
