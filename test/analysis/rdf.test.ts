import { test } from 'node:test';
import assert from 'node:assert/strict';
import { radialDistribution, RdfAccumulator, type Rdf } from 'cglab/analysis/rdf';
import { minimumImage } from 'cglab/physics/neighbours';

/** Deterministic uniform numbers in [0, 1) (mulberry32), so the statistical tests cannot flake. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uniformFrames(n: number, frames: number, box: readonly number[], seed: number): Float64Array {
  const u = rng(seed);
  const x = new Float64Array(frames * n * 3);
  for (let i = 0; i < x.length; i++) x[i] = u() * box[i % 3];
  return x;
}

const repeatBox = (box: readonly number[], frames: number) => Float64Array.from({ length: 3 * frames }, (_, i) => box[i % 3]);

function shell(rdf: Rdf, k: number): number {
  return ((4 * Math.PI) / 3) * (rdf.edges[k + 1] ** 3 - rdf.edges[k] ** 3);
}

test('ideal gas gives g = 1 within its block errors, and the errors match the exact scatter', () => {
  const n = 400;
  const frames = 40;
  const box = [3, 3.2, 3.4];
  const rdf = radialDistribution(uniformFrames(n, frames, box, 7), frames, repeatBox(box, frames), { rMax: 1.4, bin: 0.1 });
  assert.deepEqual(rdf.pairs, ['CG-CG']);
  assert.equal(rdf.frames, frames);
  assert.equal(rdf.blocks, 10);
  const g = rdf.g[0];
  const err = rdf.error![0];
  const volume = box[0] * box[1] * box[2];
  const pairs = (n * (n - 1)) / 2;
  let chi2 = 0;
  let ratio = 0;
  for (let k = 0; k < g.length; k++) {
    // Pair indicators of independent uniform points are pairwise independent, so the count in a
    // shell is a sum of P Bernoulli(p) terms: Var g(frame) = (1 − p)/(P p) exactly.
    const p = shell(rdf, k) / volume;
    const sigma = Math.sqrt((1 - p) / (pairs * p * frames));
    assert.ok(Math.abs(g[k] - 1) < 4 * err[k], `bin ${k}: g ${g[k]} ± ${err[k]}`);
    chi2 += ((g[k] - 1) / sigma) ** 2;
    ratio += (err[k] / sigma) ** 2 / g.length;
  }
  // χ² over 14 bins, and the mean squared error ratio over 14 × 9 block degrees of freedom.
  assert.ok(chi2 > 3 && chi2 < 40, `chi2 ${chi2}`);
  assert.ok(ratio > 0.6 && ratio < 1.5, `error² / exact variance ${ratio}`);
});

/** g by testing every pair under the minimum image: the reference for the cell list. */
function bruteForce(x: Float64Array, frames: number, boxes: Float64Array, types: Int32Array, nTypes: number, molecule: Int32Array, rMax: number, nb: number): Float64Array[] {
  const n = types.length;
  const pairOf = (a: number, b: number) => {
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    return lo * nTypes - (lo * (lo - 1)) / 2 + (hi - lo);
  };
  const nPairs = (nTypes * (nTypes + 1)) / 2;
  const g = Array.from({ length: nPairs }, () => new Float64Array(nb));
  const pairs = new Float64Array(nPairs);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (molecule[i] !== molecule[j]) pairs[pairOf(types[i], types[j])]++;
  for (let f = 0; f < frames; f++) {
    const l = boxes.subarray(3 * f, 3 * f + 3);
    const o = 3 * n * f;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (molecule[i] === molecule[j]) continue;
        let r2 = 0;
        for (let k = 0; k < 3; k++) r2 += minimumImage(x[o + 3 * i + k] - x[o + 3 * j + k], l[k], 1 / l[k]) ** 2;
        const r = Math.sqrt(r2);
        if (r >= rMax) continue;
        const k = Math.floor((r / rMax) * nb);
        const shell = ((4 * Math.PI) / 3) * ((((k + 1) * rMax) / nb) ** 3 - ((k * rMax) / nb) ** 3);
        g[pairOf(types[i], types[j])][k] += (l[0] * l[1] * l[2]) / (pairs[pairOf(types[i], types[j])] * shell * frames);
      }
    }
  }
  return g;
}

