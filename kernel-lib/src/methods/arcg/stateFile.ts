/**
 * An ARCG fit's resume point on disk: `<dir>/arcg-state.json`, a cglab parameter file
 * (nn/params.ts) whose config is `{ "kind": "arcg-state", "iteration", "theta", "records",
 * "critic": <critic config> }` and whose tensors are the critic's. Written atomically after
 * every iteration, so an interrupted fit loses at most the iteration it was in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Json, JsonObject } from '../../nn/params.js';
import { loadParams, saveParams } from '../../nn/params.js';
import type { ArcgRecord, ArcgState } from './arcg.js';

/** File name of the state within a model folder. */
export const ARCG_STATE_FILE = 'arcg-state.json';

export function writeArcgState(dir: string, state: ArcgState): void {
  const config: JsonObject = {
    kind: 'arcg-state', iteration: state.iteration, theta: state.theta,
    records: state.records as unknown as Json[], critic: state.critic.config,
    ...(state.radius !== undefined ? { radius: state.radius } : {}),
    ...(state.accepted ? { accepted: state.accepted } : {}),
  };
  saveParams(join(dir, ARCG_STATE_FILE), config, state.critic.tensors);
}

/**
 * The state saved in `dir`.
 * @throws Error naming the file when there is none or it is not an ARCG state.
 */
export function readArcgState(dir: string): ArcgState {
  const file = join(dir, ARCG_STATE_FILE);
  if (!existsSync(file)) throw new Error(`${file}: no ARCG state to resume from (an ARCG fit writes it after each iteration)`);
  const p = loadParams(file);
  const c = p.config;
  if (c.kind !== 'arcg-state' || typeof c.iteration !== 'number' || !Array.isArray(c.theta) || !Array.isArray(c.records) || typeof c.critic !== 'object' || c.critic === null || Array.isArray(c.critic)) {
    throw new Error(`${file}: not an ARCG state (expected config kind "arcg-state" with iteration, theta, records and critic)`);
  }
  return {
    iteration: c.iteration, theta: c.theta as number[], records: c.records as unknown as ArcgRecord[], critic: { config: c.critic, tensors: p.tensors },
    ...(typeof c.radius === 'number' ? { radius: c.radius } : {}),
    ...(c.accepted && typeof c.accepted === 'object' && !Array.isArray(c.accepted) ? { accepted: c.accepted as unknown as ArcgState['accepted'] } : {}),
  };
}
