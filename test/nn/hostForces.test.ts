import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { NATIVE_GEMM_PATH } from 'cglab/backend/nativeGemm';
import { chainFeatures, GeometryFeatures } from 'cglab/cg/features';
import { EnergyModel, FeatureNet } from 'cglab/nn/energyModel';
import { filterTable, TABLE_TOLERANCE } from 'cglab/nn/filterTable';
import type { Activation } from 'cglab/nn/mlp';
import { SchNet } from 'cglab/nn/schnet';
import { gridValues } from '../helpers/finiteDifferences.js';
import { gridParameters } from '../helpers/models.js';

/** Largest |a − b| over the largest |b|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let [scale, err] = [0, 0];
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / scale;
}

// The networks evaluated on the host for simulation (nn/schnetHost.ts, nn/mlpHost.ts).
// Host (float32 products, float64 geometry) against tfjs autodiff (float32): measured ≤ 1e-6
// relative to each array's largest value; a wrong derivative of any piece is off by 1e-3 or more.
const TOLERANCE = 1e-5;

test('SchNet on the host gives the energies and forces of tfjs autodiff, for every activation, cut-off pairs and growing batches', async () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    for (const activation of ['tanh', 'ssp', 'linear'] as Activation[]) {
      // Two blocks, three bead types; a 0.6-nm cutoff with beads spread over ±0.5 nm, so some pairs lie beyond it.
      const net = new SchNet({ beadTypes: [0, 1, 2, 1, 0, 2], features: 16, interactions: 2, rbf: 12, cutoff: 0.6, activation });
      gridParameters(net.parameters(), 11);
      const host = net.hostForces();
      assert.ok(host, `${backend}: the host evaluator exists where the addon is built`);
      const model = new EnergyModel(6, { net });
      for (const batch of [3, 9, 2]) {
        const x = gridValues(batch * 18, 5 + batch, -0.5, 0.5);
        const [energies, forces] = [new Float64Array(batch), new Float64Array(batch * 18)];
        host.add(Float64Array.from(x), batch, forces, energies);
        const want = tf.tidy(() => {
          const r = model.energyAndForces(tf.tensor3d(x, [batch, 6, 3]));
          return { energy: r.energy.dataSync(), forces: r.forces.dataSync() };
        });
        const what = `${backend} ${activation} batch ${batch}`;
        assert.ok(relError(energies, want.energy) <= TOLERANCE, `${what} energies: ${relError(energies, want.energy)}`);
        assert.ok(relError(forces, want.forces) <= TOLERANCE, `${what} forces: ${relError(forces, want.forces)}`);
        // It adds to what is there.
        host.add(Float64Array.from(x), batch, forces, energies);
        assert.ok(relError(forces, Array.from(want.forces, (v) => 2 * v)) <= TOLERANCE, `${what}: a second call adds`);
      }
      // asPotential runs the network on the host, and by tfjs with onHost: false.
      const x = Float64Array.from(gridValues(4 * 18, 3, -0.5, 0.5));
      const [onHost, byTfjs] = [{}, { onHost: false }].map((o) => {
        const [energies, forces] = [new Float64Array(4), new Float64Array(4 * 18)];
        model.asPotential('schnet', o).evaluate(x, 4, forces, energies);
        return { energies, forces };
      });
      assert.ok(relError(onHost.forces, byTfjs.forces) <= TOLERANCE && relError(onHost.energies, byTfjs.energies) <= TOLERANCE, `${backend} ${activation}: asPotential`);
      model.dispose();
    }
  }
});

test("CGnet's network on the host gives the energies and forces of tfjs autodiff", async () => {
  const feats = new GeometryFeatures(6, chainFeatures(6));
  const zscore = feats.fitZScore(Float32Array.from(gridValues(40 * 18, 2, -0.5, 0.5)));
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    for (const activation of ['tanh', 'ssp'] as Activation[]) {
      const net = new FeatureNet(feats, zscore, { hidden: [12, 7], activation, seed: 4 });
      gridParameters(net.parameters(), 13);
      const model = new EnergyModel(6, { net });
      assert.ok(net.hostFeatureEnergy(), `${backend}: the host evaluator exists where the addon is built`);
      for (const batch of [5, 2, 8]) {
        const x = gridValues(batch * 18, 9 + batch, -0.5, 0.5);
        const [onHost, byTfjs] = [{}, { onHost: false }].map((o) => {
          const [energies, forces] = [new Float64Array(batch), new Float64Array(batch * 18)];
          model.asPotential('cgnet', o).evaluate(Float64Array.from(x), batch, forces, energies);
          return { energies, forces };
        });
        const what = `${backend} ${activation} batch ${batch}`;
        assert.ok(relError(onHost.energies, byTfjs.energies) <= TOLERANCE, `${what} energies: ${relError(onHost.energies, byTfjs.energies)}`);
        assert.ok(relError(onHost.forces, byTfjs.forces) <= TOLERANCE, `${what} forces: ${relError(onHost.forces, byTfjs.forces)}`);
      }
      model.dispose();
    }
  }
});

test("a tabulated SchNet filter gives the network's filter and its slope in the distance, between the nodes and beyond the cutoff", async () => {
  await useBackend('cpu');
  type Lookup = (...a: unknown[]) => void;
  const k = createRequire(import.meta.url)(NATIVE_GEMM_PATH) as { tableLookup: Lookup; tableLookupGrad: Lookup };
  for (const activation of ['tanh', 'ssp'] as Activation[]) {
    const net = new SchNet({ beadTypes: [0, 1], features: 16, interactions: 1, rbf: 12, cutoff: 0.6, activation });
    gridParameters(net.parameters(), 21);
    const block = net.interactions[0];
    const table = filterTable(net.rbf, block.filter1, block.filter2);
    assert.ok(table.error <= TABLE_TOLERANCE, `${activation}: the table meets its tolerance (${table.error})`);
    // Distances off the nodes, one beyond the cutoff (it takes the cutoff's filter).
    const d = [0.0137, 0.1234567, 0.2999, 0.45678, 0.5999, 0.6];
    const f = table.features;
    const g = gridValues(d.length * f, 5, -1, 1);
    const buf = new Float32Array(table.coefficients.length + 1 + 7 + 2 * 7 * f + 7);
    const [at, inv, dist, out, grad, gd] = [0, table.coefficients.length, table.coefficients.length + 1, table.coefficients.length + 8, table.coefficients.length + 8 + 7 * f, table.coefficients.length + 8 + 14 * f];
    buf.set(table.coefficients, at);
    buf[inv] = 1 / table.spacing;
    buf.set([...d, 0.75], dist);
    buf.set([...g, ...g.slice(-f)], grad);
    k.tableLookup(buf, dist, 7, at, table.intervals, f, inv, out);
    k.tableLookupGrad(buf, dist, 7, at, table.intervals, f, inv, grad, gd);
    // The network by tfjs: W(d) and d/dd of Σ g·W(d) per distance.
    const filter = (x: tf.Tensor) => block.filter2.apply(block.filter1.apply(net.rbf.apply(x)));
    const want = tf.tidy(() => filter(tf.tensor1d(d)).dataSync());
    const wantSlope = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(filter(x), tf.tensor2d(g, [d.length, f]))))(tf.tensor1d(d)).dataSync());
    const got = buf.subarray(out, out + d.length * f);
    const gotSlope = buf.subarray(gd, gd + d.length);
    assert.ok(relError(got, want) <= TOLERANCE, `${activation} filter: ${relError(got, want)}`);
    assert.ok(relError(gotSlope, wantSlope) <= TOLERANCE, `${activation} slope: ${relError(gotSlope, wantSlope)}`);
    assert.deepEqual(Array.from(buf.subarray(out + 6 * f, out + 7 * f)), Array.from(buf.subarray(out + 5 * f, out + 6 * f)), `${activation}: beyond the cutoff, the cutoff's filter`);
    assert.throws(() => k.tableLookup(buf, dist, 7, at, table.intervals + 1000, f, inv, out), /outside the array/);
    assert.throws(() => k.tableLookup(buf, dist, 7, at, 0, f, inv, out), /outside the array/);
  }
});

test("the addon's host passes refuse regions outside the array and malformed arguments", () => {
  const k = createRequire(import.meta.url)(NATIVE_GEMM_PATH) as {
    denseEpilogue(...a: unknown[]): void;
    cfconv(...a: unknown[]): void;
    addInPlace(...a: unknown[]): void;
  };
  const buf = new Float32Array(64);
  buf.fill(1);
  k.denseEpilogue(buf, 0, 2, 4, 60, 1);
  assert.ok(Math.abs(buf[0] - Math.tanh(2)) < 1e-6, `tanh(1 + bias 1) = ${buf[0]}`);
  assert.throws(() => k.denseEpilogue(buf, 60, 2, 4, -1, 1), /outside the array/);
  assert.throws(() => k.denseEpilogue(buf, 0, 2, 4, -1, 3), /outside the array, or an argument is out of range/);
  assert.throws(() => k.denseEpilogue(new Float64Array(8), 0, 1, 4, -1, 1), /must be a Float32Array/);
  assert.throws(() => k.addInPlace(buf, 0, -1, 4), /argument 3 must be a non-negative integer/);
  assert.throws(() => k.addInPlace(buf, 0, 4), /expected 4 arguments/);
  // One frame, two beads, one pair, 4 features: f2, cut, w, y, m.
  k.cfconv(buf, Int32Array.from([0, 1]), 1, 2, 4, 0, 4, 8, 12, 20);
  assert.throws(() => k.cfconv(buf, Int32Array.from([0, 2]), 1, 2, 4, 0, 4, 8, 12, 20), /outside the array/);
  assert.throws(() => k.cfconv(buf, Int32Array.from([0, 1]), 1, 2, 4, 0, 4, 8, 12, 60), /outside the array/);
});