test('cell list matches every-pair minimum image: three types, molecules, unwrapped, changing anisotropic boxes', () => {
  const n = 180;
  const frames = 4;
  const u = rng(21);
  for (const [base, rMax, nb] of [[[2.1, 3.7, 5.3], 1.0, 40], [[2.0, 2.0, 2.0], 1.0, 25], [[6.2, 5.9, 6.6], 0.7, 35]] as const) {
    const boxes = Float64Array.from({ length: 3 * frames }, (_, i) => base[i % 3] * (1 + 0.04 * u()));
    const x = new Float64Array(frames * n * 3);
    // Unwrapped by up to two boxes either way, as trajectories of diffusing beads are.
    for (let i = 0; i < x.length; i++) x[i] = boxes[3 * Math.floor(i / (3 * n)) + (i % 3)] * (u() + Math.floor(5 * u()) - 2);
    const types = Int32Array.from({ length: n }, () => Math.floor(3 * u()));
    const molecule = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 3));
    const rdf = radialDistribution(x, frames, boxes, { rMax, bin: rMax / nb, types, molecule });
    const ref = bruteForce(x, frames, boxes, types, 3, molecule, rMax, nb);
    for (let p = 0; p < ref.length; p++) {
      for (let k = 0; k < nb; k++) {
        assert.ok(Math.abs(rdf.g[p][k] - ref[p][k]) <= 1e-9 * Math.max(1, ref[p][k]), `box ${base} ${rdf.pairs[p]} bin ${k}: ${rdf.g[p][k]} vs ${ref[p][k]}`);
      }
    }
  }
});

test('bins: centres and edges, rMax must be a whole number of bins', () => {
  const box = [3, 3, 3];
  const rdf = radialDistribution(uniformFrames(10, 1, box, 1), 1, box, { rMax: 1.0, bin: 0.002 });
  assert.equal(rdf.r.length, 500);
  assert.equal(rdf.edges.length, 501);
  assert.equal(rdf.edges[500], 1.0);
  assert.ok(Math.abs(rdf.r[0] - 0.001) < 1e-15);
  assert.equal(rdf.error, undefined);
  assert.equal(rdf.blocks, 1);
  assert.throws(() => radialDistribution(uniformFrames(10, 1, box, 1), 1, box, { rMax: 1.0, bin: 0.3 }), /rMax 1 nm is not a whole number of bins of 0.3 nm/);
});

test('simple cubic lattice: first peak at the spacing holding exactly 6 neighbours', () => {
  const a = 0.5;
  const m = 8;
  const n = m ** 3;
  const x = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    x[3 * i] = a * (i % m);
    x[3 * i + 1] = a * (Math.floor(i / m) % m);
    x[3 * i + 2] = a * Math.floor(i / (m * m));
  }
  const l = a * m;
  const rdf = radialDistribution(x, 1, [l, l, l], { rMax: 0.9, bin: 0.03 });
  const g = rdf.g[0];
  let peak = 0;
  for (let k = 1; k < g.length; k++) if (g[k] > g[peak]) peak = k;
  assert.ok(rdf.edges[peak] <= a && a < rdf.edges[peak + 1], `peak bin ${peak} [${rdf.edges[peak]}, ${rdf.edges[peak + 1]})`);
  // Nothing closer than the spacing, and the first peak ends before the √2·a shell.
  for (let k = 0; k < peak; k++) assert.equal(g[k], 0);
  let coordination = 0;
  for (let k = 0; k < g.length && rdf.edges[k + 1] <= a * Math.SQRT2 - 0.01; k++) coordination += g[k] * shell(rdf, k);
  // The other particles' density (N − 1)/V matches the N(N − 1)/2 normalisation exactly.
  coordination *= (n - 1) / l ** 3;
  assert.ok(Math.abs(coordination - 6) < 1e-9, `coordination ${coordination}`);
});

