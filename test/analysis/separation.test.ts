import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearSeparation } from 'cglab/analysis/separation';
import { Random } from 'cglab/util/random';

test('linearSeparation finds the Bayes direction of two Gaussian classes and its accuracy', () => {
  // Classes N(±(d/2)·u, I) in 2-D along u = (1, 1)/√2 with d = 2: the best classifier is the
  // threshold 0 on x·u, accuracy Φ(d/2) = Φ(1) = 0.8413; 20000 points give ±0.003 (1 sd).
  const rng = new Random(4);
  const n = 20000;
  const x = new Float64Array(2 * n);
  const labels = Array.from({ length: n }, (_, i) => i % 2 === 0);
  for (let i = 0; i < n; i++) {
    const s = labels[i] ? 1 : -1;
    x[2 * i] = s / Math.SQRT2 + rng.normal();
    x[2 * i + 1] = s / Math.SQRT2 + rng.normal();
  }
  const r = linearSeparation(x, 2, labels);
  assert.ok(Math.abs(r.accuracy - 0.8413) < 0.01, `accuracy ${r.accuracy}`);
  assert.ok(Math.abs(r.direction[0] - Math.SQRT1_2) < 0.03 && Math.abs(r.direction[1] - Math.SQRT1_2) < 0.03, `direction ${r.direction}`);
  assert.ok(Math.abs(r.threshold) < 0.05, `threshold ${r.threshold}`);
});

test('separable classes give accuracy 1 in 1-D, with the labels either way round', () => {
  const x = Float64Array.of(0.1, 0.2, 0.3, 2.1, 2.2, 2.3);
  assert.equal(linearSeparation(x, 1, [true, true, true, false, false, false]).accuracy, 1);
  assert.equal(linearSeparation(x, 1, [0, 0, 0, 1, 1, 1]).accuracy, 1);
});

test('bad input is a clear error', () => {
  assert.throws(() => linearSeparation(Float64Array.of(1, 2), 1, [true, true]), /both classes/);
  assert.throws(() => linearSeparation(Float64Array.of(1, 2, 3), 2, [true, false]), /3 values for 2 labels of 2 dimensions/);
});
