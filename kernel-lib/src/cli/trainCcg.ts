/**
 * `cglab train ccg --data <files | glob> [--top file.pdb] --map backbone5|backbone6|<map.json>
 * [--cg-model <dir>] --out <dir>`: a CCG back-mapping q(x | s) (methods/ccg) for the data's
 * molecule, trained against its force field by the variational free energy at the CG
 * configurations of the training frames (and, with `--cg-model`, of a CG simulation of that
 * force-matching model), after a maximum-likelihood warm-up on the same frames. Also `--system`
 * (default the data's), `--temperature K` (default the data's), `--steps N` (3000), `--warmup N`
 * (1000 of them), `--batch B` (256), `--lr R` (3e-3), `--layers L` (6), `--seed S`,
 * `--samples K` (per held-out frame when judging, 4). One frame in ten is held out and
 * back-mapped at the end, judged against the true structures. Ctrl-C keeps what was learnt.
 */
import { initBackend } from '../backend/select.js';
import { getSystem } from '../datasets/systems.js';
import { backmap, backmapQuality, backmappingFlow, moleculeRepresentation } from '../methods/ccg/molecule.js';
import { CCG_FORMAT, CCG_VERSION, saveCcg, type CcgInfo } from '../methods/ccg/modelDir.js';
import { fitBackmapping } from '../methods/ccg/train.js';
import { keptFrames, loadModelDir } from '../methods/forcematching/modelDir.js';
import { mapSpecByName, resolveMap } from '../methods/forcematching/mapping.js';
import { temperatureOf } from '../methods/forcematching/data.js';
import { simulateReplicas } from '../md/replicas.js';
import { gatherRows, splitFrames } from '../nn/epochLoop.js';
import { tensorEnergyOf } from '../physics/tensor.js';
import { progressBar } from '../util/progress.js';
import { Random } from '../util/random.js';
import { optString, type ParsedArgs } from './args.js';
import { dataSet } from './dataArgs.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';

/** Options `cglab train ccg` takes. */
export const TRAIN_CCG_OPTIONS = { multi: ['data'], valued: ['top', 'data-units', 'map', 'cg-model', 'system', 'temperature', 'steps', 'warmup', 'batch', 'lr', 'layers', 'seed', 'samples', 'out'] };

/** kJ/mol above the highest training-frame energy where energies start to be regularised. */
const CAP_MARGIN = 100;
/** Held-out frames judged at the end, at most. */
const JUDGED_FRAMES = 200;

