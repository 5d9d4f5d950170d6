/**
 * `cglab train forcematching --data <files | glob> [--top file.pdb] --map
 * backbone5|backbone6|<map.json> --model cgnet|cgschnet [--epochs N] [--seed S] --out <dir>`
 * with optional `--temperature K`, `--force-map auto|optimal|basic`, `--frames N`,
 * `--batch-size B`, `--lr R`, `--target delta|full`, `--resume`, `--stream`, `--memory-gb G`:
 * map the data, fit priors, train with a progress bar, and write the model folder
 * (methods/forcematching/modelDir.ts). A set whose positions and forces exceed `--memory-gb`
 * (default 2) is streamed (methods/forcematching/stream.ts) instead of read whole.
 * Ctrl-C stops after the current step and keeps the best model so far; `--resume` continues
 * from the last complete epoch.
 */
import { initBackend } from '../backend/select.js';
import { trainArcgCommand } from './trainArcg.js';
import { TRAIN_AUTOGRAIN_OPTIONS, trainAutograinCommand } from './trainAutograin.js';
import { TRAIN_CCG_OPTIONS, trainCcgCommand } from './trainCcg.js';
import { TRAIN_EMBEDDED_OPTIONS, trainEmbeddedCommand } from './trainEmbedded.js';
import { mapDataset, type CGData, type ForceMapChoice } from '../methods/forcematching/data.js';
import { streamForceData } from '../methods/forcematching/stream.js';
import { mapSpecByName } from '../methods/forcematching/mapping.js';
import { buildModel, fitPriors, type ArchitectureOptions, type ModelKind } from '../methods/forcematching/model.js';
import { modelFiles, modelInfo, writeModelInfo, writeStartFrames } from '../methods/forcematching/modelDir.js';
import { trainForceMatching, type ForceData, type StreamedForceData } from '../methods/forcematching/train.js';
import { progressBar } from '../util/progress.js';
import { optString, parseArgs, type ParsedArgs } from './args.js';
import { dataSet, streamChoice } from './dataArgs.js';

const METHODS = ['forcematching', 'autograin', 'arcg', 'embedded', 'ccg'];

/** A numeric option, or `dflt` when absent. */
export function numberOption(args: ParsedArgs, name: string, command: string, dflt?: number): number | undefined {
  const v = optString(args, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`cglab ${command}: --${name} must be a number, got '${v}'`);
  return n;
}

/** A required string option. */
export function requiredOption(args: ParsedArgs, name: string, command: string, what: string): string {
  const v = optString(args, name);
  if (v === undefined) throw new Error(`cglab ${command}: --${name} ${what} is required`);
  return v;
}

