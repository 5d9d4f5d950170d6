/**
 * SchNet's energies and forces for simulation, evaluated on the host: the forward pass of
 * schnet.ts and its reverse pass to the positions written out by hand, over one Float32Array
 * of weights and activations (hostBuffer.ts: products on OpenBLAS, elementwise passes in the
 * same C addon, kernel-lib/native/host.c); the pair geometry in float64 here, and each
 * block's filter network, a function of the pair distance alone, as a table of it
 * (filterTable.ts).
 *
 * Why: through tfjs, one force evaluation of a 5-bead CGSchNet for 100 replicas is ~420
 * kernels plus autodiff's bookkeeping, and the launches and elementwise kernels, not the
 * arithmetic, set its time; here it is a dozen products and ~20 vectorized passes. Forces
 * only — training differentiates the forces in the parameters and keeps tfjs autodiff — and
 * the weights are read once, when the evaluator is made.
 */
import { hostSgemm } from '../backend/nativeGemm.js';
import { allPairs } from '../backend/ops.js';
import type { HostForces } from '../cg/energyTerm.js';
import { filterTable } from './filterTable.js';
import { HostBuffer } from './hostBuffer.js';
import type { SchNet } from './schnet.js';

/** Floor of a pair distance (nm) in 1/r, as in cg/geometryOp.ts: coincident beads get zero force, not NaN. */
const TINY = 1e-12;

/**
 * A host evaluator of `net`'s energies and forces, or undefined where there is no host buffer
 * (no addon, or a tensorflow backend: tfjs then evaluates the term).
 */
