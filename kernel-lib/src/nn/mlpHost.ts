/**
 * CGnet's network, z-score → MLP → energy, for simulation on the host: a function of the
 * geometry features' values (cg/geometryOp.ts turns it into forces), with the MLP's forward
 * and reverse pass over one Float32Array (hostBuffer.ts). Through tfjs, the same network costs
 * ~60 kernels and autodiff's bookkeeping per force evaluation, more than its arithmetic.
 */
import type { ZScore } from '../cg/features.js';
import type { FeatureEnergyFn } from '../cg/geometryOp.js';
import { HostBuffer } from './hostBuffer.js';
import type { MLP } from './mlp.js';

/**
 * Energies (kJ/mol) and their derivatives in each feature of `mlp(zscore(features))`, whose
 * last layer has one output; undefined where there is no host buffer (no addon, or a tensorflow
 * backend).
 */
export function featureNetHostEnergy(mlp: MLP, zscore: ZScore): FeatureEnergyFn | undefined {
  const hb = HostBuffer.create();
  if (!hb) return undefined;
  const layers = mlp.layers.map((d) => hb.place(d));
  const widest = Math.max(...mlp.sizes);
  const { mean, std } = zscore;
  const reserve = (batch: number) => ({
    input: hb.take(batch * mlp.sizes[0]),
    outputs: layers.map((l) => hb.take(batch * l.nOut)),
    a: hb.take(batch * widest),
    b: hb.take(batch * widest),
  });
  return (values, frames, size) => {
    const at = hb.scratch(frames, reserve);
    const { buf } = hb;
    for (let i = 0; i < frames * size; i++) buf[at.input + i] = (values[i] - mean[i % size]) / std[i % size];
    let input = at.input;
    layers.forEach((l, r) => {
      hb.forward(l, input, at.outputs[r], frames);
      input = at.outputs[r];
    });
    const energy = Float64Array.from(buf.subarray(input, input + frames));
    const g = hb.backwardFromOnes(layers, at.outputs, at.a, at.b, frames);
    const dEdv = new Float64Array(frames * size);
    for (let i = 0; i < frames * size; i++) dEdv[i] = buf[g + i] / std[i % size];
    return { energy, dEdv };
  };
}
