/** The `cglab` command line: one subcommand per job, each in its own module. */
import { backmapCommand } from './backmap.js';
import { demoCommand } from './demo.js';
import { HelpRequest } from './args.js';
import { loadHdf5 } from '../io/hdf5.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommand } from './evaluate.js';
import { fitCommand } from './fit.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { refineCommand } from './refine.js';
import { sampleCommand } from './sample.js';
import { simulateCommand } from './simulate.js';
import { trainCommand } from './train.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  backmap: {
    run: backmapCommand,
    summary: 'all-atom structures from CG frames with a cglab train ccg back-mapping: --model <dir> --coords <CG trajectory.npz> [--samples K] [--seed S] --out aa.npz',
  },
  demo: { run: demoCommand, summary: 'headless demo: backend report and a toy simulation with its free-energy profile' },
  doctor: { run: doctorCommand, summary: 'tensor backend, threads, SIMD, versions and GPU advice [--json]' },
  evaluate: {
    run: evaluateCommand,
    summary: 'energies and forces of frames: --system <name|parameters.json> --coords frames.(npz|dcd|pdb) [--top file.pdb] --out out.npz',
  },
  fit: {
    run: fitCommand,
    summary: 'pair potentials of a CG liquid: pairs --data <data.npz with box> --method fm|ibi|rem [--cutoff 0.9] [--bin 0.01] [--temperature 300] [--iterations N] [--seed S] --out <dir>',
  },
  generate: {
    run: generateCommand,
    summary: 'reference data with atomistic forces: <system> --ns T --save-every-ps S --replicas R --seed N --out file.npz',
  },
  info: { run: infoCommand, summary: 'atoms, frames, arrays, units, box, time and provenance of a file [--top file.pdb] [--json]' },
  refine: {
    run: refineCommand,
    summary: 'dihedral refinement of a trained CG model against reference data: --model <dir> --data <data.npz> [--top file.pdb] [--rounds N] [--replicas R] [--ps T] [--dt ps] [--seed S]',
  },
  sample: {
    run: sampleCommand,
    summary: 'configurations from a model of cglab train embedded: --model <dir> --n N [--seed S] --out samples.npz',
  },
  simulate: {
    run: simulateCommand,
    summary: 'Langevin replicas of a trained CG model: --model <dir> [--start data.npz [--top file.pdb]] --replicas R --ps T [--dt ps] [--temperature K] [--seed S] --out traj.npz',
  },
  train: {
    run: trainCommand,
    summary: 'train a CG model: forcematching --data <files | glob> [--top file.pdb] --map backbone5|backbone6|<map.json> --model cgnet|cgschnet [--epochs N] [--seed S] --out <dir>; autograin --data <data.npz> [--top file.pdb] --beads N [--epochs E] [--rho R] [--seed S] [--per-molecule] --out <dir>; arcg --data <data.npz> [--top file.pdb] [--map backbone5] --model <spec.json> [--seed S] [--resume] --out <dir>; embedded --system <name> [--temperature K] [--latent D] [--seed S] --out <dir> (no data); ccg --data <files> [--top file.pdb] --map backbone5|backbone6 [--cg-model <dir>] --out <dir>',
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'usage: cglab <command> [options]',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`cglab: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  // An HDF5 file (or a glob of them) anywhere in the arguments: load its library first, as the readers are synchronous.
  if (rest.some((a) => /\.(h5|hdf5)(:|$)/i.test(a))) await loadHdf5();
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (!(e instanceof HelpRequest)) throw e;
    process.stdout.write(`usage: cglab ${name} — ${cmd.summary}\noptions: ${e.optionNames.join(', ') || 'none'}\n`);
    return 0;
  }
}