test('two types: pair names in type order, symmetric under swapping the labels, ideal where random', () => {
  const n = 300;
  const frames = 20;
  const box = [3, 3, 3];
  const x = uniformFrames(n, frames, box, 11);
  const types = Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const b = repeatBox(box, frames);
  const rdf = radialDistribution(x, frames, b, { rMax: 1.2, bin: 0.1, types, typeNames: ['W', 'A'] });
  assert.deepEqual(rdf.pairs, ['W-W', 'W-A', 'A-A']);
  const swapped = radialDistribution(x, frames, b, { rMax: 1.2, bin: 0.1, types: types.map((t) => 1 - t), typeNames: ['A', 'W'] });
  assert.deepEqual(swapped.pairs, ['A-A', 'A-W', 'W-W']);
  assert.deepEqual(swapped.g[1], rdf.g[1]);
  assert.deepEqual(swapped.g[0], rdf.g[2]);
  assert.deepEqual(swapped.g[2], rdf.g[0]);
  for (let p = 0; p < 3; p++) {
    for (let k = 2; k < rdf.g[p].length; k++) {
      assert.ok(Math.abs(rdf.g[p][k] - 1) < 5 * rdf.error![p][k], `${rdf.pairs[p]} bin ${k}: ${rdf.g[p][k]} ± ${rdf.error![p][k]}`);
    }
  }
  const three = radialDistribution(x, frames, b, { rMax: 1.2, bin: 0.1, types: Int32Array.from({ length: n }, (_, i) => i % 3) });
  assert.deepEqual(three.pairs, ['T0-T0', 'T0-T1', 'T0-T2', 'T1-T1', 'T1-T2', 'T2-T2']);
});

test('a single A–B pair is counted once and normalised by N_A·N_B', () => {
  const box = [3, 3, 3];
  const x = [1, 1, 1, 1.25, 1, 1];
  const rdf = radialDistribution(x, 1, box, { rMax: 1, bin: 0.1, types: Int32Array.from([0, 1]), typeNames: ['A', 'B'] });
  assert.ok(Math.abs(rdf.g[1][2] - 27 / shell(rdf, 2)) < 1e-12);
  assert.ok(rdf.g[0].every(Number.isNaN), 'no A–A pairs: g undefined');
});

test('molecule exclusions: the intramolecular dimer peak disappears', () => {
  const dimers = 250;
  const frames = 20;
  const box = [3, 3, 3];
  const bond = 0.33;
  const u = rng(5);
  const x = new Float64Array(frames * dimers * 6);
  for (let f = 0; f < frames; f++) {
    for (let d = 0; d < dimers; d++) {
      const o = f * dimers * 6 + 6 * d;
      const cz = 2 * u() - 1;
      const phi = 2 * Math.PI * u();
      const sz = Math.sqrt(1 - cz * cz);
      const dir = [sz * Math.cos(phi), sz * Math.sin(phi), cz];
      for (let k = 0; k < 3; k++) {
        x[o + k] = u() * box[k];
        x[o + 3 + k] = x[o + k] + bond * dir[k];
      }
    }
  }
  const types = Int32Array.from({ length: 2 * dimers }, (_, i) => i % 2);
  const molecule = Int32Array.from({ length: 2 * dimers }, (_, i) => i >> 1);
  const options = { rMax: 1.2, bin: 0.06, types, typeNames: ['A', 'B'] };
  const b = repeatBox(box, frames);
  const all = radialDistribution(x, frames, b, options);
  const inter = radialDistribution(x, frames, b, { ...options, molecule });
  const k = Math.floor(bond / 0.06);
  // Every dimer adds one A–B pair at the bond length to the 250² pairs; exclusion leaves 250·249.
  const excess = (all.g[1][k] * dimers ** 2 - inter.g[1][k] * dimers * (dimers - 1)) * shell(all, k) / box[0] ** 3;
  assert.ok(Math.abs(excess - dimers) < 1e-6, `intramolecular pairs per frame ${excess}`);
  assert.ok(all.g[1][k] > 2 && all.g[1][k] - 1 > 10 * all.error![1][k], `with intramolecular pairs ${all.g[1][k]}`);
  for (let j = 1; j < inter.g[1].length; j++) {
    assert.ok(Math.abs(inter.g[1][j] - 1) < 5 * inter.error![1][j], `A-B bin ${j}: ${inter.g[1][j]} ± ${inter.error![1][j]}`);
  }
  // One A and one B per molecule: like-type pairs are unaffected.
  assert.deepEqual(inter.g[0], all.g[0]);
});

