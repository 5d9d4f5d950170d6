import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from 'cglab/backend/select';
import { chainFeatures, GeometryFeatures } from 'cglab/cg/features';
import { HarmonicAngles, HarmonicBonds, Repulsion } from 'cglab/cg/priors';
import { cgnet, cgschnet, EnergyModel, registerEnergyTerm, type EnergyTerm } from 'cglab/nn/energyModel';
import { encodeParams } from 'cglab/nn/params';
import { assertGradClose, fdGradient, gridValues } from '../helpers/finiteDifferences.js';
import { gridParameters, probeEntries, readEntries, writeEntries } from '../helpers/models.js';

const BACKENDS = ['cpu', 'wasm'] as const;
const N = 5;
const SHAPE: [number, number, number] = [2, N, 3];
// Beads in a 1 nm cube: every distance is below SchNet's 2 nm cutoff, so finite differences
// in x never straddle the cutoff's kink in the second derivative.
const X0 = gridValues(2 * N * 3, 41, -0.5, 0.5);
const F_REF = gridValues(2 * N * 3, 42, -1, 1);
const feats = new GeometryFeatures(N, chainFeatures(N));
const training = Float64Array.from(gridValues(40 * N * 3, 43, -0.5, 0.5));

/** Small CGnet and CGSchNet with mild priors and grid parameters (see helpers/models). */
function models(): Record<string, EnergyModel> {
  const priors = {
    bonds: new HarmonicBonds([[0, 1], [1, 2], [2, 3], [3, 4]], [0.5, 0.6, 0.5, 0.7], [3, 2, 4, 1]),
    angles: new HarmonicAngles([[0, 1, 2], [2, 3, 4]], [1.9, 2.0], [1, 2]),
    repulsion: new Repulsion([[0, 3], [1, 4]], [0.3, 0.25]),
  };
  const out = {
    cgnet: cgnet({ features: feats, zscore: feats.fitZScore(training), priors, hidden: [6, 6], seed: 3 }),
    cgschnet: cgschnet({ beadTypes: [0, 1, 2, 1, 0], features: 6, interactions: 2, rbf: 6, cutoff: 2, priors, seed: 4 }),
  };
  gridParameters(out.cgnet.parameters(), 100);
  gridParameters(out.cgschnet.parameters(), 200);
  return out;
}

test('an energy model is the sum of its named terms; parameters are named <term>/<name>', async () => {
  await useBackend('cpu');
  const { cgnet: net, cgschnet: sch } = models();
  assert.deepEqual(Object.keys(net.terms), ['bonds', 'angles', 'repulsion', 'net']);
  assert.deepEqual(Object.keys(net.parameters()), ['net/layer0/weight', 'net/layer0/bias', 'net/layer1/weight', 'net/layer1/bias', 'net/layer2/weight', 'net/layer2/bias']);
  assert.ok('net/interaction1/filter1/bias' in sch.parameters() && 'net/embedding' in sch.parameters() && 'net/readout/layer1/weight' in sch.parameters());
  assert.equal(sch.parameters()['net/embedding'].shape.join(), '3,6');
  const x = tf.tensor3d(X0, SHAPE);
  for (const m of [net, sch]) {
    const [total, parts] = tf.tidy(() => [m.energy(x).dataSync(), tf.addN(Object.values(m.termEnergies(x))).dataSync()]);
    total.forEach((e, i) => assert.ok(Math.abs(e - parts[i]) <= 1e-5 * Math.abs(e)));
    assert.throws(() => m.energy(tf.zeros([2, 4, 3]) as tf.Tensor3D), /expected bead positions of shape \[batch, 5, 3\] \(nm\), got \[2,4,3\]/);
  }
  assert.throws(() => new EnergyModel(5, { 'a/b': net.terms.bonds }), /term name 'a\/b' must be non-empty and contain no '\/'/);
  assert.throws(() => cgnet({ features: feats, zscore: feats.fitZScore(training), priors: { net: net.terms.bonds as HarmonicBonds } }), /prior named 'net' would collide/);
  x.dispose();
});