export async function trainCcgCommand(args: ParsedArgs): Promise<number> {
  const cmd = 'train ccg';
  if (args.positional.length) throw new Error(`cglab ${cmd}: unexpected argument '${args.positional[0]}'`);
  const mapName = requiredOption(args, 'map', cmd, 'backbone5|backbone6|<map.json>');
  const out = requiredOption(args, 'out', cmd, '<dir>');
  const { set, label } = dataSet(args, cmd, '<data set .npz | trajectories | glob>');
  const traj = set.read();
  if (!traj.topology) throw new Error(`cglab ${cmd}: ${label} has no topology: give the PDB of the same atoms (--top file.pdb)`);
  const systemName = optString(args, 'system') ?? (typeof traj.provenance?.system === 'string' ? traj.provenance.system : undefined);
  if (!systemName) throw new Error(`cglab ${cmd}: ${label} does not say which system's force field made it (no provenance.system): give --system <name>`);
  const system = getSystem(systemName);
  if (system.box) throw new Error(`cglab ${cmd}: ${systemName} is periodic; CCG back-mapping here is for single molecules`);
  if (system.potential.nParticles !== traj.nAtoms) throw new Error(`cglab ${cmd}: ${systemName} has ${system.potential.nParticles} atoms but ${label} has ${traj.nAtoms}`);
  const temperature = temperatureOf(traj, numberOption(args, 'temperature', cmd), label);
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  const steps = numberOption(args, 'steps', cmd, 3000) as number;
  const warmup = numberOption(args, 'warmup', cmd, Math.min(1000, Math.floor(steps / 3))) as number;
  const batch = numberOption(args, 'batch', cmd, 256) as number;
  const learningRate = numberOption(args, 'lr', cmd, 3e-3) as number;
  const layers = numberOption(args, 'layers', cmd, 6) as number;
  const samples = numberOption(args, 'samples', cmd, 4) as number;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`cglab ${cmd}: --samples must be a positive integer, got ${samples}`);

  await initBackend();
  const per = 3 * traj.nAtoms;
  const { train, validation } = splitFrames(traj.nFrames, 0.1, seed, cmd);
  const trainX = Float64Array.from(gatherRows(traj.positions, train, per));
  const heldX = Float64Array.from(gatherRows(traj.positions, validation.subarray(0, JUDGED_FRAMES), per));
  const spec = mapSpecByName(mapName);
  const rep = moleculeRepresentation(traj.topology, spec, system, trainX, `${label}: map ${mapName}`);
  const cgTopology = resolveMap(spec, traj.topology, mapName).topology;
  const trainE = new Float64Array(train.length);
  system.potential.evaluate(trainX, train.length, new Float64Array(trainX.length), trainE);
  const energyCap = Math.max(...trainE) + CAP_MARGIN;
  let contexts = rep.project(trainX, train.length);
  const cgModel = optString(args, 'cg-model');
  let cgFrames = 0;
  if (cgModel) {
    // CG configurations the back-mapping will meet in the cycle: a short run of the model.
    const m = loadModelDir(cgModel);
    if (m.info.cgTopology.atoms.length * 3 !== rep.cgDim) throw new Error(`cglab ${cmd}: ${cgModel} is a model of ${m.info.cgTopology.atoms.length} beads, but map ${mapName} has ${rep.cgDim / 3}`);
    const bar = progressBar('CG run for contexts');
    const run = await simulateReplicas(m.model.asPotential(`CG model ${cgModel}`), { starts: keptFrames(m), replicas: 16, masses: m.masses, temperature, dt: 0.002, ps: 50, saveEveryPs: 0.5, seed, onProgress: (d, t) => bar.update(d, t) });
    m.model.dispose();
    cgFrames = run.replicas * run.frames;
    bar.done(`${cgFrames} CG frames`);
    const both = new Float64Array(contexts.length + run.positions.length);
    both.set(contexts);
    both.set(run.positions, contexts.length);
    contexts = both;
  }
  process.stderr.write(`cglab ${cmd}: ${traj.nFrames} frames of ${label} (${train.length} to train, ${validation.length} held out) → ${rep.cgDim / 3} beads, ${rep.fineDim} free internal coordinates of ${traj.nAtoms - rep.cgDim / 3} atoms, ${systemName} at ${temperature} K${cgFrames ? `, + ${cgFrames} CG frames of ${cgModel}` : ''}\n`);

  const flow = backmappingFlow(rep, { layers, seed });
  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, `cglab ${cmd}: interrupted — keeping the back-mapping learnt so far`);
  const bar = progressBar('ccg');
  const curve: number[] = [];
  let fit;
  try {
    fit = await fitBackmapping(flow, rep, tensorEnergyOf(system.potential, { cap: energyCap }), temperature, {
      contexts,
      reference: { contexts: rep.project(trainX, train.length), y: rep.encode(trainX, train.length), warmup },
      steps, batch, learningRate, seed, signal: ac.signal,
      onStep: (k, loss) => {
        if (k % 10 === 0) curve.push(loss);
        bar.update(k, steps, `${k <= warmup ? 'likelihood' : 'free-energy bound'} ${loss.toFixed(2)}${k <= warmup ? '' : ' kT'}`);
      },
    });
  } finally {
    uninstall();
  }
  bar.done(`${fit.steps} steps (${fit.warmup} warm-up) in ${fit.seconds.toFixed(0)} s, final bound ${fit.loss[fit.loss.length - 1]?.toFixed(2)} kT`);
  const judged = heldX.length / per;
  const x = backmap(flow, rep, rep.project(heldX, judged), samples, new Random(seed + 7));
  const quality = { ...backmapQuality(x, heldX, traj.topology, system, rep.placed, samples), frames: judged };
  const info: CcgInfo = {
    format: CCG_FORMAT, version: CCG_VERSION, system: systemName, temperature,
    map: { name: mapName, spec }, atomistic: traj.topology, cgTopology, representation: rep.config(),
    flow: { layers, hidden: [128, 128] }, energyCap,
    data: { source: label, frames: traj.nFrames, trainFrames: train.length, heldOutFrames: validation.length, ...(cgModel ? { cgModel, cgFrames } : {}) },
    training: { steps: fit.steps, warmup: fit.warmup, batch, learningRate, seconds: fit.seconds, interrupted: fit.interrupted, loss: curve },
    quality,
  };
  saveCcg(out, info, flow);
  const e = quality.energy;
  const r = quality.referenceEnergy;
  process.stderr.write(
    `cglab ${cmd}: ${judged} held-out frames × ${samples}: energy ${e.q50.toFixed(1)} [${e.q05.toFixed(1)}, ${e.q95.toFixed(1)}] kJ/mol (median [5 %, 95 %]; true ${r.q50.toFixed(1)} [${r.q05.toFixed(1)}, ${r.q95.toFixed(1)}]), ` +
      `heavy-atom RMSD ${(10 * quality.heavyRmsd).toFixed(2)} Å, bonds within ${(1000 * quality.bondMeanError).toFixed(2)} pm of the true means, chirality kept ${(100 * quality.chirality).toFixed(1)} %, ` +
      `closest pair ${quality.closestPair.toFixed(3)} nm, ${(100 * quality.clashFraction).toFixed(2)} % of samples with a pair under 0.1 nm\n` +
      `cglab ${cmd}: wrote ${out} (ccg.json, flow.json)\n`,
  );
  return fit.interrupted ? 130 : 0;
}
