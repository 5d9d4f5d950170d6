/**
 * `cglab train autograin --data <data set | numpy NPZ> [--top file.pdb] --beads N [--epochs E]
 * [--rho R] [--seed S] --out <dir>`: learn a CG mapping with a CG auto-encoder (Wang &
 * Gómez-Bombarelli). Also `--per-molecule` (one assignment for every copy of the molecule; the
 * default when the topology is copies of one molecule), `--warmup E` (epochs before the force
 * term), `--frames N`, `--batch-size B`, `--lr R`, `--soft` (soft Gumbel-softmax samples in place
 * of straight-through hard ones), `--weighting mass|geometry`, `--decoder linear|variational`,
 * `--units auto|atoms|constraints` (assign heavy atoms with their constrained hydrogens as one
 * unit; auto: when the data have X–H constraints), `--resume`. Prints the progress per epoch and the learnt groups by residue and atom name;
 * writes `<dir>/map.json`, `autograin.json`, `training.json` (and `beads.json` per molecule),
 * methods/autograin/modelDir.ts. Ctrl-C stops after the current step and writes the best map so
 * far (exit 130).
 */
import { initBackend } from '../backend/select.js';
import { basicForceMap, mappedForceVariance } from '../cg/forceMap.js';
import { groupMap } from '../cg/linearMap.js';
import { autograinSamples } from '../methods/autograin/data.js';
import { saveAutograin } from '../methods/autograin/modelDir.js';
import { fitAutograin } from '../methods/autograin/train.js';
import type { BeadWeighting, DecoderKind } from '../methods/autograin/autoencoder.js';
import { progressBar } from '../util/progress.js';
import { optString, type ParsedArgs } from './args.js';
import { dataSet } from './dataArgs.js';
import { abortOnSigint, numberOption, requiredOption } from './train.js';

/** Options `cglab train autograin` takes. */
export const TRAIN_AUTOGRAIN_OPTIONS = { multi: ['data'], valued: ['top', 'data-units', 'beads', 'epochs', 'rho', 'seed', 'out', 'warmup', 'frames', 'batch-size', 'lr', 'weighting', 'decoder', 'units'], flags: ['per-molecule', 'soft', 'resume'] };