export function schnetHostForces(net: SchNet): HostForces | undefined {
  const hb = HostBuffer.create();
  if (!hb) return undefined;
  const kernels = hb.kernels;
  const n = net.nBeads;
  const f = net.features;
  const pairs = allPairs(n);
  const np = pairs.length;
  const pairList = Int32Array.from(pairs.flat());
  const types = Int32Array.from(net.beadTypes);
  const rc = net.cutoff;
  const embedding = hb.store(net.embedding.dataSync());
  const blocks = net.interactions.map((b) => {
    const table = filterTable(net.rbf, b.filter1, b.filter2);
    return { in2f: hb.place(b.in2f), dense1: hb.place(b.dense1), dense2: hb.place(b.dense2), filter: hb.store(table.coefficients), intervals: table.intervals, inv: hb.store([1 / table.spacing]) };
  });
  const readout = net.readout.layers.map((d) => hb.place(d));
  const widest = Math.max(f, ...readout.map((l) => l.nOut));
  const reserve = (batch: number) => {
    const [rows, pairRows] = [batch * n, batch * np];
    const take = (count: number) => hb.take(count);
    return {
      dist: take(pairRows),
      cut: take(pairRows),
      gradCut: take(pairRows),
      gradDist: take(pairRows),
      h: take(rows * f),
      blocks: blocks.map(() => ({ y: take(rows * f), f2: take(pairRows * f), w: take(pairRows * f), m: take(rows * f), u: take(rows * f) })),
      readout: readout.map((l) => take(rows * l.nOut)),
      gh: take(rows * widest),
      gTmp: take(rows * widest),
      gy: take(rows * f),
      gPair: take(pairRows * f),
      // Float64, beside the array: unit vectors of the pairs, and the cutoff's slope.
      geometry: new Float64Array(pairRows * 3),
      cutSlope: new Float64Array(pairRows),
    };
  };

  return {
    add(x, batch, forces, energies) {
      const at = hb.scratch(batch, reserve);
      const { buf } = hb;
      const { geometry, cutSlope } = at;
      const [rows, pairRows] = [batch * n, batch * np];
      // Pair distances (unit vectors kept for the forces) and the cosine cutoff.
      for (let b = 0; b < batch; b++) {
        const o = b * n * 3;
        for (let p = 0; p < np; p++) {
          const i = o + 3 * pairList[2 * p], j = o + 3 * pairList[2 * p + 1];
          const q = b * np + p;
          const dx = x[j] - x[i], dy = x[j + 1] - x[i + 1], dz = x[j + 2] - x[i + 2];
          const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
          const inv = 1 / Math.max(d, TINY);
          geometry[3 * q] = dx * inv;
          geometry[3 * q + 1] = dy * inv;
          geometry[3 * q + 2] = dz * inv;
          buf[at.dist + q] = d;
          buf[at.cut + q] = d < rc ? 0.5 * (Math.cos((Math.PI * d) / rc) + 1) : 0;
          cutSlope[q] = d < rc ? -0.5 * (Math.PI / rc) * Math.sin((Math.PI * d) / rc) : 0;
        }
      }
      // The embeddings (the same in every frame), then the interaction blocks.
      for (let r = 0; r < rows; r++) buf.copyWithin(at.h + r * f, embedding + types[r % n] * f, embedding + (types[r % n] + 1) * f);
      blocks.forEach((block, l) => {
        const s = at.blocks[l];
        hb.forward(block.in2f, at.h, s.y, rows);
        kernels.tableLookup(buf, at.dist, pairRows, block.filter, block.intervals, f, block.inv, s.f2);
        kernels.cfconv(buf, pairList, batch, n, f, s.f2, at.cut, s.w, s.y, s.m);
        hb.forward(block.dense1, s.m, s.u, rows);
        hb.forward(block.dense2, s.u, at.gTmp, rows);
        kernels.addInPlace(buf, at.h, at.gTmp, rows * f);
      });
      let input = at.h;
      readout.forEach((layer, r) => {
        hb.forward(layer, input, at.readout[r], rows);
        input = at.readout[r];
      });
      for (let b = 0; b < batch; b++) {
        let e = 0;
        for (let i = 0; i < n; i++) e += buf[input + b * n + i];
        energies[b] += e;
      }

      // Reverse pass: ∂E/∂(each bead's readout) = 1, back through the readout to ∂E/∂h.
      const g = hb.backwardFromOnes(readout, at.readout, at.gTmp, at.gh, rows);
      if (g !== at.gh) buf.copyWithin(at.gh, g, g + rows * f);
      buf.fill(0, at.gradDist, at.gradDist + pairRows);
      buf.fill(0, at.gradCut, at.gradCut + pairRows);
      for (let l = blocks.length - 1; l >= 0; l--) {
        const [block, s] = [blocks[l], at.blocks[l]];
        // h ← h + dense2(dense1(m)): the residual passes ∂E/∂h on; the update's path gives ∂E/∂m (in gy).
        hostSgemm(buf, rows, f, f, at.gh, false, block.dense2.weight, true, at.gTmp);
        hb.backward(block.dense1, s.u, at.gTmp, at.gy, rows);
        // Continuous-filter convolution: ∂E/∂y into gTmp, ∂E/∂f2 into gPair, ∂E/∂cut accumulated.
        kernels.cfconvGrad(buf, pairList, batch, n, f, s.f2, at.cut, s.w, s.y, at.gy, at.gTmp, at.gPair, at.gradCut);
        // y = h W_in: ∂E/∂h gains ∂E/∂y W_inᵀ (needed only by earlier blocks; the embeddings are constant).
        if (l > 0) {
          hostSgemm(buf, rows, f, f, at.gTmp, false, block.in2f.weight, true, at.gy);
          kernels.addInPlace(buf, at.gh, at.gy, rows * f);
        }
        // The filter's slope in the distance.
        kernels.tableLookupGrad(buf, at.dist, pairRows, block.filter, block.intervals, f, block.inv, at.gPair, at.gradDist);
      }
      // ∂E/∂d from the filters and the cutoff, then F = −∂E/∂x along each pair.
      for (let b = 0; b < batch; b++) {
        const o = b * n * 3;
        for (let p = 0; p < np; p++) {
          const i = o + 3 * pairList[2 * p], j = o + 3 * pairList[2 * p + 1];
          const q = b * np + p;
          const gd = buf[at.gradDist + q] + buf[at.gradCut + q] * cutSlope[q];
          for (let a = 0; a < 3; a++) {
            const v = gd * geometry[3 * q + a];
            forces[j + a] -= v;
            forces[i + a] += v;
          }
        }
      }
    },
  };
}
