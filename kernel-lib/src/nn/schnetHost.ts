/**
 * SchNet's energies and forces for simulation, evaluated on the host: the forward pass of
 * schnet.ts and its reverse pass to the positions written out by hand, over one Float32Array
 * of weights and activations, the matrix products on OpenBLAS and the elementwise passes in
 * the same C addon (kernel-lib/native/schnet.c); the pair geometry in float64 here.
 *
 * Why: through tfjs, one force evaluation of a 5-bead CGSchNet for 100 replicas is ~420
 * kernels plus autodiff's bookkeeping, and the launches and elementwise kernels, not the
 * arithmetic, set its time; here it is 24 products and ~30 vectorized passes. Forces only —
 * training differentiates the forces in the parameters and keeps tfjs autodiff — and the
 * weights are read once, when the evaluator is made.
 */
import { allPairs } from '../backend/ops.js';
import { hostSgemm, schnetKernels } from '../backend/nativeGemm.js';
import type { HostForces } from './energyModel.js';
import type { Activation, Dense } from './mlp.js';
import type { SchNet } from './schnet.js';

/** Floor of a pair distance (nm) in 1/r, as in cg/geometryOp.ts: coincident beads get zero force, not NaN. */
const TINY = 1e-12;

/** The addon's activation codes. */
const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, tanh: 1, ssp: 2 };

/** A dense layer's place in the buffer: weight [nIn, nOut] and bias [nOut] offsets (bias −1: none). */
interface Layer {
  nIn: number;
  nOut: number;
  weight: number;
  bias: number;
  act: number;
}

/**
 * A host evaluator of `net`'s energies and forces, or undefined where the addon is not
 * available (tfjs then evaluates the term).
 */