test('forces are −∂U/∂R (finite differences) for CGnet and CGSchNet on cpu and wasm, and the flat-array Potential gives the same', async () => {
  const results = new Map<string, number[]>();
  for (const backend of BACKENDS) {
    await useBackend(backend);
    for (const [name, m] of Object.entries(models())) {
      const forces = tf.tidy(() => Array.from(m.forces(tf.tensor3d(X0, SHAPE)).dataSync()));
      const fd = fdGradient((v) => tf.tidy(() => tf.sum(m.energy(tf.tensor3d(v, SHAPE))).dataSync()[0]), X0);
      assertGradClose(`${backend} ${name} −F`, forces.map((f) => -f), fd);
      // By tfjs, the Potential's numbers are the model's; with CGSchNet's network on the host
      // (the default), equal to float32 rounding (nn/schnetHost.ts; test/nn/schnetHost.test.ts).
      const e = tf.tidy(() => Array.from(m.energy(tf.tensor3d(X0, SHAPE)).dataSync()));
      for (const onHost of [false, true]) {
        const [f64, e64] = [new Float64Array(X0.length), new Float64Array(2)];
        m.asPotential(name, { onHost }).evaluate(Float64Array.from(X0), 2, f64, e64);
        const scale = Math.max(...forces.map(Math.abs));
        if (!onHost) assert.deepEqual([Array.from(f64), Array.from(e64)], [forces, e]);
        f64.forEach((v, i) => assert.ok(Math.abs(v - forces[i]) <= 1e-5 * scale, `${backend} ${name} Potential force ${i}: ${v} vs ${forces[i]}`));
        e64.forEach((v, i) => assert.ok(Math.abs(v - e[i]) <= 1e-5 * Math.max(1, Math.abs(e[i])), `${backend} ${name} Potential energy ${i}: ${v} vs ${e[i]}`));
      }
      results.set(`${backend} ${name}`, forces);
      m.dispose();
    }
  }
  for (const name of ['cgnet', 'cgschnet']) {
    const [a, b] = [results.get(`cpu ${name}`)!, results.get(`wasm ${name}`)!];
    const scale = Math.max(...a.map(Math.abs));
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-5 * scale, `${name} force ${i}: cpu ${v}, wasm ${b[i]}`));
  }
});

test('the force-matching loss gradient in the parameters (a second derivative) matches finite differences on cpu and wasm', async () => {
  for (const backend of BACKENDS) {
    await useBackend(backend);
    for (const [name, m] of Object.entries(models())) {
      const vars = m.parameters();
      const entries = probeEntries(vars);
      const x = tf.tensor3d(X0, SHAPE);
      const fRef = tf.tensor3d(F_REF, SHAPE);
      const loss = () => m.forceMatchingLoss(x, fRef);
      const grads = tf.tidy(() => {
        const { grads: g } = tf.variableGrads(loss, m.variables);
        // Energy offsets (the last bias) do not change forces: no gradient path, gradient 0.
        return Object.fromEntries(Object.entries(vars).map(([n, v]) => [n, g[v.name] ? Array.from(g[v.name].dataSync()) : new Array<number>(v.size).fill(0)]));
      });
      const got = entries.map(({ name: n, index }) => grads[n][index]);
      const theta0 = readEntries(vars, entries);
      const fd = fdGradient((v) => {
        writeEntries(vars, entries, v);
        return tf.tidy(() => loss().dataSync()[0]);
      }, theta0);
      writeEntries(vars, entries, theta0);
      assertGradClose(`${backend} ${name} ∇θ loss`, got, fd);
      tf.dispose([x, fRef]);
      m.dispose();
    }
  }
});

test('a few Adam steps on the force-matching loss lower it (the gradients drive a real optimiser)', async () => {
  await useBackend('wasm');
  const m = models().cgnet;
  const x = tf.tensor3d(X0, SHAPE);
  const fRef = tf.tensor3d(F_REF, SHAPE);
  const opt = tf.train.adam(0.01);
  const first = tf.tidy(() => m.forceMatchingLoss(x, fRef).dataSync()[0]);
  for (let i = 0; i < 30; i++) opt.minimize(() => m.forceMatchingLoss(x, fRef), false, m.variables);
  const last = tf.tidy(() => m.forceMatchingLoss(x, fRef).dataSync()[0]);
  assert.ok(last < 0.8 * first, `loss ${first} → ${last} after 30 steps`);
  opt.dispose();
  tf.dispose([x, fRef]);
  m.dispose();
});

