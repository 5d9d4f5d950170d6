/**
 * The systems embedded physics learns and the folder a trained model lives in:
 * - `model.json`: a cglab parameter file (nn/params.ts) whose config is `{kind: "embedded",
 *   system, temperature (K), model: {dim, latent, prior, hidden}}` and whose tensors are
 *   `decoder/…`, `encoder/…` and the encoder's input normalisation `input/shift`, `input/scale`;
 * - `training.json` (format "cglab-embedded-training"): the tempering ladder's rungs (factor,
 *   steps, loss, ESS to the next, energy guard), the loss curve by window, steps, the factor
 *   reached and whether the run completed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getSystem } from '../../datasets/systems.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { builtinForceField } from '../../physics/forcefield.js';
import { loadParams, saveParams, type JsonObject } from '../../nn/params.js';
import { EmbeddedModel, type EmbeddedConfig } from './model.js';
import { moleculeTarget, potentialTarget, type EmbeddedTarget } from './target.js';
import type { EmbeddedFit } from './train.js';

/** The `kind` in a model.json config. */
export const EMBEDDED_KIND = 'embedded';
export const TRAINING_FORMAT = 'cglab-embedded-training';

/** Built-in systems that are molecules with a flexible force field exported. */
const MOLECULES = new Set(['alanine-dipeptide']);

/**
 * The target of a built-in system at `temperature` (default the system's): toy surfaces in
 * their coordinates; alanine dipeptide with every bond flexible (its constrained X–H bonds as
 * OpenMM's harmonic terms) in the rigid frame.
 * @param aStart the first tempering factor, where a molecule's energy guard is strongest.
 * @throws Error for an unknown system, or a periodic one (a liquid is not one molecule).
 */
export function embeddedTarget(system: string, temperature?: number, aStart?: number): EmbeddedTarget {
  const sys = getSystem(system);
  if (sys.box) throw new Error(`embedded: ${system} is a periodic system of many molecules; embedded physics generates one molecule (alanine-dipeptide) or a toy surface`);
  const t = temperature ?? sys.temperature;
  if (MOLECULES.has(system)) return moleculeTarget(builtinForceField(system as 'alanine-dipeptide', 'obc2', true), t, sys.positions, { aStart });
  return potentialTarget(sys.potential, t, sys.positions, sys.topology);
}

/** Save a fit's model and record to `dir` (created if missing), each file atomically. */
export function saveEmbedded(dir: string, target: EmbeddedTarget, system: string, fit: EmbeddedFit, extra: JsonObject = {}): void {
  mkdirSync(dir, { recursive: true });
  saveParams(join(dir, 'model.json'), { kind: EMBEDDED_KIND, system, temperature: target.temperature, model: fit.model.json() }, fit.model.tensors());
  const record = { format: TRAINING_FORMAT, version: 1, system, temperature: target.temperature, steps: fit.steps, a: fit.a, complete: fit.complete, interrupted: fit.interrupted, stages: fit.stages, curve: fit.curve, ...extra };
  writeFileAtomic(join(dir, 'training.json'), JSON.stringify(record, null, 1));
}

/** A trained model with the target it was trained on. */
export interface LoadedEmbedded {
  model: EmbeddedModel;
  target: EmbeddedTarget;
  system: string;
}

/**
 * Load `<dir>/model.json`.
 * @throws Error naming the file and field when it is not an embedded-physics model.
 */
export function loadEmbedded(dir: string): LoadedEmbedded {
  const file = join(dir, 'model.json');
  const p = loadParams(file);
  const c = p.config;
  if (c.kind !== EMBEDDED_KIND) throw new Error(`${file}: config.kind is ${JSON.stringify(c.kind)}, expected "${EMBEDDED_KIND}" (a model of cglab train embedded)`);
  if (typeof c.system !== 'string') throw new Error(`${file}: config.system is ${JSON.stringify(c.system)}, expected a system name`);
  if (typeof c.temperature !== 'number') throw new Error(`${file}: config.temperature is ${JSON.stringify(c.temperature)}, expected K`);
  const target = embeddedTarget(c.system, c.temperature);
  const config = c.model as unknown as EmbeddedConfig;
  if (!config || config.dim !== target.dim) throw new Error(`${file}: config.model.dim is ${JSON.stringify(config?.dim)}, but ${c.system} has ${target.dim} generated coordinates`);
  const model = new EmbeddedModel(config, target.start, target.scale);
  model.load(p.tensors, file);
  return { model, target, system: c.system };
}
