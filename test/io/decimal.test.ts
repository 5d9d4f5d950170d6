import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDecimal } from 'cglab/io/decimal';

test('plain decimals are read, with spaces around them', () => {
  assert.equal(parseDecimal('  -12.345 '), -12.345);
  assert.equal(parseDecimal('+.5'), 0.5);
  assert.equal(parseDecimal('7.'), 7);
  assert.equal(parseDecimal('1e-3'), 0.001);
  assert.equal(parseDecimal('2.5E+2'), 250);
});

test('anything else is NaN, not a silent number', () => {
  for (const bad of ['', '   ', '12.3a4', '0x1A', 'Infinity', '-inf', 'NaN', '1.2.3', '1 2', '--1', 'e5']) {
    assert.ok(Number.isNaN(parseDecimal(bad)), `'${bad}' should not parse`);
  }
});
