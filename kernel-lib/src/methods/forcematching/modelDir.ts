/**
 * A trained force-matching model as a folder, everything a later simulation needs:
 *
 * | file                 | content                                                                |
 * |----------------------|------------------------------------------------------------------------|
 * | `model.json`         | the EnergyModel (priors + network), nn/params.ts format               |
 * | `forcematching.json` | format tag, temperature, CG topology, map, force map, all-atom topology, training record |
 * | `frames.npz`         | a few hundred mapped training frames (cglab data set, CG topology): starts for simulations |
 * | `checkpoint.json`    | training state for `resume` (train.ts), while and after training       |
 * | `refine-runs.npz`    | after `cglab refine`: the CG runs of dihedral refinement (refine.ts), pooled by later rounds |
 */
import type { PhiPsiJudgement } from '../../analysis/ramachandran.js';
import { readVersionedJson } from '../../io/versionedJson.js';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LinearMap } from '../../cg/linearMap.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readDataset, writeDataset } from '../../io/dataset.js';
import { makeTrajectory, type Trajectory } from '../../io/trajectory.js';
import { EnergyModel } from '../../nn/energyModel.js';
import type { Topology } from '../../topology/topology.js';
import { alignedPositions, describe, type CGData } from './data.js';
import type { MapSpec } from './mapping.js';
import type { ArchitectureOptions, ModelKind } from './model.js';
import type { TrainingRecord } from './train.js';
import './coordinateNet.js';

/** The format tag of `forcematching.json`. */
export const MODEL_INFO_FORMAT = 'cglab-forcematching';
/** Its version. */
export const MODEL_INFO_VERSION = 1;
/** Mapped frames kept with a model as simulation starts. */
export const KEPT_FRAMES = 300;

/** The content of `forcematching.json`. */
export interface ModelInfo {
  format: typeof MODEL_INFO_FORMAT;
  version: number;
  model: ModelKind;
  /** Temperature of the training data, K. */
  temperature: number;
  /** Beads: names, masses (amu), residues, bonds. */
  cgTopology: Topology;
  /** The map as given (name for built-ins or file path), its spec and M's rows. */
  map: { name: string; spec: MapSpec; rows: number[][] };
  /** The force map used for the training forces. */
  forceMap: { kind: string; constrainedPairs: number; rows: number[][] };
  /** The all-atom topology the map reads; new data are matched against it. */
  atomistic: Topology;
  architecture: ArchitectureOptions;
  /** Where the training data came from. */
  data: { source: string; frames: number };
  record?: TrainingRecord;
  /**
   * Dihedral refinement done on the model (`cglab refine`): corrections added, runs kept, the
   * reference data, the refined quadruples, and per run KL(ref‖CG) per dihedral and per pair, nats.
   */
  refinement?: {
    rounds: number; runs: number; data: string; quads: number[][]; divergence: number[][]; pairDivergence: number[][];
    /** Alanine dipeptide's φ/ψ of the newest run (number `run`, of the refined model when `refined`) against the reference on every bin it populates. */
    judgement?: PhiPsiJudgement & { run: number; refined: boolean };
  };
}

/** Paths of a model folder's files. */
export function modelFiles(dir: string): { model: string; info: string; frames: string; refineRuns: string } {
  return { model: join(dir, 'model.json'), info: join(dir, 'forcematching.json'), frames: join(dir, 'frames.npz'), refineRuns: join(dir, 'refine-runs.npz') };
}

/** The description of a model trained on `cg`, for `forcematching.json`. */
export function modelInfo(cg: CGData, o: { model: ModelKind; mapName: string; architecture: ArchitectureOptions; source: string }): ModelInfo {
  return {
    format: MODEL_INFO_FORMAT,
    version: MODEL_INFO_VERSION,
    model: o.model,
    temperature: cg.temperature,
    cgTopology: cg.trajectory.topology,
    map: { name: o.mapName, spec: cg.spec, rows: cg.map.toRows() },
    forceMap: { kind: cg.forceMapKind, constrainedPairs: cg.constrainedPairs, rows: cg.forceMap.toRows() },
    atomistic: cg.atomistic,
    architecture: o.architecture,
    data: { source: o.source, frames: cg.trajectory.nFrames },
  };
}

