/**
 * `cglab sample --model <dir> --n N [--seed S] --out samples.npz`: N configurations drawn from a
 * model of `cglab train embedded`, written as a cglab data set (the system's topology and atom
 * order, positions in nm; toy surfaces as one particle with z = 0), readable by `cglab
 * evaluate` and `cglab info`. Prints the model's free-energy bound and the effective sample
 * size of the samples' importance weights for the Boltzmann density (how far the model is off).
 */
import { initBackend } from '../backend/select.js';
import { writeDataset } from '../io/dataset.js';
import { makeTrajectory } from '../io/trajectory.js';
import { loadEmbedded } from '../methods/embedded/modelDir.js';
import { weightedSamples } from '../methods/embedded/train.js';
import { Random } from '../util/random.js';
import { parseArgs } from './args.js';
import { numberOption, requiredOption } from './train.js';

export async function sampleCommand(argv: string[]): Promise<number> {
  const cmd = 'sample';
  const args = parseArgs(argv, { valued: ['model', 'n', 'seed', 'out'] }, cmd);
  const dir = requiredOption(args, 'model', cmd, '<dir of cglab train embedded>');
  const out = requiredOption(args, 'out', cmd, '<samples.npz>');
  const n = numberOption(args, 'n', cmd) as number;
  if (n === undefined || !Number.isInteger(n) || n < 1) throw new Error(`cglab ${cmd}: --n must be a positive integer (configurations to draw), got ${optionText(n)}`);
  await initBackend();
  const { model, target, system } = loadEmbedded(dir);
  const w = weightedSamples(model, target, n, new Random(numberOption(args, 'seed', cmd, 1) as number));
  model.dispose();
  const x = target.toCartesian(w.q, n);
  const atoms = target.topology.atoms.length;
  const positions = new Float32Array(n * atoms * 3);
  for (let f = 0; f < n; f++) for (let i = 0; i < atoms; i++) for (let k = 0; k < target.particleDim; k++) positions[(f * atoms + i) * 3 + k] = x[(f * atoms + i) * target.particleDim + k];
  writeDataset(out, makeTrajectory({ topology: target.topology, nFrames: n, nAtoms: atoms, positions, provenance: { system, temperature: target.temperature, generator: 'cglab sample', model: dir } }, out));
  const bound = w.bound.reduce((s, v) => s + v, 0) / n;
  process.stderr.write(`cglab ${cmd}: wrote ${n} configurations of ${system} to ${out}; free-energy bound ${bound.toFixed(3)} kT, importance-weight ESS ${(100 * w.ess).toFixed(1)} % of the samples\n`);
  return 0;
}

const optionText = (v: number | undefined) => (v === undefined ? 'none' : String(v));
