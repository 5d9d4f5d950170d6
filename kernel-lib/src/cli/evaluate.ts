/**
 * `cglab evaluate --system <name|parameters.json> --coords frames.(npz|dcd|pdb|xyz)
 * [--top file.pdb] --out out.npz`: energies [frames] (kJ/mol) and forces [frames, atoms, 3]
 * (kJ/mol/nm) of the given frames, in the input's atom order.
 */
import { getSystem } from '../datasets/systems.js';
import { readCoordinates } from '../io/dataset.js';
import { npyArray } from '../io/npy.js';
import { writeNpz } from '../io/npz.js';
import { evaluateFrames } from '../physics/evaluate.js';
import { loadForceField } from '../physics/forcefield.js';
import { INTERNAL_UNITS } from '../units.js';
import { optString, parseArgs } from './args.js';

export async function evaluateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { valued: ['system', 'coords', 'top', 'out'] }, 'evaluate');
  if (args.positional.length) throw new Error(`cglab evaluate: unexpected argument '${args.positional[0]}'`);
  const system = optString(args, 'system');
  const coords = optString(args, 'coords');
  const out = optString(args, 'out');
  if (!system || !coords || !out) throw new Error('cglab evaluate: --system, --coords and --out are required');
  if (!out.endsWith('.npz')) throw new Error(`cglab evaluate: --out must name a .npz file, got '${out}'`);
  const { potential, topology } = system.endsWith('.json') ? fromParameterFile(system) : getSystem(system);
  const traj = readCoordinates(coords, { top: optString(args, 'top') });
  const res = evaluateFrames(potential, topology, traj, coords);
  const meta = new TextEncoder().encode(JSON.stringify({
    units: INTERNAL_UNITS,
    provenance: { generator: 'cglab evaluate', system, coords, frames: traj.nFrames, atoms: traj.nAtoms, reordered_to_match_system: res.reordered },
  }));
  writeNpz(out, {
    energies: npyArray(res.energies, [traj.nFrames]),
    forces: npyArray(res.forces, [traj.nFrames, traj.nAtoms, 3]),
    meta: npyArray(meta, [meta.length], '|u1'),
  });
  process.stderr.write(`cglab evaluate: ${traj.nFrames} frames of ${traj.nAtoms} atoms${res.reordered ? ' (atoms matched by residue and name)' : ''} → ${out}\n`);
  return 0;
}

function fromParameterFile(path: string) {
  const ff = loadForceField(path);
  return { potential: ff, topology: ff.topology };
}