/** Write `forcematching.json` (atomically). */
export function writeModelInfo(dir: string, info: ModelInfo): void {
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(modelFiles(dir).info, JSON.stringify(info, null, 1));
}

/** Keep up to `max` CG frames, evenly strided, in `frames.npz`. */
export function writeStartFrames(dir: string, cg: Trajectory, max = KEPT_FRAMES): void {
  const n = Math.min(max, cg.nFrames);
  const per = cg.nAtoms * 3;
  const positions = new Float32Array(n * per);
  for (let k = 0; k < n; k++) {
    const f = Math.floor((k * cg.nFrames) / n);
    positions.set(cg.positions.subarray(f * per, (f + 1) * per), k * per);
  }
  mkdirSync(dir, { recursive: true });
  writeDataset(modelFiles(dir).frames, makeTrajectory({ topology: cg.topology, nFrames: n, nAtoms: cg.nAtoms, positions, provenance: { content: 'mapped training frames kept as simulation starts' } }));
}

/** A model folder, loaded and checked. */
export interface LoadedModel {
  dir: string;
  model: EnergyModel;
  info: ModelInfo;
  /** M [beads × atoms] of the stored map. */
  map: LinearMap;
  /** [beads] bead masses, amu. */
  masses: Float64Array;
}

/**
 * Load a model folder written by `cglab train forcematching`.
 * @throws Error naming the file for a missing file, a `forcematching.json` of another format or
 *   a newer version, or a `model.json` whose bead count differs from the CG topology's.
 */
export function loadModelDir(dir: string): LoadedModel {
  const files = modelFiles(dir);
  for (const f of [files.model, files.info]) {
    if (!existsSync(f)) throw new Error(`${dir}: no ${f.slice(dir.length + 1)}; expected a model folder written by 'cglab train forcematching'`);
  }
  const info = readVersionedJson<ModelInfo>(files.info, MODEL_INFO_FORMAT, MODEL_INFO_VERSION, 'cglab train forcematching');
  const model = EnergyModel.load(files.model);
  const beads = info.cgTopology.atoms.length;
  if (model.nBeads !== beads) {
    model.dispose();
    throw new Error(`${dir}: model.json reads ${model.nBeads} beads but forcematching.json's CG topology has ${beads}: the files belong to different models`);
  }
  const map = LinearMap.fromRows(info.map.rows);
  return { dir, model, info, map, masses: Float64Array.from(info.cgTopology.atoms, (a) => a.mass) };
}

/**
 * Bead positions [frames, beads, 3] (nm) of `traj` for the loaded model: all-atom frames are
 * matched to the model's atoms by residue and name and mapped with its map; frames that are
 * already CG must have the model's beads (same count and names).
 * @throws Error when the frames are neither: wrong atom or bead count, or atoms or beads that
 *   do not match the model's (the model was trained on another system or map).
 */
export function startPositions(m: LoadedModel, traj: Trajectory, src: string): Float32Array {
  const { cgTopology, atomistic } = m.info;
  const beads = cgTopology.atoms.length;
  if (traj.nAtoms === beads && traj.nAtoms !== atomistic.atoms.length) {
    traj.topology?.atoms.forEach((a, i) => {
      const b = cgTopology.atoms[i];
      if (a.name !== b.name || a.residue !== b.residue) {
        throw new Error(`${src}: bead ${i} is ${a.residue} ${a.name}, the model's is ${b.residue} ${b.name}: these CG frames come from another map`);
      }
    });
    return traj.positions;
  }
  if (traj.nAtoms !== atomistic.atoms.length) {
    throw new Error(`${src}: has ${traj.nAtoms} atoms, but the model maps ${atomistic.atoms.length} atoms (${describe(atomistic)}) to ${beads} beads: give all-atom frames of that system or CG frames of ${beads} beads`);
  }
  return m.map.apply(alignedPositions(traj, atomistic, src));
}

/** The kept training frames of a model folder, [frames, beads, 3] nm. */
export function keptFrames(m: LoadedModel): Float32Array {
  const file = modelFiles(m.dir).frames;
  if (!existsSync(file)) throw new Error(`${m.dir}: no frames.npz to start from; give starting frames (--start data.npz)`);
  return startPositions(m, readDataset(file), file);
}
