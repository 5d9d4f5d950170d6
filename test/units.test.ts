import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOLTZMANN, kT, toInternal, unitFactors, INTERNAL_UNITS } from 'cglab/units';

test('kT at 300 K is 2.494 kJ/mol', () => {
  assert.ok(Math.abs(kT(300) - 2.4943387854) < 1e-9);
  assert.equal(BOLTZMANN * 1000, 8.314462618);
});

test('kT rejects non-positive temperatures', () => {
  assert.throws(() => kT(0), /positive finite number of kelvin/);
  assert.throws(() => kT(Number.NaN), /kelvin/);
});

test('conversions at the edges: Å→nm, kcal→kJ, kcal/mol/Å→kJ/mol/nm', () => {
  assert.equal(toInternal('length', 'Angstrom'), 0.1);
  assert.equal(toInternal('energy', 'kcal/mol'), 4.184);
  assert.ok(Math.abs(toInternal('force', 'kcal/mol/Å') - 41.84) < 1e-12);
  assert.equal(toInternal('time', 'fs'), 1e-3);
});

test('unknown units name the quantity, the unit and what is accepted', () => {
  assert.throws(() => toInternal('length', 'furlong'), /unknown length unit 'furlong': expected one of nm, angstrom/);
  assert.throws(() => unitFactors({ energy: 'eV' }, 'x.npz'), /x\.npz: units\.energy: unknown energy unit 'eV'/);
  assert.throws(() => unitFactors({ length: 3 as unknown as string }, 'x.npz'), /units\.length must be a string/);
});

test('missing quantities default to internal units', () => {
  const f = unitFactors({ length: 'angstrom' }, 'x');
  assert.equal(f.length, 0.1);
  assert.equal(f.force, 1);
  assert.equal(INTERNAL_UNITS.length, 'nm');
});