test('molecule exclusions subtract the excluded pairs from the ideal-gas count', () => {
  // 4 molecules of 10 uniform points: 600 of the 780 pairs are counted; dividing by 780 would give 0.77.
  const n = 40;
  const frames = 300;
  const box = [2.5, 2.5, 2.5];
  const molecule = Int32Array.from({ length: n }, (_, i) => i % 4);
  const rdf = radialDistribution(uniformFrames(n, frames, box, 3), frames, repeatBox(box, frames), { rMax: 1.2, bin: 0.3, molecule, blocks: 20 });
  for (let k = 1; k < rdf.g[0].length; k++) {
    assert.ok(Math.abs(rdf.g[0][k] - 1) < 4 * rdf.error![0][k] && rdf.error![0][k] < 0.05, `bin ${k}: ${rdf.g[0][k]} ± ${rdf.error![0][k]}`);
  }
});

test('minimum image: particles near opposite faces and corners are neighbours, unwrapped copies alike', () => {
  const l = 3;
  const box = [l, l, l];
  const opts = { rMax: 1, bin: 0.05 };
  const faces = radialDistribution([0.1, 1, 1, l - 0.12, 1, 1], 1, box, opts);
  const k = Math.floor(0.22 / 0.05);
  assert.ok(Math.abs(faces.g[0][k] - l ** 3 / shell(faces, k)) < 1e-9);
  assert.equal(faces.g[0].reduce((s, v) => s + (v > 0 ? 1 : 0), 0), 1);
  const corners = radialDistribution([0.1, 0.1, 0.1, l - 0.1, l - 0.1, l - 0.1], 1, box, opts);
  assert.ok(corners.g[0][Math.floor((0.2 * Math.sqrt(3)) / 0.05)] > 0);
  const unwrapped = radialDistribution([0.1 + 5 * l, 1 - 2 * l, 1, l - 0.12, 1, 1 + 7 * l], 1, box, opts);
  assert.deepEqual(unwrapped.g, faces.g);
});

test('per-frame boxes: ideal gas under a changing box stays at 1; edges and diagonal matrices agree', () => {
  const n = 300;
  const frames = 20;
  const u = rng(9);
  const edges = Float64Array.from({ length: 3 * frames }, () => 3 + 0.5 * u());
  const x = new Float64Array(frames * n * 3);
  for (let i = 0; i < x.length; i++) x[i] = u() * edges[3 * Math.floor(i / (3 * n)) + (i % 3)];
  const matrices = new Float64Array(9 * frames);
  for (let f = 0; f < frames; f++) for (let k = 0; k < 3; k++) matrices[9 * f + 4 * k] = edges[3 * f + k];
  const rdf = radialDistribution(x, frames, edges, { rMax: 1.4, bin: 0.1 });
  assert.deepEqual(radialDistribution(x, frames, matrices, { rMax: 1.4, bin: 0.1 }).g, rdf.g);
  for (let k = 1; k < rdf.g[0].length; k++) assert.ok(Math.abs(rdf.g[0][k] - 1) < 4 * rdf.error![0][k], `bin ${k}: ${rdf.g[0][k]}`);
  // The accumulator over the same frames, and other block counts, give the same g.
  const acc = new RdfAccumulator(n, { rMax: 1.4, bin: 0.1 });
  for (let f = 0; f < frames; f++) acc.add(x, edges.subarray(3 * f, 3 * f + 3), 3 * n * f);
  assert.equal(acc.frames, frames);
  const r4 = acc.result(4);
  assert.equal(r4.blocks, 4);
  for (let k = 0; k < r4.g[0].length; k++) assert.ok(Math.abs(r4.g[0][k] - rdf.g[0][k]) < 1e-12);
});