export async function trainAutograinCommand(args: ParsedArgs): Promise<number> {
  const cmd = 'train autograin';
  const { set, label: data } = dataSet(args, cmd, '<data set .npz | trajectories | glob>');
  const out = requiredOption(args, 'out', cmd, '<dir>');
  const beads = numberOption(args, 'beads', cmd);
  if (beads === undefined || !Number.isInteger(beads) || beads < 1) throw new Error(`cglab ${cmd}: --beads N (a positive integer, the number of CG beads) is required${beads === undefined ? '' : `, got ${beads}`}`);
  const weighting = (optString(args, 'weighting') ?? 'mass') as BeadWeighting;
  if (weighting !== 'mass' && weighting !== 'geometry') throw new Error(`cglab ${cmd}: --weighting is '${weighting as string}', expected mass or geometry`);
  const decoder = (optString(args, 'decoder') ?? 'linear') as DecoderKind;
  if (decoder !== 'linear' && decoder !== 'variational') throw new Error(`cglab ${cmd}: --decoder is '${decoder as string}', expected linear or variational`);
  const rho = numberOption(args, 'rho', cmd, 0) as number;
  const traj = set.read();
  const samples = autograinSamples(traj, {
    perMolecule: args.options.has('per-molecule') ? true : undefined,
    weighting,
    maxFrames: numberOption(args, 'frames', cmd),
    needForces: rho > 0,
    units: (optString(args, 'units') ?? 'auto') as 'auto' | 'atoms' | 'constraints',
    source: data,
  });
  const nUnits = samples.units ? Math.max(...samples.units) + 1 : samples.masses.length;
  const nA = samples.masses.length;
  if (beads > nA) throw new Error(`cglab ${cmd}: --beads ${beads} is more than the ${nA} atoms of ${samples.perMolecule ? 'the molecule' : data}: every bead needs at least one atom`);
  if (beads > nUnits) throw new Error(`cglab ${cmd}: --beads ${beads} is more than the ${nUnits} units of ${data} (heavy atoms with the hydrogens constrained to them, which share a bead: the data have X–H constraints): use at most ${nUnits} beads, or --units atoms`);
  await initBackend();
  process.stderr.write(`cglab ${cmd}: ${samples.frames} frames of ${data}${samples.perMolecule ? ` × ${samples.molecules} molecules (${samples.topology.atoms[0].residue}, learnt per molecule)` : ''} → ${beads} beads of ${nA} atoms${samples.units ? ` in ${nUnits} units (heavy atoms with their constrained hydrogens)` : ''}, ρ = ${rho} nm²/(kJ/mol/nm)²\n`);

  const ac = new AbortController();
  const uninstall = abortOnSigint(ac, `cglab ${cmd}: interrupted — stopping after this step and keeping the best map so far`);
  const bar = progressBar(`autograin ${beads} beads`);
  let lastEpoch = '';
  try {
    const fit = await fitAutograin(samples, {
      beads,
      rho,
      epochs: numberOption(args, 'epochs', cmd),
      seed: numberOption(args, 'seed', cmd, 1),
      forceWarmup: numberOption(args, 'warmup', cmd),
      batchSize: numberOption(args, 'batch-size', cmd),
      learningRate: numberOption(args, 'lr', cmd),
      hard: !args.options.has('soft'),
      weighting,
      decoder,
      checkpointDir: out,
      resume: args.options.has('resume'),
      signal: ac.signal,
      onProgress: (p) => {
        if (p.kind === 'epoch') {
          const m = p.metrics ?? {};
          lastEpoch = `τ ${m.tau.toFixed(2)} recon ${m.reconstruction.toExponential(2)} nm² (${m.reconstructionA2.toFixed(3)} Å²)${samples.forces ? ` force ${m.force.toExponential(2)}` : ''}${p.improved ? '*' : ''}`;
          return;
        }
        bar.update((p.epoch - 1) * p.stepsPerEpoch + p.step, p.epochs * p.stepsPerEpoch, `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toExponential(2)} ${lastEpoch}`);
      },
    });
    const r = fit.reconstruction;
    bar.done(`${fit.record.stoppedBy}: map of epoch ${fit.record.bestEpoch}, reconstruction ${r.validation.toExponential(3)} nm² (${(100 * r.validation).toFixed(4)} Å²) on held-out samples, ${r.train.toExponential(3)} nm² on training ones`);
    const variance = samples.forces ? mappedForceVariance(basicForceMap(groupMap(nA, fit.groups, { weighting: 'geometry' })), samples.forces) : undefined;
    const saved = saveAutograin(out, traj.topology as NonNullable<typeof traj.topology>, samples, fit, variance === undefined ? {} : { mappedForceVariance: variance });
    saved.groupNames.forEach((g, k) => process.stderr.write(`  bead ${k}: ${g}\n`));
    const c = saved.check;
    const problems = [
      ...(c.disconnected.length ? [`beads ${c.disconnected.join(', ')} are not connected pieces of the bond graph`] : []),
      ...(c.strayHydrogens.length ? [`hydrogens ${c.strayHydrogens.map((i) => samples.topology.atoms[i].name).join(', ')} are not in their heavy atom's bead`] : []),
    ];
    process.stderr.write(c.ok ? '  every bead is a connected piece of the molecule and keeps its heavy atoms\' hydrogens\n' : `  check: ${problems.join('; ')}\n`);
    if (variance !== undefined) process.stderr.write(`  mapped-force variance (the force-matching noise floor of this map): ${variance.toExponential(3)} (kJ/mol/nm)²\n`);
    process.stderr.write(`cglab ${cmd}: wrote ${out} (map.json, autograin.json, training.json${saved.beads ? ', beads.json' : ''}, checkpoint.json)\n`);
    fit.model.dispose();
    return fit.record.stoppedBy === 'interrupted' ? 130 : 0;
  } finally {
    uninstall();
  }
}