test('models save and load with identical energies; files that do not fit the model are refused with the reason', async () => {
  await useBackend('cpu');
  const dir = mkdtempSync(join(tmpdir(), 'cglab-energy-model-'));
  try {
    for (const [name, m] of Object.entries(models())) {
      const path = join(dir, `${name}.json`);
      m.save(path);
      const back = EnergyModel.load(path);
      const x = tf.tensor3d(X0, SHAPE);
      const [a, b] = tf.tidy(() => [m.energyAndForces(x), back.energyAndForces(x)].map((r) => [...r.energy.dataSync(), ...r.forces.dataSync()]));
      assert.deepEqual(b, a, `${name} reloaded`);
      x.dispose();
    }
    const text = models().cgnet.encode();
    const json = JSON.parse(text);
    const edit = (f: (j: any) => void) => {
      const j = JSON.parse(text);
      f(j);
      return JSON.stringify(j);
    };
    assert.throws(() => EnergyModel.decode(edit((j) => (j.config.terms[3].kind = 'mystery'))), /term 'net' \(mystery\): unknown term kind 'mystery'/);
    assert.throws(() => EnergyModel.decode(edit((j) => delete j.tensors['net/layer1/bias'])), /missing: net\/layer1\/bias; unexpected: none/);
    assert.throws(() => EnergyModel.decode(edit((j) => (j.config.terms[0].config.k = [1, 2]))), /term 'bonds' \(harmonic-bonds\): HarmonicBonds: k has 2 values, expected one per tuple \(4\)/);
    assert.throws(() => EnergyModel.decode(encodeParams({ model: 'other' }, {})), /config\.model is "other", expected "cglab-energy-model"/);
    const wrongShape = edit((j) => (j.tensors['net/layer2/bias'] = json.tensors['net/layer1/bias']));
    assert.throws(() => EnergyModel.decode(wrongShape), /tensor 'net\/layer2\/bias' has shape \[6\], the model expects \[1\]/);
    writeFileSync(join(dir, 'bad.json'), '{"format": "cglab-params", "version": 99}');
    assert.throws(() => EnergyModel.load(join(dir, 'bad.json')), /bad\.json: version 99 is newer than this cglab reads \(1\): update cglab/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a term kind registered by a method saves and loads like the built-in ones', async () => {
  await useBackend('cpu');
  // A trainable harmonic tether ½ κ Σ|R|², κ trainable, its reference scale in the config.
  class Tether implements EnergyTerm {
    readonly kind = 'test-tether';
    readonly kappa = tf.variable(tf.scalar(1));
    constructor(readonly scale: number) {}
    energy(x: tf.Tensor3D): tf.Tensor1D {
      return tf.tidy(() => tf.mul(tf.sum(tf.square(x), [1, 2]), tf.mul(this.kappa, this.scale / 2)) as tf.Tensor1D);
    }
    parameters() {
      return { kappa: this.kappa };
    }
    config() {
      return { scale: this.scale };
    }
  }
  const m = new EnergyModel(N, { tether: new Tether(3) });
  tf.tidy(() => m.parameters()['tether/kappa'].assign(tf.scalar(0.75)));
  assert.throws(() => EnergyModel.decode(m.encode()), /unknown term kind 'test-tether'/);
  registerEnergyTerm('test-tether', (c) => new Tether(c.scale as number));
  const back = EnergyModel.decode(m.encode());
  const x = tf.tensor3d(X0, SHAPE);
  const [a, b] = tf.tidy(() => [m.energy(x).dataSync(), back.energy(x).dataSync()]);
  assert.deepEqual(b, a);
  const want = 0.75 * 1.5 * X0.slice(0, 15).reduce((s, v) => s + v * v, 0);
  assert.ok(Math.abs(a[0] - want) < 1e-5 * want);
  x.dispose();
});
