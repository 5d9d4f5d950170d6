/**
 * `cglab train arcg --data <data set | NPZ> [--top file.pdb] --model <spec.json> --out <dir>`
 * with `--map backbone5|backbone6|<map.json>` (default backbone5), `--temperature K`,
 * `--frames N`, `--seed S`, `--resume`: map the data to beads, build the spec's model
 * (methods/arcg/molecule.ts: terms, virtual sites, critic, sampling) and fit it by ARCG,
 * writing `<dir>/arcg.json` (format "cglab-arcg": the resolved terms, masses, θ with its
 * sampling error, every iteration's record), `<dir>/frames.npz` (mapped frames: starts for
 * `cglab simulate`) and `<dir>/arcg-state.json` after each iteration.
 * Ctrl-C keeps what was computed (exit 130).
 */
import { mkdirSync } from 'node:fs';
import { initBackend } from '../backend/select.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readJsonFile } from '../io/jsonFile.js';
import type { ArcgRecord } from '../methods/arcg/arcg.js';
import { moleculeFit, type MoleculeSpec } from '../methods/arcg/molecule.js';
import { ARCG_FORMAT, ARCG_VERSION, arcgFiles, type ArcgInfo } from '../methods/arcg/modelDir.js';
import { readArcgState, writeArcgState } from '../methods/arcg/stateFile.js';
import { writeStartFrames } from '../methods/forcematching/modelDir.js';
import { mapDataset } from '../methods/forcematching/data.js';
import { mapSpecByName } from '../methods/forcematching/mapping.js';
import { progressBar } from '../util/progress.js';
import { optString, type ParsedArgs } from './args.js';
import { dataSet } from './dataArgs.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';


/** Reads a --model spec: a JSON object (methods/arcg/molecule.ts MoleculeSpec). */
function readSpec(file: string): MoleculeSpec {
  const spec = readJsonFile(file, 'model spec');
  if (!spec || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`${file}: expected a JSON object with terms, virtualSites, critic, divergence, sampling, iterations`);
  const known = ['virtualSites', 'chain', 'terms', 'critic', 'divergence', 'sampling', 'iterations', 'criticSteps', 'learningRate'];
  const extra = Object.keys(spec).find((k) => !known.includes(k));
  if (extra) throw new Error(`${file}: unknown field '${extra}'; a model spec has ${known.join(', ')}`);
  return spec as MoleculeSpec;
}

export async function trainArcgCommand(args: ParsedArgs): Promise<number> {
  const cmd = 'train arcg';
  const { set, label: data } = dataSet(args, cmd, '<data set .npz | trajectories | glob>');
  const specFile = requiredOption(args, 'model', cmd, '<spec.json>');
  const out = requiredOption(args, 'out', cmd, '<dir>');
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  const spec = readSpec(specFile);
  const resume = args.options.has('resume') ? readArcgState(out) : undefined;
  if (spec.critic?.kind === 'mlp') await initBackend();
  const mapName = optString(args, 'map') ?? 'backbone5';
  const cg = mapDataset(set.read(), mapSpecByName(mapName), { temperature: numberOption(args, 'temperature', cmd), maxFrames: numberOption(args, 'frames', cmd), source: data, mapName });
  const top = cg.trajectory.topology;
  const mapped = { positions: cg.trajectory.positions, frames: cg.trajectory.nFrames, nBeads: top.atoms.length, masses: Float64Array.from(top.atoms, (a) => a.mass), temperature: cg.temperature, source: data };
  process.stderr.write(`cglab ${cmd}: ${mapped.frames} frames of ${data} → ${mapped.nBeads} beads (${top.atoms.map((a) => a.name).join(' ')})${spec.virtualSites?.length ? ` + ${spec.virtualSites.length} virtual site(s) (${spec.virtualSites.map((v) => v.name).join(' ')})` : ''}, ${cg.temperature} K\n`);
  if (resume) process.stderr.write(`cglab ${cmd}: resuming from ${out}/arcg-state.json at iteration ${resume.iteration}\n`);
  mkdirSync(out, { recursive: true });
  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, `cglab ${cmd}: interrupted — keeping what was computed`);
  const bar = progressBar('arcg');
  try {
    const fit = await moleculeFit(spec, mapped, {
      seed, resume, signal: ac.signal,
      onProgress: (it, d, t) => bar.update(d, t, `iteration ${it}`),
      onIteration: (r: ArcgRecord, state) => {
        writeArcgState(out, state);
        process.stderr.write(`arcg iteration ${r.iteration}: ${spec.divergence ?? 'kl'} estimate ${r.divergence.toExponential(3)}, step ${r.step.toFixed(4)} kT${r.resampled ? '' : ` (reweighted, ESS ${r.ess.toFixed(0)})`}, ${r.seconds.toFixed(1)} s\n`);
      },
    });
    fit.critic.dispose();
    if (!fit.records.length) throw new Error(`cglab ${cmd}: interrupted before the first iteration finished; nothing to save in ${out}`);
    const info: ArcgInfo = {
      format: ARCG_FORMAT, version: ARCG_VERSION, source: data, map: mapName, temperature: cg.temperature,
      beads: top.atoms.map((a) => a.name), virtualSites: spec.virtualSites ?? [], masses: Array.from(fit.model.masses),
      terms: fit.model.terms, critic: fit.model.critic, divergence: spec.divergence ?? 'kl',
      parameters: fit.model.basis.names.map((name, k) => ({ name, theta: fit.theta[k], error: Number.isFinite(fit.thetaError[k]) ? fit.thetaError[k] : null })),
      converged: fit.converged, records: fit.records,
    };
    writeFileAtomic(arcgFiles(out).info, JSON.stringify(info, null, 1));
    writeStartFrames(out, cg.trajectory);
    process.stderr.write(`cglab ${cmd}: wrote ${out}/arcg.json and frames.npz (${fit.records.length} iterations${fit.converged ? ', converged' : ''})${ac.signal.aborted ? ' — interrupted, from the work done so far' : ''}\n`);
    return ac.signal.aborted ? 130 : 0;
  } finally {
    uninstall();
  }
}
