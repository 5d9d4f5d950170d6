/**
 * The folder of a trained CCG back-mapping (`cglab train ccg`):
 * - `ccg.json` (format `cglab-ccg`): the system and temperature whose force field it was trained
 *   against, the map, the all-atom and CG topologies, the Z-matrix representation, the flow's
 *   layout, the training record and the quality on held-out frames;
 * - `flow.json`: the conditional flow (a cglab parameter file, nn/flows.ts).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getSystem, type MolecularSystem } from '../../datasets/systems.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { readJsonFile } from '../../io/jsonFile.js';
import { Flow } from '../../nn/flows.js';
import type { Topology } from '../../topology/topology.js';
import type { MapSpec } from '../forcematching/mapping.js';
import type { BackmapQuality } from './molecule.js';
import { zMatrixRepresentation, type ZMatrixConfig, type ZMatrixRepresentation } from './zMatrix.js';

export const CCG_FORMAT = 'cglab-ccg';
export const CCG_VERSION = 1;

/** What `ccg.json` holds. */
export interface CcgInfo {
  format: typeof CCG_FORMAT;
  version: number;
  /** Built-in system whose force field q was trained against. */
  system: string;
  temperature: number;
  map: { name: string; spec: MapSpec };
  atomistic: Topology;
  cgTopology: Topology;
  representation: ZMatrixConfig;
  flow: { layers: number; hidden: number[] };
  /** kJ/mol: energies above it were regularised in training (physics/tensor.ts). */
  energyCap: number;
  data: { source: string; frames: number; trainFrames: number; heldOutFrames: number; cgModel?: string; cgFrames?: number };
  training: { steps: number; warmup: number; batch: number; learningRate: number; seconds: number; interrupted: boolean; loss: number[] };
  /** Held-out frames back-mapped and judged against the true structures. */
  quality?: BackmapQuality & { frames: number };
}

/** Write a back-mapping folder (each file atomically). */
export function saveCcg(dir: string, info: CcgInfo, flow: Flow): void {
  mkdirSync(dir, { recursive: true });
  flow.save(join(dir, 'flow.json'));
  writeFileAtomic(join(dir, 'ccg.json'), JSON.stringify(info, null, 1));
}

/** A loaded back-mapping folder. */
export interface LoadedCcg {
  info: CcgInfo;
  rep: ZMatrixRepresentation;
  flow: Flow;
  system: MolecularSystem;
}

/** @throws Error naming the folder and file when it is not a `cglab train ccg` folder or its files disagree. */
export function loadCcg(dir: string): LoadedCcg {
  const file = join(dir, 'ccg.json');
  if (!existsSync(file)) throw new Error(`${dir}: no ccg.json: not a folder written by cglab train ccg`);
  const info = readJsonFile(file, 'CCG back-mapping') as CcgInfo;
  if (info.format !== CCG_FORMAT) throw new Error(`${file}: format is ${JSON.stringify(info.format)}, expected "${CCG_FORMAT}"`);
  if (info.version !== CCG_VERSION) throw new Error(`${file}: version ${info.version}; this cglab reads version ${CCG_VERSION}`);
  const rep = zMatrixRepresentation(info.representation);
  const flow = Flow.load(join(dir, 'flow.json'));
  if (flow.dim !== rep.fineDim || flow.contextDim !== rep.contextDim) {
    throw new Error(`${dir}: flow.json maps ${flow.contextDim} context values to ${flow.dim}, but ccg.json's representation has ${rep.contextDim} and ${rep.fineDim}`);
  }
  return { info, rep, flow, system: getSystem(info.system) };
}
