/**
 * The CCG cycle (Zhang, Lin, E & Gao): simulate the CG model → back-map its configurations →
 * all-atom energies and forces give the mean force −∇F(s) at each of them by importance-weighted
 * local sampling (freeEnergy.ts) → correct the CG model by force matching on those mean forces →
 * simulate again. Mean forces carry none of the instantaneous-force noise that ordinary force
 * matching averages away, and they are measured where the model goes, so each round mends the
 * model where the last run showed it wrong. Every round's mean forces are kept and trained on.
 */
import type { Coordinates } from '../../cg/linearMap.js';
import { simulateReplicas } from '../../md/replicas.js';
import { concatFloat32 } from '../../util/arrays.js';
import type { EnergyModel } from '../../nn/energyModel.js';
import type { ConditionalDensity } from '../../nn/conditionalDensity.js';
import type { TensorEnergy } from '../../physics/tensor.js';
import { trainForceMatching, type TrainingRecord } from '../forcematching/train.js';
import { freeEnergies } from './freeEnergy.js';
import type { FineRepresentation } from './representation.js';

/** Settings of {@link ccgCycle}; each has a default. */
export interface CycleOptions {
  /** Rounds; default 3. */
  rounds?: number;
  /** CG run of each round: replicas × ps, a frame every saveEveryPs; default 10 × 20 ps, 0.2 ps (1000 frames). */
  replicas?: number;
  ps?: number;
  saveEveryPs?: number;
  /** CG time step, ps; default 0.002. */
  dt?: number;
  /** Back-mapped samples per CG frame for its mean force; default 64. */
  samples?: number;
  /** Force-matching epochs on the mean forces each round; default 10. */
  epochs?: number;
  seed?: number;
  /** After each round's CG run (round 0 is the model as given), with its frames [frames, beads, 3]. */
  onRun?: (round: number, frames: Float32Array) => void;
  /** After each round's correction. */
  onRound?: (r: CycleRound) => void;
  signal?: AbortSignal;
}

/** What one round did. */
export interface CycleRound {
  round: number;
  /** CG frames back-mapped this round. */
  frames: number;
  /** Median effective sample size of the frames' importance weights, as a fraction of the samples. */
  medianEss: number;
  /** Mean |mean force| per bead component, kJ/mol/nm. */
  meanForceRms: number;
  /** The force-matching correction on every round's mean forces so far. */
  training: TrainingRecord;
}

/**
 * Run the cycle on `model` (its parameters move): see the module comment.
 * @param starts CG frames [frames, beads, 3] (nm) the runs start from.
 * @param masses [beads] amu.
 * @returns every round, and the last run's frames (the corrected model's).
 */
export async function ccgCycle(model: EnergyModel, masses: Float64Array, starts: Coordinates, q: ConditionalDensity, rep: FineRepresentation, energy: TensorEnergy, temperature: number, o: CycleOptions = {}): Promise<{ rounds: CycleRound[]; frames: Float32Array }> {
  const rounds = o.rounds ?? 3;
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`ccgCycle: rounds is ${rounds}, expected a positive integer`);
  if (model.nBeads * 3 !== rep.cgDim) throw new Error(`ccgCycle: the CG model has ${model.nBeads} beads, the back-mapping ${rep.cgDim / 3}`);
  const seed = o.seed ?? 1;
  const run = async (round: number) => {
    const r = await simulateReplicas(model.asPotential('CG model'), {
      starts, replicas: o.replicas ?? 10, masses, temperature, dt: o.dt ?? 0.002, ps: o.ps ?? 20, saveEveryPs: o.saveEveryPs ?? 0.2, seed: seed + 100 * round, signal: o.signal,
    });
    o.onRun?.(round, r.positions);
    return r.positions;
  };
  const done: CycleRound[] = [];
  const positions: Float32Array[] = [];
  const forces: Float32Array[] = [];
  let frames = await run(0);
  for (let round = 1; round <= rounds && !o.signal?.aborted; round++) {
    const est = freeEnergies(q, rep, energy, temperature, Float64Array.from(frames), { samples: o.samples ?? 64, seed: seed + round });
    positions.push(frames);
    forces.push(Float32Array.from(est.meanForce));
    const training = await trainForceMatching(model, { positions: concatFloat32(positions), forces: concatFloat32(forces) }, { epochs: o.epochs ?? 10, seed: seed + round, signal: o.signal });
    const ess = Float64Array.from(est.ess).sort();
    const rms = Math.sqrt(est.meanForce.reduce((s, v) => s + v * v, 0) / est.meanForce.length);
    const r: CycleRound = { round, frames: frames.length / rep.cgDim, medianEss: ess[Math.floor(ess.length / 2)], meanForceRms: rms, training };
    done.push(r);
    o.onRound?.(r);
    frames = await run(round);
  }
  return { rounds: done, frames };
}
