/**
 * An ARCG model from a linear basis (physics/basisPotential.ts) over mapped and virtual
 * particles: U_θ = θ·φ(R, v), sampled by Langevin replicas (md/replicas.ts); the critic sees
 * only features of the mapped particles R, the first `mapped` of each configuration.
 */
import { replicaFrames, simulateReplicas } from '../../md/replicas.js';
import { basisPotential, basisValues, type LinearBasis } from '../../physics/basisPotential.js';
import type { ImplicitModel, ModelSamples } from './arcg.js';

/** The critic's features of the mapped coordinates. */
export interface MappedFeatures {
  /** Feature count. */
  size: number;
  /** Features of one configuration's mapped coordinates at `offset` of `r` into `out` [size]. */
  evaluate(r: ArrayLike<number>, offset: number, out: Float64Array): void;
}

/** How to sample a basis model. */
export interface BasisModelOptions {
  basis: LinearBasis;
  /** Particles 0 … mapped − 1 are mapped (seen by the critic); the rest are virtual sites. */
  mapped: number;
  features: MappedFeatures;
  /** True when `features` are the basis functions themselves (no virtual sites): see ImplicitModel. */
  featuresAreStatistics?: boolean;
  /** Starting configurations [k, nParticles, dim] of mapped and virtual particles, nm. */
  starts: Float64Array;
  /** [nParticles] amu. */
  masses: Float64Array;
  temperature: number;
  /** Replicas per iteration, ps of each after `skipPs` (default 1), a frame every `saveEveryPs`. */
  replicas: number;
  ps: number;
  skipPs?: number;
  saveEveryPs: number;
  dt: number;
  friction?: number;
  seed: number;
}

/** Features of the mapped part of every frame [frames, nParticles·dim] → [frames, features.size]. */
export function mappedFeatures(features: MappedFeatures, x: ArrayLike<number>, frames: number, per: number, mappedValues: number): Float64Array {
  const out = new Float64Array(frames * features.size);
  const row = new Float64Array(features.size);
  const r = new Float64Array(mappedValues);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < mappedValues; i++) r[i] = x[f * per + i];
    features.evaluate(r, 0, row);
    out.set(row, f * features.size);
  }
  return out;
}

/** The model. @throws Error when `mapped` is not between 1 and the basis's particles. */
export function basisModel(o: BasisModelOptions): ImplicitModel {
  const { basis } = o;
  if (!Number.isInteger(o.mapped) || o.mapped < 1 || o.mapped > basis.nParticles) {
    throw new Error(`${basis.name}: ${o.mapped} mapped particles of ${basis.nParticles}`);
  }
  const per = basis.nParticles * basis.dim;
  return {
    size: basis.size,
    features: o.features.size,
    featuresAreStatistics: o.featuresAreStatistics,
    parameterName: (k) => basis.names[k] ?? `parameter ${k}`,
    async sample(theta, iteration, s): Promise<ModelSamples> {
      const skip = o.skipPs ?? 1;
      const res = await simulateReplicas(basisPotential(basis, theta), {
        starts: o.starts, replicas: o.replicas, masses: o.masses, temperature: o.temperature, dt: o.dt, ps: skip + o.ps,
        saveEveryPs: o.saveEveryPs, friction: o.friction ?? 1, seed: o.seed + 7919 * iteration, signal: s.signal, onProgress: s.onProgress,
      });
      const drop = Math.min(res.frames, Math.round(skip / res.time[0]));
      const kept = res.frames - drop;
      const x = kept > 0 ? replicaFrames(res, drop) : new Float32Array(0);
      const frames = res.replicas * kept;
      return {
        frames, interrupted: res.interrupted, dU: basisValues(basis, x, frames),
        features: mappedFeatures(o.features, x, frames, per, o.mapped * basis.dim),
      };
    },
  };
}