test('errors: rMax above half the box, non-orthorhombic or wrong-length box, NaN positions, bad blocks', () => {
  const n = 5;
  const x = uniformFrames(n, 3, [3, 3, 3], 2);
  assert.throws(() => radialDistribution(x, 3, repeatBox([3, 3, 3], 3), { rMax: 1.6, bin: 0.1 }), /rMax 1\.6 nm exceeds half the shortest box edge \(1\.5 nm\) in frame 0/);
  const tilted = new Float64Array(27);
  for (let f = 0; f < 3; f++) for (let k = 0; k < 3; k++) tilted[9 * f + 4 * k] = 3;
  tilted[9 * 2 + 3] = 0.5;
  assert.throws(() => radialDistribution(x, 3, tilted, { rMax: 1, bin: 0.1 }), /frame 2: box element \[1\]\[0\] is 0\.5; only orthorhombic/);
  assert.throws(() => radialDistribution(x, 3, new Float64Array(6), { rMax: 1, bin: 0.1 }), /box holds 6 numbers; expected \[3, 3\] edges \(9\) or \[3, 3, 3\] matrices \(27\)/);
  const bad = x.slice();
  bad[2 * 3 * n + 4] = NaN;
  assert.throws(() => radialDistribution(bad, 3, repeatBox([3, 3, 3], 3), { rMax: 1, bin: 0.1 }), /frame 2: particle 1 has a non-finite coordinate \(NaN\)/);
  const acc = new RdfAccumulator(n, { rMax: 1, bin: 0.1 });
  assert.throws(() => acc.result(), /no frames/);
  assert.throws(() => acc.add(x, [3, 3, 1.9]), /rMax 1 nm exceeds half the shortest box edge \(0\.95 nm\) in frame 0/);
  acc.add(x, [3, 3, 3]);
  assert.throws(() => acc.result(2), /blocks must be an integer from 1 to the number of frames \(1\)/);
  assert.throws(() => new RdfAccumulator(n, { rMax: 1, bin: 0.1, types: new Int32Array(4) }), /types has 4 entries/);
  assert.throws(() => new RdfAccumulator(n, { rMax: 1, bin: 0.1, types: Int32Array.from([0, 1, 2, 0, 0]), typeNames: ['A', 'B'] }), /type index 2 has no name/);
});

test('timing: 2180 random beads in a 4.031 nm box, rMax 1.0 nm, 20 frames', (t) => {
  const n = 2180;
  const frames = 20;
  const box = [4.031, 4.031, 4.031];
  const x = uniformFrames(n, frames, box, 13);
  const b = repeatBox(box, frames);
  radialDistribution(x.subarray(0, 2 * 3 * n), 2, b.subarray(0, 6), { rMax: 1.0, bin: 0.002 }); // warm up the JIT
  const t0 = performance.now();
  const rdf = radialDistribution(x, frames, b, { rMax: 1.0, bin: 0.002 });
  const ms = performance.now() - t0;
  t.diagnostic(`${(ms / frames).toFixed(2)} ms per frame (${ms.toFixed(0)} ms for ${frames} frames, ${rdf.r.length} bins)`);
});