export function schnetHostForces(net: SchNet): HostForces | undefined {
  const kernels = schnetKernels();
  if (!kernels) return undefined;
  const n = net.nBeads;
  const f = net.features;
  const k = net.rbf.n;
  const pairs = allPairs(n);
  const np = pairs.length;
  const pairList = Int32Array.from(pairs.flat());
  const types = Int32Array.from(net.beadTypes);
  const rc = net.cutoff;

  // Weights first, then the buffers of a batch, allocated for the largest batch seen.
  let size = 0;
  const take = (count: number): number => {
    const at = size;
    size += count;
    return at;
  };
  const values: [number, Float32Array][] = [];
  const store = (v: ArrayLike<number>): number => {
    const at = take(v.length);
    values.push([at, Float32Array.from(v)]);
    return at;
  };
  const place = (d: Dense): Layer => ({
    nIn: d.nIn,
    nOut: d.nOut,
    weight: store(d.weight.dataSync()),
    bias: d.bias ? store(d.bias.dataSync()) : -1,
    act: ACTIVATION_CODE[d.activation],
  });
  const embedding = store(net.embedding.dataSync());
  const centers = store(net.rbf.centers);
  const gamma = store([net.rbf.gamma]);
  const blocks = net.interactions.map((b) => ({ in2f: place(b.in2f), filter1: place(b.filter1), filter2: place(b.filter2), dense1: place(b.dense1), dense2: place(b.dense2) }));
  const readout = net.readout.layers.map(place);
  const weightsEnd = size;
  const widest = Math.max(f, ...readout.map((l) => l.nOut));

  let capacity = 0;
  let buf = new Float32Array(0);
  let geometry = new Float64Array(0);
  let cutSlope = new Float64Array(0);
  const allocate = (batch: number) => {
    size = weightsEnd;
    const [rows, pairRows] = [batch * n, batch * np];
    const at = {
      dist: take(pairRows),
      cut: take(pairRows),
      gradCut: take(pairRows),
      gradDist: take(pairRows),
      rbf: take(pairRows * k),
      gradRbf: take(pairRows * k),
      tmpK: take(pairRows * k),
      h: take(rows * f),
      blocks: blocks.map(() => ({ y: take(rows * f), t1: take(pairRows * f), f2: take(pairRows * f), w: take(pairRows * f), m: take(rows * f), u: take(rows * f) })),
      readout: readout.map((l) => take(rows * l.nOut)),
      gh: take(rows * widest),
      gTmp: take(rows * widest),
      gy: take(rows * f),
      gPair: take(pairRows * f),
      gPair2: take(pairRows * f),
    };
    buf = new Float32Array(size);
    for (const [offset, v] of values) buf.set(v, offset);
    geometry = new Float64Array(pairRows * 3);
    cutSlope = new Float64Array(pairRows);
    capacity = batch;
    return at;
  };
  let at = allocate(1);

  /** Dense layer on `rows` rows from `input` into `output`: act(x W + b). */
  const forward = (l: Layer, input: number, output: number, rows: number): void => {
    hostSgemm(buf, rows, l.nOut, l.nIn, input, false, l.weight, false, output);
    kernels.denseEpilogue(buf, output, rows, l.nOut, l.bias, l.act);
  };
  /** Gradient at a dense layer's input into `gIn`, from the gradient at its output `gOut` (scaled in place by act′). */
  const backward = (l: Layer, output: number, gOut: number, gIn: number, rows: number): void => {
    kernels.activationSlope(buf, gOut, output, rows * l.nOut, l.act);
    hostSgemm(buf, rows, l.nIn, l.nOut, gOut, false, l.weight, true, gIn);
  };

  return {
    add(x, batch, forces, energies) {
      if (batch > capacity) at = allocate(batch);
      const [rows, pairRows] = [batch * n, batch * np];
      // Pair distances (unit vectors kept for the forces) and the cosine cutoff, then the expansion.
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
      kernels.gaussians(buf, at.dist, pairRows, centers, k, gamma, at.rbf);
      // The embeddings (the same in every frame), then the interaction blocks.
      for (let r = 0; r < rows; r++) buf.copyWithin(at.h + r * f, embedding + types[r % n] * f, embedding + (types[r % n] + 1) * f);
      blocks.forEach((block, l) => {
        const s = at.blocks[l];
        forward(block.in2f, at.h, s.y, rows);
        forward(block.filter1, at.rbf, s.t1, pairRows);
        forward(block.filter2, s.t1, s.f2, pairRows);
        kernels.cfconv(buf, pairList, batch, n, f, s.f2, at.cut, s.w, s.y, s.m);
        forward(block.dense1, s.m, s.u, rows);
        forward(block.dense2, s.u, at.gTmp, rows);
        kernels.addInPlace(buf, at.h, at.gTmp, rows * f);
      });
      let input = at.h;
      readout.forEach((layer, r) => {
        forward(layer, input, at.readout[r], rows);
        input = at.readout[r];
      });
      for (let b = 0; b < batch; b++) {
        let e = 0;
        for (let i = 0; i < n; i++) e += buf[input + b * n + i];
        energies[b] += e;
      }

      // Reverse pass: ∂E/∂(each bead's readout) = 1, back through the readout to ∂E/∂h.
      buf.fill(1, at.gTmp, at.gTmp + rows);
      let [g, spare] = [at.gTmp, at.gh];
      for (let r = readout.length - 1; r >= 0; r--) {
        backward(readout[r], at.readout[r], g, spare, rows);
        [g, spare] = [spare, g];
      }
      if (g !== at.gh) buf.copyWithin(at.gh, g, g + rows * f);
      buf.fill(0, at.gradRbf, at.gradRbf + pairRows * k);
      buf.fill(0, at.gradCut, at.gradCut + pairRows);
      for (let l = blocks.length - 1; l >= 0; l--) {
        const [block, s] = [blocks[l], at.blocks[l]];
        // h ← h + dense2(dense1(m)): the residual passes ∂E/∂h on; the update's path gives ∂E/∂m (in gy).
        hostSgemm(buf, rows, f, f, at.gh, false, block.dense2.weight, true, at.gTmp);
        backward(block.dense1, s.u, at.gTmp, at.gy, rows);
        // Continuous-filter convolution: ∂E/∂y into gTmp, ∂E/∂f2 into gPair, ∂E/∂cut accumulated.
        kernels.cfconvGrad(buf, pairList, batch, n, f, s.f2, at.cut, s.w, s.y, at.gy, at.gTmp, at.gPair, at.gradCut);
        // y = h W_in: ∂E/∂h gains ∂E/∂y W_inᵀ (needed only by earlier blocks; the embeddings are constant).
        if (l > 0) {
          hostSgemm(buf, rows, f, f, at.gTmp, false, block.in2f.weight, true, at.gy);
          kernels.addInPlace(buf, at.gh, at.gy, rows * f);
        }
        // Filter network, back to the expansion.
        backward(block.filter2, s.f2, at.gPair, at.gPair2, pairRows);
        backward(block.filter1, s.t1, at.gPair2, at.tmpK, pairRows);
        kernels.addInPlace(buf, at.gradRbf, at.tmpK, pairRows * k);
      }
      // ∂E/∂d from the expansion and the cutoff, then F = −∂E/∂x along each pair.
      kernels.gaussiansGrad(buf, at.dist, pairRows, centers, k, gamma, at.rbf, at.gradRbf, at.gradDist);
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
