import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dihedral, distance } from 'cglab/analysis/geometry';
import { internalBasis } from 'cglab/cg/internalBasis';
import { basisPotential } from 'cglab/physics/basisPotential';
import { Random } from 'cglab/util/random';

// Five beads in a zig-zag chain, jittered.
const rng = new Random(2);
const x = Float64Array.from({ length: 15 }, (_, i) => [0, 0, 0, 0.15, 0, 0, 0.2, 0.14, 0, 0.35, 0.15, 0.05, 0.4, 0.28, 0.12][i] + 0.01 * rng.normal());
const basis = internalBasis(5, [
  { kind: 'bond', beads: [0, 1], q0: 0.15, scale: 0.01 },
  { kind: 'angle', beads: [0, 1, 2], q0: 1.9, scale: 0.1 },
  { kind: 'dihedral', beads: [0, 1, 2, 3], order: 3 },
  { kind: 'dihedralPair', a: [0, 1, 2, 3], b: [1, 2, 3, 4], order: 2 },
]);

test('internal basis: values as defined and gradients equal to central differences (1e-6 relative)', () => {
  assert.equal(basis.size, 2 + 2 + 6 + 16);
  const phi = new Float64Array(basis.size);
  const grad = new Float64Array(basis.size * 15);
  basis.evaluate(x, 0, phi, grad);
  const u = (distance(x, 0, 1) - 0.15) / 0.01;
  assert.ok(Math.abs(phi[0] - u * u) < 1e-12 && Math.abs(phi[1] - u) < 1e-12);
  const f = dihedral(x, 0, 1, 2, 3);
  const p = dihedral(x, 1, 2, 3, 4);
  assert.ok(Math.abs(phi[4 + 4] - Math.cos(3 * f)) < 1e-12 && Math.abs(phi[4 + 5] - Math.sin(3 * f)) < 1e-12, 'cos 3φ, sin 3φ');
  // The pair term n = 2, m = 1, sin × cos.
  const name = basis.names.indexOf('dihedrals 0-1-2-3 × 1-2-3-4 sin 2φ cos 1ψ');
  assert.ok(name > 0 && Math.abs(phi[name] - Math.sin(2 * f) * Math.cos(p)) < 1e-12, basis.names.join(', '));
  const h = 1e-6;
  const a = new Float64Array(basis.size);
  const b = new Float64Array(basis.size);
  for (let j = 0; j < 15; j++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    basis.evaluate(xp, 0, a);
    basis.evaluate(xm, 0, b);
    for (let k = 0; k < basis.size; k++) {
      const fd = (a[k] - b[k]) / (2 * h);
      assert.ok(Math.abs(grad[k * 15 + j] - fd) < 1e-6 * (1 + Math.abs(fd)), `${basis.names[k]}, coordinate ${j}: ${grad[k * 15 + j]} vs ${fd}`);
    }
  }
});

test('internal basis as a potential: forces are −θ·∇φ; bad terms are named', () => {
  const theta = Float64Array.from({ length: basis.size }, (_, k) => 0.3 * Math.sin(k + 1));
  const pot = basisPotential(basis, theta);
  const forces = new Float64Array(15);
  const e = new Float64Array(1);
  pot.evaluate(x, 1, forces, e);
  const h = 1e-6;
  const ep = new Float64Array(1);
  const em = new Float64Array(1);
  for (let j = 0; j < 15; j++) {
    const xp = Float64Array.from(x);
    const xm = Float64Array.from(x);
    xp[j] += h;
    xm[j] -= h;
    pot.evaluate(xp, 1, new Float64Array(15), ep);
    pot.evaluate(xm, 1, new Float64Array(15), em);
    const fd = -(ep[0] - em[0]) / (2 * h);
    assert.ok(Math.abs(forces[j] - fd) < 1e-5 * (1 + Math.abs(fd)), `force ${j}: ${forces[j]} vs ${fd}`);
  }
  assert.throws(() => internalBasis(3, [{ kind: 'bond', beads: [0, 3], q0: 0.1, scale: 0.01 }]), /term 0 \(bond\): bead 3 is not among the 3 beads/);
  assert.throws(() => internalBasis(3, [{ kind: 'angle', beads: [0, 1, 2], q0: 1, scale: 0 }]), /term 0 \(angle\): needs a finite q0 and a positive scale/);
  assert.throws(() => basisPotential(basis, new Float64Array(3)), /3 parameters for a basis of 26/);
});