/** Stop `ac` on the first Ctrl-C (a second one kills the process as usual); returns the uninstaller. */
export function abortOnSigint(ac: AbortController, message: string): () => void {
  const onSigint = () => {
    process.stderr.write(`\n${message} (Ctrl-C again to abort)\n`);
    ac.abort();
    process.off('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  return () => process.off('SIGINT', onSigint);
}

export async function trainCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'arcg') {
    return trainArcgCommand(parseArgs(argv.slice(1), { valued: ['top', 'map', 'model', 'seed', 'out', 'temperature', 'frames', 'data-units'], multi: ['data'], flags: ['resume'] }, 'train arcg'));
  }
  if (argv[0] === 'ccg') return trainCcgCommand(parseArgs(argv.slice(1), TRAIN_CCG_OPTIONS, 'train ccg'));
  if (argv[0] === 'autograin') return trainAutograinCommand(parseArgs(argv.slice(1), TRAIN_AUTOGRAIN_OPTIONS, 'train autograin'));
  if (argv[0] === 'embedded') {
    if (argv.some((a) => a === '--data' || a.startsWith('--data='))) throw new Error('cglab train embedded: takes no --data: embedded physics learns from the force field of --system alone');
    return trainEmbeddedCommand(parseArgs(argv.slice(1), { valued: TRAIN_EMBEDDED_OPTIONS }, 'train embedded'));
  }
  const cmd = 'train forcematching';
  const args = parseArgs(argv, {
    valued: ['top', 'map', 'model', 'epochs', 'seed', 'out', 'temperature', 'force-map', 'frames', 'batch-size', 'lr', 'target', 'memory-gb', 'data-units'],
    multi: ['data'],
    flags: ['resume', 'stream'],
  }, 'train');
  const [method, ...extra] = args.positional;
  if (!method || extra.length || !METHODS.includes(method)) {
    throw new Error(`cglab train: expected the method (${METHODS.join(', ')}) as the one positional argument, got ${args.positional.length ? args.positional.join(' ') : 'none'}`);
  }
  const { set, label: data } = dataSet(args, cmd, '<data set .npz | trajectories with forces (.trr, .lammpstrj, …) | glob>', {
    requireForces: 'force matching fits the CG forces to mapped atomistic forces: use data saved with forces (cglab generate writes them; a numpy NPZ needs a \'forces\' array [frames, atoms, 3]; TRR frames need forces, nstfout = nstxout)',
  });
  const mapName = requiredOption(args, 'map', cmd, 'backbone5|backbone6|<map.json>');
  const kind = requiredOption(args, 'model', cmd, 'cgnet|cgschnet') as ModelKind;
  if (kind !== 'cgnet' && kind !== 'cgschnet') throw new Error(`cglab ${cmd}: --model is '${kind as string}', expected cgnet or cgschnet`);
  const out = requiredOption(args, 'out', cmd, '<dir>');
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  const spec = mapSpecByName(mapName);
  const target = optString(args, 'target') ?? 'delta';
  if (target !== 'delta' && target !== 'full') throw new Error(`cglab ${cmd}: --target is '${target}', expected delta or full`);

  const { stream, why } = streamChoice(args, cmd, set);
  const maxFrames = numberOption(args, 'frames', cmd);
  if (stream && maxFrames !== undefined) throw new Error(`cglab ${cmd}: --frames strides over frames held in memory; a streamed set (${why}) trains on every frame`);
  const mapOptions = {
    forceMap: (optString(args, 'force-map') ?? 'auto') as ForceMapChoice,
    temperature: numberOption(args, 'temperature', cmd),
    source: data,
    mapName,
  };

  await initBackend();
  let cg: CGData;
  let trainingData: ForceData | StreamedForceData;
  if (stream) {
    process.stderr.write(`cglab ${cmd}: streaming ${data} (${why})\n`);
    const bar = progressBar('statistics pass');
    const streamed = await streamForceData(set, spec, { ...mapOptions, seed, onRead: (done, total) => bar.update(done, total) });
    bar.done(`force map, ${streamed.cg.trajectory.nFrames} prior frames, ${streamed.data.validation.positions.length / (3 * streamed.cg.trajectory.nAtoms)} validation frames`);
    cg = streamed.cg;
    trainingData = streamed.data;
  } else {
    cg = mapDataset(set.read(), spec, { ...mapOptions, maxFrames });
    trainingData = { positions: cg.trajectory.positions, forces: cg.trajectory.forces };
  }
  const beads = cg.trajectory.nAtoms;
  process.stderr.write(`cglab ${cmd}: ${stream ? set.nFrames : cg.trajectory.nFrames} frames of ${data} → ${beads} beads (${cg.trajectory.topology.atoms.map((a) => a.name).join(' ')}), ${cg.forceMapKind} force map${cg.constrainedPairs ? ` blind to ${cg.constrainedPairs} H-bond constraints` : ''}, ${cg.temperature} K\n`);
  const priors = fitPriors(cg.trajectory.positions, cg.trajectory.topology, { temperature: cg.temperature });
  const architecture: ArchitectureOptions = { seed };
  const model = buildModel(kind, cg.trajectory.topology, cg.trajectory.positions, priors, architecture);
  const info = modelInfo(cg, { model: kind, mapName, architecture, source: data });
  if (stream) info.data.frames = set.nFrames;
  writeModelInfo(out, info);
  writeStartFrames(out, cg.trajectory);

  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, `cglab ${cmd}: interrupted — stopping after this step and keeping the best model so far`);
  const bar = progressBar(`${kind} ${mapName}`);
  let lastEpoch = '';
  try {
    const record = await trainForceMatching(model, trainingData, {
      epochs: numberOption(args, 'epochs', cmd),
      seed,
      batchSize: numberOption(args, 'batch-size', cmd),
      learningRate: numberOption(args, 'lr', cmd),
      target,
      checkpointDir: out,
      resume: args.options.has('resume'),
      signal: ac.signal,
      onProgress: (p) => {
        if (p.kind === 'epoch') {
          lastEpoch = `val ${p.validationLoss.toFixed(1)}${p.improved ? '*' : ''}`;
          return;
        }
        bar.update((p.epoch - 1) * p.stepsPerEpoch + p.step, p.epochs * p.stepsPerEpoch, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(1)} ${lastEpoch} lr ${p.learningRate.toExponential(1)}`);
      },
    });
    bar.done(`${record.stoppedBy}: best validation loss ${record.bestValidationLoss.toFixed(2)} (kJ/mol/nm)² at epoch ${record.bestEpoch} (initial ${record.initialValidationLoss.toFixed(2)})`);
    model.save(modelFiles(out).model);
    writeModelInfo(out, { ...info, record });
    process.stderr.write(`cglab ${cmd}: wrote ${out} (model.json, forcematching.json, frames.npz, checkpoint.json)\n`);
    return record.stoppedBy === 'interrupted' ? 130 : 0;
  } finally {
    uninstall();
    model.dispose();
  }
}
