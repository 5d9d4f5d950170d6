/**
 * `cglab backmap --model <dir> --coords <CG trajectory> [--samples K] [--seed S] --out aa.npz`:
 * all-atom structures from CG frames with a `cglab train ccg` back-mapping, K per frame (the
 * samples of a frame together), written as a cglab data set of the system's atoms in its atom
 * order (nm), for `cglab evaluate`, `cglab info` and NGL.
 */
import { initBackend } from '../backend/select.js';
import { readCoordinates, writeDataset } from '../io/dataset.js';
import { makeTrajectory } from '../io/trajectory.js';
import { backmap } from '../methods/ccg/molecule.js';
import { loadCcg } from '../methods/ccg/modelDir.js';
import { Random } from '../util/random.js';
import { optString, parseArgs } from './args.js';
import { numberOption, requiredOption } from './train.js';

export async function backmapCommand(argv: string[]): Promise<number> {
  const cmd = 'backmap';
  const args = parseArgs(argv, { valued: ['model', 'coords', 'top', 'samples', 'seed', 'out'] }, cmd);
  if (args.positional.length) throw new Error(`cglab ${cmd}: unexpected argument '${args.positional[0]}'`);
  const dir = requiredOption(args, 'model', cmd, '<dir of cglab train ccg>');
  const coords = requiredOption(args, 'coords', cmd, '<CG trajectory .npz>');
  const out = requiredOption(args, 'out', cmd, '<aa.npz>');
  if (!out.endsWith('.npz')) throw new Error(`cglab ${cmd}: --out must name a .npz file, got '${out}'`);
  const samples = numberOption(args, 'samples', cmd, 1) as number;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`cglab ${cmd}: --samples must be a positive integer, got ${samples}`);
  const seed = numberOption(args, 'seed', cmd, 1) as number;
  await initBackend();
  const m = loadCcg(dir);
  const beads = m.info.cgTopology.atoms;
  const cg = readCoordinates(coords, { top: optString(args, 'top'), requireTopology: false });
  if (cg.nAtoms !== beads.length) {
    throw new Error(`cglab ${cmd}: ${coords} has ${cg.nAtoms} beads per frame, but ${dir} back-maps map ${m.info.map.name} of ${beads.length} beads (${beads.map((a) => a.name).join(' ')})`);
  }
  const names = cg.topology?.atoms.map((a) => `${a.residue}:${a.name}`).join(' ');
  const expected = beads.map((a) => `${a.residue}:${a.name}`).join(' ');
  if (names !== undefined && names !== expected) {
    throw new Error(`cglab ${cmd}: ${coords} holds beads ${names}, but ${dir} is a back-mapping for map ${m.info.map.name}, beads ${expected}: use the back-mapping trained for that map`);
  }
  const x = backmap(m.flow, m.rep, cg.positions, samples, new Random(seed));
  const frames = cg.nFrames * samples;
  const traj = makeTrajectory({ topology: m.info.atomistic, nFrames: frames, nAtoms: m.info.atomistic.atoms.length, positions: Float32Array.from(x) }, out);
  writeDataset(out, traj, {
    provenance: { generator: 'cglab backmap', model: dir, system: m.info.system, temperature_K: m.info.temperature, cg_frames: coords, samples_per_frame: samples, seed, constraints: m.system.constraints?.distances.length ?? 0 },
  });
  process.stderr.write(`cglab ${cmd}: ${cg.nFrames} CG frames × ${samples} → ${frames} structures of ${traj.nAtoms} atoms (${m.info.system}); wrote ${out}\n`);
  return 0;
}
