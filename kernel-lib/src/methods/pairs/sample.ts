/**
 * CG simulation of a pair-table liquid for the iterative fits (IBI, REM) and `cglab simulate`:
 * Langevin replicas (md/replicas.ts, BAOAB) of `physics/pairPotential.ts` in the reference's
 * box (NVT: the box of the first starting frame), with the first `skipPs` of every replica
 * dropped as equilibration.
 */
import type { PairTable } from '../../cg/pairTable.js';
import { replicaFrames, simulateReplicas } from '../../md/replicas.js';
import { HarmonicAngles, HarmonicBonds, type HarmonicAngleParameters, type HarmonicBondParameters } from '../../physics/bonded.js';
import { pairPotential } from '../../physics/pairPotential.js';

/** Time step of CG liquid runs, ps: water beads (18 amu) in tables fitted to SPC/E are stable at it with margin. */
export const PAIR_DT = 0.002;

/** The beads a liquid run moves. */
export interface PairSystem {
  /** [n] type index of each bead. */
  types: Int32Array;
  typeNames: string[];
  /** [n] masses, amu. */
  masses: Float64Array;
  /** [n] molecule index of each bead (pairs within one are excluded); absent: none. */
  molecule?: Int32Array;
  /** Bonds and angles within molecules. */
  bonds?: HarmonicBondParameters[];
  angles?: HarmonicAngleParameters[];
}

/** How long and how to sample. */
export interface PairSamplingOptions {
  /** Replicas run side by side; default 1. */
  replicas?: number;
  /** Length of each replica after equilibration, ps. */
  ps: number;
  /** Equilibration dropped from the start of each replica, ps; default 2. */
  skipPs?: number;
  /** Save a frame every this many ps; default 0.2. */
  saveEveryPs?: number;
  /** Time step, ps; default {@link PAIR_DT}. */
  dt?: number;
  /** Friction, 1/ps; default 1. */
  friction?: number;
  /** K. */
  temperature: number;
  seed: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** Frames of a liquid run (equilibration dropped), every replica's in turn. */
export interface PairSamples {
  /** [frames, n, 3] nm, not wrapped into the box. */
  positions: Float32Array;
  frames: number;
  /** Box edges, nm. */
  box: [number, number, number];
  /** [frames] potential energy, kJ/mol. */
  energies: Float64Array;
  interrupted: boolean;
}

/**
 * Runs the liquid of `tables` from `starts` [k, n, 3] (nm) in `box` (edges, nm). An interrupted
 * run returns the frames it has after equilibration, possibly none.
 * @throws Error when a complete run leaves no frame after equilibration.
 */
export async function samplePairs(tables: ReadonlyMap<string, PairTable>, system: PairSystem, starts: Float32Array | Float64Array, box: [number, number, number], o: PairSamplingOptions): Promise<PairSamples> {
  const potential = pairPotential({
    box, types: system.types, typeNames: system.typeNames, tables, molecule: system.molecule,
    ...(system.bonds?.length ? { bonds: new HarmonicBonds(system.bonds, box) } : {}),
    ...(system.angles?.length ? { angles: new HarmonicAngles(system.angles, box) } : {}),
  });
  const replicas = o.replicas ?? 1;
  const save = o.saveEveryPs ?? 0.2;
  const skip = o.skipPs ?? 2;
  const res = await simulateReplicas(potential, {
    starts, replicas, masses: system.masses, temperature: o.temperature, dt: o.dt ?? PAIR_DT, ps: skip + o.ps,
    saveEveryPs: save, friction: o.friction ?? 1, seed: o.seed, signal: o.signal, onProgress: o.onProgress,
  });
  // Frames at times ≤ skip (the first is at one save interval) are equilibration.
  const drop = res.frames ? Math.min(res.frames, Math.round(skip / res.time[0])) : 0;
  if (res.frames - drop < 1 && !res.interrupted) {
    throw new Error(`CG liquid run: no frames after the ${skip} ps of equilibration`);
  }
  const kept = res.frames - drop;
  const positions = kept > 0 ? replicaFrames(res, drop) : new Float32Array(0);
  const energies = new Float64Array(replicas * kept);
  for (let r = 0; r < replicas; r++) energies.set(res.energies.subarray(r * res.frames + drop, (r + 1) * res.frames), r * kept);
  return { positions, frames: replicas * kept, box, energies, interrupted: res.interrupted };
}
